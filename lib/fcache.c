/* The frontyard listing cache: built from the metastore, read by mmap. */
#include "fcache.h"
#include "atomic.h"
#include "metastore.h"
#include "ndjson.h"
#include "rmeta.h"
#include "sandbox.h"
#include "serve.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FACET_MAX_VALUES 1000   /* per tag: a free-text tag would not help as a facet */

struct build {
	json_object **clips;
	size_t n, cap;
};

static int collect(void *arg, json_object *clip)
{
	struct build *b = arg;
	/* "id" first, so a reader finds a clip by its line's prefix */
	json_object *o = json_object_new_object();
	json_object *id = json_object_object_get(clip, "id");
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_foreach(clip, k, v)
		if (strcmp(k, "id") != 0)
			json_object_object_add(o, k, json_object_get(v));
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->clips = xrealloc(b->clips, b->cap * sizeof *b->clips);
	}
	b->clips[b->n++] = o;
	return 0;
}

static long long num(json_object *o, const char *k)
{
	json_object *v = json_object_object_get(o, k);
	return v ? json_object_get_int64(v) : 0;
}

static int newest_first(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	long long ux = num(x, "updated"), uy = num(y, "updated");
	if (ux != uy)
		return ux > uy ? -1 : 1;
	const char *ix = json_object_get_string(json_object_object_get(x, "id"));
	const char *iy = json_object_get_string(json_object_object_get(y, "id"));
	return strcmp(ix ? ix : "", iy ? iy : "");
}

void fcache_facet_add(json_object *facets, const char *tag, json_object *v)
{
	if (!v || json_object_is_type(v, json_type_object))
		return;
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			fcache_facet_add(facets, tag, json_object_array_get_idx(v, i));
		return;
	}
	if (json_object_is_type(v, json_type_double))
		return;     /* measurements, not categories */
	json_object *t = json_object_object_get(facets, tag);
	if (!t) {
		t = json_object_new_object();
		json_object_object_add(facets, tag, t);
	}
	const char *s = json_object_get_string(v);
	json_object *cnt = json_object_object_get(t, s);
	if (cnt)
		json_object_set_int64(cnt, json_object_get_int64(cnt) + 1);
	else if (json_object_object_length(t) < FACET_MAX_VALUES)
		json_object_object_add(t, s, json_object_new_int64(1));
}

/* The whole cache text into *out. 0 or -1 with why. */
static int build(const char *metastore, const char *base_url, const struct config *cfg,
    char **out, size_t *outlen, long long *gen, char *why, size_t n)
{
	char w[512];
	struct metastore *ms = metastore_open(metastore, MS_READONLY, w, sizeof w);
	if (!ms) {
		snprintf(why, n, "%s", w);
		return -1;
	}
	struct build b = {0};
	long long updated = 0;
	int rc = -1;
	char *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	/* one read transaction: the generation and the clips agree */
	if (sqlite3_exec(metastore_db(ms), "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    metastore_generation(ms, gen, &updated) < 0 ||
	    metastore_each_clip(ms, base_url, collect, &b) != 0) {
		snprintf(why, n, "%s: cannot read the metastore", metastore);
		goto out;
	}
	if (b.n > 1)
		qsort(b.clips, b.n, sizeof *b.clips, newest_first);
	json_object *facets = json_object_new_object();
	for (size_t i = 0; i < b.n; i++) {
		json_object_object_foreach(json_object_object_get(b.clips[i], "tags"), k, v)
			fcache_facet_add(facets, k, v);
	}
	json_object *head = json_object_new_object();
	json_object_object_add(head, "generation", json_object_new_int64(*gen));
	json_object_object_add(head, "updated", json_object_new_int64(updated));
	json_object_object_add(head, "total", json_object_new_int64((long long)b.n));
	json_object *tags = serve_tags_json(cfg);
	json_object_object_add(head, "tags", cfg ? json_object_get(json_object_object_get(tags, "tags")) : NULL);
	json_object_put(tags);
	json_object_object_add(head, "facets", facets);
	json_object_object_add(head, "base", base_url ? json_object_new_string(base_url) : NULL);
	f = open_memstream(&text, &len);
	if (!f)
		mdie(EXIT_USAGE, "out of memory");
	int bad = ndjson_write(f, head);
	json_object_put(head);
	for (size_t i = 0; i < b.n && !bad; i++)
		bad = ndjson_write(f, b.clips[i]);
	if (fclose(f) != 0 || bad)
		mdie(EXIT_USAGE, "out of memory");
	*out = text;
	*outlen = len;
	text = NULL;
	rc = 0;
out:
	sqlite3_exec(metastore_db(ms), "COMMIT", NULL, NULL, NULL);
	for (size_t i = 0; i < b.n; i++)
		json_object_put(b.clips[i]);
	free(b.clips);
	free(text);
	metastore_close(ms);
	return rc;
}

/* Indexes text (owned by fc) into lines and parses line 1. 0 or -1. */
static int index_text(struct fcache *fc, const char *what, char *why, size_t n)
{
	const char *p = fc->text;
	const char *nl = memchr(p, '\n', fc->len);
	char w[256];
	if (!nl || !(fc->head = json_parse_strict(p, (size_t)(nl - p), w, sizeof w)) ||
	    jint64(fc->head, "generation", &fc->generation) < 0) {
		snprintf(why, n, "%s: not a medusa cache (remove it)", what);
		return -1;
	}
	jint64(fc->head, "updated", &fc->updated);
	jint64(fc->head, "total", &fc->total);
	/* no more lines than bytes, whatever the header says */
	fc->cap = fc->total > 0 && (unsigned long long)fc->total < fc->len ? (size_t)fc->total : 16;
	fc->line = xmalloc(fc->cap * sizeof *fc->line);
	fc->linelen = xmalloc(fc->cap * sizeof *fc->linelen);
	fc->parsed = xcalloc(fc->cap, sizeof *fc->parsed);
	fc->scan = nl + 1;
	return 0;
}

int fcache_line(struct fcache *fc, size_t i, const char **line, size_t *len)
{
	const char *end = fc->text + fc->len;
	while (fc->n <= i && fc->scan < end) {
		const char *p = fc->scan, *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		fc->scan = nl + 1;
		if (nl == p)
			continue;
		if (fc->n == fc->cap) {
			size_t old = fc->cap;
			fc->cap *= 2;
			fc->line = xrealloc(fc->line, fc->cap * sizeof *fc->line);
			fc->linelen = xrealloc(fc->linelen, fc->cap * sizeof *fc->linelen);
			fc->parsed = xrealloc(fc->parsed, fc->cap * sizeof *fc->parsed);
			memset(fc->parsed + old, 0, (fc->cap - old) * sizeof *fc->parsed);
		}
		fc->line[fc->n] = p;
		fc->linelen[fc->n++] = (size_t)(nl - p);
	}
	if (fc->scan >= end)
		fc->total = (long long)fc->n;   /* the file, not its header, has the last word */
	if (i >= fc->n)
		return 0;
	*line = fc->line[i];
	*len = fc->linelen[i];
	return 1;
}

static struct fcache *from_buffer(char *text, size_t len, const char *what, char *why, size_t n)
{
	struct fcache *fc = xcalloc(1, sizeof *fc);
	fc->text = text;
	fc->len = len;
	if (index_text(fc, what, why, n) < 0) {
		fcache_free(fc);
		return NULL;
	}
	return fc;
}

/* Maps path; NULL with errno (ENOENT when absent) or why. */
static struct fcache *load(const char *path, char *why, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		close(fd);
		errno = ENOENT;     /* an empty file: rebuild it */
		return NULL;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	struct fcache *fc = xcalloc(1, sizeof *fc);
	fc->text = m;
	fc->len = (size_t)st.st_size;
	fc->mapped = 1;
	if (index_text(fc, path, why, n) < 0) {
		fcache_free(fc);
		errno = EINVAL;
		return NULL;
	}
	return fc;
}

/* Whether a cache was built for these settings: the same file URL base
 * and tag set (a server restarted with other options rebuilds it). */
static int fits(const struct fcache *fc, const char *base_url, const struct config *cfg)
{
	const char *b = jstr(fc->head, "base");
	if ((b == NULL) != (base_url == NULL) || (b && strcmp(b, base_url) != 0))
		return 0;
	json_object *mine = serve_tags_json(cfg);
	json_object *want = cfg ? json_object_object_get(mine, "tags") : NULL;
	json_object *have = json_object_object_get(fc->head, "tags");
	int same = json_object_equal(want, have);
	json_object_put(mine);
	return same;
}

static int stale(const char *path, int refresh)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 1;
	return time(NULL) - st.st_mtim.tv_sec >= refresh;
}

/* Copies src to dst when it is a whole database: no writer has a -wal file
 * beside it before or after, and it did not change meanwhile (in WAL mode
 * the main file changes only by a checkpoint, which needs the -wal). */
static int copy_quiet_db(const char *src, const char *dst)
{
	char *wal = xasprintf("%s-wal", src), *tmp = NULL;
	struct stat a, b;
	int in = -1, out = -1, rc = -1;
	if (access(wal, F_OK) == 0 || stat(src, &a) < 0)
		goto done;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 || (out = tmpfile_beside(dst, &tmp)) < 0)
		goto done;
	char buf[1 << 16];
	ssize_t k;
	while ((k = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)k) != k)
			goto done;
	if (k < 0 || stat(src, &b) < 0 || access(wal, F_OK) == 0 ||
	    a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
	    a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
		goto done;
	rc = commit_tmpfile(out, tmp, dst);
	out = -1;
done:
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	if (in >= 0)
		close(in);
	free(tmp);
	free(wal);
	return rc;
}

/* Opens the metastore to read. A reader of a WAL database must be able to
 * make its -shm file: a server that may not write the metastore's folder
 * (www-data reading the publisher's files) reads a copy in the cache
 * directory instead, taken while no writer is connected (*copy: its path). */
static struct metastore *open_readonly(const char *metastore, const char *cachedir, char **copy,
    char *w, size_t n)
{
	char *dir = path_dirname(metastore), *shm = xasprintf("%s-shm", metastore);
	/* without a -shm file to share, SQLite would have to make one */
	int copying = !sandbox_may_write(dir) && access(shm, F_OK) < 0 && access(metastore, R_OK) == 0;
	free(dir);
	free(shm);
	if (!copying)
		return metastore_open(metastore, MS_READONLY, w, n);
	struct metastore *ms;
	char *c = path_join(cachedir, "metastore-copy.sqlite");
	if (copy_quiet_db(metastore, c) < 0) {
		snprintf(w, n, "%s: cannot make a -shm file beside it nor copy it now", metastore);
		free(c);
		return NULL;
	}
	if (!(ms = metastore_open(c, MS_READONLY, w, n))) {
		free(c);
		return NULL;
	}
	*copy = c;
	return ms;
}

struct fcache *fcache_get(const char *cachedir, const char *metastore, const char *remote,
    const char *base_url, const struct config *cfg, int refresh, int force, char *why, size_t n)
{
	char *path = path_join(cachedir, FCACHE_FILE);
	struct fcache *fc = NULL;
	char *copy = NULL;
	int lock = -1, fetched = 2;
	if (!force && !stale(path, refresh)) {
		fc = load(path, why, n);
		if (fc && fits(fc, base_url, cfg))
			goto out;
		/* missing, unreadable or damaged: made again below */
		fcache_free(fc);
		fc = NULL;
	}
	/* one process rebuilds, the others wait and read its file */
	if (path_mkdir_p(cachedir) == 0)
		lock = dir_lock(cachedir);
	long long cur = -1, upd;
	char w[512];
	/* a replica: bring the local copy up to the remote generation (under
	 * the lock: one download, not one per process) */
	if (remote)
		fetched = rmeta_fetch_url(remote, metastore, NULL);
	if (fetched < 0)
		mwarn("%s: keeping the local copy of the metastore", remote);
	struct metastore *ms = open_readonly(metastore, cachedir, &copy, w, sizeof w);
	if (copy)
		metastore = copy;
	if (!ms || metastore_generation(ms, &cur, &upd) < 0) {
		metastore_close(ms);
		/* the metastore is away (a sync replacing it): the last cache will do */
		fc = load(path, why, n);
		if (!fc)
			snprintf(why, n, "%s", ms ? "cannot read the metastore generation" : w);
		goto out;
	}
	metastore_close(ms);
	/* a re-cache (force) or a stale cache: rebuilt only when the
	 * generation moved, so a burst of re-caches costs one rebuild */
	fc = load(path, why, n);
	if (fc && fc->generation == cur && fits(fc, base_url, cfg)) {
		/* still current: others need not ask SQLite for another while */
		(void)utimensat(AT_FDCWD, path, NULL, 0);
		goto out;
	}
	fcache_free(fc);
	fc = NULL;
	char *text = NULL;
	size_t len = 0;
	long long gen;
	if (build(metastore, base_url, cfg, &text, &len, &gen, why, n) < 0)
		goto out;
	if (lock < 0 || atomic_write(path, text, len, 0644) < 0) {
		static int warned;
		if (!warned++)
			mwarnerr("%s: cannot write the cache, keeping it in memory", path);
	}
	fc = from_buffer(text, len, path, why, n);
out:
	if (fc)
		fc->fetched = fetched;
	if (lock >= 0)
		dir_unlock(lock);
	free(copy);
	free(path);
	return fc;
}

void fcache_free(struct fcache *fc)
{
	if (!fc)
		return;
	if (fc->mapped)
		munmap(fc->text, fc->len);
	else
		free(fc->text);
	json_object_put(fc->head);
	for (size_t i = 0; fc->parsed && i < fc->n; i++)
		json_object_put(fc->parsed[i]);
	free(fc->parsed);
	free(fc->line);
	free(fc->linelen);
	free(fc);
}

json_object *fcache_clip(struct fcache *fc, size_t i)
{
	const char *l;
	size_t n;
	if (!fcache_line(fc, i, &l, &n))
		return NULL;
	if (!fc->parsed[i]) {
		char w[128];
		fc->parsed[i] = json_parse_strict(l, n, w, sizeof w);
	}
	return fc->parsed[i];
}

long fcache_find(struct fcache *fc, const char *id)
{
	size_t k = strlen(id), n;
	const char *l;
	for (size_t i = 0; fcache_line(fc, i, &l, &n); i++)
		if (n > k + 8 && memcmp(l, "{\"id\":\"", 7) == 0 && memcmp(l + 7, id, k) == 0 &&
		    l[7 + k] == '"')
			return (long)i;
	return -1;
}
