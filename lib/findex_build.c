/* findex_build.c: building the listing index (findex.h, findex_int.h)
 * from the public clip JSON, once per generation. */
#include "findex.h"
#include "findex_int.h"
#include "ndjson.h"
#include "util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A growing byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static size_t buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : 4096;
		while (c < b->len + n)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	size_t at = b->len;
	if (n)
		memcpy(b->p + at, p, n);
	b->len += n;
	return at;
}

static void buf_align(struct buf *b)
{
	static const char zero[8];
	buf_add(b, zero, (8 - b->len % 8) % 8);
}

/* A sort value: missing, a number, or a string (FX_STR offset). */
struct sval {
	double d;
	uint32_t s;
	uint8_t kind;
};
enum { SV_MISSING, SV_NUMBER, SV_STRING };

/* One value a clip holds (clip: its number here, its ordinal later). */
struct pair {
	uint32_t tag, text, textlen, clip;
	uint8_t cls, facet;
};

struct bclip {
	uint64_t text;
	uint32_t textlen, id;
	long long updated;
};

struct findex_builder {
	const struct rule *where;
	char **keys;            /* sort fields: the clip's own, then the tags */
	int *keytag;
	size_t nkeys;
	struct buf str, text;
	struct bclip *c;
	size_t n, cap;
	struct pair *p;
	size_t np, pcap;
	struct sval *sv;        /* nkeys a clip */
	uint32_t *excl;
	size_t nexcl, xcap;
	uint32_t *tags;         /* tag names seen (FX_STR offsets) */
	size_t ntags;
};

static const char *const clip_fields[] = {"id", "start", "end", "duration", "updated"};
#define NFIELDS (sizeof clip_fields / sizeof clip_fields[0])

static uint32_t str_add(struct findex_builder *b, const char *s, size_t n)
{
	if (b->str.len + n + 1 > UINT32_MAX)
		mdie(EXIT_USAGE, "the listing index would pass 4 GB of tag text");
	uint32_t at = (uint32_t)buf_add(&b->str, s, n);
	buf_add(&b->str, "", 1);
	return at;
}

struct findex_builder *findex_builder_new(const struct config *cfg, const struct rule *where)
{
	struct findex_builder *b = xcalloc(1, sizeof *b);
	b->where = where;
	size_t nt = cfg ? cfg->ntags : 0;
	b->keys = xcalloc(NFIELDS + nt, sizeof *b->keys);
	b->keytag = xcalloc(NFIELDS + nt, sizeof *b->keytag);
	for (size_t i = 0; i < NFIELDS; i++)
		b->keys[b->nkeys++] = xstrdup(clip_fields[i]);
	for (size_t i = 0; i < nt; i++) {
		b->keytag[b->nkeys] = 1;
		b->keys[b->nkeys++] = xstrdup(cfg->tags[i].name);
	}
	str_add(b, "", 0);      /* offset 0: the empty string */
	return b;
}

void findex_builder_free(struct findex_builder *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nkeys; i++)
		free(b->keys[i]);
	free(b->keys);
	free(b->keytag);
	free(b->str.p);
	free(b->text.p);
	free(b->c);
	free(b->p);
	free(b->sv);
	free(b->excl);
	free(b->tags);
	free(b);
}

static uint32_t tag_name(struct findex_builder *b, const char *name)
{
	for (size_t i = 0; i < b->ntags; i++)
		if (strcmp(b->str.p + b->tags[i], name) == 0)
			return b->tags[i];
	b->tags = xrealloc(b->tags, (b->ntags + 1) * sizeof *b->tags);
	return b->tags[b->ntags++] = str_add(b, name, strlen(name));
}

/* Numbers that are not whole are measurements, not categories. */
static int whole(const char *text)
{
	if (*text == '-')
		text++;
	if (!*text)
		return 0;
	for (; *text; text++)
		if (*text < '0' || *text > '9')
			return 0;
	return 1;
}

static void add_pairs(struct findex_builder *b, uint32_t tag, json_object *v)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_array))
				add_pairs(b, tag, e);
		}
		return;
	}
	enum rule_class cls;
	const char *text;
	char buf[64];
	if (rule_value_key(v, &cls, &text, buf, sizeof buf) < 0)
		return;
	if (b->np == b->pcap) {
		b->pcap = b->pcap ? b->pcap * 2 : 1024;
		b->p = xrealloc(b->p, b->pcap * sizeof *b->p);
	}
	size_t len = strlen(text);
	b->p[b->np++] = (struct pair){tag, str_add(b, text, len), (uint32_t)len, (uint32_t)b->n,
		(uint8_t)cls, (uint8_t)(cls != RULE_NUMBER || whole(text))};
}

/* The sort value of field in clip: as /api/clips compares them, numbers
 * (booleans too) before strings, lists and objects by their JSON text. */
static struct sval sort_value(struct findex_builder *b, json_object *clip, size_t k)
{
	json_object *o = b->keytag[k] ? json_object_object_get(clip, "tags") : clip;
	json_object *v = json_object_object_get(o, b->keys[k]);
	struct sval s = {0, 0, SV_MISSING};
	if (!v)
		return s;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_boolean)) {
		s.kind = SV_NUMBER;
		s.d = json_object_get_double(v);
	} else {
		const char *t = json_object_get_string(v);
		s.kind = SV_STRING;
		s.s = str_add(b, t, strlen(t));
	}
	return s;
}

void findex_builder_add(struct findex_builder *b, json_object *clip)
{
	const char *id = jstr(clip, "id");
	json_object *tags = json_object_object_get(clip, "tags");
	if (!id)
		return;
	if (b->where && !rule_match(b->where, tags)) {
		if (b->nexcl == b->xcap) {
			b->xcap = b->xcap ? b->xcap * 2 : 64;
			b->excl = xrealloc(b->excl, b->xcap * sizeof *b->excl);
		}
		b->excl[b->nexcl++] = str_add(b, id, strlen(id));
		return;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->c = xrealloc(b->c, b->cap * sizeof *b->c);
		b->sv = xrealloc(b->sv, b->cap * b->nkeys * sizeof *b->sv);
	}
	const char *t = json_object_to_json_string_ext(clip, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t tl = strlen(t);
	struct bclip *c = &b->c[b->n];
	c->text = buf_add(&b->text, t, tl);
	c->textlen = (uint32_t)tl;
	c->id = str_add(b, id, strlen(id));
	c->updated = 0;
	jint64(clip, "updated", &c->updated);
	json_object_object_foreach(tags, k, v)
		add_pairs(b, tag_name(b, k), v);
	for (size_t f = 0; f < b->nkeys; f++)
		b->sv[b->n * b->nkeys + f] = sort_value(b, clip, f);
	b->n++;
}

/* ---------- finishing: the orders ---------- */

static int by_default_order(const void *x, const void *y, void *arg)
{
	const struct findex_builder *b = arg;
	const struct bclip *p = &b->c[*(const uint32_t *)x], *q = &b->c[*(const uint32_t *)y];
	if (p->updated != q->updated)
		return p->updated > q->updated ? -1 : 1;
	return strcmp(b->str.p + p->id, b->str.p + q->id);
}

static int by_value(const void *x, const void *y, void *arg)
{
	const struct findex_builder *b = arg;
	const struct pair *p = x, *q = y;
	int r = p->tag == q->tag ? 0 : strcmp(b->str.p + p->tag, b->str.p + q->tag);
	if (!r)
		r = (int)p->cls - (int)q->cls;
	if (!r)
		r = strcmp(b->str.p + p->text, b->str.p + q->text);
	if (!r)
		r = p->clip < q->clip ? -1 : p->clip > q->clip;
	return r;
}

static int same_value(const struct findex_builder *b, const struct pair *p, const struct pair *q)
{
	return p->cls == q->cls && (p->tag == q->tag || !strcmp(b->str.p + p->tag, b->str.p + q->tag)) &&
	    !strcmp(b->str.p + p->text, b->str.p + q->text);
}

/* Sorting one field: the values of ordinal i at sv[order[i] * nkeys + k]. */
struct sort_ctx {
	const struct findex_builder *b;
	const uint32_t *order;
	size_t k;
};

static int sval_cmp(const struct findex_builder *b, const struct sval *x, const struct sval *y)
{
	if (x->kind == SV_MISSING || y->kind == SV_MISSING)
		return (x->kind == SV_MISSING) - (y->kind == SV_MISSING);
	if (x->kind != y->kind)
		return x->kind == SV_NUMBER ? -1 : 1;
	if (x->kind == SV_NUMBER)
		return x->d < y->d ? -1 : x->d > y->d;
	return strcmp(b->str.p + x->s, b->str.p + y->s);
}

static const struct sval *sval_of(const struct sort_ctx *c, uint32_t ord)
{
	return &c->b->sv[(size_t)c->order[ord] * c->b->nkeys + c->k];
}

static int by_field(const void *x, const void *y, void *arg)
{
	const struct sort_ctx *c = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int r = sval_cmp(c->b, sval_of(c, i), sval_of(c, j));
	return r ? r : (i < j ? -1 : i > j);
}

static int by_id(const void *x, const void *y, void *arg)
{
	const struct findex_builder *b = arg;
	return strcmp(b->str.p + ((const struct fx_id *)x)->str, b->str.p + ((const struct fx_id *)y)->str);
}

static int by_str(const void *x, const void *y, void *arg)
{
	const struct findex_builder *b = arg;
	return strcmp(b->str.p + *(const uint32_t *)x, b->str.p + *(const uint32_t *)y);
}

static int by_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* ---------- finishing: the sections ---------- */

struct out {
	struct buf sec[FX_NSEC];
	struct fx_hdr h;
};

/* The dictionary and postings from the pairs (clip = ordinal now), and
 * the per-clip lists of facet values. */
static void write_postings(struct findex_builder *b, struct out *o)
{
	size_t n = b->n, nwords = (n + 63) / 64;
	uint32_t *fcount = xcalloc(n + 1, sizeof *fcount);
	if (b->np > 1)
		qsort_r(b->p, b->np, sizeof *b->p, by_value, b);
	uint64_t *words = xmalloc((nwords ? nwords : 1) * sizeof *words);
	for (size_t i = 0; i < b->np;) {
		size_t j = i, cnt = 0;
		for (; j < b->np && same_value(b, &b->p[i], &b->p[j]); j++)
			if (cnt == 0 || b->p[j].clip != b->p[i + cnt - 1].clip)
				b->p[i + cnt++].clip = b->p[j].clip;  /* once a clip, in place */
		struct pair *e = &b->p[i];
		struct fx_entry fe = {e->tag, e->text, e->textlen, (uint32_t)cnt, e->cls, e->facet, 0, {0}, 0};
		buf_align(&o->sec[FX_POST]);
		fe.post = o->sec[FX_POST].len;
		if ((uint64_t)cnt * 32 > n) {   /* a bitmap is smaller than the ordinals */
			fe.bitmap = 1;
			memset(words, 0, nwords * sizeof *words);
			for (size_t m = 0; m < cnt; m++)
				words[e[m].clip / 64] |= 1ull << (e[m].clip % 64);
			buf_add(&o->sec[FX_POST], words, nwords * sizeof *words);
		} else {
			for (size_t m = 0; m < cnt; m++)
				buf_add(&o->sec[FX_POST], &e[m].clip, sizeof e[m].clip);
		}
		if (fe.facet) {
			o->h.facet_cost += fe.bitmap ? nwords : cnt;
			for (size_t m = 0; m < cnt; m++)
				fcount[e[m].clip + 1]++;
		}
		buf_add(&o->sec[FX_DICT], &fe, sizeof fe);
		o->h.ndict++;
		i = j;
	}
	free(words);
	for (size_t i = 0; i < n; i++)
		fcount[i + 1] += fcount[i];
	uint32_t *fwdl = xmalloc((fcount[n] ? fcount[n] : 1) * sizeof *fwdl), *at = xmalloc((n + 1) * sizeof *at);
	memcpy(at, fcount, (n + 1) * sizeof *at);
	const struct fx_entry *d = (const struct fx_entry *)o->sec[FX_DICT].p;
	for (uint32_t e = 0; e < o->h.ndict; e++) {
		if (!d[e].facet)
			continue;
		/* the entry's ordinals are in FX_POST: read them back */
		const char *post = o->sec[FX_POST].p + d[e].post;
		if (d[e].bitmap) {
			const uint64_t *w = (const uint64_t *)post;
			for (size_t i = 0; i < nwords; i++)
				for (uint64_t x = w[i]; x; x &= x - 1)
					fwdl[at[i * 64 + (size_t)__builtin_ctzll(x)]++] = e;
		} else {
			const uint32_t *a = (const uint32_t *)post;
			for (size_t m = 0; m < d[e].count; m++)
				fwdl[at[a[m]]++] = e;
		}
	}
	buf_add(&o->sec[FX_FWD], fcount, (n + 1) * sizeof *fcount);
	buf_add(&o->sec[FX_FWDL], fwdl, fcount[n] * sizeof *fwdl);
	free(fwdl);
	free(at);
	free(fcount);
}

/* Trigrams of every string value: (trigram << 32 | entry), sorted. */
static void write_trigrams(struct findex_builder *b, struct out *o)
{
	const struct fx_entry *d = (const struct fx_entry *)o->sec[FX_DICT].p;
	uint64_t *t = NULL;
	size_t nt = 0, cap = 0;
	for (uint32_t e = 0; e < o->h.ndict; e++) {
		if (d[e].cls != RULE_STRING || d[e].textlen < 3)
			continue;
		const unsigned char *s = (const unsigned char *)b->str.p + d[e].text;
		size_t first = nt;
		for (size_t i = 0; i + 3 <= d[e].textlen; i++) {
			if (nt == cap) {
				cap = cap ? cap * 2 : 4096;
				t = xrealloc(t, cap * sizeof *t);
			}
			t[nt++] = (uint64_t)fx_trigram(s + i) << 32 | e;
		}
		/* once per value */
		qsort(t + first, nt - first, sizeof *t, by_u64);
		size_t k = first;
		for (size_t i = first; i < nt; i++)
			if (i == first || t[i] != t[k - 1])
				t[k++] = t[i];
		nt = k;
	}
	if (nt > 1)
		qsort(t, nt, sizeof *t, by_u64);
	for (size_t i = 0; i < nt;) {
		size_t j = i;
		struct fx_tri ft = {(uint32_t)(t[i] >> 32), 0, o->sec[FX_TRIL].len / sizeof(uint32_t)};
		for (; j < nt && t[j] >> 32 == t[i] >> 32; j++) {
			uint32_t e = (uint32_t)t[j];
			buf_add(&o->sec[FX_TRIL], &e, sizeof e);
		}
		ft.count = (uint32_t)(j - i);
		buf_add(&o->sec[FX_TRI], &ft, sizeof ft);
		o->h.ntri++;
		i = j;
	}
	free(t);
}

static void write_sorts(struct findex_builder *b, const uint32_t *order, struct out *o)
{
	size_t n = b->n, nwords = (n + 63) / 64;
	uint32_t *perm = xmalloc((n ? n : 1) * sizeof *perm);
	uint64_t *runs = xmalloc((nwords ? nwords : 1) * sizeof *runs);
	for (size_t k = 0; k < b->nkeys; k++) {
		struct sort_ctx c = {b, order, k};
		for (size_t i = 0; i < n; i++)
			perm[i] = (uint32_t)i;
		qsort_r(perm, n, sizeof *perm, by_field, &c);
		memset(runs, 0, nwords * sizeof *runs);
		struct fx_sort fs = {str_add(b, b->keys[k], strlen(b->keys[k])), (uint32_t)b->keytag[k], 0, 0, 0, 0};
		for (size_t i = 0; i < n; i++) {
			const struct sval *v = sval_of(&c, perm[i]);
			if (v->kind == SV_MISSING)
				fs.nmissing++;
			if (i == 0 || sval_cmp(b, sval_of(&c, perm[i - 1]), v) != 0)
				runs[i / 64] |= 1ull << (i % 64);
		}
		buf_align(&o->sec[FX_PERM]);
		fs.perm = buf_add(&o->sec[FX_PERM], perm, n * sizeof *perm);
		buf_align(&o->sec[FX_PERM]);
		fs.runs = buf_add(&o->sec[FX_PERM], runs, nwords * sizeof *runs);
		buf_add(&o->sec[FX_SORT], &fs, sizeof fs);
		o->h.nsort++;
	}
	free(perm);
	free(runs);
}

/* The facets of every clip, for the header. */
static json_object *all_facets(struct findex_builder *b, struct out *o)
{
	const struct fx_entry *d = (const struct fx_entry *)o->sec[FX_DICT].p;
	uint32_t *ids = xmalloc((o->h.ndict ? o->h.ndict : 1) * sizeof *ids);
	uint32_t *cnt = xmalloc((o->h.ndict ? o->h.ndict : 1) * sizeof *cnt);
	size_t k = 0;
	for (uint32_t e = 0; e < o->h.ndict; e++)
		if (d[e].facet) {
			ids[k] = e;
			cnt[k++] = d[e].count;
		}
	json_object *f = fx_facets_json(d, b->str.p, b->str.len, ids, cnt, k);
	free(ids);
	free(cnt);
	return f;
}

void findex_builder_finish(struct findex_builder *b, json_object *head, char **out, size_t *len)
{
	struct out *o = xcalloc(1, sizeof *o);
	size_t n = b->n;
	memcpy(o->h.magic, FX_MAGIC, 8);
	o->h.version = FX_VERSION;
	o->h.n = (uint32_t)n;
	/* ordinals: the default order */
	uint32_t *order = xmalloc((n ? n : 1) * sizeof *order), *rank = xmalloc((n ? n : 1) * sizeof *rank);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof *order, by_default_order, b);
	for (size_t i = 0; i < n; i++)
		rank[order[i]] = (uint32_t)i;
	for (size_t i = 0; i < b->np; i++)
		b->p[i].clip = rank[b->p[i].clip];
	free(rank);
	uint64_t off = 0;
	struct fx_id *ids = xmalloc((n ? n : 1) * sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		const struct bclip *c = &b->c[order[i]];
		buf_add(&o->sec[FX_LINES], &off, sizeof off);
		buf_add(&o->sec[FX_TEXT], b->text.p + c->text, c->textlen);
		off += c->textlen;
		ids[i] = (struct fx_id){(uint32_t)i, c->id};
	}
	buf_add(&o->sec[FX_LINES], &off, sizeof off);
	free(b->text.p);        /* the clips' text is in FX_TEXT now */
	b->text = (struct buf){0};
	qsort_r(ids, n, sizeof *ids, by_id, b);
	buf_add(&o->sec[FX_IDS], ids, n * sizeof *ids);
	free(ids);
	write_postings(b, o);
	write_trigrams(b, o);
	write_sorts(b, order, o);
	free(order);
	if (b->nexcl > 1)
		qsort_r(b->excl, b->nexcl, sizeof *b->excl, by_str, b);
	buf_add(&o->sec[FX_EXCL], b->excl, b->nexcl * sizeof *b->excl);
	o->h.nexcl = (uint32_t)b->nexcl;

	json_object_object_add(head, "total", json_object_new_int64((long long)n));
	json_object_object_add(head, "facets", all_facets(b, o));
	const char *ht = json_object_to_json_string_ext(head, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	buf_add(&o->sec[FX_HEAD], ht, strlen(ht));
	/* FX_STR last of the builder's work: the sorts added their names */
	buf_add(&o->sec[FX_STR], b->str.p, b->str.len);

	/* the content's name: the header and every clip's bytes */
	unsigned char tag[16];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof tag);
	crypto_generichash_update(&st, (const unsigned char *)ht, strlen(ht));
	crypto_generichash_update(&st, (const unsigned char *)o->sec[FX_TEXT].p, o->sec[FX_TEXT].len);
	crypto_generichash_final(&st, tag, sizeof tag);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof tag; i++) {
		o->h.etag[2 * i] = hex[tag[i] >> 4];
		o->h.etag[2 * i + 1] = hex[tag[i] & 15];
	}
	json_object_put(head);

	struct buf f = {0};
	buf_add(&f, &o->h, sizeof o->h);
	for (int s = 0; s < FX_NSEC; s++) {
		buf_align(&f);
		o->h.sec[s][0] = buf_add(&f, o->sec[s].p, o->sec[s].len);
		o->h.sec[s][1] = o->sec[s].len;
		free(o->sec[s].p);
	}
	buf_align(&f);
	o->h.size = f.len;
	memcpy(f.p, &o->h, sizeof o->h);
	*out = f.p;
	*len = f.len;
	free(o);
}
