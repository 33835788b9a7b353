#include "tags.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tag_value_check(const struct tagdef *t, json_object *v, char *why, size_t n)
{
	switch (t->type) {
	case TAG_STRING:
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(why, n, "must be a string");
			return -1;
		}
		return 0;
	case TAG_INTEGER:
		if (!json_object_is_type(v, json_type_int)) {
			snprintf(why, n, "must be an integer");
			return -1;
		}
		return 0;
	case TAG_NUMBER:
		if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
		    !isfinite(json_object_get_double(v))) {
			snprintf(why, n, "must be a number");
			return -1;
		}
		return 0;
	case TAG_BOOLEAN:
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(why, n, "must be true or false");
			return -1;
		}
		return 0;
	case TAG_ENUM: {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(why, n, "must be one of the enum's strings");
			return -1;
		}
		const char *s = json_object_get_string(v);
		for (size_t i = 0; i < t->nvalues; i++)
			if (strcmp(s, t->values[i]) == 0)
				return 0;
		size_t off = (size_t)snprintf(why, n, "\"%s\" is not one of ", s);
		for (size_t i = 0; i < t->nvalues && off < n; i++)
			off += (size_t)snprintf(why + off, n - off, "%s%s", i ? ", " : "", t->values[i]);
		return -1;
	}
	case TAG_LIST: {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(why, n, "must be a list of strings");
			return -1;
		}
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len; i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string)) {
				snprintf(why, n, "item %zu must be a string", i);
				return -1;
			}
		return 0;
	}
	}
	snprintf(why, n, "unknown tag type");
	return -1;
}

int tags_check_partial(const struct config *cfg, json_object *tags, char *why, size_t n)
{
	if (!tags)
		return 0;
	if (!json_object_is_type(tags, json_type_object)) {
		snprintf(why, n, "tags must be an object");
		return -1;
	}
	json_object_object_foreach(tags, k, v) {
		const struct tagdef *t = config_tag(cfg, k);
		if (!t) {
			snprintf(why, n, "unknown tag \"%s\"", k);
			return -1;
		}
		if (!v)
			continue; /* null: inherit */
		char w[256];
		if (tag_value_check(t, v, w, sizeof w) < 0) {
			snprintf(why, n, "tag \"%s\": %s", k, w);
			return -1;
		}
	}
	return 0;
}

int tags_check_complete(const struct config *cfg, json_object *tags, char *why, size_t n)
{
	if (tags_check_partial(cfg, tags, why, n) < 0)
		return -1;
	for (size_t i = 0; i < cfg->ntags; i++) {
		const struct tagdef *t = &cfg->tags[i];
		json_object *v = NULL;
		if (t->required && (!tags || !json_object_object_get_ex(tags, t->name, &v) || !v)) {
			snprintf(why, n, "tag \"%s\": required, and no value is set", t->name);
			return -1;
		}
	}
	return 0;
}

json_object *tags_effective(const struct config *cfg, const struct tag_layer *layers,
    size_t nlayers, json_object **sources)
{
	json_object *eff = json_object_new_object();
	json_object *src = sources ? json_object_new_object() : NULL;
	for (size_t i = 0; i < cfg->ntags; i++) {
		const struct tagdef *t = &cfg->tags[i];
		if (!t->def)
			continue;
		json_object_object_add(eff, t->name, json_object_get(t->def));
		if (src)
			json_object_object_add(src, t->name, json_object_new_string("default"));
	}
	for (size_t l = 0; l < nlayers; l++) {
		if (!layers[l].tags || !json_object_is_type(layers[l].tags, json_type_object))
			continue;
		json_object_object_foreach(layers[l].tags, k, v) {
			if (!v)
				continue; /* null inherits */
			json_object_object_add(eff, k, json_object_get(v));
			if (src)
				json_object_object_add(src, k, json_object_new_string(layers[l].source));
		}
	}
	if (sources)
		*sources = src;
	return eff;
}

json_object *tag_value_from_string(const struct tagdef *t, const char *s, char *why, size_t n)
{
	char *end;
	switch (t->type) {
	case TAG_STRING:
	case TAG_ENUM: {
		json_object *v = json_object_new_string(s);
		if (tag_value_check(t, v, why, n) < 0) {
			json_object_put(v);
			return NULL;
		}
		return v;
	}
	case TAG_INTEGER: {
		errno = 0;
		long long i = strtoll(s, &end, 10);
		if (!*s || *end || errno) {
			snprintf(why, n, "\"%s\" is not an integer", s);
			return NULL;
		}
		return json_object_new_int64(i);
	}
	case TAG_NUMBER: {
		errno = 0;
		double d = strtod(s, &end);
		if (!*s || *end || errno || !isfinite(d)) {
			snprintf(why, n, "\"%s\" is not a number", s);
			return NULL;
		}
		return json_object_new_double(d);
	}
	case TAG_BOOLEAN:
		if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0)
			return json_object_new_boolean(1);
		if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0)
			return json_object_new_boolean(0);
		snprintf(why, n, "\"%s\" is not true or false", s);
		return NULL;
	case TAG_LIST: {
		json_object *a = json_object_new_array();
		const char *p = s;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			if (len)
				json_object_array_add(a, json_object_new_string_len(p, (int)len));
			p += len + (comma ? 1 : 0);
		}
		return a;
	}
	}
	snprintf(why, n, "unknown tag type");
	return NULL;
}
