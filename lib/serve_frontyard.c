/* medusa-serve frontyard: clips from the listing index, files from
 * directory storage, and the signed re-cache. Never a backyard path: the
 * index holds only the public clip JSON. */
#include "serve.h"
#include "fcache.h"
#include "fcache_fetch.h"
#include "findex.h"
#include "hash.h"
#include "ndjson.h"
#include "rule.h"
#include "sign.h"
#include "urlenc.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define FILES_CACHE "public, max-age=31536000, immutable"
#define RECACHE_TRIES 8         /* looks again for an announced generation, 0.25 s apart */
#define FETCH_NONE 2            /* no fetch: not a replica */

int serve_frontyard_setup(struct serve *s)
{
	if (!s->remote || s->fetch)
		return 0;
	s->fetch = fcache_fetch_start(s->remote, s->metastore);
	return s->fetch ? 0 : -1;
}

void serve_frontyard_free(struct serve *s)
{
	fcache_free(s->cache);
	s->cache = NULL;
	fcache_fetch_stop(s->fetch);
	s->fetch = NULL;
}

/* The index of the current generation (a replica fetches first when it is
 * due); NULL after a message when there is none. *fetched: what the fetch
 * gave (fcache_fetch_due), FETCH_NONE without one. */
static struct findex *index_now(struct serve *s, int force, int *fetched)
{
	if (!s->cache) {
		json_object *t = s->cfg ? serve_tags_json(s->cfg) : NULL;
		struct fcache_opts o = {s->cachedir, s->metastore, s->base_url, s->cfg,
			t ? json_object_object_get(t, "tags") : NULL, s->where};
		s->cache = fcache_new(&o);
		json_object_put(t);
	}
	*fetched = s->fetch ? fcache_fetch_due(s->fetch, s->cachedir, s->refresh, force) : FETCH_NONE;
	char why[1024];
	struct findex *fx = fcache_current(s->cache, force, why, sizeof why);
	if (!fx)
		mwarn("%s", why);
	return fx;
}

/* The same, answering 503 when there is none. */
static struct findex *index_or_503(struct serve *s, struct http_conn *c, int force, int *fetched,
    int *rc)
{
	struct findex *fx = index_now(s, force, fetched);
	if (!fx)
		*rc = http_error(c, 503, "no clips to serve yet (the metastore cannot be read)");
	return fx;
}

static long long head_int(struct findex *fx, const char *k)
{
	long long v = 0;
	jint64(findex_head(fx), k, &v);
	return v;
}

/* An answer made from the index: its ETag names the index's content and
 * the request, so that none of the body is hashed. */
static int reply(struct serve *s, struct http_conn *c, struct findex *fx, const char *body,
    size_t len)
{
	unsigned char h[16];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)findex_etag(fx), 32);
	crypto_generichash_update(&st, (const unsigned char *)c->req.target, strlen(c->req.target));
	crypto_generichash_final(&st, h, sizeof h);
	char tag[2 * sizeof h + 1], hdr[192];
	hash_to_hex(h, sizeof h, tag);
	if (s->api_max_age > 0)
		snprintf(hdr, sizeof hdr, "ETag: \"%s\"\r\nCache-Control: public, max-age=%d\r\n", tag,
		    s->api_max_age);
	else
		snprintf(hdr, sizeof hdr, "ETag: \"%s\"\r\nCache-Control: no-cache\r\n", tag);
	const char *inm = http_header(&c->req, "If-None-Match");
	char quoted[sizeof tag + 2];
	snprintf(quoted, sizeof quoted, "\"%s\"", tag);
	if (inm && http_etag_match(inm, quoted))
		return http_send(c, 304, NULL, hdr, NULL, 0);
	return http_send(c, 200, "application/json", hdr, body, len);
}

static int reply_object(struct serve *s, struct http_conn *c, struct findex *fx, json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	char *body = xasprintf("%s\n", t);
	int rc = reply(s, c, fx, body, strlen(body));
	free(body);
	json_object_put(o);
	return rc;
}

/* A listing query: filters, text, sort, page. */
struct query {
	struct rule *f;
	char *q, *sort;
	const char *field;      /* sort field, NULL for the default order */
	int tag, desc;
	long limit, off;
	char *msg;              /* what is wrong with it, or NULL */
};

static void query_free(struct query *qy)
{
	rule_free(qy->f);
	free(qy->q);
	free(qy->sort);
	free(qy->msg);
}

static void query_sort(struct serve *s, struct query *qy)
{
	if (!qy->sort || !*qy->sort || strcmp(qy->sort, "-updated") == 0)
		return;
	qy->desc = *qy->sort == '-';
	qy->field = qy->sort + qy->desc;
	static const char *const fields[] = {"id", "start", "end", "duration", "updated", NULL};
	for (const char *const *f = fields; *f; f++)
		if (strcmp(*f, qy->field) == 0)
			return;
	if (s->cfg && *qy->field && config_tag(s->cfg, qy->field)) {
		qy->tag = 1;
		return;
	}
	char *v = utf8_sanitize(qy->sort);
	qy->msg = xasprintf("sort: %s: want id, start, end, duration, updated or a tag, "
	    "with '-' for descending", v);
	free(v);
}

/* A whole number in [lo, hi] or -1. */
static long number(const char *v, long lo, long hi)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	return errno || end == v || *end || x < lo || x > hi ? -1 : x;
}

static void query_parse(struct serve *s, struct http_conn *c, struct query *qy)
{
	memset(qy, 0, sizeof *qy);
	qy->limit = LIMIT_DEFAULT;
	qy->f = rule_new();
	const char *qs = c->req.query;
	char *k, *v, why[1024];
	int r;
	while (!qy->msg && (r = urlenc_query_next(&qs, &k, &v)) == 1) {
		if (strcmp(k, "limit") == 0) {
			if ((qy->limit = number(v, 1, LIMIT_MAX)) < 0)
				qy->msg = xasprintf("limit: want 1 to %d", LIMIT_MAX);
		} else if (strcmp(k, "cursor") == 0) {
			if ((qy->off = number(v, 0, 1L << 30)) < 0)
				qy->msg = xstrdup("cursor: not a cursor from \"next\"");
		} else if (strcmp(k, "q") == 0) {
			free(qy->q);
			qy->q = v;
			v = NULL;
		} else if (strcmp(k, "sort") == 0) {
			free(qy->sort);
			qy->sort = v;
			v = NULL;
		} else if (strcmp(k, "fields") != 0 &&      /* reserved */
		    rule_add(qy->f, s->cfg, k, v, why, sizeof why) < 0) {
			qy->msg = xstrdup(why);
		}
		free(k);
		free(v);
	}
	if (!qy->msg && r < 0)
		qy->msg = xstrdup("bad percent-encoding in the query");
	if (!qy->msg)
		query_sort(s, qy);
}

/* The query of the request; a bad one is answered 400 here, -1 with the
 * reply's status in *rc. */
static int query_read(struct serve *s, struct http_conn *c, struct query *qy, int *rc)
{
	query_parse(s, c, qy);
	if (!qy->msg)
		return 0;
	*rc = http_error(c, 400, qy->msg);
	query_free(qy);
	return -1;
}

static struct findex_sel *query_select(struct findex *fx, const struct query *qy)
{
	return findex_select(fx, qy->f->ng ? qy->f : NULL, qy->q);
}

/* {"generation":G,"total":N,"clips":[...],"next":C} from the index's own
 * bytes: no clip is parsed. */
static int get_clips(struct serve *s, struct http_conn *c, struct findex *fx)
{
	struct query qy;
	int rc;
	if (query_read(s, c, &qy, &rc) < 0)
		return rc;
	struct findex_sel *sel = query_select(fx, &qy);
	size_t total = findex_sel_count(sel), off = (size_t)qy.off, end = off + (size_t)qy.limit;
	uint32_t ord[LIMIT_MAX];
	const char *field = qy.field && findex_can_sort(fx, qy.field, qy.tag) ? qy.field : NULL;
	size_t k = findex_page(fx, sel, field, qy.tag, qy.desc, off, (size_t)qy.limit, ord);
	const char *text[LIMIT_MAX];
	size_t len[LIMIT_MAX], body = 128;
	for (size_t i = 0; i < k; i++) {
		if (!findex_clip(fx, ord[i], &text[i], &len[i]))
			len[i] = 0;
		body += len[i] + 1;
	}
	char *out = xmalloc(body), *p = out;
	p += sprintf(p, "{\"generation\":%lld,\"total\":%zu,\"clips\":[", head_int(fx, "generation"), total);
	for (size_t i = 0, n = 0; i < k; i++) {
		if (!len[i])
			continue;
		if (n++)
			*p++ = ',';
		memcpy(p, text[i], len[i]);
		p += len[i];
	}
	if (end < total)
		p += sprintf(p, "],\"next\":\"%zu\"}\n", end);
	else
		p += sprintf(p, "],\"next\":null}\n");
	rc = reply(s, c, fx, out, (size_t)(p - out));
	free(out);
	findex_sel_free(sel);
	query_free(&qy);
	return rc;
}

/* Facets of the clips a query selects. */
static int get_facets(struct serve *s, struct http_conn *c, struct findex *fx)
{
	struct query qy;
	int rc;
	if (query_read(s, c, &qy, &rc) < 0)
		return rc;
	struct findex_sel *sel = query_select(fx, &qy);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "generation", json_object_new_int64(head_int(fx, "generation")));
	json_object_object_add(o, "facets", findex_facets(fx, sel));
	findex_sel_free(sel);
	query_free(&qy);
	return reply_object(s, c, fx, o);
}

static int get_clip(struct serve *s, struct http_conn *c, struct findex *fx, const char *id)
{
	long i = clip_id_valid(id) ? findex_find(fx, id) : -1;
	const char *t;
	size_t n;
	if (i < 0 || !findex_clip(fx, (size_t)i, &t, &n))
		return http_error(c, 404, "no such clip");
	char *body = xmalloc(n + 1);
	memcpy(body, t, n);
	body[n] = '\n';
	int rc = reply(s, c, fx, body, n + 1);
	free(body);
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
	int rc = 0, fetched;
	struct findex *fx = index_or_503(s, c, 1, &fetched, &rc);
	/* An announced generation (medusa-sync's -G) is what the next request
	 * must see: a CDN or web server in front of a remote metastore may
	 * still serve the generation object before it for a moment, so look
	 * again a few times, and answer 503 (medusa-recache tries again with
	 * backoff) rather than a 200 for a generation the listings lack. */
	for (int i = 0; fx && gen >= 0 && head_int(fx, "generation") < gen && fetched == 1 &&
	    i < RECACHE_TRIES; i++) {
		struct timespec ts = {0, 250000000L};
		nanosleep(&ts, NULL);
		fx = index_or_503(s, c, 1, &fetched, &rc);
	}
	if (!fx)
		return rc;
	long long have = head_int(fx, "generation");
	if (gen >= 0 && have < gen) {
		char msg[256];
		snprintf(msg, sizeof msg, "generation %lld announced, but the %s is at %lld%s", gen,
		    s->remote ? "remote metastore" : "metastore", have,
		    fetched < 0 ? " (the remote cannot be read: kept the local copy)" : "");
		return http_error_hdr(c, 503, "Retry-After: 1\r\n", msg);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "generation", json_object_new_int64(have));
	json_object_object_add(o, "updated", json_object_new_int64(head_int(fx, "updated")));
	json_object_object_add(o, "total", json_object_new_int64((long long)findex_total(fx)));
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

/* The clip a storage key belongs to (clips/ID/...): a new string or NULL. */
static char *key_clip(const char *key)
{
	if (strncmp(key, "clips/", 6) != 0)
		return NULL;
	size_t n = strcspn(key + 6, "/");
	return n && key[6 + n] == '/' ? xasprintf("%.*s", (int)n, key + 6) : NULL;
}

/* The mime type a file was published with, when its extension does not
 * say: found in its clip's renditions. */
static char *file_type(struct findex *fx, const char *key)
{
	const char *t = http_mime_of(key), *text;
	if (strcmp(t, "application/octet-stream") != 0 || !fx)
		return xstrdup(t);
	char *id = key_clip(key), *type = NULL, why[128];
	long i = id ? findex_find(fx, id) : -1;
	size_t n;
	free(id);
	json_object *clip = i >= 0 && findex_clip(fx, (size_t)i, &text, &n) ?
	    json_parse_strict(text, n, why, sizeof why) : NULL;
	json_object *r = json_object_object_get(clip, "renditions");
	size_t kn = strlen(key);
	for (size_t j = 0; r && j < json_object_array_length(r) && !type; j++) {
		json_object *o = json_object_array_get_idx(r, j);
		const char *url = jstr(o, "url"), *mime = jstr(o, "mime");
		size_t un = url ? strlen(url) : 0;
		if (mime && un >= kn && strcmp(url + un - kn, key) == 0 && header_safe(mime))
			type = xstrdup(mime);
	}
	json_object_put(clip);
	return type ? type : xstrdup(t);
}

/* GET /files/KEY: directory storage. With a publication rule, the files of
 * a clip it leaves out are not there for this server. */
static int get_file(struct serve *s, struct http_conn *c, const char *key)
{
	if (!s->files_root)
		return http_error(c, 404, "files are not served here (object storage)");
	int fetched, unknown = strcmp(http_mime_of(key), "application/octet-stream") == 0;
	struct findex *fx = s->where || unknown ? index_now(s, 0, &fetched) : NULL;
	if (s->where) {
		char *id = key_clip(key);
		int out = !fx || (id && findex_excluded(fx, id));
		free(id);
		if (out)
			return http_error(c, 404, "not found");
	}
	char *type = file_type(fx, key);
	int rc = serve_file_under(c, s->files_root, key, type, FILES_CACHE, NULL, NULL);
	free(type);
	return rc;
}

static int api(struct serve *s, struct http_conn *c, const char *p)
{
	if (strcmp(p, "/api/tags") == 0 && s->cfg) {
		/* the tag set is the config's: no need to wait for a publish */
		json_object *o = serve_tags_json(s->cfg);
		int rc = http_json(c, 200, o, s->api_max_age, NULL);
		json_object_put(o);
		return rc;
	}
	int rc = 0, fetched;
	struct findex *fx = index_or_503(s, c, 0, &fetched, &rc);
	if (!fx)
		return rc;
	if (strcmp(p, "/api/clips") == 0)
		return get_clips(s, c, fx);
	if (strcmp(p, "/api/facets") == 0)
		return get_facets(s, c, fx);
	if (strncmp(p, "/api/clips/", 11) == 0)
		return get_clip(s, c, fx, p + 11);
	json_object *o = json_object_new_object();
	if (strcmp(p, "/api/generation") == 0) {
		json_object_object_add(o, "generation", json_object_new_int64(head_int(fx, "generation")));
		json_object_object_add(o, "updated", json_object_new_int64(head_int(fx, "updated")));
	} else {
		json_object *t = json_object_object_get(findex_head(fx), "tags");
		json_object_object_add(o, "tags", json_object_is_type(t, json_type_array) ?
		    json_object_get(t) : json_object_new_array());
	}
	return reply_object(s, c, fx, o);
}

int serve_frontyard(struct serve *s, struct http_conn *c)
{
	const char *p = c->req.path;
	int get = strcmp(c->req.method, "GET") == 0 || strcmp(c->req.method, "HEAD") == 0;
	if (strncmp(p, "/files/", 7) == 0)
		return get ? get_file(s, c, p + 7) : serve_405(c, "GET, HEAD");
	if (strcmp(p, "/api/recache") == 0)
		return strcmp(c->req.method, "POST") == 0 ? recache(s, c) : serve_405(c, "POST");
	int known = strcmp(p, "/api/clips") == 0 || strncmp(p, "/api/clips/", 11) == 0 ||
	    strcmp(p, "/api/generation") == 0 || strcmp(p, "/api/facets") == 0 ||
	    strcmp(p, "/api/tags") == 0;
	if (!known)
		return SERVE_NEXT;
	return get ? api(s, c, p) : serve_405(c, "GET, HEAD");
}
