/* publish_clean.c: what a publish run does after its commit
 * (publish_int.h): the files whose grace period ran out leave storage,
 * the work folders of the clips it touched are tidied, and storage is
 * swept when a killed run may have left files in it. */
#include "publish_int.h"
#include "hash.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 256               /* keys a storage removal takes at once */

static void remove_keys(struct publish *p, char **keys, size_t n)
{
	if (n && store_remove(p->st, (const char *const *)keys, n) < 0) {
		mwarn("%s: some unused files could not be removed (the next run retries)", p->st->url);
		p->leftovers = 1;
	}
	p->removed += (long long)n;
	if (n)
		publish_crash_point();
}

struct orphans {
	struct publish *p;
	long long n, keys;
	char *chunk[CHUNK];
	size_t nchunk;
};

static int each_key(void *arg, const char *key, long long size)
{
	struct orphans *o = arg;
	o->keys++;
	int r = metastore_orphan(o->p->run, key);
	if (r > 0)
		o->n++;
	return r < 0 ? -1 : 0;
}

static void remove_chunk(struct orphans *o)
{
	remove_keys(o->p, o->chunk, o->nchunk);
	while (o->nchunk)
		free(o->chunk[--o->nchunk]);
}

static int each_orphan(void *arg, const char *key)
{
	struct orphans *o = arg;
	o->chunk[o->nchunk++] = xstrdup(key);
	if (o->nchunk == CHUNK)
		remove_chunk(o);
	return 0;
}

/* Files under clips/ that neither a row nor the garbage table names: put
 * by a run that was killed before its commit. Only when one was (the dirty
 * mark): listing storage costs what storage holds. */
int publish_sweep(struct publish *p)
{
	struct orphans o = {.p = p};
	if (store_list(p->st, "clips/", each_key, &o) != 0) {
		mwarn("%s: cannot list storage: files a killed run left stay", p->st->url);
		return -1;
	}
	if (o.n * 2 > o.keys && o.n > 8 && !p->force) {
		mwarn("%s: %lld of %lld files are named by no clip; not removing so many "
		    "(--force does)", p->st->url, o.n, o.keys);
		return -1;
	}
	int r = metastore_each_orphan(p->run, each_orphan, &o);
	remove_chunk(&o);
	return r;
}

/* A name medusa-cut or atomic writes give a temporary file. */
static int temporary(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp.") != NULL;
}

/* Removes the plain files of a work folder (all, or only temporaries) and,
 * when all went, the folder. */
static int empty_folder(const char *dir, int only_tmp)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *f;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((f = readdir(d))) {
		struct stat st;
		if (!strcmp(f->d_name, ".") || !strcmp(f->d_name, "..") || (only_tmp && !temporary(f->d_name)))
			continue;
		if (fstatat(fd, f->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    unlinkat(fd, f->d_name, 0) < 0)
			mwarnerr("%s/%s", dir, f->d_name);
	}
	closedir(d);
	return !only_tmp && rmdir(dir) == 0;
}

/* The work folder WORK/CLIP of one clip: version folders that no row and
 * no garbage entry names go (pruned clips, replaced versions), and in the
 * others the temporary files a killed medusa-cut left. Skipped while a
 * medusa-cut works on the clip (it holds the folder's lock). */
static int clean_clip_folder(void *arg, const char *clip)
{
	struct publish *p = arg;
	if (!clip_id_valid(clip))
		return 0;
	char *cdir = path_join(p->workdir, clip);
	int lock = open(cdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *cd = NULL;
	struct dirent *v;
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0 || !(cd = opendir(cdir)))
		goto out;
	while ((v = readdir(cd))) {
		if (!publish_valid_hex(v->d_name, 1, 64))
			continue;
		char *lo = xasprintf("clips/%s/%s/", clip, v->d_name);
		char *hi = xasprintf("clips/%s/%s0", clip, v->d_name);
		int named = metastore_named_between(p->run, lo, hi);
		free(lo);
		free(hi);
		char *vdir = path_join(cdir, v->d_name);
		if (named == 0)
			empty_folder(vdir, 0);
		else if (named == 1)
			empty_folder(vdir, 1);
		free(vdir);
	}
out:
	if (cd)
		closedir(cd);
	if (lock >= 0)
		close(lock); /* and its lock */
	rmdir(cdir); /* when it is empty now */
	free(cdir);
	return 0;
}

/* Never a walk of the whole work directory: the folders of the clips this
 * run put, changed or removed files of. */
void publish_clean_workdir(struct publish *p)
{
	metastore_each_touched(p->run, clean_clip_folder, p);
}

/* The clip of a key clips/CLIP/..., for the work folder to tidy. */
static int touch_key(struct publish *p, const char *key)
{
	if (!p->workdir || strncmp(key, "clips/", 6))
		return 0;
	const char *s = key + 6, *e = strchr(s, '/');
	if (!e)
		return 0;
	char *clip = strndup(s, (size_t)(e - s));
	if (!clip)
		mdie(EXIT_USAGE, "out of memory");
	int r = publish_touch(p, clip);
	free(clip);
	return r;
}

struct due {
	char **keys;
	size_t n, cap;
};

static int due_each(void *arg, const char *key)
{
	struct due *d = arg;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : CHUNK;
		d->keys = xrealloc(d->keys, d->cap * sizeof *d->keys);
	}
	d->keys[d->n++] = xstrdup(key);
	return 0;
}

/* Removes the files no row has named for the grace period, then forgets
 * them: a kill in between leaves them listed, and the next run removes
 * them again (a missing key is no error). */
int publish_remove_due(struct publish *p)
{
	struct due d = {NULL, 0, 0};
	int r = metastore_garbage_due(p->ms, p->now - p->grace, due_each, &d);
	for (size_t at = 0; r == 0 && at < d.n; at += CHUNK) {
		size_t n = d.n - at < CHUNK ? d.n - at : CHUNK, fails = p->leftovers;
		remove_keys(p, d.keys + at, n);
		if (p->leftovers && !fails)
			break; /* listed still: retried next time */
		if (metastore_begin(p->ms) < 0) {
			r = -1;
			break;
		}
		for (size_t i = at; r == 0 && i < at + n; i++)
			r = metastore_garbage_gone(p->ms, d.keys[i]) < 0 || touch_key(p, d.keys[i]) < 0 ? -1 : 0;
		if (r < 0 || metastore_commit(p->ms) < 0) {
			metastore_rollback(p->ms);
			r = -1;
		}
	}
	for (size_t i = 0; i < d.n; i++)
		free(d.keys[i]);
	free(d.keys);
	return r;
}
