/* rule.c: tag filters and publication rules (rule.h). */
#include "rule.h"
#include "urlenc.h"
#include "metastore.h"
#include "tags.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule *rule_new(void)
{
	return xcalloc(1, sizeof(struct rule));
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ng; i++) {
		for (size_t j = 0; j < r->g[i].nv; j++)
			free(r->g[i].v[j].text);
		free(r->g[i].v);
		free(r->g[i].tag);
	}
	free(r->g);
	free(r);
}

/* Shortest text that reads back as the same double, as a user would type
 * it ("3", "2.5"); the metastore's tags table spells numbers the same way. */
static void number_text(double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, n, "%.17g", v);
}

int rule_value_key(json_object *v, enum rule_class *cls, const char **text, char *buf, size_t n)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		*cls = RULE_STRING;
		*text = json_object_get_string(v);
		return 0;
	case json_type_int:
		*cls = RULE_NUMBER;
		snprintf(buf, n, "%lld", (long long)json_object_get_int64(v));
		*text = buf;
		return 0;
	case json_type_double:
		*cls = RULE_NUMBER;
		number_text(json_object_get_double(v), buf, n);
		*text = buf;
		return 0;
	case json_type_boolean:
		*cls = RULE_BOOLEAN;
		*text = json_object_get_boolean(v) ? "true" : "false";
		return 0;
	default:
		return -1;
	}
}

static struct rule_group *group_of(struct rule *r, const char *tag)
{
	size_t i = 0;
	while (i < r->ng && strcmp(r->g[i].tag, tag) < 0)
		i++;
	if (i < r->ng && strcmp(r->g[i].tag, tag) == 0)
		return &r->g[i];
	r->g = xrealloc(r->g, (r->ng + 1) * sizeof *r->g);
	memmove(r->g + i + 1, r->g + i, (r->ng - i) * sizeof *r->g);
	r->ng++;
	r->g[i] = (struct rule_group){xstrdup(tag), NULL, 0};
	return &r->g[i];
}

static int value_cmp(const struct rule_value *a, enum rule_class cls, const char *text)
{
	return a->cls != cls ? (int)a->cls - (int)cls : strcmp(a->text, text);
}

/* Values stay sorted and unique, so that equal rules look the same. */
static void group_add(struct rule_group *g, enum rule_class cls, const char *text)
{
	size_t i = 0;
	while (i < g->nv && value_cmp(&g->v[i], cls, text) < 0)
		i++;
	if (i < g->nv && value_cmp(&g->v[i], cls, text) == 0)
		return;
	g->v = xrealloc(g->v, (g->nv + 1) * sizeof *g->v);
	memmove(g->v + i + 1, g->v + i, (g->nv - i) * sizeof *g->v);
	g->nv++;
	g->v[i] = (struct rule_value){cls, xstrdup(text)};
}

/* Without a tag set: every reading the text allows. */
static void add_untyped(struct rule_group *g, const char *value)
{
	char buf[64], *end;
	group_add(g, RULE_STRING, value);
	errno = 0;
	double d = strtod(value, &end);
	if (end != value && !*end && !errno && isfinite(d)) {
		number_text(d, buf, sizeof buf);
		group_add(g, RULE_NUMBER, buf);
	}
	if (!strcmp(value, "true") || !strcmp(value, "1"))
		group_add(g, RULE_BOOLEAN, "true");
	if (!strcmp(value, "false") || !strcmp(value, "0"))
		group_add(g, RULE_BOOLEAN, "false");
}

/* The value as the tag's type reads it. 0 or -1 with err (the tag's message). */
static int add_typed(struct rule_group *g, const struct tagdef *t, const char *value,
    char *err, size_t errlen)
{
	json_object *v;
	if (t->type == TAG_LIST) {
		/* a list filter names one of its items */
		if (!utf8_valid(value)) {
			snprintf(err, errlen, "the value is not valid UTF-8");
			return -1;
		}
		v = json_object_new_string(value);
	} else if (!(v = tag_value_from_string(t, value, err, errlen))) {
		return -1;
	}
	enum rule_class cls;
	const char *text;
	char buf[64];
	int r = rule_value_key(v, &cls, &text, buf, sizeof buf);
	if (r == 0)
		group_add(g, cls, text);
	json_object_put(v);
	return r;
}

int rule_add(struct rule *r, const struct config *cfg, const char *tag, const char *value,
    char *err, size_t errlen)
{
	const struct tagdef *t = cfg ? config_tag(cfg, tag) : NULL;
	char w[512];
	if (cfg && !t) {
		char *s = utf8_sanitize(tag);
		snprintf(err, errlen, "%s: no such tag", s);
		free(s);
		return -1;
	}
	if (!*tag) {
		snprintf(err, errlen, "a filter needs a tag name (TAG=VALUE)");
		return -1;
	}
	struct rule_group *g = group_of(r, tag);
	if (!t) {
		add_untyped(g, value);
		return 0;
	}
	if (add_typed(g, t, value, w, sizeof w) < 0) {
		char *s = utf8_sanitize(tag);
		snprintf(err, errlen, "%s=%s: %s", s, utf8_valid(value) ? value : "?", w);
		free(s);
		return -1;
	}
	return 0;
}

struct rule *rule_parse(const char *text, const struct config *cfg, char *err, size_t errlen)
{
	struct rule *r = rule_new();
	const char *q = text;
	char *k, *v;
	int st;
	static const char *const not_rules[] = {"limit", "cursor", "sort", "q", "fields", NULL};
	while ((st = urlenc_query_next(&q, &k, &v)) == 1) {
		int bad = 0;
		for (const char *const *p = not_rules; *p && !bad; p++)
			if (strcmp(k, *p) == 0) {
				snprintf(err, errlen, "%s: a rule holds tag filters only (TAG=VALUE&...)", k);
				bad = 1;
			}
		if (!bad && rule_add(r, cfg, k, v, err, errlen) < 0)
			bad = 1;
		free(k);
		free(v);
		if (bad) {
			rule_free(r);
			return NULL;
		}
	}
	if (st < 0) {
		snprintf(err, errlen, "bad percent-encoding");
		rule_free(r);
		return NULL;
	}
	return r;
}

struct rule *rule_open(const char *arg, const struct config *cfg)
{
	const char *text = arg ? arg : cfg ? cfg->where : NULL;
	char why[1024];
	if (!text)
		return NULL;
	struct rule *r = rule_parse(text, cfg, why, sizeof why);
	if (!r) {
		char *t = utf8_sanitize(text);
		if (arg)
			mdie(EXIT_USAGE, "-W %s: %s", t, why);
		mdie(EXIT_USAGE, "%s: frontyard.where: %s: %s", cfg->path, t, why);
	}
	if (r->ng == 0) {
		rule_free(r);
		return NULL;
	}
	return r;
}

static int value_in(const struct rule_group *g, json_object *v)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (value_in(g, json_object_array_get_idx(v, i)))
				return 1;
		return 0;
	}
	enum rule_class cls;
	const char *text;
	char buf[64];
	if (rule_value_key(v, &cls, &text, buf, sizeof buf) < 0)
		return 0;
	for (size_t i = 0; i < g->nv; i++)
		if (g->v[i].cls == cls && strcmp(g->v[i].text, text) == 0)
			return 1;
	return 0;
}

int rule_match(const struct rule *r, json_object *tags)
{
	for (size_t i = 0; r && i < r->ng; i++) {
		json_object *v = json_object_object_get(tags, r->g[i].tag);
		if (!v || !value_in(&r->g[i], v))
			return 0;
	}
	return 1;
}

char *rule_canonical(const struct rule *r)
{
	/* JSON: unambiguous whatever the names and values hold */
	json_object *a = json_object_new_array();
	for (size_t i = 0; r && i < r->ng; i++) {
		json_object *g = json_object_new_array();
		json_object_array_add(g, json_object_new_string(r->g[i].tag));
		for (size_t j = 0; j < r->g[i].nv; j++) {
			char *t = xasprintf("%d:%s", (int)r->g[i].v[j].cls, r->g[i].v[j].text);
			json_object_array_add(g, json_object_new_string(t));
			free(t);
		}
		json_object_array_add(a, g);
	}
	char *s = xstrdup(r && r->ng ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : "");
	json_object_put(a);
	return s;
}

struct outside {
	const struct rule *r;
	json_object *ids;
};

static int note_outside(void *arg, json_object *clip)
{
	struct outside *o = arg;
	if (!rule_match(o->r, json_object_object_get(clip, "tags")))
		json_object_array_add(o->ids, json_object_get(json_object_object_get(clip, "id")));
	return 0;
}

int rule_keep_only(const char *path, const struct rule *r, json_object **excluded)
{
	char err[1024];
	/* readable where it lies, as rmeta_snapshot leaves a snapshot */
	struct metastore *ms = metastore_open(path, MS_ROLLBACK, err, sizeof err);
	if (!ms) {
		mwarn("%s", err);
		return -1;
	}
	struct outside o = {r, json_object_new_array()};
	int rc = -1;
	if (metastore_each_clip(ms, NULL, note_outside, &o) != 0 || metastore_begin(ms) < 0)
		goto out;
	for (size_t i = 0; i < json_object_array_length(o.ids); i++)
		if (metastore_delete_clip(ms, json_object_get_string(json_object_array_get_idx(o.ids, i))) < 0) {
			metastore_rollback(ms);
			goto out;
		}
	if (metastore_commit(ms) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		mwarn("%s: cannot leave out the clips outside the rule", path);
	metastore_close(ms);
	if (rc == 0 && excluded)
		*excluded = json_object_get(o.ids);
	json_object_put(o.ids);
	return rc;
}
