/* fcache.c: the listing index kept current with the metastore (fcache.h). */
#include "fcache.h"
#include "atomic.h"
#include "metastore.h"
#include "ndjson.h"
#include "sandbox.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAMP_MAGIC 0x4d445354u        /* "MDST" */

/* What the metastore's files look like: a commit changes some of it. */
struct msig {
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	unsigned char counter[4];       /* the file change counter (rollback-journal commits) */
	int wal;
	ino_t wino;
	off_t wsize;
	unsigned char whdr[32];         /* checkpoint sequence and salts */
};

struct stamp {
	uint32_t magic, pad;
	long long generation;
	struct msig sig;
};

struct fcache {
	char *cachedir, *metastore, *wal, *base_url, *key, *path, *stamp;
	const struct config *cfg;
	json_object *tags;
	const struct rule *where;
	char *where_text;
	struct findex *fx;
	long long generation;
	struct msig sig;                /* the files when fx was found current */
	int dbfd, walfd;                /* kept open to read their headers */
	ino_t dbfd_ino, walfd_ino;
};

/* The settings an index is built for, named by a hash (the file name). */
static char *settings_key(const struct fcache *fc)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "index", json_object_new_int(1));
	json_object_object_add(o, "metastore", json_object_new_string(fc->metastore));
	json_object_object_add(o, "base", fc->base_url ? json_object_new_string(fc->base_url) : NULL);
	json_object_object_add(o, "tags", json_object_get(fc->tags));
	json_object_object_add(o, "where", json_object_new_string(fc->where_text));
	char *c = json_canonical(o);
	json_object_put(o);
	unsigned char h[8];
	crypto_generichash(h, sizeof h, (const unsigned char *)c, strlen(c), NULL, 0);
	free(c);
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return xstrdup(hex);
}

struct fcache *fcache_new(const struct fcache_opts *o)
{
	struct fcache *fc = xcalloc(1, sizeof *fc);
	fc->cachedir = xstrdup(o->cachedir);
	fc->metastore = xstrdup(o->metastore);
	fc->wal = xasprintf("%s-wal", o->metastore);
	fc->base_url = o->base_url ? xstrdup(o->base_url) : NULL;
	fc->cfg = o->cfg;
	fc->tags = json_object_get(o->tags);
	fc->where = o->where;
	fc->where_text = rule_canonical(o->where);
	fc->key = settings_key(fc);
	char *name = xasprintf("clips-%s.idx", fc->key);
	fc->path = path_join(fc->cachedir, name);
	free(name);
	name = xasprintf("clips-%s.stamp", fc->key);
	fc->stamp = path_join(fc->cachedir, name);
	free(name);
	fc->dbfd = fc->walfd = -1;
	fc->generation = -1;
	return fc;
}

void fcache_free(struct fcache *fc)
{
	if (!fc)
		return;
	findex_free(fc->fx);
	if (fc->dbfd >= 0)
		close(fc->dbfd);
	if (fc->walfd >= 0)
		close(fc->walfd);
	json_object_put(fc->tags);
	free(fc->cachedir);
	free(fc->metastore);
	free(fc->wal);
	free(fc->base_url);
	free(fc->where_text);
	free(fc->key);
	free(fc->path);
	free(fc->stamp);
	free(fc);
}

/* ---------- has the metastore moved? ---------- */

/* Reads n bytes at off of path through *fd, kept open while path is that
 * inode. 0, or -1 (then the bytes are zero). */
static int read_head(const char *path, ino_t ino, int *fd, ino_t *fdino, off_t off,
    unsigned char *out, size_t n)
{
	memset(out, 0, n);
	if (*fd >= 0 && *fdino != ino) {
		close(*fd);
		*fd = -1;
	}
	if (*fd < 0) {
		*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (*fd < 0)
			return -1;
		*fdino = ino;
	}
	return pread(*fd, out, n, off) == (ssize_t)n ? 0 : -1;
}

static void msig_read(struct fcache *fc, struct msig *s)
{
	struct stat st;
	memset(s, 0, sizeof *s);
	if (stat(fc->metastore, &st) < 0)
		return;
	s->present = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtim = st.st_mtim;
	(void)read_head(fc->metastore, st.st_ino, &fc->dbfd, &fc->dbfd_ino, 24, s->counter,
	    sizeof s->counter);
	if (stat(fc->wal, &st) < 0)
		return;
	s->wal = 1;
	s->wino = st.st_ino;
	s->wsize = st.st_size;
	(void)read_head(fc->wal, st.st_ino, &fc->walfd, &fc->walfd_ino, 0, s->whdr, sizeof s->whdr);
}

static int msig_same(const struct msig *a, const struct msig *b)
{
	return a->present && b->present && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec && !memcmp(a->counter, b->counter, sizeof a->counter) &&
	    a->wal == b->wal && a->wino == b->wino && a->wsize == b->wsize &&
	    !memcmp(a->whdr, b->whdr, sizeof a->whdr);
}

static int stamp_read(const struct fcache *fc, struct stamp *st)
{
	int fd = open(fc->stamp, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, st, sizeof *st);
	close(fd);
	return r == (ssize_t)sizeof *st && st->magic == STAMP_MAGIC ? 0 : -1;
}

/* Renamed into place, not synced: it is only a shortcut for others, and
 * one that a crash tore is refused by its size and magic. */
static void stamp_write(const struct fcache *fc, long long gen, const struct msig *sig)
{
	struct stamp st;
	char *tmp;
	memset(&st, 0, sizeof st);
	st.magic = STAMP_MAGIC;
	st.generation = gen;
	st.sig = *sig;
	int fd = atomic_tmpfile_beside(fc->stamp, &tmp);
	if (fd < 0)
		return;
	/* other users' servers (inetd as nobody) read it too */
	int ok = fchmod(fd, 0644) == 0 && write(fd, &st, sizeof st) == (ssize_t)sizeof st;
	if (close(fd) < 0 || !ok || rename(tmp, fc->stamp) < 0)
		unlink(tmp);
	free(tmp);
}

/* ---------- the index of a generation ---------- */

/* The metastore file an index was built from: a replica's copy is
 * replaced whole (by rename), and may hold another snapshot of the same
 * generation (medusa-sync after a publication rule narrowed). */
static char *file_id(const struct msig *sig)
{
	return xasprintf("%llx:%llx", (unsigned long long)sig->dev, (unsigned long long)sig->ino);
}

/* fx when it is the index of generation gen of this file (sig) for these
 * settings. */
static int fits(const struct fcache *fc, struct findex *fx, long long gen, const struct msig *sig)
{
	long long g = -2;
	const char *k = jstr(findex_head(fx), "key"), *f = jstr(findex_head(fx), "file");
	char *want = file_id(sig);
	int ok = jint64(findex_head(fx), "generation", &g) == 0 && g == gen && k &&
	    strcmp(k, fc->key) == 0 && f && strcmp(f, want) == 0;
	free(want);
	return ok;
}

/* Replaces the index held (fx taken). */
static void hold(struct fcache *fc, struct findex *fx, const struct msig *sig)
{
	if (fx != fc->fx) {
		findex_free(fc->fx);
		fc->fx = fx;
	}
	jint64(findex_head(fx), "generation", &fc->generation);
	fc->sig = *sig;
}

/* The index file when it is that of generation gen of the file sig
 * describes (gen < 0: any), else NULL. */
static struct findex *load(struct fcache *fc, long long gen, const struct msig *sig)
{
	char why[512];
	if (fc->fx && gen >= 0 && fits(fc, fc->fx, gen, sig))
		return fc->fx;
	struct findex *fx = findex_open(fc->path, why, sizeof why);
	if (!fx && errno == EINVAL)
		mwarn("%s", why);       /* damaged: made again */
	if (fx && (gen < 0 || fits(fc, fx, gen, sig)))
		return fx;
	findex_free(fx);
	return NULL;
}

int fcache_dir(const char *dir)
{
	return path_mkdir_p(dir);
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
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 || (out = atomic_tmpfile_beside(dst, &tmp)) < 0)
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
	rc = atomic_commit_tmpfile(out, tmp, dst);
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
 * directory instead, taken while no writer is connected. */
static struct metastore *open_readonly(const struct fcache *fc, char *w, size_t n)
{
	char *dir = path_dirname(fc->metastore), *shm = xasprintf("%s-shm", fc->metastore);
	/* without a -shm file to share, SQLite would have to make one */
	int copying = !sandbox_may_write(dir) && access(shm, F_OK) < 0 && access(fc->metastore, R_OK) == 0;
	free(dir);
	free(shm);
	if (!copying)
		return metastore_open(fc->metastore, MS_READONLY, w, n);
	char *c = path_join(fc->cachedir, "metastore-copy.sqlite");
	struct metastore *ms = NULL;
	if (copy_quiet_db(fc->metastore, c) < 0)
		snprintf(w, n, "%s: cannot make a -shm file beside it nor copy it now", fc->metastore);
	else
		ms = metastore_open(c, MS_READONLY, w, n);
	free(c);
	return ms;
}

static int add_clip(void *arg, json_object *clip)
{
	findex_builder_add(arg, clip);
	return 0;
}

/* The index of the metastore's generation, built in one read transaction
 * (the generation and the clips agree): *out, *len. 0 or -1 with err. */
static int build(const struct fcache *fc, struct metastore *ms, const struct msig *sig,
    long long *gen, char **out, size_t *len, char *err, size_t errlen)
{
	long long updated = 0;
	struct findex_builder *b = findex_builder_new(fc->cfg, fc->where);
	int rc = -1;
	if (metastore_read_begin(ms) < 0 ||
	    metastore_generation(ms, gen, &updated) < 0 ||
	    metastore_each_clip(ms, fc->base_url, add_clip, b) != 0) {
		snprintf(err, errlen, "%s: cannot read the metastore", fc->metastore);
	} else {
		json_object *head = json_object_new_object();
		json_object_object_add(head, "generation", json_object_new_int64(*gen));
		json_object_object_add(head, "updated", json_object_new_int64(updated));
		json_object_object_add(head, "tags", json_object_get(fc->tags));
		json_object_object_add(head, "base", fc->base_url ? json_object_new_string(fc->base_url) : NULL);
		json_object_object_add(head, "where", *fc->where_text ? json_object_new_string(fc->where_text) : NULL);
		json_object_object_add(head, "key", json_object_new_string(fc->key));
		char *f = file_id(sig);
		json_object_object_add(head, "file", json_object_new_string(f));
		free(f);
		findex_builder_finish(b, head, out, len);
		rc = 0;
	}
	metastore_read_end(ms);
	findex_builder_free(b);
	return rc;
}

/* A new index written where others find it (kept in memory only when it
 * cannot be written). NULL with err. */
static struct findex *make(struct fcache *fc, struct metastore *ms, const struct msig *sig,
    int locked, char *err, size_t errlen)
{
	char *text;
	size_t len;
	long long gen;
	if (build(fc, ms, sig, &gen, &text, &len, err, errlen) < 0)
		return NULL;
	if (locked && atomic_write(fc->path, text, len, 0644) == 0) {
		free(text);
		struct findex *fx = findex_open(fc->path, err, errlen);
		if (fx)
			return fx;
		return NULL;
	}
	static int warned;
	if (!warned++)
		mwarnerr("%s: cannot write the listing index, keeping it in memory", fc->path);
	return findex_from_buffer(text, len, err, errlen);
}

/* Under the cache lock: read the generation, then load or make its index. */
static struct findex *refresh(struct fcache *fc, const struct msig *sig, int locked, char *err,
    size_t errlen)
{
	char w[512];
	long long gen = -1, upd;
	struct metastore *ms = open_readonly(fc, w, sizeof w);
	if (!ms || metastore_generation(ms, &gen, &upd) < 0) {
		metastore_close(ms);
		/* the metastore is away (a sync replacing it): the last index will do */
		struct findex *fx = fc->fx ? fc->fx : load(fc, -1, sig);
		if (!fx)
			snprintf(err, errlen, "%s", ms ? "cannot read the metastore generation" : w);
		return fx;
	}
	struct findex *fx = load(fc, gen, sig);
	if (!fx)
		fx = make(fc, ms, sig, locked, err, errlen);
	metastore_close(ms);
	if (fx && locked)
		stamp_write(fc, gen, sig);
	return fx;
}

struct findex *fcache_current(struct fcache *fc, int force, char *err, size_t errlen)
{
	struct msig now;
	struct stamp st;
	/* the files first: a commit after this is seen by the next request */
	msig_read(fc, &now);
	if (!force && fc->fx && msig_same(&now, &fc->sig))
		return fc->fx;
	/* another process may have checked this state of the files already */
	if (!force && stamp_read(fc, &st) == 0 && msig_same(&now, &st.sig)) {
		struct findex *fx = load(fc, st.generation, &now);
		if (fx) {
			hold(fc, fx, &now);
			return fx;
		}
	}
	/* one process reads the metastore and builds, the others wait */
	int lock = fcache_dir(fc->cachedir) == 0 ? atomic_dir_lock(fc->cachedir) : -1;
	if (lock >= 0 && !force && stamp_read(fc, &st) == 0 && msig_same(&now, &st.sig)) {
		struct findex *fx = load(fc, st.generation, &now);
		if (fx) {
			atomic_dir_unlock(lock);
			hold(fc, fx, &now);
			return fx;
		}
	}
	struct findex *fx = refresh(fc, &now, lock >= 0, err, errlen);
	atomic_dir_unlock(lock);
	if (fx) {
		hold(fc, fx, &now);
	} else if (fc->fx) {
		/* a metastore that cannot be read now: what was served stays (and
		 * the next request tries again) */
		mwarn("%s", err);
		fx = fc->fx;
	}
	return fx;
}
