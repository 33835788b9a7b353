/* medusa-serve backyard: the timeline of a video (filmstrip, waveform,
 * scene changes), made on the first request for that version of the video
 * and kept in CACHEDIR/timeline/KEY/, KEY being the video's size,
 * modification time and inode: a changed video gets a new KEY, so answers
 * asked for with ?v=KEY can be cached for good. */
#include "serve_timeline.h"
#include "atomic.h"
#include "safepath.h"
#include "timeline.h"
#include "urlenc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERROR_FILE "error.txt" /* why the video could not be read */

static const struct kind {
	const char *suffix, *file, *type;
} kinds[] = {
	{"/filmstrip.json", TIMELINE_TILES, "application/json"},
	{"/filmstrip", TIMELINE_SHEET, "image/jpeg"},
	{"/waveform", TIMELINE_PEAKS, "application/json"},
	{"/scenes", TIMELINE_SCENES, "application/json"},
};

static const struct kind *kind_of(const char *rest, size_t *rel_len)
{
	size_t n = strlen(rest);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t k = strlen(kinds[i].suffix);
		if (n > k && strcmp(rest + n - k, kinds[i].suffix) == 0) {
			*rel_len = n - k;
			return &kinds[i];
		}
	}
	return NULL;
}

static void remove_tree(const char *dir)
{
	static const char *const names[] = {TIMELINE_SHEET, TIMELINE_TILES, TIMELINE_PEAKS,
	    TIMELINE_SCENES, ERROR_FILE};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = path_join(dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

/* Makes base/key/ from the video, once: the first process takes the lock
 * and decodes, the others wait for it and find the result. The work is
 * done in base/key.tmp and renamed into place whole. A video that cannot be
 * read leaves its message in ERROR_FILE, so that it is not decoded on
 * every request; FFmpeg missing is not the video's fault and is not kept. */
static int make_entry(const char *base, const char *key, const char *video,
    char *err, size_t errlen)
{
	int lock = atomic_dir_lock(base);
	if (lock < 0) {
		snprintf(err, errlen, "%s: cannot lock: %s", base, strerror(errno));
		return -1;
	}
	char *dir = path_join(base, key), *tmp = xasprintf("%s.tmp", dir);
	int rc = 0;
	if (access(dir, F_OK) == 0)
		goto out;
	remove_tree(tmp);
	if (mkdir(tmp, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		rc = -1;
		goto out;
	}
	if (timeline_make(video, tmp, key, err, errlen) < 0) {
		if (strncmp(err, "cannot load FFmpeg", 18) == 0) {
			remove_tree(tmp);
			rc = -1;
			goto out;
		}
		remove_tree(tmp);
		char *ef = path_join(tmp, ERROR_FILE);
		if (mkdir(tmp, 0755) < 0 || atomic_write(ef, err, strlen(err), 0644) < 0)
			rc = -1;
		free(ef);
	}
	if (rc == 0 && rename(tmp, dir) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (rc == 0)
		atomic_fsync_dir(base);
out:
	atomic_dir_unlock(lock);
	free(dir);
	free(tmp);
	return rc;
}

/* ?v=KEY in the query: the page asks for this version of the video. */
static int asks_version(const char *query, const char *key)
{
	const char *q = query;
	char *k, *v;
	int found = 0, r;
	while (!found && (r = urlenc_query_next(&q, &k, &v)) == 1) {
		found = strcmp(k, "v") == 0 && strcmp(v, key) == 0;
		free(k);
		free(v);
	}
	return found;
}

static int send_entry(struct http_conn *c, const char *dir, const struct kind *k, const char *key)
{
	char *ef = path_join(dir, ERROR_FILE);
	char *msg = NULL;
	size_t len;
	int rc;
	if (atomic_read_file(ef, 4096, &msg, &len) == 0) {
		char *m = xasprintf("the video cannot be read: %s", msg);
		rc = http_error(c, 422, m);
		free(m);
		free(msg);
		free(ef);
		return rc;
	}
	free(ef);
	char *file = path_join(dir, k->file);
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(file);
	if (fd < 0)
		return http_error(c, 500, "the timeline cache lost a file");
	/* a versioned URL names these bytes forever; a plain one revalidates */
	const char *cache = asks_version(c->req.query, key) ?
	    "private, max-age=31536000, immutable" : "private, no-cache";
	char *extra = xasprintf("X-Medusa-Version: %s\r\n", key);
	rc = http_send_fd(c, fd, k->type, cache, extra);
	free(extra);
	return rc;
}

int serve_timeline(struct serve *s, struct http_conn *c, const char *rest)
{
	size_t rel_len;
	const struct kind *k = kind_of(rest, &rel_len);
	if (!k)
		return SERVE_NEXT;
	if (strcmp(c->req.method, "GET") && strcmp(c->req.method, "HEAD"))
		return serve_405(c, "GET, HEAD");
	char *abs = NULL, *clean = NULL, *base = NULL, *dir = NULL;
	const char *pwhy = NULL;
	char why[1024], key[128];
	int rc;
	int r = safepath_resolve(s->cfg->root, rest, rel_len, 1, &abs, &clean, &pwhy);
	struct stat st;
	if (r != SAFEPATH_OK) {
		rc = r == SAFEPATH_MISSING ? http_error(c, 404, "no such video") :
		    http_error(c, 403, pwhy ? pwhy : "outside the backyard");
		goto out;
	}
	if (stat(abs, &st) < 0 || !S_ISREG(st.st_mode) || !config_is_video(s->cfg, clean)) {
		rc = http_error(c, 404, "no such video");
		goto out;
	}
	http_file_etag(&st, key, sizeof key);
	memmove(key, key + 1, strlen(key) - 1);
	key[strlen(key) - 2] = '\0';
	if (!s->cachedir) {
		rc = http_error(c, 500, "no cache directory (-c)");
		goto out;
	}
	base = path_join(s->cachedir, "timeline");
	dir = path_join(base, key);
	if (access(dir, F_OK) < 0) {
		if (path_mkdir_p(base) < 0) {
			mwarnerr("%s", base);
			rc = http_error(c, 500, "the cache directory cannot be made (-c)");
			goto out;
		}
		if (make_entry(base, key, abs, why, sizeof why) < 0) {
			mwarn("%s: %s", clean, why);
			rc = http_error(c, 500, why);
			goto out;
		}
	}
	rc = send_entry(c, dir, k, key);
out:
	free(abs);
	free(clean);
	free(base);
	free(dir);
	return rc;
}
