/* metafile.c: the save routine and the view of metafile.h. */
#include "metafile.h"
#include "atomic.h"
#include "ndjson.h"
#include "probe.h"
#include "sidecar.h"
#include "tags.h"
#include "timefmt.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_object *metafile_inherited(const struct config *cfg, const struct metafile *t,
    char *err, size_t errlen)
{
	struct tag_layer *layers = NULL;
	size_t nl = 0;
	json_object *owned = NULL, *sources = NULL;
	/* a folder inherits what a file inside it would, but its own layer */
	char *probe = t->folder ? xasprintf("%s%s-", t->rel, *t->rel ? "/" : "") : xstrdup(t->rel);
	int r = sidecar_video_layers(cfg, probe, NULL, &layers, &nl, &owned, err, errlen);
	free(probe);
	if (r < 0)
		return NULL;
	if (t->folder && nl > 0) {
		char *own = xasprintf("folder:%s", *t->rel ? t->rel : ".");
		if (strcmp(layers[nl - 1].source, own) == 0)
			nl--;
		free(own);
	}
	json_object *eff = tags_effective(cfg, layers, nl, &sources);
	json_object *out = json_object_new_object();
	json_object_object_foreach(eff, k, v) {
		json_object *e = json_object_new_object(), *src = json_object_object_get(sources, k);
		json_object_object_add(e, "value", json_object_get(v));
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

/* The etag of a view: the file's bytes and everything the view shows. */
static void view_etag(json_object *view, const char *file_etag, char etag[ETAG_LEN + 1])
{
	crypto_generichash_state st;
	unsigned char out[16];
	char *text = json_canonical(view);
	crypto_generichash_init(&st, NULL, 0, sizeof out);
	crypto_generichash_update(&st, (const unsigned char *)"medusa view 1", 14);
	crypto_generichash_update(&st, (const unsigned char *)file_etag, strlen(file_etag) + 1);
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_final(&st, out, sizeof out);
	hash_to_hex(out, sizeof out, etag);
	free(text);
}

/* A view from its parts (meta and inh are taken; either may be NULL). */
static json_object *view_make(json_object *meta, const char *error, const char *file_etag,
    json_object *inh, const char *inh_error, char etag[ETAG_LEN + 1])
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "meta", meta);
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "inherited", inh ? inh : json_object_new_object());
	if (!inh)
		json_object_object_add(o, "inherited_error", json_object_new_string(inh_error));
	view_etag(o, file_etag, etag);
	json_object_object_add(o, "etag", json_object_new_string(etag));
	return o;
}

/* The document as the view shows it: a copy, each id-less clip with the
 * id it is published under. */
static json_object *shown_doc(const struct metafile *t, json_object *doc)
{
	json_object *d = NULL;
	if (json_object_deep_copy(doc, &d, NULL) < 0)
		mdie(EXIT_USAGE, "out of memory");
	if (!t->folder)
		sidecar_assign_ids(d, t->rel, 1);
	return d;
}

/* The current state of the file under the lock: its view, its document
 * (NULL when it cannot be parsed) and whether it exists. */
struct current {
	struct sidecar_file m;
	int readable;
	json_object *view;
	char etag[ETAG_LEN + 1];
};

static void current_read(const struct config *cfg, const struct metafile *t, struct current *c)
{
	char why[512], iwhy[512];
	memset(c, 0, sizeof *c);
	c->readable = sidecar_read(t->file_abs, &c->m, why, sizeof why) == 0;
	json_object *inh = metafile_inherited(cfg, t, iwhy, sizeof iwhy);
	c->view = view_make(c->readable ? shown_doc(t, c->m.doc) : NULL, c->readable ? NULL : why,
	    c->m.etag, inh, iwhy, c->etag);
}

static void current_free(struct current *c)
{
	sidecar_file_free(&c->m);
	json_object_put(c->view);
}

json_object *metafile_view(const struct config *cfg, const struct metafile *t, int *exists)
{
	struct current c;
	current_read(cfg, t, &c);
	json_object *v = json_object_get(c.view);
	if (exists)
		*exists = c.m.exists;
	current_free(&c);
	return v;
}

static int clip_times(json_object *clip, long long *start, long long *end)
{
	return time_parse_json(json_object_object_get(clip, "start"), start, NULL) == 0 &&
	    time_parse_json(json_object_object_get(clip, "end"), end, NULL) == 0;
}

/* Gives each id-less clip of doc whose times equal an id-less clip of the
 * file on disk the id that one is published under. */
static void keep_published_ids(const struct metafile *t, json_object *doc, json_object *ondisk)
{
	json_object *clips = json_object_object_get(doc, "clips");
	json_object *old = json_object_object_get(ondisk, "clips");
	if (!json_object_is_type(clips, json_type_array) || !json_object_is_type(old, json_type_array))
		return;
	json_object *shown = shown_doc(t, ondisk), *taken = json_object_new_object();
	json_object *sclips = json_object_object_get(shown, "clips");
	size_t n = json_object_array_length(clips), on = json_object_array_length(old);
	for (size_t i = 0; i < n; i++) {
		const char *id = jstr(json_object_array_get_idx(clips, i), "id");
		if (id)
			json_object_object_add(taken, id, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(clips, i);
		long long s, e, os, oe;
		if (!json_object_is_type(c, json_type_object) || jstr(c, "id") || !clip_times(c, &s, &e))
			continue;
		for (size_t j = 0; j < on; j++) {
			json_object *o = json_object_array_get_idx(old, j);
			const char *id = jstr(json_object_array_get_idx(sclips, j), "id");
			if (!json_object_is_type(o, json_type_object) || jstr(o, "id") || !id ||
			    json_object_object_get_ex(taken, id, NULL) || !clip_times(o, &os, &oe) ||
			    os != s || oe != e)
				continue;
			json_object_object_add(c, "id", json_object_new_string(id));
			json_object_object_add(taken, id, NULL);
			break;
		}
	}
	json_object_put(taken);
	json_object_put(shown);
}

/* The clips whose effective tags miss a required tag, as warnings. -1 with
 * err when a folder file above is broken (nothing can be said then). */
static int clip_warnings(const struct config *cfg, const struct metafile *t, json_object *doc,
    json_object *warnings, char *err, size_t errlen)
{
	struct tag_layer *layers;
	size_t nl;
	json_object *owned;
	if (sidecar_video_layers(cfg, t->rel, doc, &layers, &nl, &owned, err, errlen) < 0)
		return -1;
	json_object *clips = json_object_object_get(doc, "clips");
	size_t nclips = json_object_is_type(clips, json_type_array) ? json_object_array_length(clips) : 0;
	for (size_t i = 0; i < nclips; i++) {
		json_object *c = json_object_array_get_idx(clips, i), *v;
		layers[nl].source = "clip";
		layers[nl].tags = json_object_object_get(c, "tags");
		json_object *eff = tags_effective(cfg, layers, nl + 1, NULL);
		for (size_t k = 0; k < cfg->ntags; k++) {
			const struct tagdef *td = &cfg->tags[k];
			if (!td->required || (json_object_object_get_ex(eff, td->name, &v) && v))
				continue;
			json_object *w = json_object_new_object();
			char *path = xasprintf("clips[%zu].tags.%s", i, td->name);
			char *msg = xasprintf("%s is required: no value from the clip, the video, its "
			    "folders or a default, so this clip is not published", td->name);
			json_object_object_add(w, "clip", json_object_get(json_object_object_get(c, "id")));
			json_object_object_add(w, "path", json_object_new_string(path));
			json_object_object_add(w, "message", json_object_new_string(msg));
			json_object_array_add(warnings, w);
			free(path);
			free(msg);
		}
		json_object_put(eff);
	}
	free(layers);
	json_object_put(owned);
	return 0;
}

/* res->why and res->path from a validation message that starts with the
 * JSON path ("clips[1].end: ..."). */
static enum metafile_status invalid(struct metafile_result *res, const char *why, int has_path)
{
	snprintf(res->why, sizeof res->why, "%s", why);
	res->path[0] = '\0';
	const char *colon = strstr(why, ": ");
	if (has_path && colon && !memchr(why, ' ', (size_t)(colon - why)) &&
	    (size_t)(colon - why) < sizeof res->path)
		snprintf(res->path, sizeof res->path, "%.*s", (int)(colon - why), why);
	return METAFILE_INVALID;
}

static enum metafile_status validate(const struct config *cfg, const struct metafile *t,
    json_object *doc, struct metafile_result *res)
{
	char why[1024];
	if (t->folder)
		return sidecar_folder_validate(cfg, doc, why, sizeof why) < 0 ? invalid(res, why, 1) : METAFILE_SAVED;
	struct probe p;
	long long dur = -1;
	char pwhy[256];
	/* a file libavformat cannot read has no known duration: the times
	 * are checked against nothing then, as medusa-meta clips does */
	if (probe_file(t->abs, &p, pwhy, sizeof pwhy) == 0)
		dur = p.duration_ms;
	return sidecar_validate(cfg, doc, dur, why, sizeof why) < 0 ? invalid(res, why, 1) : METAFILE_SAVED;
}

/* Replaces the file with doc; the caller holds the lock. */
static enum metafile_status write_doc(const struct metafile *t, json_object *doc,
    char file_etag[ETAG_LEN + 1], struct metafile_result *res)
{
	size_t len;
	char *buf = sidecar_format(doc, &len);
	struct stat st;
	mode_t mode = stat(t->file_abs, &st) == 0 ? st.st_mode & 07777 : 0644;
	enum metafile_status r = METAFILE_SAVED;
	if (len > META_MAX_BYTES) {
		/* no reader would take it back */
		snprintf(res->why, sizeof res->why, "cannot write, the old file is unchanged: %s "
		    "(%zu bytes as written; no reader takes more than %u)", strerror(EFBIG), len,
		    META_MAX_BYTES);
		res->path[0] = '\0';
		r = METAFILE_INVALID;
	} else if (atomic_write(t->file_abs, buf, len, mode) < 0) {
		snprintf(res->why, sizeof res->why, "cannot write, the old file is unchanged: %s",
		    strerror(errno));
		r = METAFILE_ERROR;
	} else {
		hash_etag(buf, len, file_etag);
	}
	free(buf);
	return r;
}

enum metafile_status metafile_save(const struct config *cfg, const struct metafile *t,
    json_object *doc, int random_ids, metafile_precond pre, void *arg,
    struct metafile_result *res)
{
	memset(res, 0, sizeof *res);
	res->warnings = json_object_new_array();
	enum metafile_status r = validate(cfg, t, doc, res);
	if (r != METAFILE_SAVED)
		return r;
	char *dir = path_dirname(t->file_abs);
	int lock = atomic_dir_lock(dir);
	free(dir);
	if (lock < 0) {
		snprintf(res->why, sizeof res->why, "cannot lock its folder: %s", strerror(errno));
		return METAFILE_ERROR;
	}
	struct current c;
	current_read(cfg, t, &c);
	char why[1024], fetag[ETAG_LEN + 1];
	if (pre && !pre(arg, c.etag, c.m.exists)) {
		r = METAFILE_STALE;
		goto out;
	}
	if (!t->folder) {
		if (c.readable)
			keep_published_ids(t, doc, c.m.doc);
		sidecar_assign_ids(doc, t->rel, !random_ids);
		if (clip_warnings(cfg, t, doc, res->warnings, why, sizeof why) < 0) {
			char *w = xasprintf("cannot check the effective tags of its clips: %s", why);
			r = invalid(res, w, 0);
			free(w);
			goto out;
		}
	}
	if ((r = write_doc(t, doc, fetag, res)) != METAFILE_SAVED)
		goto out;
	{
		/* the view a GET gives now: the same inherited values */
		const char *ie = jstr(c.view, "inherited_error");
		json_object *inh = ie ? NULL : json_object_get(json_object_object_get(c.view, "inherited"));
		json_object_put(view_make(shown_doc(t, doc), NULL, fetag, inh, ie, res->etag));
	}
out:
	current_free(&c);
	atomic_dir_unlock(lock);
	return r;
}
