#include "tags.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON string that C code can hold whole: valid UTF-8, no NUL inside
 * (the parsers refuse both; values built in code must not slip by). */
static int text_ok(json_object *v)
{
	const char *s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) && utf8_valid(s);
}

const struct tagdef *tag_find(const struct tagdef *tags, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tags[i].name, name) == 0)
			return &tags[i];
	return NULL;
}

int tag_value_check(const struct tagdef *t, json_object *v, char *err, size_t errlen)
{
	if (json_object_is_type(v, json_type_string) && !text_ok(v)) {
		snprintf(err, errlen, "must be UTF-8 text without NUL characters");
		return -1;
	}
	switch (t->type) {
	case TAG_STRING:
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "must be a string");
			return -1;
		}
		return 0;
	case TAG_INTEGER:
		if (!json_object_is_type(v, json_type_int)) {
			snprintf(err, errlen, "must be an integer");
			return -1;
		}
		return 0;
	case TAG_NUMBER:
		if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
		    !isfinite(json_object_get_double(v))) {
			snprintf(err, errlen, "must be a number");
			return -1;
		}
		return 0;
	case TAG_BOOLEAN:
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "must be true or false");
			return -1;
		}
		return 0;
	case TAG_ENUM: {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "must be one of the enum's strings");
			return -1;
		}
		const char *s = json_object_get_string(v);
		for (size_t i = 0; i < t->nvalues; i++)
			if (strcmp(s, t->values[i]) == 0)
				return 0;
		size_t off = (size_t)snprintf(err, errlen, "\"%s\" is not one of ", s);
		for (size_t i = 0; i < t->nvalues && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off, "%s%s", i ? ", " : "", t->values[i]);
		return -1;
	}
	case TAG_LIST: {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen, "must be a list of strings");
			return -1;
		}
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len; i++) {
			json_object *item = json_object_array_get_idx(v, i);
			if (!json_object_is_type(item, json_type_string)) {
				snprintf(err, errlen, "item %zu must be a string", i);
				return -1;
			}
			if (!text_ok(item)) {
				snprintf(err, errlen, "item %zu must be UTF-8 text without NUL characters", i);
				return -1;
			}
		}
		return 0;
	}
	}
	snprintf(err, errlen, "unknown tag type");
	return -1;
}

int tags_check_partial(const struct config *cfg, json_object *tags, char *err, size_t errlen)
{
	if (!tags)
		return 0;
	if (!json_object_is_type(tags, json_type_object)) {
		snprintf(err, errlen, "tags must be an object");
		return -1;
	}
	json_object_object_foreach(tags, k, v) {
		const struct tagdef *t = tag_find(cfg->tags, cfg->ntags, k);
		if (!t) {
			snprintf(err, errlen, "unknown tag \"%s\"", k);
			return -1;
		}
		if (!v)
			continue; /* null: inherit */
		char w[256];
		if (tag_value_check(t, v, w, sizeof w) < 0) {
			snprintf(err, errlen, "tag \"%s\": %s", k, w);
			return -1;
		}
	}
	return 0;
}

int tags_check_complete(const struct config *cfg, json_object *tags, char *err, size_t errlen)
{
	if (tags_check_partial(cfg, tags, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < cfg->ntags; i++) {
		const struct tagdef *t = &cfg->tags[i];
		json_object *v = NULL;
		if (t->required && (!tags || !json_object_object_get_ex(tags, t->name, &v) || !v)) {
			snprintf(err, errlen, "tag \"%s\": required, and no value is set", t->name);
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

/* A double as JSON text that reads back as the same double, in the fewest
 * digits ("0.1", not json-c's "0.10000000000000001"). */
static json_object *shortest_double(double d)
{
	char buf[64];
	double a = fabs(d);
	if (a == 0 || (a >= 1e-4 && a < 1e15)) {
		/* plain decimals where people write them so: 1000, not 1e+03 */
		for (int dec = 0; dec <= 20; dec++) {
			snprintf(buf, sizeof buf, "%.*f", dec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	} else {
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	}
	/* "1e+20" is valid JSON; a whole number stays a double ("5.0" parses
	 * back as a double, not an integer) */
	if (!strpbrk(buf, ".eE"))
		strcat(buf, ".0");
	return json_object_new_double_s(d, buf);
}

/* The characters of a decimal number as a person types it: an optional
 * sign, digits, a fraction, an exponent. strtod alone also takes leading
 * spaces, hex and "inf". */
static int decimal_chars(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9')))
		return 0;
	return strspn(s, "0123456789.eE+-") == strlen(s);
}

/* s without leading and trailing spaces and tabs, as a new string. */
static char *trimmed(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	char *r = xmalloc(len + 1);
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

json_object *tag_value_from_string(const struct tagdef *t, const char *s, char *err, size_t errlen)
{
	char *end;
	if (!utf8_valid(s)) {
		snprintf(err, errlen, "the value is not valid UTF-8");
		return NULL;
	}
	switch (t->type) {
	case TAG_STRING:
	case TAG_ENUM: {
		json_object *v = json_object_new_string(s);
		if (tag_value_check(t, v, err, errlen) < 0) {
			json_object_put(v);
			return NULL;
		}
		return v;
	}
	case TAG_INTEGER: {
		errno = 0;
		long long i = strtoll(s, &end, 10);
		if (!decimal_chars(s) || *end) {
			snprintf(err, errlen, "\"%s\" is not an integer", s);
			return NULL;
		}
		if (errno) {
			snprintf(err, errlen, "\"%s\" is out of range for an integer", s);
			return NULL;
		}
		return json_object_new_int64(i);
	}
	case TAG_NUMBER: {
		errno = 0;
		double d = strtod(s, &end);
		if (!decimal_chars(s) || *end || errno || !isfinite(d)) {
			snprintf(err, errlen, "\"%s\" is not a number", s);
			return NULL;
		}
		return shortest_double(d);
	}
	case TAG_BOOLEAN:
		if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0)
			return json_object_new_boolean(1);
		if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0)
			return json_object_new_boolean(0);
		snprintf(err, errlen, "\"%s\" is not true or false", s);
		return NULL;
	case TAG_LIST: {
		json_object *a = json_object_new_array();
		const char *p = s;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			/* "alice, bob" means "bob", not " bob" */
			char *item = trimmed(p, len);
			if (*item)
				json_object_array_add(a, json_object_new_string(item));
			free(item);
			p += len + (comma ? 1 : 0);
		}
		return a;
	}
	}
	snprintf(err, errlen, "unknown tag type");
	return NULL;
}
