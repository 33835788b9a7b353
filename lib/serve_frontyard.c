/* medusa-serve frontyard: clips from the listing cache, files from
 * directory storage, and the signed re-cache. Never a backyard path: the
 * cache holds only the public clip JSON. */
#include "serve.h"
#include "fcache.h"
#include "hash.h"
#include "ndjson.h"
#include "sign.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define FILES_CACHE "public, max-age=31536000, immutable"

void serve_frontyard_free(struct serve *s)
{
	fcache_free(s->cache);
	s->cache = NULL;
}

/* The cache, reloaded when it is older than the refresh interval; NULL
 * after a message when there is none. */
static struct fcache *cache_load(struct serve *s, int force)
{
	long long now = time(NULL);
	if (s->cache && !force && now - s->cache_at < s->refresh)
		return s->cache;
	char why[1024];
	struct fcache *fc = fcache_get(s->cachedir, s->metastore, s->remote, s->base_url, s->cfg,
	    s->refresh, force, why, sizeof why);
	if (!fc) {
		mwarn("%s", why);
		return NULL;
	}
	fcache_free(s->cache);
	s->cache = fc;
	s->cache_at = now;
	return fc;
}

/* The same, answering 503 when there is none. */
static struct fcache *cache(struct serve *s, struct http_conn *c, int force, int *rc)
{
	struct fcache *fc = cache_load(s, force);
	if (!fc)
		*rc = http_error(c, 503, "no clips to serve yet (the metastore cannot be read)");
	return fc;
}

static json_object *tagset(struct serve *s, struct fcache *fc)
{
	json_object *t = json_object_object_get(fc->head, "tags");
	return json_object_is_type(t, json_type_array) ? t : NULL;
}

static int known_tag(json_object *tags, const char *name)
{
	if (!tags)
		return 1;   /* no tag set known: any name may filter */
	for (size_t i = 0; i < json_object_array_length(tags); i++) {
		const char *n = jstr(json_object_array_get_idx(tags, i), "name");
		if (n && strcmp(n, name) == 0)
			return 1;
	}
	return 0;
}

struct filter {
	char *tag, *value;
};

static int value_is(json_object *t, const char *v)
{
	char *end;
	switch (json_object_get_type(t)) {
	case json_type_string:
		return strcmp(json_object_get_string(t), v) == 0;
	case json_type_int: {
		errno = 0;
		long long x = strtoll(v, &end, 10);
		return !errno && end != v && !*end && x == json_object_get_int64(t);
	}
	case json_type_double: {
		double x = strtod(v, &end);
		return end != v && !*end && x == json_object_get_double(t);
	}
	case json_type_boolean:
		return json_object_get_boolean(t) ? strcmp(v, "true") == 0 || strcmp(v, "1") == 0 :
		    strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(t); i++)
			if (value_is(json_object_array_get_idx(t, i), v))
				return 1;
		return 0;
	default:
		return 0;
	}
}

static int text_in(json_object *t, const char *q)
{
	if (json_object_is_type(t, json_type_string))
		return strcasestr(json_object_get_string(t), q) != NULL;
	if (json_object_is_type(t, json_type_array))
		for (size_t i = 0; i < json_object_array_length(t); i++)
			if (text_in(json_object_array_get_idx(t, i), q))
				return 1;
	return 0;
}

/* Filters on one tag are alternatives; filters on different tags must all
 * hold; q must appear in some string tag. */
static int clip_matches(json_object *clip, const struct filter *f, size_t nf, const char *q)
{
	json_object *tags = json_object_object_get(clip, "tags");
	for (size_t i = 0; i < nf; i++) {
		if (i > 0 && strcmp(f[i].tag, f[i - 1].tag) == 0)
			continue;
		int any = 0;
		json_object *t = json_object_object_get(tags, f[i].tag);
		for (size_t j = i; j < nf && strcmp(f[j].tag, f[i].tag) == 0; j++)
			if (t && value_is(t, f[j].value))
				any = 1;
		if (!any)
			return 0;
	}
	if (q && *q) {
		int hit = 0;
		json_object_object_foreach(tags, k, v) {
			(void)k;
			if (text_in(v, q)) {
				hit = 1;
				break;
			}
		}
		if (!hit)
			return 0;
	}
	return 1;
}

static int cmp_filter(const void *a, const void *b)
{
	return strcmp(((const struct filter *)a)->tag, ((const struct filter *)b)->tag);
}

/* Sorting by a field or a tag; ties keep the default order. */
struct sorter {
	struct fcache *fc;
	const char *field;
	int tag, desc;
};
static struct sorter *sort_ctx;

static json_object *sort_value(size_t i)
{
	json_object *c = fcache_clip(sort_ctx->fc, i);
	if (sort_ctx->tag)
		c = json_object_object_get(c, "tags");
	return json_object_object_get(c, sort_ctx->field);
}

static int cmp_json(json_object *x, json_object *y)
{
	if (!x || !y)
		return !x - !y;     /* missing values go last */
	int nx = json_object_is_type(x, json_type_int) || json_object_is_type(x, json_type_double) ||
	    json_object_is_type(x, json_type_boolean);
	int ny = json_object_is_type(y, json_type_int) || json_object_is_type(y, json_type_double) ||
	    json_object_is_type(y, json_type_boolean);
	if (nx && ny) {
		double a = json_object_get_double(x), b = json_object_get_double(y);
		return a < b ? -1 : a > b;
	}
	if (nx != ny)
		return nx ? -1 : 1;
	return strcmp(json_object_get_string(x), json_object_get_string(y));
}

static int cmp_index(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	json_object *x = sort_value(i), *y = sort_value(j);
	int r = cmp_json(x, y);
	if (r && x && y && sort_ctx->desc)
		r = -r;
	if (r)
		return r;
	return i < j ? -1 : i > j;
}

/* A listing query: filters, text, sort, page. */
struct query {
	struct filter *f;
	size_t nf;
	char *q, *sort;
	long limit, off;
	struct sorter so;
	char *msg;              /* what is wrong with it, or NULL */
};

static void query_free(struct query *qy)
{
	for (size_t i = 0; i < qy->nf; i++) {
		free(qy->f[i].tag);
		free(qy->f[i].value);
	}
	free(qy->f);
	free(qy->q);
	free(qy->sort);
	free(qy->msg);
}

static void query_parse(struct serve *s, struct http_conn *c, struct fcache *fc, struct query *qy)
{
	memset(qy, 0, sizeof *qy);
	qy->limit = LIMIT_DEFAULT;
	qy->so.fc = fc;
	const char *qs = c->req.query;
	char *k, *v;
	int r;
	json_object *tags = tagset(s, fc);
	while ((r = http_query_next(&qs, &k, &v)) == 1) {
		char *end;
		if (strcmp(k, "limit") == 0) {
			errno = 0;
			qy->limit = strtol(v, &end, 10);
			if (errno || end == v || *end || qy->limit < 1 || qy->limit > LIMIT_MAX)
				qy->msg = xasprintf("limit: want 1 to %d", LIMIT_MAX);
		} else if (strcmp(k, "cursor") == 0) {
			errno = 0;
			qy->off = strtol(v, &end, 10);
			if (errno || end == v || *end || qy->off < 0)
				qy->msg = xasprintf("cursor: not a cursor from \"next\"");
		} else if (strcmp(k, "q") == 0) {
			free(qy->q);
			qy->q = v;
			v = NULL;
		} else if (strcmp(k, "sort") == 0) {
			free(qy->sort);
			qy->sort = v;
			v = NULL;
		} else if (strcmp(k, "fields") == 0) {
			/* reserved */
		} else if (!known_tag(tags, k)) {
			qy->msg = xasprintf("%s: no such tag", k);
		} else {
			qy->f = xrealloc(qy->f, (qy->nf + 1) * sizeof *qy->f);
			qy->f[qy->nf].tag = k;
			qy->f[qy->nf++].value = v;
			k = v = NULL;
		}
		free(k);
		free(v);
		if (qy->msg)
			return;
	}
	if (r < 0) {
		qy->msg = xstrdup("bad percent-encoding in the query");
		return;
	}
	if (qy->sort && *qy->sort && strcmp(qy->sort, "-updated") != 0) {
		struct sorter *so = &qy->so;
		so->desc = *qy->sort == '-';
		so->field = qy->sort + so->desc;
		static const char *fields[] = {"id", "start", "end", "duration", "updated", NULL};
		int ok = 0;
		for (const char **fl = fields; *fl; fl++)
			ok |= strcmp(*fl, so->field) == 0;
		if (!ok && tags && *so->field && known_tag(tags, so->field))
			ok = so->tag = 1;
		if (!ok)
			qy->msg = xasprintf("sort: %s: want id, start, end, duration, updated or a tag, "
			    "with '-' for descending", qy->sort);
	}
	if (qy->nf > 1)
		qsort(qy->f, qy->nf, sizeof *qy->f, cmp_filter);
}

static int query_plain(const struct query *qy)
{
	return qy->nf == 0 && (!qy->q || !*qy->q) && !qy->so.field;
}

/* Text that JSON writes as it is (no escapes), so it can be looked for in
 * a cache line before the line is parsed. */
static int plain_text(const char *v)
{
	for (; *v; v++)
		if (*v == '"' || *v == '\\' || (unsigned char)*v < ' ')
			return 0;
	return 1;
}

/* Case-insensitive memmem for ASCII letters; memchr finds the candidates
 * for the first byte in either case, so most of the line is never
 * looked at byte by byte. */
static const char *memcasemem(const char *h, size_t hn, const char *n, size_t nn)
{
	if (nn == 0)
		return h;
	if (nn > hn)
		return NULL;
	int lo = tolower((unsigned char)*n), up = toupper((unsigned char)*n);
	const char *end = h + hn - nn + 1, *a = NULL, *b = NULL;
	for (const char *p = h; p < end;) {
		if (!a || a < p)
			a = memchr(p, lo, (size_t)(end - p));
		if (up != lo && (!b || b < p))
			b = memchr(p, up, (size_t)(end - p));
		const char *c = !a ? b : !b || up == lo ? a : a < b ? a : b;
		if (!c)
			return NULL;
		if (strncasecmp(c, n, nn) == 0)
			return c;
		p = c + 1;
	}
	return NULL;
}

/* Whether a line may match: every filtered tag has one of its values in
 * the line's bytes as a JSON string (numbers and booleans are left to the
 * parsed clip) and q appears in it. A cheap test that spares parsing most
 * lines of a selective query; the parsed clip decides. */
static int may_match(const char *l, size_t ln, const struct query *qy)
{
	char needle[512];
	for (size_t a = 0; a < qy->nf;) {
		size_t b = a;
		int hit = 0, unsure = 0;
		for (; b < qy->nf && strcmp(qy->f[b].tag, qy->f[a].tag) == 0; b++) {
			const char *v = qy->f[b].value;
			char *end;
			(void)strtod(v, &end);
			/* "3" matches 3.0 and "1" matches true: numbers and booleans
			 * are not looked for as text */
			int numeric = (end != v && !*end) || !strcmp(v, "true") || !strcmp(v, "false");
			if (numeric || !plain_text(v) || strlen(v) > sizeof needle - 3) {
				unsure = 1;
				continue;
			}
			int k = snprintf(needle, sizeof needle, "\"%s\"", v);
			/* a string value is in the line quoted, alone or in a list */
			if (memmem(l, ln, needle, (size_t)k))
				hit = 1;
		}
		if (!hit && !unsure)
			return 0;
		a = b;
	}
	if (qy->q && *qy->q && plain_text(qy->q) && !memcasemem(l, ln, qy->q, strlen(qy->q)))
		return 0;
	return 1;
}

/* The lines that match, in the query's order: a new array (*n of them). */
static size_t *query_select(struct fcache *fc, struct query *qy, size_t *n)
{
	size_t cap = fc->cap, k = 0, ln;
	size_t *idx = xmalloc(cap * sizeof *idx);
	const char *l;
	for (size_t i = 0; fcache_line(fc, i, &l, &ln); i++) {
		if (!may_match(l, ln, qy))
			continue;
		json_object *clip = fcache_clip(fc, i);
		if (!clip || !clip_matches(clip, qy->f, qy->nf, qy->q))
			continue;
		if (k == cap) {
			cap *= 2;
			idx = xrealloc(idx, cap * sizeof *idx);
		}
		idx[k++] = i;
	}
	if (qy->so.field && k > 1) {
		sort_ctx = &qy->so;
		qsort(idx, k, sizeof *idx, cmp_index);
		sort_ctx = NULL;
	}
	*n = k;
	return idx;
}

static int get_clips(struct serve *s, struct http_conn *c, struct fcache *fc)
{
	struct query qy;
	query_parse(s, c, fc, &qy);
	int rc;
	size_t *idx = NULL, total;
	if (qy.msg) {
		rc = http_error(c, 400, qy.msg);
		goto out;
	}
	int plain = query_plain(&qy);
	if (plain)
		total = fc->total > 0 ? (size_t)fc->total : 0;
	else
		idx = query_select(fc, &qy, &total);
	/* {"generation":G,"total":N,"clips":[lines...],"next":C} from the
	 * cache's own bytes: no clip is parsed for a plain listing */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		mdie(EXIT_USAGE, "out of memory");
	fprintf(out, "{\"generation\":%lld,\"total\":%zu,\"clips\":[", fc->generation, total);
	size_t off = (size_t)qy.off, end = off + (size_t)qy.limit;
	const char *l;
	size_t ln;
	for (size_t i = off; i < end && i < total; i++) {
		if (!fcache_line(fc, plain ? i : idx[i], &l, &ln))
			break;
		if (i > off)
			fputc(',', out);
		fwrite(l, 1, ln, out);
	}
	if (end < total)
		fprintf(out, "],\"next\":\"%zu\"}\n", end);
	else
		fputs("],\"next\":null}\n", out);
	if (fclose(out) != 0)
		mdie(EXIT_USAGE, "out of memory");
	rc = http_json_text(c, 200, text, len, s->api_max_age, NULL);
	free(text);
out:
	query_free(&qy);
	free(idx);
	return rc;
}

/* Facets of the clips a query selects (all clips: the cache's own). */
static int get_facets(struct serve *s, struct http_conn *c, struct fcache *fc)
{
	struct query qy;
	query_parse(s, c, fc, &qy);
	int rc;
	if (qy.msg) {
		rc = http_error(c, 400, qy.msg);
		query_free(&qy);
		return rc;
	}
	json_object *o = json_object_new_object(), *facets;
	json_object_object_add(o, "generation", json_object_new_int64(fc->generation));
	if (qy.nf == 0 && (!qy.q || !*qy.q)) {
		facets = json_object_get(json_object_object_get(fc->head, "facets"));
	} else {
		size_t n, *idx = query_select(fc, &qy, &n);
		facets = json_object_new_object();
		for (size_t i = 0; i < n; i++) {
			json_object_object_foreach(json_object_object_get(fcache_clip(fc, idx[i]), "tags"), k, v)
				fcache_facet_add(facets, k, v);
		}
		free(idx);
	}
	json_object_object_add(o, "facets", facets);
	query_free(&qy);
	rc = http_json(c, 200, o, s->api_max_age, NULL);
	json_object_put(o);
	return rc;
}

static int recache(struct serve *s, struct http_conn *c)
{
	if (!s->have_pk)
		return http_error(c, 403, "re-cache is off: the server has no public key (-k)");
	char why[512];
	long long gen;
	int st = sign_check_recache(s->pk, c->req.body, c->req.body_len,
	    http_header(&c->req, SIGN_HEADER), time(NULL), &gen, why, sizeof why);
	if (st) {
		if (st == 401)
			return http_error_hdr(c, 401, "WWW-Authenticate: " SIGN_HEADER "\r\n", why);
		return http_error(c, st, why);
	}
	int rc = 0;
	struct fcache *fc = cache(s, c, 1, &rc);
	if (!fc)
		return rc;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "generation", json_object_new_int64(fc->generation));
	json_object_object_add(o, "updated", json_object_new_int64(fc->updated));
	json_object_object_add(o, "total", json_object_new_int64(fc->total));
	rc = http_json(c, 200, o, 0, NULL);
	json_object_put(o);
	return rc;
}

/* Printable ASCII only: the value goes into a header line. */
static int header_safe(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || (unsigned char)*v > '~')
			return 0;
	return 1;
}

/* The mime type a file was published with, when its extension does not
 * say: found in the clip whose rendition URL ends with the key. */
static char *file_type(struct serve *s, const char *key)
{
	const char *t = http_mime_of(key);
	if (strcmp(t, "application/octet-stream") != 0)
		return xstrdup(t);
	struct fcache *fc = cache_load(s, 0);
	if (!fc)
		return xstrdup(t);
	char *quoted = xasprintf("%s\"", key);
	size_t qn = strlen(quoted);
	char *type = NULL;
	const char *l;
	size_t ln;
	for (size_t i = 0; !type && fcache_line(fc, i, &l, &ln); i++) {
		if (!memmem(l, ln, quoted, qn))
			continue;
		json_object *r = json_object_object_get(fcache_clip(fc, i), "renditions");
		for (size_t j = 0; r && j < json_object_array_length(r) && !type; j++) {
			json_object *o = json_object_array_get_idx(r, j);
			const char *url = jstr(o, "url"), *mime = jstr(o, "mime");
			size_t un = url ? strlen(url) : 0, kn = strlen(key);
			if (mime && un >= kn && strcmp(url + un - kn, key) == 0 && header_safe(mime))
				type = xstrdup(mime);
		}
	}
	free(quoted);
	return type ? type : xstrdup(t);
}

static int api_object(struct serve *s, struct http_conn *c, json_object *o)
{
	int rc = http_json(c, 200, o, s->api_max_age, NULL);
	json_object_put(o);
	return rc;
}

int serve_frontyard(struct serve *s, struct http_conn *c)
{
	const char *p = c->req.path;
	int get = strcmp(c->req.method, "GET") == 0 || strcmp(c->req.method, "HEAD") == 0;
	if (strncmp(p, "/files/", 7) == 0) {
		if (!get)
			return serve_405(c, "GET, HEAD");
		if (!s->files_root)
			return http_error(c, 404, "files are not served here (object storage)");
		char *type = file_type(s, p + 7);
		int rc = serve_file_under(c, s->files_root, p + 7, type, FILES_CACHE, NULL, NULL);
		free(type);
		return rc;
	}
	if (strcmp(p, "/api/recache") == 0) {
		if (strcmp(c->req.method, "POST") != 0)
			return serve_405(c, "POST");
		return recache(s, c);
	}
	if (strncmp(p, "/api/", 5) != 0)
		return SERVE_NEXT;
	int known = strcmp(p, "/api/clips") == 0 || strncmp(p, "/api/clips/", 11) == 0 ||
	    strcmp(p, "/api/generation") == 0 || strcmp(p, "/api/facets") == 0 ||
	    strcmp(p, "/api/tags") == 0;
	if (!known)
		return SERVE_NEXT;
	if (!get)
		return serve_405(c, "GET, HEAD");
	if (strcmp(p, "/api/tags") == 0 && s->cfg) {
		/* the tag set is the config's: no need to wait for a publish */
		json_object *o = serve_tags_json(s->cfg);
		return api_object(s, c, o);
	}
	int rc = 0;
	struct fcache *fc = cache(s, c, 0, &rc);
	if (!fc)
		return rc;
	if (strcmp(p, "/api/clips") == 0)
		return get_clips(s, c, fc);
	if (strcmp(p, "/api/facets") == 0)
		return get_facets(s, c, fc);
	if (strncmp(p, "/api/clips/", 11) == 0) {
		const char *id = p + 11;
		long i = clip_id_valid(id) ? fcache_find(fc, id) : -1;
		if (i < 0)
			return http_error(c, 404, "no such clip");
		const char *l;
		size_t ln;
		fcache_line(fc, (size_t)i, &l, &ln);
		char *text = xasprintf("%.*s\n", (int)ln, l);
		rc = http_json_text(c, 200, text, strlen(text), s->api_max_age, NULL);
		free(text);
		return rc;
	}
	json_object *o = json_object_new_object();
	if (strcmp(p, "/api/generation") == 0) {
		json_object_object_add(o, "generation", json_object_new_int64(fc->generation));
		json_object_object_add(o, "updated", json_object_new_int64(fc->updated));
	} else {
		json_object *t = tagset(s, fc);
		json_object_object_add(o, "tags", t ? json_object_get(t) : json_object_new_array());
	}
	return api_object(s, c, o);
}
