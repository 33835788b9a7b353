/* The records of renditions made, kept in one file of the work directory
 * (DIR/.renditions), so that a run with nothing to do reads one file and
 * stats each rendition instead of opening the record beside each one.
 *
 * A line: "INO SIZE MSEC MNSEC REL\tRECORD\n", REL the rendition's path
 * under DIR (CLIP/VERSION/NAME.EXT: no space, tab or newline in it), RECORD
 * its record (one line of JSON). Lines are appended (one write(2) each,
 * O_APPEND), the last one of a path winning; a line counts only while the
 * file's inode, size and mtime (with nanoseconds) are still those. The
 * records beside the files stay what counts: this is a cache. Once the file
 * has twice the lines it had when last rewritten, it is rewritten whole
 * with the live ones (not superseded, their files still there as they
 * were), under a first line "#medusa-renditions LIVE". */
#include "media.h"
#include "atomic.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct ix_entry {
	const char *key;            /* into the map, or owned (heap) */
	size_t klen;
	const char *rec;            /* the same */
	size_t rlen;
	uint64_t ino;
	int64_t size, msec, mnsec;
	int heap, used;
};

struct media_index {
	pthread_mutex_t mu;
	char *path;
	int dirfd;                  /* DIR, for stats at compaction */
	int fd;                     /* for appending, or -1 */
	char *map;
	size_t maplen;
	struct ix_entry *slots;
	size_t cap, n, lines, used;
	size_t base;                /* live lines at the last rewrite */
};

static uint64_t hash_of(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static size_t slot_of(const struct media_index *x, const char *key, size_t klen)
{
	size_t i = (size_t)hash_of(key, klen) & (x->cap - 1);
	while (x->slots[i].key && (x->slots[i].klen != klen || memcmp(x->slots[i].key, key, klen)))
		i = (i + 1) & (x->cap - 1);
	return i;
}

static void free_entry(struct ix_entry *e)
{
	if (e->heap) {
		free((char *)e->key);
		free((char *)e->rec);
	}
}

static void put_entry(struct media_index *x, const struct ix_entry *e)
{
	if (2 * (x->n + 1) > x->cap) {
		struct ix_entry *old = x->slots;
		size_t ocap = x->cap;
		x->cap = ocap ? 2 * ocap : 4096;
		x->slots = xcalloc(x->cap, sizeof *x->slots);
		for (size_t i = 0; i < ocap; i++)
			if (old[i].key)
				x->slots[slot_of(x, old[i].key, old[i].klen)] = old[i];
		free(old);
	}
	struct ix_entry *s = &x->slots[slot_of(x, e->key, e->klen)];
	if (s->key)
		free_entry(s);
	else
		x->n++;
	*s = *e;
}

/* One line of the map into e; the line's end is at nl. 0 or -1. */
static int parse_line(char *line, char *nl, struct ix_entry *e)
{
	char *tab = memchr(line, '\t', (size_t)(nl - line)), *k = NULL;
	if (!tab)
		return -1;
	*tab = 0;
	int used = 0;
	if (sscanf(line, "%" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %n", &e->ino, &e->size,
	    &e->msec, &e->mnsec, &used) != 4 || !used)
		return -1;
	k = line + used;
	e->key = k;
	e->klen = (size_t)(tab - k);
	e->rec = tab + 1;
	e->rlen = (size_t)(nl - tab - 1);
	e->heap = e->used = 0;
	return e->klen && e->rlen && !memchr(k, ' ', e->klen) ? 0 : -1;
}

static void load(struct media_index *x)
{
	int fd = openat(x->dirfd, ".renditions", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		/* private: the lines are cut up in place */
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			x->map = m;
			x->maplen = (size_t)st.st_size;
		}
	}
	close(fd);
	for (char *line = x->map; line && line < x->map + x->maplen;) {
		char *nl = memchr(line, '\n', (size_t)(x->map + x->maplen - line));
		struct ix_entry e;
		unsigned long long base;
		/* a line cut short by a crash is not one */
		if (!nl)
			break;
		if (line == x->map && sscanf(line, "#medusa-renditions %llu", &base) == 1)
			x->base = (size_t)base;
		else if (parse_line(line, nl, &e) == 0) {
			put_entry(x, &e);
			x->lines++;
		}
		line = nl + 1;
	}
}

struct media_index *media_index_open(const char *dir)
{
	struct media_index *x = xcalloc(1, sizeof *x);
	pthread_mutex_init(&x->mu, NULL);
	x->path = path_join(dir, ".renditions");
	x->fd = -1;
	if ((x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		load(x);
	x->fd = open(x->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (x->fd < 0)
		mwarnerr("%s: the records of renditions are not kept", x->path);
	return x;
}

static int same(const struct ix_entry *e, const struct stat *st)
{
	return e->ino == (uint64_t)st->st_ino && e->size == (int64_t)st->st_size &&
	    e->msec == (int64_t)st->st_mtim.tv_sec && e->mnsec == st->st_mtim.tv_nsec;
}

char *media_index_get(struct media_index *x, const char *rel, const struct stat *st, size_t *len)
{
	char *r = NULL;
	size_t klen = strlen(rel);
	pthread_mutex_lock(&x->mu);
	if (x->cap) {
		struct ix_entry *e = &x->slots[slot_of(x, rel, klen)];
		if (e->key && same(e, st)) {
			r = xmalloc(e->rlen + 1);
			memcpy(r, e->rec, e->rlen);
			r[e->rlen] = 0;
			*len = e->rlen;
			x->used += !e->used;
			e->used = 1;
		}
	}
	pthread_mutex_unlock(&x->mu);
	return r;
}

static char *format_line(const struct ix_entry *e, size_t *len)
{
	char head[128];
	int n = snprintf(head, sizeof head, "%" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " ",
	    e->ino, e->size, e->msec, e->mnsec);
	char *line = xmalloc((size_t)n + e->klen + e->rlen + 3);
	memcpy(line, head, (size_t)n);
	memcpy(line + n, e->key, e->klen);
	line[(size_t)n + e->klen] = '\t';
	memcpy(line + n + e->klen + 1, e->rec, e->rlen);
	line[(size_t)n + e->klen + 1 + e->rlen] = '\n';
	*len = (size_t)n + e->klen + e->rlen + 2;
	return line;
}

void media_index_put(struct media_index *x, const char *rel, const struct stat *st,
    const char *rec, size_t len)
{
	if (memchr(rec, '\n', len) || strpbrk(rel, " \t\n"))
		return;
	struct ix_entry e = {.klen = strlen(rel), .rlen = len, .ino = (uint64_t)st->st_ino,
	    .size = (int64_t)st->st_size, .msec = (int64_t)st->st_mtim.tv_sec,
	    .mnsec = st->st_mtim.tv_nsec, .heap = 1, .used = 1};
	char *k = xmalloc(e.klen + 1), *r = xmalloc(len + 1);
	memcpy(k, rel, e.klen + 1);
	memcpy(r, rec, len);
	r[len] = 0;
	e.key = k;
	e.rec = r;
	size_t n;
	char *line = format_line(&e, &n);
	pthread_mutex_lock(&x->mu);
	put_entry(x, &e);
	x->lines++;
	x->used++;
	if (x->fd >= 0 && write(x->fd, line, n) != (ssize_t)n) {
		mwarnerr("%s: the records of renditions are no longer kept", x->path);
		close(x->fd);
		x->fd = -1;
	}
	pthread_mutex_unlock(&x->mu);
	free(line);
}

/* Rewrites the file with the live lines: those used in this run, and the
 * others whose files are still as they were. */
static void compact(struct media_index *x)
{
	size_t cap = 1 << 16, len = 64, live = 0;
	char *buf = xmalloc(cap);
	for (size_t i = 0; i < x->cap; i++) {
		struct ix_entry *e = &x->slots[i];
		struct stat st;
		if (!e->key)
			continue;
		char *rel = xmalloc(e->klen + 1);
		memcpy(rel, e->key, e->klen);
		rel[e->klen] = 0;
		int keep = e->used || (fstatat(x->dirfd, rel, &st, 0) == 0 && same(e, &st));
		free(rel);
		if (!keep)
			continue;
		size_t n;
		char *line = format_line(e, &n);
		if (len + n > cap) {
			cap = 2 * (len + n);
			buf = xrealloc(buf, cap);
		}
		memcpy(buf + len, line, n);
		len += n;
		live++;
		free(line);
	}
	/* the header, padded to its room */
	int h = snprintf(buf, 64, "#medusa-renditions %zu", live);
	memset(buf + h, ' ', (size_t)(63 - h));
	buf[63] = '\n';
	if (atomic_write(x->path, buf, len, 0666) < 0)
		mwarnerr("%s", x->path);
	free(buf);
}

void media_index_close(struct media_index *x)
{
	if (!x)
		return;
	/* twice the lines of the last rewrite: at most one line in two is
	 * live, and a rewrite costs no more than the appends since */
	if (x->fd >= 0 && x->dirfd >= 0 && x->lines >= 1000 && x->lines > 2 * x->base)
		compact(x);
	if (x->fd >= 0)
		close(x->fd);
	if (x->dirfd >= 0)
		close(x->dirfd);
	for (size_t i = 0; i < x->cap; i++)
		if (x->slots[i].key)
			free_entry(&x->slots[i]);
	free(x->slots);
	if (x->map)
		munmap(x->map, x->maplen);
	pthread_mutex_destroy(&x->mu);
	free(x->path);
	free(x);
}
