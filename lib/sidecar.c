/* Sidecars (<video>.medusa.json) and folder files (folder.medusa.json). */
#include "sidecar.h"
#include "atomic.h"
#include "ndjson.h"
#include "tags.h"
#include "timefmt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int vfail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int vfail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_folder_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strcmp(slash ? slash + 1 : path, FOLDER_META) == 0;
}

static json_object *empty_doc(int folder)
{
	json_object *d = json_object_new_object();
	json_object_object_add(d, "tags", json_object_new_object());
	if (!folder)
		json_object_object_add(d, "clips", json_object_new_array());
	return d;
}

/* The etag of a file too large to read whole, in blocks. 0 or -1. */
static int etag_of_file(const char *path, char etag[ETAG_LEN + 1])
{
	crypto_generichash_state st;
	unsigned char out[16], buf[1 << 16];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t r;
	if (fd < 0)
		return -1;
	crypto_generichash_init(&st, NULL, 0, sizeof out);
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		crypto_generichash_update(&st, buf, (size_t)r);
	}
	close(fd);
	crypto_generichash_final(&st, out, sizeof out);
	hash_to_hex(out, sizeof out, etag);
	return 0;
}

int sidecar_read(const char *path, struct sidecar_file *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->path = xstrdup(path);
	char *text;
	size_t len;
	if (atomic_read_file(path, META_MAX_BYTES, &text, &len) < 0) {
		if (errno == ENOENT) {
			hash_etag("", 0, m->etag);
			m->doc = empty_doc(is_folder_file(path));
			return 0;
		}
		int e = errno;
		m->exists = e != ENOTDIR;
		/* one too large to read can still be replaced with its etag */
		if (e == EFBIG && etag_of_file(path, m->etag) < 0)
			m->etag[0] = '\0';
		return vfail(err, errlen, "%s", e == EFBIG ? "file too large (over 16 MiB)" :
		    e == ENODEV ? "not a regular file" : strerror(e));
	}
	m->exists = 1;
	hash_etag(text, len, m->etag);
	char w[256];
	m->doc = json_parse_strict(text, len, w, sizeof w);
	free(text);
	if (!m->doc)
		return vfail(err, errlen, "malformed JSON: %s", w);
	if (!json_object_is_type(m->doc, json_type_object)) {
		json_object_put(m->doc);
		m->doc = NULL;
		return vfail(err, errlen, "malformed: the document must be a JSON object");
	}
	return 0;
}

void sidecar_file_free(struct sidecar_file *m)
{
	free(m->path);
	json_object_put(m->doc);
	memset(m, 0, sizeof *m);
}

/* Tags as written in a file: jp is the JSON path of the object. */
static int check_tags(const struct config *cfg, json_object *tags, const char *jp,
    char *err, size_t errlen)
{
	if (!tags)
		return 0;
	if (!json_object_is_type(tags, json_type_object))
		return vfail(err, errlen, "%s: must be an object of tag: value", jp);
	json_object_object_foreach(tags, k, v) {
		const struct tagdef *t = config_tag(cfg, k);
		if (!t)
			return vfail(err, errlen, "%s.%s: unknown tag \"%s\" (not in %s)", jp, k, k,
			    BACKYARD_CONFIG);
		char w[256];
		if (v && tag_value_check(t, v, w, sizeof w) < 0)
			return vfail(err, errlen, "%s.%s: %s", jp, k, w);
	}
	return 0;
}

static int check_fields(json_object *o, const char *jp, const char *const *allowed,
    char *err, size_t errlen)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		const char *const *a;
		for (a = allowed; *a; a++)
			if (strcmp(k, *a) == 0)
				break;
		if (!*a)
			return vfail(err, errlen, "%s%s%s: unknown field", jp, *jp ? "." : "", k);
	}
	return 0;
}

static int clip_time(json_object *clip, const char *key, const char *jp, long long *ms,
    char *err, size_t errlen)
{
	json_object *v;
	const char *w;
	if (!json_object_object_get_ex(clip, key, &v) || !v)
		return vfail(err, errlen, "%s.%s: required", jp, key);
	if (time_parse_json(v, ms, &w) < 0)
		return vfail(err, errlen, "%s.%s: %s", jp, key, w);
	return 0;
}

/* One clip of a sidecar; ids maps the ids seen so far to their index. */
static int check_clip(const struct config *cfg, json_object *c, size_t i, json_object *ids,
    long long duration_ms, char *err, size_t errlen)
{
	static const char *const clipf[] = {"id", "start", "end", "tags", NULL};
	char jp[48];
	snprintf(jp, sizeof jp, "clips[%zu]", i);
	if (!json_object_is_type(c, json_type_object))
		return vfail(err, errlen, "%s: must be an object", jp);
	if (check_fields(c, jp, clipf, err, errlen) < 0)
		return -1;
	json_object *id, *seen;
	if (json_object_object_get_ex(c, "id", &id) && id) {
		if (!json_object_is_type(id, json_type_string) ||
		    !clip_id_valid(json_object_get_string(id)))
			return vfail(err, errlen, "%s.id: must be 1 to 64 of A-Z a-z 0-9 _ -", jp);
		const char *s = json_object_get_string(id);
		if (json_object_object_get_ex(ids, s, &seen))
			return vfail(err, errlen, "%s.id: \"%s\" is already the id of clips[%d]",
			    jp, s, json_object_get_int(seen));
		json_object_object_add(ids, s, json_object_new_int((int)i));
	}
	long long start, end;
	if (clip_time(c, "start", jp, &start, err, errlen) < 0 ||
	    clip_time(c, "end", jp, &end, err, errlen) < 0)
		return -1;
	char b1[32], b2[32];
	if (end <= start)
		return vfail(err, errlen, "%s.end: %s is not after the start %s", jp,
		    time_format(end, b1, sizeof b1), time_format(start, b2, sizeof b2));
	if (duration_ms >= 0 && end > duration_ms)
		return vfail(err, errlen, "%s.end: %s is past the end of the video (%s)", jp,
		    time_format(end, b1, sizeof b1), time_format(duration_ms, b2, sizeof b2));
	char tjp[64];
	snprintf(tjp, sizeof tjp, "%s.tags", jp);
	return check_tags(cfg, json_object_object_get(c, "tags"), tjp, err, errlen);
}

int sidecar_validate(const struct config *cfg, json_object *doc, long long duration_ms,
    char *err, size_t errlen)
{
	static const char *const top[] = {"tags", "clips", NULL};
	if (!json_object_is_type(doc, json_type_object))
		return vfail(err, errlen, "the sidecar must be a JSON object");
	if (check_fields(doc, "", top, err, errlen) < 0)
		return -1;
	if (check_tags(cfg, json_object_object_get(doc, "tags"), "tags", err, errlen) < 0)
		return -1;
	json_object *clips;
	if (!json_object_object_get_ex(doc, "clips", &clips) || !clips)
		return 0;
	if (!json_object_is_type(clips, json_type_array))
		return vfail(err, errlen, "clips: must be an array of clips");
	size_t nclips = json_object_array_length(clips);
	json_object *ids = json_object_new_object();
	int r = 0;
	for (size_t i = 0; i < nclips && r == 0; i++)
		r = check_clip(cfg, json_object_array_get_idx(clips, i), i, ids, duration_ms, err, errlen);
	json_object_put(ids);
	return r;
}

int sidecar_folder_validate(const struct config *cfg, json_object *doc, char *err, size_t errlen)
{
	static const char *const top[] = {"tags", NULL};
	if (!json_object_is_type(doc, json_type_object))
		return vfail(err, errlen, "the folder file must be a JSON object");
	if (check_fields(doc, "", top, err, errlen) < 0)
		return -1;
	return check_tags(cfg, json_object_object_get(doc, "tags"), "tags", err, errlen);
}

void sidecar_assign_ids(json_object *doc, const char *video_rel, int derived)
{
	json_object *clips;
	if (!json_object_object_get_ex(doc, "clips", &clips) ||
	    !json_object_is_type(clips, json_type_array))
		return;
	size_t nclips = json_object_array_length(clips);
	json_object *taken = json_object_new_object();
	for (size_t i = 0; i < nclips; i++) {
		const char *id = jstr(json_object_array_get_idx(clips, i), "id");
		if (id)
			json_object_object_add(taken, id, NULL);
	}
	for (size_t i = 0; i < nclips; i++) {
		json_object *c = json_object_array_get_idx(clips, i), *id;
		if (!json_object_is_type(c, json_type_object) ||
		    (json_object_object_get_ex(c, "id", &id) && id))
			continue;
		char buf[CLIP_ID_LEN + 1];
		long long start = 0, end = 0;
		int have_times = time_parse_json(json_object_object_get(c, "start"), &start, NULL) == 0 &&
		    time_parse_json(json_object_object_get(c, "end"), &end, NULL) == 0;
		/* two hand-written clips with the same times: the later one
		 * derives from the path with a counter, still stable */
		for (unsigned k = 0;; k++) {
			if (derived && have_times) {
				char *v = k ? xasprintf("%s#%u", video_rel, k) : xstrdup(video_rel);
				clip_id_derived(v, start, end, buf);
				free(v);
			} else {
				clip_id_random(buf);
			}
			if (!json_object_object_get_ex(taken, buf, NULL))
				break;
		}
		json_object_object_add(taken, buf, NULL);
		json_object_object_add(c, "id", json_object_new_string(buf));
	}
	json_object_put(taken);
}

char *sidecar_path(const char *video_abs)
{
	return xasprintf("%s%s", video_abs, SIDECAR_SUFFIX);
}

/* The etag of the bytes at path now; of no bytes when missing. */
static int current_etag(const char *path, char etag[ETAG_LEN + 1], mode_t *mode)
{
	char *text;
	size_t len;
	struct stat st;
	if (stat(path, &st) == 0)
		*mode = st.st_mode & 07777;
	if (atomic_read_file(path, META_MAX_BYTES, &text, &len) < 0) {
		if (errno == EFBIG)
			return etag_of_file(path, etag);
		if (errno != ENOENT)
			return -1;
		hash_etag("", 0, etag);
		return 0;
	}
	hash_etag(text, len, etag);
	free(text);
	return 0;
}

/* A growable output buffer for the printer below. */
struct obuf {
	char *p;
	size_t len, cap;
};

static void ob_add(struct obuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void ob_str(struct obuf *b, const char *s) { ob_add(b, s, strlen(s)); }

static void ob_scalar(struct obuf *b, json_object *v)
{
	ob_str(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* One line: {"a": 1, "b": [1, 2]} */
static void ob_inline(struct obuf *b, json_object *v)
{
	if (json_object_is_type(v, json_type_object)) {
		int first = 1;
		ob_str(b, "{");
		json_object_object_foreach(v, k, x) {
			json_object *key = json_object_new_string(k);
			ob_str(b, first ? "" : ", ");
			ob_scalar(b, key);
			json_object_put(key);
			ob_str(b, ": ");
			ob_inline(b, x);
			first = 0;
		}
		ob_str(b, "}");
	} else if (json_object_is_type(v, json_type_array)) {
		ob_str(b, "[");
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			ob_str(b, i ? ", " : "");
			ob_inline(b, json_object_array_get_idx(v, i));
		}
		ob_str(b, "]");
	} else {
		ob_scalar(b, v);
	}
}

/* Pretty, for people who edit the files by hand: a container that fits in
 * what is left of 80 columns stays on one line (a clip per line, usually). */
static void ob_pretty(struct obuf *b, json_object *v, int indent)
{
	size_t mark = b->len;
	ob_inline(b, v);
	int container = json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array);
	if (!container || b->len - mark + (size_t)indent <= 80)
		return;
	b->len = mark;
	char pad[128];
	int in = indent + 2 < 120 ? indent + 2 : 120;
	memset(pad, ' ', (size_t)in);
	pad[in] = '\0';
	int first = 1;
	if (json_object_is_type(v, json_type_object)) {
		ob_str(b, "{\n");
		json_object_object_foreach(v, k, x) {
			json_object *key = json_object_new_string(k);
			ob_str(b, first ? "" : ",\n");
			ob_str(b, pad);
			ob_scalar(b, key);
			json_object_put(key);
			ob_str(b, ": ");
			ob_pretty(b, x, in);
			first = 0;
		}
	} else {
		ob_str(b, "[\n");
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			ob_str(b, i ? ",\n" : "");
			ob_str(b, pad);
			ob_pretty(b, json_object_array_get_idx(v, i), in);
		}
	}
	ob_str(b, "\n");
	pad[indent < 120 ? indent : 120] = '\0';
	ob_str(b, pad);
	ob_str(b, json_object_is_type(v, json_type_object) ? "}" : "]");
}

char *sidecar_format(json_object *doc, size_t *len)
{
	struct obuf b = {0};
	ob_pretty(&b, doc, 0);
	ob_str(&b, "\n");
	*len = b.len;
	return b.p;
}

int sidecar_write(const char *path, json_object *doc, const char *expect_etag,
    char new_etag[ETAG_LEN + 1])
{
	size_t len;
	char *buf = sidecar_format(doc, &len);
	char *dir = path_dirname(path);
	int lock = -1, r = -1, e = 0;
	if (len > META_MAX_BYTES) {
		/* no reader would take it back */
		e = EFBIG;
		goto out;
	}
	lock = atomic_dir_lock(dir);
	if (lock < 0) {
		e = errno;
		goto out;
	}
	char etag[ETAG_LEN + 1];
	mode_t mode = 0644;
	if (current_etag(path, etag, &mode) < 0) {
		e = errno;
		goto out;
	}
	if (expect_etag && strcmp(etag, expect_etag) != 0) {
		r = 1;
		goto out;
	}
	if (atomic_write(path, buf, len, mode) < 0) {
		e = errno;
		goto out;
	}
	if (new_etag)
		hash_etag(buf, len, new_etag);
	r = 0;
out:
	atomic_dir_unlock(lock);
	free(dir);
	free(buf);
	errno = e;
	return r;
}

/* True when the symlink at path resolves to a place inside root. */
static int link_inside(const char *root, const char *path)
{
	char *r = realpath(root, NULL), *p = realpath(path, NULL);
	size_t n = r ? strlen(r) : 0;
	int in = r && p && strncmp(p, r, n) == 0 && p[n] == '/';
	free(r);
	free(p);
	return in;
}

int sidecar_video_layers(const struct config *cfg, const char *video_rel, json_object *sidecar_doc,
    struct tag_layer **layers, size_t *nlayers, json_object **owned, char *err, size_t errlen)
{
	/* one layer per folder level, the video, and room for the clip */
	size_t depth = 1;
	for (const char *p = video_rel; *p; p++)
		depth += *p == '/';
	struct tag_layer *l = xcalloc(depth + 2, sizeof *l);
	json_object *keep = json_object_new_array();
	size_t nl = 0;
	char *dir = xstrdup(video_rel);
	size_t dlen = 0; /* the prefix of video_rel that is the current folder */
	for (;;) {
		dir[dlen] = '\0';
		char *fdir = path_join(cfg->root, dir);
		char *fpath = path_join(fdir, FOLDER_META);
		free(fdir);
		struct sidecar_file m = {0};
		char w[512];
		struct stat st;
		int r = 0;
		if (lstat(fpath, &st) < 0 && errno == ENOENT) {
			free(fpath);
			goto next; /* the common case: no folder file here */
		}
		if (S_ISLNK(st.st_mode) && !link_inside(cfg->root, fpath)) {
			snprintf(w, sizeof w, "a symbolic link leads out of the backyard");
			r = -1;
		} else {
			r = sidecar_read(fpath, &m, w, sizeof w);
			if (r == 0 && m.exists)
				r = sidecar_folder_validate(cfg, m.doc, w, sizeof w);
		}
		if (r < 0) {
			vfail(err, errlen, "%s%s%s: %s", dir, *dir ? "/" : "", FOLDER_META, w);
			sidecar_file_free(&m);
			free(fpath);
			free(dir);
			free(l);
			json_object_put(keep);
			return -1;
		}
		if (m.exists) {
			json_object *src = json_object_new_string_len("", 0);
			char *s = xasprintf("folder:%s", *dir ? dir : ".");
			json_object_set_string(src, s);
			free(s);
			json_object_array_add(keep, json_object_get(m.doc));
			json_object_array_add(keep, src);
			l[nl].source = json_object_get_string(src);
			l[nl].tags = json_object_object_get(m.doc, "tags");
			nl++;
		}
		sidecar_file_free(&m);
		free(fpath);
next:
		/* next folder down, or stop at the video's own folder */
		strcpy(dir, video_rel);
		const char *next = strchr(video_rel + dlen + (dlen ? 1 : 0), '/');
		if (!next)
			break;
		dlen = (size_t)(next - video_rel);
	}
	free(dir);
	if (sidecar_doc) {
		l[nl].source = "video";
		l[nl].tags = json_object_object_get(sidecar_doc, "tags");
		nl++;
	}
	*layers = l;
	*nlayers = nl;
	*owned = keep;
	return 0;
}

int sidecar_check_effective(const struct config *cfg, const char *video_rel,
    json_object *doc, char *err, size_t errlen)
{
	struct tag_layer *layers;
	size_t nl;
	json_object *owned;
	if (sidecar_video_layers(cfg, video_rel, doc, &layers, &nl, &owned, err, errlen) < 0)
		return -2;
	json_object *clips = json_object_object_get(doc, "clips");
	size_t nclips = json_object_is_type(clips, json_type_array) ? json_object_array_length(clips) : 0;
	int r = 0;
	for (size_t i = 0; i < nclips && r == 0; i++) {
		json_object *c = json_object_array_get_idx(clips, i);
		layers[nl].source = "clip";
		layers[nl].tags = json_object_object_get(c, "tags");
		json_object *eff = tags_effective(cfg, layers, nl + 1, NULL);
		char w[512];
		if (tags_check_complete(cfg, eff, w, sizeof w) < 0) {
			const char *id = jstr(c, "id");
			if (id)
				vfail(err, errlen, "clips[%zu] (id %s): %s", i, id, w);
			else
				vfail(err, errlen, "clips[%zu]: %s", i, w);
			r = -1;
		}
		json_object_put(eff);
	}
	free(layers);
	json_object_put(owned);
	return r;
}
