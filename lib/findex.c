/* findex.c: reading and querying the listing index (findex.h). The file
 * is checked once when it is mapped (header, section bounds and sizes);
 * every offset read from it later is checked before it is used, so that
 * a damaged file gives no answer rather than a crash. */
#include "findex.h"
#include "findex_int.h"
#include "ndjson.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct findex {
	char *base;
	size_t size;
	int mapped;
	struct fx_hdr h;
	json_object *head;
	size_t n, nwords;
	const char *text, *str;
	size_t textlen, strlen;
	const uint64_t *lines;
	const struct fx_id *ids;
	const struct fx_entry *dict;
	const unsigned char *post;
	size_t postlen;
	const struct fx_tri *tri;
	const uint32_t *tril;
	size_t ntril;
	const uint32_t *fwd, *fwdl;
	size_t nfwdl;
	const struct fx_sort *sorts;
	const unsigned char *perm;
	size_t permlen;
	const uint32_t *excl;
	char etag[33];
};

/* A selection: every clip, a borrowed posting (array or bitmap), or a
 * bitmap of its own. */
struct findex_sel {
	int all;
	size_t count;
	const uint32_t *arr;
	const uint64_t *bits;
	uint64_t *own;
};

static const void *section(struct findex *fx, int s, size_t elem, size_t want, size_t *len)
{
	uint64_t off = fx->h.sec[s][0], n = fx->h.sec[s][1];
	if (off % 8 || off > fx->size || n > fx->size - off || (elem && n % elem) ||
	    (want != (size_t)-1 && n != want * elem))
		return NULL;
	if (len)
		*len = (size_t)n;
	return fx->base + off;
}

static int check(struct findex *fx)
{
	if (fx->size < sizeof fx->h)
		return -1;
	memcpy(&fx->h, fx->base, sizeof fx->h);
	if (memcmp(fx->h.magic, FX_MAGIC, 8) || fx->h.version != FX_VERSION || fx->h.size != fx->size)
		return -1;
	fx->n = fx->h.n;
	fx->nwords = (fx->n + 63) / 64;
	size_t hl = 0, any = (size_t)-1;
	const char *head = section(fx, FX_HEAD, 1, any, &hl);
	fx->text = section(fx, FX_TEXT, 1, any, &fx->textlen);
	fx->str = section(fx, FX_STR, 1, any, &fx->strlen);
	fx->lines = section(fx, FX_LINES, 8, fx->n + 1, NULL);
	fx->ids = section(fx, FX_IDS, sizeof *fx->ids, fx->n, NULL);
	fx->dict = section(fx, FX_DICT, sizeof *fx->dict, fx->h.ndict, NULL);
	fx->post = section(fx, FX_POST, 1, any, &fx->postlen);
	fx->tri = section(fx, FX_TRI, sizeof *fx->tri, fx->h.ntri, NULL);
	size_t tl = 0, fl = 0;
	fx->tril = section(fx, FX_TRIL, 4, any, &tl);
	fx->fwd = section(fx, FX_FWD, 4, fx->n + 1, NULL);
	fx->fwdl = section(fx, FX_FWDL, 4, any, &fl);
	fx->sorts = section(fx, FX_SORT, sizeof *fx->sorts, fx->h.nsort, NULL);
	fx->perm = section(fx, FX_PERM, 1, any, &fx->permlen);
	fx->excl = section(fx, FX_EXCL, 4, fx->h.nexcl, NULL);
	if (!head || !fx->text || !fx->str || !fx->lines || !fx->ids || !fx->dict || !fx->post ||
	    !fx->tri || !fx->tril || !fx->fwd || !fx->fwdl || !fx->sorts || !fx->perm || !fx->excl ||
	    fx->strlen == 0 || fx->str[fx->strlen - 1] != '\0' || fx->lines[fx->n] > fx->textlen ||
	    fx->fwd[fx->n] > fl / 4)
		return -1;
	fx->ntril = tl / 4;
	fx->nfwdl = fl / 4;
	char why[128];
	fx->head = json_parse_strict(head, hl, why, sizeof why);
	if (!json_object_is_type(fx->head, json_type_object))
		return -1;
	memcpy(fx->etag, fx->h.etag, 32);
	fx->etag[32] = '\0';
	return 0;
}

static struct findex *wrap(char *base, size_t size, int mapped, const char *what,
    char *err, size_t errlen)
{
	struct findex *fx = xcalloc(1, sizeof *fx);
	fx->base = base;
	fx->size = size;
	fx->mapped = mapped;
	if (check(fx) < 0) {
		snprintf(err, errlen, "%s: not a medusa listing index (it is made again)", what);
		findex_free(fx);
		errno = EINVAL;
		return NULL;
	}
	return fx;
}

struct findex *findex_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file, or empty", path);
		errno = EINVAL;
		return NULL;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	return wrap(m, (size_t)st.st_size, 1, path, err, errlen);
}

struct findex *findex_from_buffer(char *buf, size_t len, char *err, size_t errlen)
{
	return wrap(buf, len, 0, "the new listing index", err, errlen);
}

void findex_free(struct findex *fx)
{
	if (!fx)
		return;
	if (fx->mapped)
		munmap(fx->base, fx->size);
	else
		free(fx->base);
	json_object_put(fx->head);
	free(fx);
}

json_object *findex_head(const struct findex *fx) { return fx->head; }
size_t findex_total(const struct findex *fx) { return fx->n; }
const char *findex_etag(const struct findex *fx) { return fx->etag; }

int findex_clip(const struct findex *fx, size_t i, const char **text, size_t *len)
{
	if (i >= fx->n || fx->lines[i] > fx->lines[i + 1] || fx->lines[i + 1] > fx->textlen)
		return 0;
	*text = fx->text + fx->lines[i];
	*len = (size_t)(fx->lines[i + 1] - fx->lines[i]);
	return 1;
}

/* A string of FX_STR, or "" when the offset is bad. */
static const char *str_at(const struct findex *fx, uint32_t off)
{
	return off < fx->strlen ? fx->str + off : "";
}

long findex_find(const struct findex *fx, const char *id)
{
	size_t lo = 0, hi = fx->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(str_at(fx, fx->ids[mid].str), id);
		if (r == 0)
			return fx->ids[mid].ord < fx->n ? (long)fx->ids[mid].ord : -1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int findex_excluded(const struct findex *fx, const char *id)
{
	size_t lo = 0, hi = fx->h.nexcl;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(str_at(fx, fx->excl[mid]), id);
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---------- postings ---------- */

/* Entry e's posting: 1 with the bitmap or the ordinals, 0 when damaged. */
static int posting(const struct findex *fx, const struct fx_entry *e, const uint64_t **bits,
    const uint32_t **arr)
{
	size_t bytes = e->bitmap ? fx->nwords * 8 : (size_t)e->count * 4;
	if (e->post % 8 || e->post > fx->postlen || bytes > fx->postlen - e->post ||
	    (!e->bitmap && (uint64_t)e->count > fx->n))
		return 0;
	*bits = e->bitmap ? (const uint64_t *)(fx->post + e->post) : NULL;
	*arr = e->bitmap ? NULL : (const uint32_t *)(fx->post + e->post);
	return 1;
}

static void bits_or(const struct findex *fx, uint64_t *acc, const struct fx_entry *e)
{
	const uint64_t *b;
	const uint32_t *a;
	if (!posting(fx, e, &b, &a))
		return;
	if (b) {
		for (size_t i = 0; i < fx->nwords; i++)
			acc[i] |= b[i];
		return;
	}
	for (size_t i = 0; i < e->count; i++)
		if (a[i] < fx->n)
			acc[a[i] / 64] |= 1ull << (a[i] % 64);
}

/* The counting loops, in a POPCNT build beside the baseline one where the
 * processor has it (chosen once, by the loader). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FX_POPCNT __attribute__((target_clones("popcnt", "default")))
#define FX_BITS(x) ((size_t)__builtin_popcountll(x))
#else
#define FX_POPCNT
#define FX_BITS(x) ((size_t)fx_bits(x))
#endif

FX_POPCNT static size_t popcount(const uint64_t *w, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += FX_BITS(w[i]);
	return c;
}

FX_POPCNT static size_t and_count(const uint64_t *a, const uint64_t *b, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += FX_BITS(a[i] & b[i]);
	return c;
}

static int entry_cmp(const struct findex *fx, const struct fx_entry *e, const char *tag,
    enum rule_class cls, const char *text)
{
	int r = strcmp(str_at(fx, e->tag), tag);
	if (!r)
		r = (int)e->cls - (int)cls;
	if (!r)
		r = strcmp(str_at(fx, e->text), text);
	return r;
}

static const struct fx_entry *lookup(const struct findex *fx, const char *tag, enum rule_class cls,
    const char *text)
{
	size_t lo = 0, hi = fx->h.ndict;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = entry_cmp(fx, &fx->dict[mid], tag, cls, text);
		if (r == 0)
			return &fx->dict[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---------- selections ---------- */

static struct findex_sel *sel_bits(const struct findex *fx)
{
	struct findex_sel *s = xcalloc(1, sizeof *s);
	s->own = xcalloc(fx->nwords ? fx->nwords : 1, sizeof *s->own);
	s->bits = s->own;
	return s;
}

/* Case-insensitive (ASCII) search of n in h. */
static int has_text(const char *h, size_t hn, const char *n, size_t nn)
{
	if (nn > hn)
		return 0;
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t j = 0;
		while (j < nn && tolower((unsigned char)h[i + j]) == tolower((unsigned char)n[j]))
			j++;
		if (j == nn)
			return 1;
	}
	return 0;
}

static const struct fx_tri *tri_find(const struct findex *fx, uint32_t t)
{
	size_t lo = 0, hi = fx->h.ntri;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fx->tri[mid].tri == t)
			return &fx->tri[mid];
		if (fx->tri[mid].tri < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int text_hit(const struct findex *fx, uint32_t e, const char *q, size_t qn)
{
	if (e >= fx->h.ndict || fx->dict[e].cls != RULE_STRING)
		return 0;
	const struct fx_entry *d = &fx->dict[e];
	if (d->text >= fx->strlen || d->textlen > fx->strlen - d->text)
		return 0;
	return has_text(fx->str + d->text, d->textlen, q, qn);
}

/* The clips with q in a string value, into acc: the values that hold
 * every trigram of q are the only candidates (all string values for a
 * shorter q). */
static void text_select(const struct findex *fx, const char *q, uint64_t *acc)
{
	size_t qn = strlen(q);
	if (qn < 3) {
		for (uint32_t e = 0; e < fx->h.ndict; e++)
			if (text_hit(fx, e, q, qn))
				bits_or(fx, acc, &fx->dict[e]);
		return;
	}
	const struct fx_tri *best = NULL;
	for (size_t i = 0; i + 3 <= qn; i++) {
		const struct fx_tri *t = tri_find(fx, fx_trigram((const unsigned char *)q + i));
		if (!t)
			return;     /* some trigram is in no value */
		if (!best || t->count < best->count)
			best = t;
	}
	if (best->off > fx->ntril || best->count > fx->ntril - best->off)
		return;
	for (size_t i = 0; i < best->count; i++) {
		uint32_t e = fx->tril[best->off + i];
		if (text_hit(fx, e, q, qn))
			bits_or(fx, acc, &fx->dict[e]);
	}
}

/* The entries of a filter group (its values that some clip holds). */
static size_t group_entries(const struct findex *fx, const struct rule_group *g,
    const struct fx_entry **out)
{
	size_t k = 0;
	for (size_t i = 0; i < g->nv; i++) {
		const struct fx_entry *e = lookup(fx, g->tag, g->v[i].cls, g->v[i].text);
		if (e)
			out[k++] = e;
	}
	return k;
}

/* The bitmap the next condition is gathered in: the selection's own for
 * the first, a scratch one (ANDed in after) for the others. */
static uint64_t *next_acc(const struct findex *fx, struct findex_sel **s, uint64_t **tmp)
{
	if (!*s) {
		*s = sel_bits(fx);
		return (*s)->own;
	}
	if (!*tmp)
		*tmp = xmalloc((fx->nwords ? fx->nwords : 1) * 8);
	memset(*tmp, 0, fx->nwords * 8);
	return *tmp;
}

static void and_into(const struct findex *fx, struct findex_sel *s, const uint64_t *acc)
{
	if (acc != s->own)
		for (size_t w = 0; w < fx->nwords; w++)
			s->own[w] &= acc[w];
}

struct findex_sel *findex_select(const struct findex *fx, const struct rule *filters, const char *q)
{
	int text = q && *q;
	size_t ng = filters ? filters->ng : 0, maxv = 0;
	struct findex_sel *s = NULL;
	if (!ng && !text) {
		s = xcalloc(1, sizeof *s);
		s->all = 1;
		s->count = fx->n;
		return s;
	}
	for (size_t i = 0; i < ng; i++)
		maxv = filters->g[i].nv > maxv ? filters->g[i].nv : maxv;
	const struct fx_entry **es = xmalloc((maxv ? maxv : 1) * sizeof *es);
	uint64_t *tmp = NULL, *acc;
	for (size_t i = 0; i < ng; i++) {
		size_t k = group_entries(fx, &filters->g[i], es);
		if (k == 1 && ng == 1 && !text) {
			/* one value: its posting is the answer */
			s = xcalloc(1, sizeof *s);
			s->count = posting(fx, es[0], &s->bits, &s->arr) ? es[0]->count : 0;
			goto out;
		}
		acc = next_acc(fx, &s, &tmp);
		for (size_t j = 0; j < k; j++)
			bits_or(fx, acc, es[j]);
		and_into(fx, s, acc);
	}
	if (text) {
		acc = next_acc(fx, &s, &tmp);
		text_select(fx, q, acc);
		and_into(fx, s, acc);
	}
	s->count = popcount(s->own, fx->nwords);
out:
	free(es);
	free(tmp);
	return s;
}

void findex_sel_free(struct findex_sel *s)
{
	if (!s)
		return;
	free(s->own);
	free(s);
}

size_t findex_sel_count(const struct findex_sel *s) { return s->count; }

/* The selection as a bitmap (made for an array), NULL for all clips. */
static const uint64_t *sel_bitmap(const struct findex *fx, const struct findex_sel *s, uint64_t **made)
{
	*made = NULL;
	if (s->all)
		return NULL;
	if (s->bits)
		return s->bits;
	*made = xcalloc(fx->nwords ? fx->nwords : 1, 8);
	for (size_t i = 0; i < s->count; i++)
		if (s->arr[i] < fx->n)
			(*made)[s->arr[i] / 64] |= 1ull << (s->arr[i] % 64);
	return *made;
}

static int in_bits(const uint64_t *b, uint32_t i)
{
	return !b || (b[i / 64] >> (i % 64) & 1);
}

/* ---------- pages ---------- */

static size_t page_default(const struct findex *fx, const struct findex_sel *s, size_t off,
    size_t limit, uint32_t *out)
{
	size_t k = 0;
	if (s->all) {
		for (size_t i = off; i < fx->n && k < limit; i++)
			out[k++] = (uint32_t)i;
		return k;
	}
	if (s->arr) {
		for (size_t i = off; i < s->count && k < limit; i++)
			if (s->arr[i] < fx->n)
				out[k++] = s->arr[i];
		return k;
	}
	size_t seen = 0;
	for (size_t w = 0; w < fx->nwords && k < limit; w++) {
		uint64_t x = s->bits[w];
		size_t c = (size_t)fx_bits(x);
		if (seen + c <= off) {  /* a whole word before the page */
			seen += c;
			continue;
		}
		for (; x && k < limit; x &= x - 1) {
			if (seen++ >= off)
				out[k++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x));
		}
	}
	return k;
}

static const struct fx_sort *sort_of(const struct findex *fx, const char *field, int tag)
{
	for (size_t i = 0; i < fx->h.nsort; i++) {
		const struct fx_sort *s = &fx->sorts[i];
		size_t pb = fx->n * 4, rb = fx->nwords * 8;
		if ((int)s->tag == !!tag && strcmp(str_at(fx, s->name), field) == 0 &&
		    s->perm <= fx->permlen && pb <= fx->permlen - s->perm && s->runs % 8 == 0 &&
		    s->perm % 4 == 0 && s->runs <= fx->permlen && rb <= fx->permlen - s->runs &&
		    s->nmissing <= fx->n)
			return s;
	}
	return NULL;
}

int findex_can_sort(const struct findex *fx, const char *field, int tag)
{
	return sort_of(fx, field, tag) != NULL;
}

/* Walks positions [from, to) of a sort, adding members past off. */
struct walk {
	const uint32_t *perm;
	const uint64_t *member;
	size_t n, off, seen, k, limit;
	uint32_t *out;
};

static void walk_range(struct walk *w, size_t from, size_t to)
{
	for (size_t p = from; p < to && w->k < w->limit; p++) {
		uint32_t o = w->perm[p];
		if (o >= w->n || !in_bits(w->member, o))
			continue;
		if (w->seen++ >= w->off)
			w->out[w->k++] = o;
	}
}

/* The run (of equal values) that ends before position end: its start. */
static size_t run_start(const uint64_t *runs, size_t end)
{
	size_t p = end - 1;
	for (;;) {
		uint64_t x = runs[p / 64] & (~0ull >> (63 - p % 64));
		if (x)
			return (p / 64) * 64 + 63 - (size_t)__builtin_clzll(x);
		if (p < 64)
			return 0;
		p = (p / 64) * 64 - 1;
	}
}

size_t findex_page(const struct findex *fx, const struct findex_sel *s, const char *field, int tag,
    int desc, size_t off, size_t limit, uint32_t *out)
{
	const struct fx_sort *so = field ? sort_of(fx, field, tag) : NULL;
	if (!so)
		return page_default(fx, s, off, limit, out);
	uint64_t *made;
	struct walk w = {(const uint32_t *)(fx->perm + so->perm), sel_bitmap(fx, s, &made), fx->n,
		off, 0, 0, limit, out};
	size_t valued = fx->n - so->nmissing;
	if (!desc) {
		walk_range(&w, 0, fx->n);
	} else {
		/* runs from the last, each in its own (the default) order;
		 * the clips without a value still last */
		const uint64_t *runs = (const uint64_t *)(fx->perm + so->runs);
		for (size_t end = valued; end > 0 && w.k < limit;) {
			size_t start = run_start(runs, end);
			walk_range(&w, start, end);
			end = start;
		}
		walk_range(&w, valued, fx->n);
	}
	free(made);
	return w.k;
}

/* ---------- facets ---------- */

struct count {
	uint32_t e, n;
	const char *text;
};

static int by_count(const void *x, const void *y)
{
	const struct count *a = x, *b = y;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->text, b->text);
}

json_object *fx_facets_json(const struct fx_entry *dict, const char *str, size_t strn,
    const uint32_t *ids, const uint32_t *counts, size_t k)
{
	json_object *f = json_object_new_object();
	struct count *c = xmalloc((k ? k : 1) * sizeof *c);
#define AT(off) ((off) < strn ? str + (off) : "")
	for (size_t i = 0; i < k;) {
		/* the entries of one tag are together */
		size_t j = i, m = 0;
		const char *tag = AT(dict[ids[i]].tag);
		for (; j < k && strcmp(AT(dict[ids[j]].tag), tag) == 0; j++)
			if (counts[j])
				c[m++] = (struct count){ids[j], counts[j], AT(dict[ids[j]].text)};
#undef AT
		qsort(c, m, sizeof *c, by_count);
		json_object *t = json_object_new_object();
		for (size_t x = 0; x < m && x < FX_FACET_MAX; x++) {
			json_object *have = json_object_object_get(t, c[x].text);
			if (have)   /* the same text in two classes: one count */
				json_object_set_int64(have, json_object_get_int64(have) + c[x].n);
			else
				json_object_object_add(t, c[x].text, json_object_new_int64(c[x].n));
		}
		if (m)
			json_object_object_add(f, tag, t);
		else
			json_object_put(t);
		i = j;
	}
	free(c);
	return f;
}

static int by_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* Calls fn for each ordinal of the selection, in order. */
static void sel_each(const struct findex *fx, const struct findex_sel *s,
    void (*fn)(const struct findex *fx, uint32_t ord, void *arg), void *arg)
{
	if (s->all) {
		for (size_t i = 0; i < fx->n; i++)
			fn(fx, (uint32_t)i, arg);
	} else if (s->arr) {
		for (size_t i = 0; i < s->count; i++)
			if (s->arr[i] < fx->n)
				fn(fx, s->arr[i], arg);
	} else {
		for (size_t w = 0; w < fx->nwords; w++)
			for (uint64_t x = s->bits[w]; x; x &= x - 1)
				fn(fx, (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x)), arg);
	}
}

struct gather {
	uint32_t *v;
	size_t n, cap;
};

static void gather_values(const struct findex *fx, uint32_t ord, void *arg)
{
	struct gather *g = arg;
	uint32_t a = fx->fwd[ord], b = fx->fwd[ord + 1];
	if (a > b || b > fx->nfwdl)
		return;
	for (uint32_t j = a; j < b; j++) {
		if (g->n == g->cap)
			g->v = xrealloc(g->v, (g->cap = g->cap ? g->cap * 2 : 1024) * sizeof *g->v);
		g->v[g->n++] = fx->fwdl[j];
	}
}

/* Counting a small selection: the values of each of its clips, sorted
 * and run-length counted. */
static size_t count_by_clips(const struct findex *fx, const struct findex_sel *s, uint32_t **ids,
    uint32_t **cnt)
{
	struct gather g = {0};
	sel_each(fx, s, gather_values, &g);
	if (g.n > 1)
		qsort(g.v, g.n, sizeof *g.v, by_u32);
	*ids = xmalloc((g.n ? g.n : 1) * sizeof **ids);
	*cnt = xmalloc((g.n ? g.n : 1) * sizeof **cnt);
	size_t k = 0;
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i] >= fx->h.ndict)
			continue;
		if (k && (*ids)[k - 1] == g.v[i]) {
			(*cnt)[k - 1]++;
		} else {
			(*ids)[k] = g.v[i];
			(*cnt)[k++] = 1;
		}
	}
	free(g.v);
	return k;
}

/* Counting a large selection: each value's posting against it. */
static size_t count_by_values(const struct findex *fx, const struct findex_sel *s, uint32_t **ids,
    uint32_t **cnt)
{
	uint64_t *made;
	const uint64_t *m = sel_bitmap(fx, s, &made);
	*ids = xmalloc((fx->h.ndict ? fx->h.ndict : 1) * sizeof **ids);
	*cnt = xmalloc((fx->h.ndict ? fx->h.ndict : 1) * sizeof **cnt);
	size_t k = 0;
	for (uint32_t e = 0; e < fx->h.ndict; e++) {
		const struct fx_entry *d = &fx->dict[e];
		const uint64_t *b;
		const uint32_t *a;
		if (!d->facet || !posting(fx, d, &b, &a))
			continue;
		size_t c = 0;
		if (b) {
			c = m ? and_count(b, m, fx->nwords) : popcount(b, fx->nwords);
		} else {
			for (size_t i = 0; i < d->count; i++)
				c += a[i] < fx->n && in_bits(m, a[i]);
		}
		if (c) {
			(*ids)[k] = e;
			(*cnt)[k++] = (uint32_t)c;
		}
	}
	free(made);
	return k;
}

json_object *findex_facets(const struct findex *fx, const struct findex_sel *s)
{
	if (s->all)
		return json_object_get(json_object_object_get(fx->head, "facets"));
	uint32_t *ids, *cnt;
	/* whichever reads less: the selection's clips, or every value */
	double per_clip = fx->n ? (double)fx->nfwdl / (double)fx->n : 0;
	size_t k = (double)s->count * (per_clip + 1) * 4 < (double)fx->h.facet_cost ?
	    count_by_clips(fx, s, &ids, &cnt) : count_by_values(fx, s, &ids, &cnt);
	json_object *f = fx_facets_json(fx->dict, fx->str, fx->strlen, ids, cnt, k);
	free(ids);
	free(cnt);
	return f;
}
