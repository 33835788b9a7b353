/* test-findex.c: the listing index against a plain scan of the same clips:
 * selections (filters, q), pages in every sort order, facets, ids, the
 * rule's left-out clips, and damaged files. */
#include "findex.h"
#include "rule.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define N 700   /* past the bitmap threshold for common values, arrays for rare ones */

static unsigned long seed = 12345;
static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)(seed >> 33) % n;
}

static json_object *clips[N];
static size_t nclips;

static json_object *make_clip(int i)
{
	static const char *places[] = {"Kyoto", "Nara", "Home", "kyoto-ish", "Ōsaka"};
	json_object *c = json_object_new_object(), *t = json_object_new_object();
	char id[32];
	snprintf(id, sizeof id, "c%04d", i);
	json_object_object_add(c, "id", json_object_new_string(id));
	json_object_object_add(c, "start", json_object_new_double(rnd(10)));
	json_object_object_add(c, "duration", json_object_new_double(1 + rnd(5)));
	if (rnd(7))
		json_object_object_add(t, "place", json_object_new_string(places[rnd(5)]));
	if (rnd(5))
		json_object_object_add(t, "rating", json_object_new_int(rnd(5)));
	json_object_object_add(t, "score", json_object_new_double(rnd(4) / 2.0));
	json_object_object_add(t, "public", json_object_new_boolean(rnd(2)));
	json_object *p = json_object_new_array();
	static const char *people[] = {"Ann", "Bo", "Cy"};
	for (int k = 0; k < 3; k++)
		if (rnd(3) == 0)
			json_object_array_add(p, json_object_new_string(people[k]));
	json_object_object_add(t, "people", p);
	char title[64];
	snprintf(title, sizeof title, "Clip %d of word%u", i, rnd(40));
	json_object_object_add(t, "title", json_object_new_string(title));
	json_object_object_add(c, "tags", t);
	json_object_object_add(c, "updated", json_object_new_int64(1000 + rnd(N / 3)));
	return c;
}

/* ---------- the plain scan ---------- */

static long long updated_of(json_object *c)
{
	return json_object_get_int64(json_object_object_get(c, "updated"));
}

static int default_order(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	long long ux = updated_of(x), uy = updated_of(y);
	if (ux != uy)
		return ux > uy ? -1 : 1;
	return strcmp(json_object_get_string(json_object_object_get(x, "id")),
	    json_object_get_string(json_object_object_get(y, "id")));
}

static int text_in(json_object *v, const char *q)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (text_in(json_object_array_get_idx(v, i), q))
				return 1;
		return 0;
	}
	return json_object_is_type(v, json_type_string) && strcasestr(json_object_get_string(v), q);
}

static int passes(json_object *c, const struct rule *r, const char *q)
{
	json_object *t = json_object_object_get(c, "tags");
	if (!rule_match(r, t))
		return 0;
	if (!q || !*q)
		return 1;
	json_object_object_foreach(t, k, v) {
		(void)k;
		if (text_in(v, q))
			return 1;
	}
	return 0;
}

static const char *sort_field;
static int sort_tag, sort_desc;

static json_object *sort_value(json_object *c)
{
	return json_object_object_get(sort_tag ? json_object_object_get(c, "tags") : c, sort_field);
}

static int numeric(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_boolean);
}

static int by_sort(const void *a, const void *b)
{
	json_object *x = sort_value(*(json_object *const *)a), *y = sort_value(*(json_object *const *)b);
	int r;
	if (!x || !y) {
		r = !x - !y;
	} else if (numeric(x) && numeric(y)) {
		double p = json_object_get_double(x), q = json_object_get_double(y);
		r = p < q ? -1 : p > q;
		r = sort_desc ? -r : r;
	} else if (numeric(x) != numeric(y)) {
		r = numeric(x) ? -1 : 1;
		r = sort_desc ? -r : r;
	} else {
		r = strcmp(json_object_get_string(x), json_object_get_string(y));
		r = sort_desc ? -r : r;
	}
	return r ? r : default_order(a, b);
}

/* The ids the scan gives, joined, and those of the index. */
static char *scan_ids(const struct rule *r, const char *q, const char *field, int tag, int desc,
    size_t off, size_t limit, size_t *total)
{
	json_object **sel = xmalloc(N * sizeof *sel);
	size_t k = 0;
	for (size_t i = 0; i < nclips; i++)
		if (passes(clips[i], r, q))
			sel[k++] = clips[i];
	if (field) {
		sort_field = field;
		sort_tag = tag;
		sort_desc = desc;
		qsort(sel, k, sizeof *sel, by_sort);
	}
	*total = k;
	char *out = xstrdup("");
	for (size_t i = off; i < k && i < off + limit; i++) {
		char *o = xasprintf("%s%s ", out, json_object_get_string(json_object_object_get(sel[i], "id")));
		free(out);
		out = o;
	}
	free(sel);
	return out;
}

static char *index_ids(struct findex *fx, const struct rule *r, const char *q, const char *field,
    int tag, int desc, size_t off, size_t limit, size_t *total)
{
	struct findex_sel *s = findex_select(fx, r, q);
	uint32_t *ord = xmalloc((limit + 1) * sizeof *ord);
	size_t k = findex_page(fx, s, field, tag, desc, off, limit, ord);
	*total = findex_sel_count(s);
	char *out = xstrdup("");
	for (size_t i = 0; i < k; i++) {
		const char *t;
		size_t n;
		findex_clip(fx, ord[i], &t, &n);
		char *o = xasprintf("%s%.*s ", out, (int)strcspn(t + 7, "\""), t + 7);
		free(out);
		out = o;
	}
	free(ord);
	findex_sel_free(s);
	return out;
}

static struct config cfg;

static struct rule *rule_of(const char *text)
{
	char why[256];
	struct rule *r = rule_parse(text, &cfg, why, sizeof why);
	if (!r)
		printf("# %s: %s\n", text, why);
	return r;
}

static void same_listing(struct findex *fx, const char *filters, const char *q, const char *field,
    int tag, int desc, size_t off, size_t limit)
{
	struct rule *r = rule_of(filters);
	size_t t1, t2;
	char *a = scan_ids(r, q, field, tag, desc, off, limit, &t1);
	char *b = index_ids(fx, r, q, field, tag, desc, off, limit, &t2);
	ok(t1 == t2 && strcmp(a, b) == 0, "%s q=%s sort=%s%s from %zu: %zu clips", filters,
	    q ? q : "", desc ? "-" : "", field ? field : "(default)", off, t1);
	if (t1 != t2 || strcmp(a, b))
		printf("#   scan  %zu: %.200s\n#   index %zu: %.200s\n", t1, a, t2, b);
	free(a);
	free(b);
	rule_free(r);
}

/* Facets of the scan: whole numbers, strings and booleans, list items. */
static void scan_count(json_object *f, const char *tag, json_object *v)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			scan_count(f, tag, json_object_array_get_idx(v, i));
		return;
	}
	if (json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) != (double)(long long)json_object_get_double(v))
		return;
	json_object *t = json_object_object_get(f, tag);
	if (!t)
		json_object_object_add(f, tag, t = json_object_new_object());
	char buf[64];
	const char *k = json_object_get_string(v);
	if (json_object_is_type(v, json_type_double))
		k = (snprintf(buf, sizeof buf, "%lld", (long long)json_object_get_double(v)), buf);
	json_object *c = json_object_object_get(t, k);
	if (c)
		json_object_set_int64(c, json_object_get_int64(c) + 1);
	else
		json_object_object_add(t, k, json_object_new_int64(1));
}

static void same_facets(struct findex *fx, const char *filters, const char *q)
{
	struct rule *r = rule_of(filters);
	json_object *want = json_object_new_object();
	for (size_t i = 0; i < nclips; i++)
		if (passes(clips[i], r, q)) {
			json_object_object_foreach(json_object_object_get(clips[i], "tags"), k, v)
				scan_count(want, k, v);
		}
	struct findex_sel *s = findex_select(fx, r, q);
	json_object *got = findex_facets(fx, s);
	ok(json_object_equal(want, got), "facets of %s q=%s", filters, q ? q : "");
	if (!json_object_equal(want, got))
		printf("#   want %.300s\n#   got  %.300s\n", json_object_to_json_string(want),
		    json_object_to_json_string(got));
	json_object_put(want);
	json_object_put(got);
	findex_sel_free(s);
	rule_free(r);
}

int main(void)
{
	static struct tagdef defs[] = {
		{.name = "place", .type = TAG_STRING}, {.name = "rating", .type = TAG_INTEGER},
		{.name = "score", .type = TAG_NUMBER}, {.name = "public", .type = TAG_BOOLEAN},
		{.name = "people", .type = TAG_LIST}, {.name = "title", .type = TAG_STRING},
	};
	cfg.tags = defs;
	cfg.ntags = sizeof defs / sizeof defs[0];
	struct rule *where = rule_of("rating=0&rating=1&rating=2&rating=3");
	struct findex_builder *b = findex_builder_new(&cfg, where);
	json_object *all[N];
	for (int i = 0; i < N; i++) {
		all[i] = make_clip(i);
		findex_builder_add(b, all[i]);
		if (rule_match(where, json_object_object_get(all[i], "tags")))
			clips[nclips++] = all[i];
	}
	qsort(clips, nclips, sizeof *clips, default_order);
	char *buf, why[256];
	size_t len;
	findex_builder_finish(b, json_object_new_object(), &buf, &len);
	findex_builder_free(b);
	char *copy = xmalloc(len);
	memcpy(copy, buf, len);
	struct findex *fx = findex_from_buffer(buf, len, why, sizeof why);
	ok(fx != NULL, "an index of %d clips, %zu of them inside the rule", N, nclips);
	ok(findex_total(fx) == nclips, "its total");

	static const char *const filters[] = {"", "public=true", "place=Kyoto", "place=Kyoto&place=Nara",
		"people=Bo", "rating=3&public=false", "score=1", "score=0.5", "place=nowhere",
		"people=Ann&people=Cy&public=true", "title=Clip 7 of word3"};
	static const char *const qs[] = {NULL, "k", "ky", "KYO", "word1", "of w", "ōs", "zzz"};
	for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
		for (size_t j = 0; j < sizeof qs / sizeof *qs; j++)
			same_listing(fx, filters[i], qs[j], NULL, 0, 0, 0, N);
	static const struct { const char *f; int tag; } sorts[] = {
		{"id", 0}, {"duration", 0}, {"updated", 0}, {"start", 0}, {"rating", 1}, {"place", 1},
		{"score", 1}, {"people", 1}, {"public", 1}};
	for (size_t i = 0; i < sizeof sorts / sizeof *sorts; i++)
		for (int desc = 0; desc < 2; desc++) {
			same_listing(fx, "", NULL, sorts[i].f, sorts[i].tag, desc, 0, N);
			same_listing(fx, "public=true", "o", sorts[i].f, sorts[i].tag, desc, 37, 50);
		}
	same_listing(fx, "place=Home", NULL, NULL, 0, 0, 20, 7);
	same_listing(fx, "", NULL, NULL, 0, 0, nclips - 3, 50);
	for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
		same_facets(fx, filters[i], i % 2 ? "o" : NULL);
	same_facets(fx, "", "zzz");

	int found = 1, outside = 1;
	for (int i = 0; i < N; i++) {
		const char *id = json_object_get_string(json_object_object_get(all[i], "id"));
		int in = rule_match(where, json_object_object_get(all[i], "tags"));
		long o = findex_find(fx, id);
		const char *t;
		size_t n;
		if (in && (o < 0 || !findex_clip(fx, (size_t)o, &t, &n) || strncmp(t + 7, id, strlen(id))))
			found = 0;
		if (in == findex_excluded(fx, id) || (!in && o >= 0))
			outside = 0;
	}
	ok(found, "every clip inside the rule is found by its id");
	ok(outside, "every clip outside it is known as left out, and only those");
	ok(findex_find(fx, "nope") < 0 && !findex_excluded(fx, "nope"), "an unknown id is neither");
	findex_free(fx);

	/* damage: cut short, or bytes changed anywhere, gives no index or
	 * answers without a crash */
	char *cut = xmalloc(len / 2);
	memcpy(cut, copy, len / 2);
	ok(findex_from_buffer(cut, len / 2, why, sizeof why) == NULL, "a truncated index is refused: %s", why);
	int survived = 1;
	for (int round = 0; round < 40; round++) {
		char *bad = xmalloc(len);
		memcpy(bad, copy, len);
		for (int k = 0; k < 64; k++)
			bad[64 + rnd((unsigned)len - 64)] ^= (char)(1 + rnd(255));
		struct findex *d = findex_from_buffer(bad, len, why, sizeof why);
		if (!d)
			continue;
		struct rule *r = rule_of("public=true&place=Kyoto");
		struct findex_sel *s = findex_select(d, r, "ky");
		uint32_t ord[50];
		size_t k = findex_page(d, s, "rating", 1, 1, 0, 50, ord);
		for (size_t i = 0; i < k; i++)
			survived &= ord[i] < findex_total(d);
		json_object_put(findex_facets(d, s));
		findex_sel_free(s);
		rule_free(r);
		(void)findex_find(d, "c0001");
		findex_free(d);
	}
	ok(survived, "changed bytes: every answer names clips that are there");
	free(copy);
	for (int i = 0; i < N; i++)
		json_object_put(all[i]);
	rule_free(where);
	return tap_done();
}
