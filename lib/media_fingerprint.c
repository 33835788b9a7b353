/* The source fingerprint that goes into a rendition's version, and the
 * cache that spares reading a video whose inode is unchanged.
 *
 * The fingerprint: BLAKE2b-256 over "SIZE MTIME_SEC.MTIME_NSEC" (decimal,
 * nine digits of nanoseconds), then the first MiB of the file, then its
 * last MiB (the whole file, twice, when it is smaller than a MiB; the part
 * the two overlap, twice). Hex.
 *
 * The cache: WORKDIR/.fingerprints, one line per video, "DEV INO SIZE
 * MSEC MNSEC CSEC CNSEC FINGERPRINT", appended as fingerprints are made
 * (one write(2) a line, O_APPEND: two runs at once interleave whole lines),
 * the last line of an inode winning. A line counts only while the file's
 * device, inode, size, modification and change times (with nanoseconds)
 * are all the same, so an edit, a copy over it or a touch (the change time
 * moves with every write and with utimes) makes it count no more. The file
 * is rewritten whole, atomically, when most of its lines are stale. */
#include "media.h"
#include "atomic.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MIB = 1 << 20 };

static int fingerprint_fd(int fd, const struct stat *st, char hex[HASH_HEX_LEN + 1])
{
	crypto_generichash_state h;
	unsigned char *buf = xmalloc(MIB), out[32];
	char head[64];
	int n = snprintf(head, sizeof head, "%lld %lld.%09ld", (long long)st->st_size,
	    (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	crypto_generichash_init(&h, NULL, 0, sizeof out);
	crypto_generichash_update(&h, (unsigned char *)head, (unsigned long long)n);
	off_t offs[2] = {0, st->st_size > MIB ? st->st_size - MIB : 0};
	for (int i = 0; i < 2; i++) {
		ssize_t got = pread(fd, buf, MIB, offs[i]);
		if (got < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return -1;
		}
		crypto_generichash_update(&h, buf, (unsigned long long)got);
	}
	free(buf);
	crypto_generichash_final(&h, out, sizeof out);
	hash_to_hex(out, sizeof out, hex);
	return 0;
}

/* Opens path (a regular file: EISDIR, EINVAL else), fills st and the
 * fingerprint. 0 or -1 with errno. */
static int fingerprint_path(const char *path, struct stat *st, char hex[HASH_HEX_LEN + 1])
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = -1;
	if (fstat(fd, st) == 0) {
		if (S_ISREG(st->st_mode))
			r = fingerprint_fd(fd, st, hex);
		else
			errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
	}
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int media_fingerprint(const char *path, char hex[HASH_HEX_LEN + 1])
{
	struct stat st;
	return fingerprint_path(path, &st, hex);
}

/* --- the cache --- */

struct fp_entry {
	uint64_t dev, ino;          /* ino 0: an empty slot */
	int64_t size, msec, mnsec, csec, cnsec;
	char fp[HASH_HEX_LEN + 1];
};

struct media_fpcache {
	pthread_mutex_t mu;
	char *path;
	int fd;                     /* for appending, or -1: the cache is not kept */
	struct fp_entry *slots;
	size_t cap, n, lines;
	long long hits, misses;
};

static size_t slot_of(const struct media_fpcache *c, uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino * 0x9E3779B97F4A7C15ull) ^ (dev * 0xC2B2AE3D27D4EB4Full);
	size_t i = (size_t)(h ^ (h >> 29)) & (c->cap - 1);
	while (c->slots[i].ino && (c->slots[i].ino != ino || c->slots[i].dev != dev))
		i = (i + 1) & (c->cap - 1);
	return i;
}

static void put_entry(struct media_fpcache *c, const struct fp_entry *e)
{
	if (2 * (c->n + 1) > c->cap) {
		struct fp_entry *old = c->slots;
		size_t ocap = c->cap;
		c->cap = ocap ? 2 * ocap : 1024;
		c->slots = xcalloc(c->cap, sizeof *c->slots);
		c->n = 0;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].ino)
				c->slots[slot_of(c, old[i].dev, old[i].ino)] = old[i], c->n++;
		free(old);
	}
	size_t i = slot_of(c, e->dev, e->ino);
	if (!c->slots[i].ino)
		c->n++;
	c->slots[i] = *e;
}

static void entry_of(struct fp_entry *e, const struct stat *st)
{
	e->dev = (uint64_t)st->st_dev;
	e->ino = (uint64_t)st->st_ino;
	e->size = (int64_t)st->st_size;
	e->msec = (int64_t)st->st_mtim.tv_sec;
	e->mnsec = st->st_mtim.tv_nsec;
	e->csec = (int64_t)st->st_ctim.tv_sec;
	e->cnsec = st->st_ctim.tv_nsec;
}

static int format_entry(const struct fp_entry *e, char *buf, size_t n)
{
	return snprintf(buf, n, "%" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
	    " %" PRId64 " %s\n", e->dev, e->ino, e->size, e->msec, e->mnsec, e->csec, e->cnsec, e->fp);
}

static int parse_entry(const char *line, struct fp_entry *e)
{
	int used = 0;
	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64
	    " %" SCNd64 " %64[0-9a-f]%n", &e->dev, &e->ino, &e->size, &e->msec, &e->mnsec, &e->csec,
	    &e->cnsec, e->fp, &used) != 8 || strlen(e->fp) != HASH_HEX_LEN || e->ino == 0)
		return -1;
	return line[used] == '\n' || line[used] == 0 ? 0 : -1;
}

static void load(struct media_fpcache *c)
{
	char *buf;
	size_t len;
	if (atomic_read_file(c->path, (size_t)1 << 30, &buf, &len) < 0)
		return;
	for (char *line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		struct fp_entry e;
		/* a line cut short by a crash is not one */
		if (nl && parse_entry(line, &e) == 0) {
			put_entry(c, &e);
			c->lines++;
		}
		line = nl ? nl + 1 : buf + len;
	}
	free(buf);
}

/* Rewrites the file with one line per inode, when most lines are stale. */
static void compact(struct media_fpcache *c)
{
	if (c->lines < 1000 || c->lines < 2 * c->n)
		return;
	size_t cap = c->n * 160 + 1, len = 0;
	char *buf = xmalloc(cap);
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].ino)
			len += (size_t)format_entry(&c->slots[i], buf + len, cap - len);
	if (atomic_write(c->path, buf, len, 0666) == 0)
		c->lines = c->n;
	free(buf);
}

struct media_fpcache *media_fpcache_open(const char *dir)
{
	struct media_fpcache *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	c->path = path_join(dir, ".fingerprints");
	c->fd = -1;
	load(c);
	compact(c);
	c->fd = open(c->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (c->fd < 0)
		mwarnerr("%s: fingerprints are not kept", c->path);
	return c;
}

void media_fpcache_close(struct media_fpcache *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c->path);
	free(c);
}

static int same(const struct fp_entry *a, const struct fp_entry *b)
{
	return a->size == b->size && a->msec == b->msec && a->mnsec == b->mnsec &&
	    a->csec == b->csec && a->cnsec == b->cnsec;
}

int media_fpcache_get(struct media_fpcache *c, const char *path, const struct stat *st,
    int may_read, char hex[HASH_HEX_LEN + 1])
{
	struct fp_entry want;
	entry_of(&want, st);
	pthread_mutex_lock(&c->mu);
	if (c->cap) {
		const struct fp_entry *e = &c->slots[slot_of(c, want.dev, want.ino)];
		if (e->ino && same(e, &want)) {
			memcpy(hex, e->fp, sizeof e->fp);
			c->hits++;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&c->mu);
	if (!may_read)
		return 1;
	struct stat now;
	if (fingerprint_path(path, &now, hex) < 0)
		return -1;
	entry_of(&want, &now);
	memcpy(want.fp, hex, sizeof want.fp);
	char line[256];
	int n = format_entry(&want, line, sizeof line);
	pthread_mutex_lock(&c->mu);
	c->misses++;
	put_entry(c, &want);
	if (c->fd >= 0 && write(c->fd, line, (size_t)n) != n) {
		mwarnerr("%s: fingerprints are no longer kept", c->path);
		close(c->fd);
		c->fd = -1;
	}
	c->lines++;
	pthread_mutex_unlock(&c->mu);
	return 0;
}
