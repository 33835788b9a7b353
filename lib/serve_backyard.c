/* medusa-serve backyard: the tag set, the videos, their sidecars and folder
 * files (read and replaced under an etag), and the videos themselves. It
 * writes only inside the backyard: every path goes through safepath. */
#include "serve.h"
#include "serve_publish.h"
#include "serve_timeline.h"
#include "atomic.h"
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
		struct meta_file m;
		char why[512];
		if (meta_read(abs, &m, why, sizeof why) < 0 ||
		    sidecar_validate(v->cfg, m.doc, -1, why, sizeof why) < 0) {
			state = "broken";
			json_object_object_add(o, "error", json_object_new_string(why));
		} else {
			json_object *clips = json_object_object_get(m.doc, "clips");
			nclips = clips ? (int)json_object_array_length(clips) : 0;
			state = nclips > 0 ? "clips" : "none";
		}
		meta_file_free(&m);
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

/* {"TAG": {"value": V, "source": S}} from the layers above a video or
 * folder. */
static json_object *inherited(const struct config *cfg, const char *video_rel,
    const char *skip_source, char *why, size_t n)
{
	struct tag_layer *layers = NULL;
	size_t nl = 0;
	json_object *owned = NULL;
	if (meta_video_layers(cfg, video_rel, NULL, &layers, &nl, &owned, why, n) < 0)
		return NULL;
	if (skip_source && nl > 0 && strcmp(layers[nl - 1].source, skip_source) == 0)
		nl--;
	json_object *sources = NULL;
	json_object *eff = tags_effective(cfg, layers, nl, &sources);
	json_object *out = json_object_new_object();
	json_object_object_foreach(eff, k, val) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "value", json_object_get(val));
		json_object *src = json_object_object_get(sources, k);
		json_object_object_add(e, "source", src ? json_object_get(src) :
		    json_object_new_string("default"));
		json_object_object_add(out, k, e);
	}
	json_object_put(eff);
	json_object_put(sources);
	json_object_put(owned);
	free(layers);
	return out;
}

/* The JSON path at the front of a validation message ("clips[1].end: ..."). */
static json_object *why_path(const char *why)
{
	const char *colon = strstr(why, ": ");
	if (!colon || memchr(why, ' ', (size_t)(colon - why)))
		return json_object_new_string("");
	return json_object_new_string_len(why, (int)(colon - why));
}

static int error_422(struct http_conn *c, const char *why)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(why));
	json_object_object_add(o, "path", why_path(why));
	int rc = http_json(c, 422, o, 0, NULL);
	json_object_put(o);
	return rc;
}

/* If-Match: "E" -> E in out. 0, or -1 when it is not one of our etags. */
static int if_match(const struct http_conn *c, char out[ETAG_LEN + 1])
{
	const char *h = http_header(&c->req, "If-Match");
	if (!h)
		return -1;
	h += strspn(h, " \t");
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	size_t n = strlen(h);
	if (n != ETAG_LEN + 2 || h[0] != '"' || h[n - 1] != '"')
		return -1;
	memcpy(out, h + 1, ETAG_LEN);
	out[ETAG_LEN] = '\0';
	return 0;
}

static int meta_endpoint(struct serve *s, struct http_conn *c, int folder, const char *rel)
{
	const struct config *cfg = s->cfg;
	char *abs = NULL, *clean = NULL, *file = NULL, *fake = NULL;
	const char *why = NULL;
	char w[1024];
	json_object *doc = NULL, *inh = NULL;
	struct meta_file m;
	memset(&m, 0, sizeof m);
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
	if (folder) {
		file = path_join(abs, FOLDER_META);
		fake = *clean ? xasprintf("%s/-", clean) : xstrdup("-");
	} else {
		file = sidecar_path(abs);
	}
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
	if (!put) {
		json_object *o = json_object_new_object();
		int rr = meta_read(file, &m, w, sizeof w);
		json_object_object_add(o, "etag", json_object_new_string(m.etag));
		json_object_object_add(o, "meta", rr == 0 ? json_object_get(m.doc) : NULL);
		if (rr < 0)
			json_object_object_add(o, "error", json_object_new_string(w));
		char *skip = folder ? xasprintf("folder:%s", *clean ? clean : ".") : NULL;
		inh = inherited(cfg, folder ? fake : clean, skip, w, sizeof w);
		free(skip);
		json_object_object_add(o, "inherited", inh ? inh : json_object_new_object());
		if (!inh)
			json_object_object_add(o, "inherited_error", json_object_new_string(w));
		inh = NULL;
		/* the etag of the file, which PUT takes in If-Match */
		char *et = xasprintf("\"%s\"", m.etag);
		rc = http_json_tagged(c, 200, o, et);
		free(et);
		json_object_put(o);
		goto out;
	}
	char want[ETAG_LEN + 1];
	if (!http_header(&c->req, "If-Match")) {
		rc = http_error(c, 428, "PUT needs If-Match: \"ETAG\" (from a GET of the same path)");
		goto out;
	}
	if (if_match(c, want) < 0) {
		rc = http_error(c, 412, "If-Match does not hold this file's etag: read it again");
		goto out;
	}
	doc = json_parse_strict(c->req.body, c->req.body_len, w, sizeof w);
	if (!doc) {
		char *msg = xasprintf("body: %s", w);
		rc = error_422(c, msg);
		free(msg);
		goto out;
	}
	if ((folder ? folder_validate(cfg, doc, w, sizeof w) :
	    sidecar_validate(cfg, doc, -1, w, sizeof w)) < 0) {
		rc = error_422(c, w);
		goto out;
	}
	if (!folder)
		sidecar_assign_ids(doc, clean, 0);
	char etag[ETAG_LEN + 1];
	r = meta_write(file, doc, want, etag);
	if (r == 1) {
		rc = http_error(c, 412, "the file changed since it was read (stale If-Match): "
		    "read it again");
		goto out;
	}
	if (r < 0) {
		mwarnerr("%s", file);
		rc = http_error(c, 500, "cannot write the file");
		goto out;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "etag", json_object_new_string(etag));
	json_object_object_add(o, "meta", json_object_get(doc));
	char *et = xasprintf("\"%s\"", etag);
	rc = http_json_tagged(c, 200, o, et);
	free(et);
	json_object_put(o);
out:
	meta_file_free(&m);
	json_object_put(doc);
	free(abs);
	free(clean);
	free(file);
	free(fake);
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
