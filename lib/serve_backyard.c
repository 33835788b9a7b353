/* medusa-serve backyard: the tag set, the videos, their sidecars and folder
 * files (read and replaced under an etag), and the videos themselves. It
 * writes only inside the backyard: every path goes through safepath. */
#include "serve.h"
#include "serve_publish.h"
#include "serve_timeline.h"
#include "atomic.h"
#include "metafile.h"
#include "ndjson.h"
#include "safepath.h"
#include "sidecar.h"
#include "tags.h"
#include "util.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_get(const struct http_conn *c)
{
	return strcmp(c->req.method, "GET") == 0 || strcmp(c->req.method, "HEAD") == 0;
}

/* --- GET /api/videos --- */

struct videos {
	const struct config *cfg;
	json_object *videos, *errors;
};

static int video_item(const struct walk_item *it, void *arg)
{
	struct videos *v = arg;
	/* JSON is UTF-8 (RFC 8259): a name that is not goes into "errors",
	 * sanitized, as medusa-scan reports it */
	int bad_name = !utf8_valid(it->path);
	if (!it->st || bad_name) {
		char *p = utf8_sanitize(it->path);
		json_object *e = json_object_new_object();
		json_object_object_add(e, "path", json_object_new_string(p));
		json_object_object_add(e, "error", json_object_new_string(it->error ? it->error :
		    bad_name ? "the file name is not valid UTF-8" : "?"));
		json_object_array_add(v->errors, e);
		free(p);
		return 0;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(it->path));
	json_object_object_add(o, "size", json_object_new_int64(it->st->st_size));
	json_object_object_add(o, "mtime", json_object_new_int64(it->st->st_mtim.tv_sec));
	json_object_object_add(o, "sidecar", it->sidecar ? json_object_new_string(it->sidecar) : NULL);
	const char *state = "none";
	int nclips = 0;
	if (it->sidecar) {
		char *abs = path_join(v->cfg->root, it->sidecar);
		struct sidecar_file m;
		char why[512];
		if (sidecar_read(abs, &m, why, sizeof why) < 0 ||
		    sidecar_validate(v->cfg, m.doc, -1, why, sizeof why) < 0) {
			state = "broken";
			json_object_object_add(o, "error", json_object_new_string(why));
		} else {
			json_object *clips = json_object_object_get(m.doc, "clips");
			nclips = clips ? (int)json_object_array_length(clips) : 0;
			state = nclips > 0 ? "clips" : "none";
		}
		sidecar_file_free(&m);
		free(abs);
	}
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "clips", json_object_new_int(nclips));
	json_object_array_add(v->videos, o);
	return 0;
}

static int get_videos(struct serve *s, struct http_conn *c)
{
	struct videos v = {s->cfg, json_object_new_array(), json_object_new_array()};
	int r = walk_backyard(s->cfg, video_item, &v);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "videos", v.videos);
	json_object_object_add(o, "errors", v.errors);
	json_object_object_add(o, "complete", json_object_new_boolean(r == 0));
	int rc = http_json(c, 200, o, 0, NULL);
	json_object_put(o);
	return rc;
}

/* --- /api/videos/PATH/meta and /api/folders/PATH/meta --- */

/* A JSON answer that carries no validator: an error, or a PUT whose
 * stored content is not what was sent (RFC 9110 9.3.4: then no ETag). */
static int send_untagged(struct http_conn *c, int status, json_object *o)
{
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	char *body = xasprintf("%s\n", txt);
	int rc = http_send(c, status, "application/json", "Cache-Control: no-store\r\n", body,
	    strlen(body));
	free(body);
	return rc;
}

static int error_422(struct http_conn *c, const char *why, const char *path)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(why));
	json_object_object_add(o, "path", json_object_new_string(path));
	int rc = send_untagged(c, 422, o);
	json_object_put(o);
	return rc;
}

/* Whether an If-Match or If-None-Match value (RFC 9110 13.1.1, 13.1.2:
 * "*" or a list of entity-tags) matches the current etag (unquoted) of a
 * representation that exists or not. Strong comparison (If-Match): a weak
 * tag never matches; weak (If-None-Match): W/ is ignored. A value that is
 * no list of entity-tags matches nothing. */
static int etag_list_matches(const char *h, const char *etag, int exists, int strong)
{
	size_t n = strlen(etag);
	h += strspn(h, " \t");
	if (*h == '*' && !h[1 + strspn(h + 1, " \t")])
		return exists;
	for (;;) {
		h += strspn(h, " \t,");
		if (!*h)
			return 0;
		int weak = strncmp(h, "W/", 2) == 0;
		if (weak)
			h += 2;
		if (*h != '"')
			return 0;
		const char *end = strchr(h + 1, '"');
		if (!end)
			return 0;
		if ((!weak || !strong) && (size_t)(end - h - 1) == n && !strncmp(h + 1, etag, n))
			return 1;
		h = end + 1;
		h += strspn(h, " \t");
		if (*h && *h != ',')
			return 0;
	}
}

/* The preconditions of a PUT (RFC 9110 13.2.2), under the file's lock. */
static int put_precond(void *arg, const char *etag, int exists)
{
	const struct http_conn *c = arg;
	const char *im = http_header(&c->req, "If-Match"), *inm = http_header(&c->req, "If-None-Match");
	if (im && !etag_list_matches(im, etag, exists, 1))
		return 0;
	return !inm || !etag_list_matches(inm, etag, exists, 0);
}

static int meta_get(struct http_conn *c, const struct config *cfg, const struct metafile *f)
{
	int exists;
	json_object *v = metafile_view(cfg, f, &exists);
	char *et = xasprintf("\"%s\"", jstr(v, "etag"));
	const char *inm = http_header(&c->req, "If-None-Match");
	int rc;
	if (inm && etag_list_matches(inm, jstr(v, "etag"), exists, 0)) {
		char *hdr = xasprintf("ETag: %s\r\nCache-Control: no-cache\r\n", et);
		rc = http_send(c, 304, NULL, hdr, NULL, 0);
		free(hdr);
	} else {
		rc = http_json_tagged(c, 200, v, et);
	}
	free(et);
	json_object_put(v);
	return rc;
}

static int meta_put(struct http_conn *c, const struct config *cfg, const struct metafile *f)
{
	char w[1024];
	if (!http_header(&c->req, "If-Match") && !http_header(&c->req, "If-None-Match"))
		return http_error(c, 428, "PUT needs If-Match: \"ETAG\" (from a GET of the same path), "
		    "or If-None-Match: * to create the file");
	json_object *doc = json_parse_strict(c->req.body, c->req.body_len, w, sizeof w);
	if (!doc) {
		char *msg = xasprintf("body: %s", w);
		int rc = error_422(c, msg, "");
		free(msg);
		return rc;
	}
	struct metafile_result res;
	int rc;
	/* a clip without an id is one the editor made: a random id */
	switch (metafile_save(cfg, f, doc, 1, put_precond, c, &res)) {
	case METAFILE_SAVED: {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "etag", json_object_new_string(res.etag));
		json_object_object_add(o, "meta", json_object_get(doc));
		json_object_object_add(o, "warnings", json_object_get(res.warnings));
		rc = send_untagged(c, 200, o);
		json_object_put(o);
		break;
	}
	case METAFILE_STALE:
		rc = http_error(c, 412, "the file changed since it was read (If-Match does not hold "
		    "its etag, or If-None-Match does): read it again");
		break;
	case METAFILE_INVALID:
		rc = error_422(c, res.why, res.path);
		break;
	default:
		mwarn("%s: %s", f->file_abs, res.why);
		rc = http_error(c, 500, "cannot write the file");
	}
	json_object_put(res.warnings);
	json_object_put(doc);
	return rc;
}

static int meta_endpoint(struct serve *s, struct http_conn *c, int folder, const char *rel)
{
	const struct config *cfg = s->cfg;
	char *abs = NULL, *clean = NULL, *file = NULL;
	const char *why = NULL;
	int rc;
	int put = strcmp(c->req.method, "PUT") == 0;
	if (!put && !is_get(c))
		return serve_405(c, "GET, HEAD, PUT");
	int r = safepath_resolve(cfg->root, rel, strlen(rel), 1, &abs, &clean, &why);
	if (r != SAFEPATH_OK) {
		rc = r == SAFEPATH_MISSING ? http_error(c, 404, folder ? "no such folder" : "no such video") :
		    http_error(c, 403, why ? why : "outside the backyard");
		goto out;
	}
	struct stat st;
	if (stat(abs, &st) < 0 || (folder ? !S_ISDIR(st.st_mode) :
	    !S_ISREG(st.st_mode) || !config_is_video(cfg, clean))) {
		rc = http_error(c, 404, folder ? "no such folder" : "no such video");
		goto out;
	}
	file = folder ? path_join(abs, FOLDER_META) : sidecar_path(abs);
	{
		/* the metadata file itself must not be a symlink out of the tree */
		char *mrel = folder ? (*clean ? xasprintf("%s/%s", clean, FOLDER_META) :
		    xstrdup(FOLDER_META)) : xasprintf("%s%s", clean, SIDECAR_SUFFIX);
		char *mabs = NULL;
		r = safepath_resolve(cfg->root, mrel, strlen(mrel), 0, &mabs, NULL, &why);
		free(mrel);
		free(mabs);
		if (r == SAFEPATH_OUTSIDE) {
			rc = http_error(c, 403, "the metadata file leads out of the backyard");
			goto out;
		}
	}
	struct metafile f = {folder, clean, abs, file};
	rc = put ? meta_put(c, cfg, &f) : meta_get(c, cfg, &f);
out:
	free(abs);
	free(clean);
	free(file);
	return rc;
}

/* Only videos leave through /media/, never sidecars or the config. */
static int is_video(const char *clean, void *arg)
{
	return config_is_video(arg, clean);
}

int serve_backyard(struct serve *s, struct http_conn *c)
{
	const char *p = c->req.path;
	if (strncmp(p, "/media/", 7) == 0) {
		if (!is_get(c))
			return serve_405(c, "GET, HEAD");
		return serve_file_under(c, s->cfg->root, p + 7, NULL, "private, no-cache", is_video,
		    (void *)s->cfg);
	}
	if (strcmp(p, "/api/tags") == 0) {
		if (!is_get(c))
			return serve_405(c, "GET, HEAD");
		json_object *o = serve_tags_json(s->cfg);
		int rc = http_json(c, 200, o, 0, NULL);
		json_object_put(o);
		return rc;
	}
	if (strcmp(p, "/api/videos") == 0) {
		if (!is_get(c))
			return serve_405(c, "GET, HEAD");
		return get_videos(s, c);
	}
	if (strcmp(p, "/api/publish") == 0)
		return serve_publish_status(s, c);
	size_t n = strlen(p);
	int folder = strncmp(p, "/api/folders/", 13) == 0;
	if ((folder || strncmp(p, "/api/videos/", 12) == 0)) {
		const char *rel = p + (folder ? 13 : 12);
		/* /api/folders/meta and /api/folders//meta: the root folder */
		if (folder && strcmp(rel, "meta") == 0)
			return meta_endpoint(s, c, 1, "");
		if (n >= 5 && strcmp(p + n - 5, "/meta") == 0 && p + n - 5 >= rel) {
			char *r = xasprintf("%.*s", (int)(p + n - 5 - rel), rel);
			int rc = meta_endpoint(s, c, folder, r);
			free(r);
			return rc;
		}
		int rc = folder ? SERVE_NEXT : serve_timeline(s, c, rel);
		return rc != SERVE_NEXT ? rc : http_error(c, 404, "no such endpoint");
	}
	return SERVE_NEXT;
}
