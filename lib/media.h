/* media.h: cutting clips into renditions with the FFmpeg libraries.
 * One demux and one decode of the clip's range feed every profile's filter
 * graph and encoder (media_decode.c drives, media_encode.c makes outputs). */
#ifndef MEDUSA_MEDIA_H
#define MEDUSA_MEDIA_H

#include <stddef.h>
#include <sys/stat.h>
#include "config.h"
#include "hash.h"

/* What one rendition came out as. */
struct media_result {
	int width, height;      /* as displayed: rotation applied */
	long long duration_ms;  /* of the file, as ffprobe reads it (0 for an image) */
	long long start_ms;     /* copy: the real start (the keyframe at or before the asked one) */
	/* an accurate copy: the ranges of video re-encoded (ms from the file's
	 * start, as the clip's times; nreenc of them: the head's, the tail's)
	 * and the one copied between them ([0] == [1]: none) */
	long long reenc_ms[2][2];
	int nreenc;
	long long copied_ms[2];
	char error[256];        /* empty when made, else why this one was not (the others were) */
};

/* Progress of one clip: fraction of its range decoded (0..1), decoded
 * frames per second and speed (media seconds per wall second). */
typedef void media_progress_fn(void *arg, double done, double fps, double speed);

/* Once per process: how much of the FFmpeg libraries' own log goes to
 * stderr, each line prefixed with the program and the source file:
 * verbosity -1 nothing, 0 errors, 1 warnings too. */
void media_init(int verbosity);

/* Async-signal-safe: every media_cut running or to come stops soon with
 * the error "interrupted". */
void media_interrupt(void);

/* Cuts [start_ms, end_ms) of the video at src (times from the start of the
 * file) into profiles[i], written to outs[i] (existing files, truncated and
 * rewritten; the caller renames them into place). On success fills res[i]
 * and returns 0; an output that failed alone (a copy whose codec the
 * container cannot hold) has its res[i].error set and is garbage. On a
 * failure of the source returns -1 with err saying why; the outputs are
 * then all garbage for the caller to remove. Warnings (a corrupt packet
 * skipped) go to stderr naming src. progress may be NULL. */
int media_cut(const char *src, long long start_ms, long long end_ms, size_t n,
    const struct profile *const *profiles, const char *const *outs,
    struct media_result *res, media_progress_fn *progress, void *arg,
    char *err, size_t errlen);

/* The source fingerprint of a rendition version: BLAKE2b-256 over "SIZE
 * MTIME.NANOSECONDS", the first and the last MiB of the file, as hex (see
 * media_fingerprint.c). 0, or -1 with errno (EISDIR, EINVAL: not a
 * regular file). */
int media_fingerprint(const char *path, char hex[HASH_HEX_LEN + 1]);

/* Fingerprints kept in DIR/.fingerprints (the work folder), so that a video
 * whose device, inode, size, modification and change times are unchanged
 * is not read again. Never NULL: a cache that cannot be written warns once
 * and works in memory. Thread-safe. */
struct media_fpcache;
struct media_fpcache *media_fpcache_open(const char *dir);
/* The fingerprint of path, whose stat(2) is st: from the cache, else made
 * (the file is read) and kept, unless may_read is 0: then 1. 0, or -1 with
 * errno. */
int media_fpcache_get(struct media_fpcache *c, const char *path, const struct stat *st,
    int may_read, char hex[HASH_HEX_LEN + 1]);
void media_fpcache_close(struct media_fpcache *c);

/* The records of renditions made, in DIR/.renditions (the work folder), by
 * their path under DIR: a run with nothing to do reads that one file and
 * stats each rendition. A cache: what it cannot keep is only slower.
 * Thread-safe. */
struct media_index;
struct media_index *media_index_open(const char *dir);
/* The record kept for rel while its file's stat is st: a new string of
 * *len bytes (free it), or NULL. */
char *media_index_get(struct media_index *x, const char *rel, const struct stat *st, size_t *len);
/* Keeps rec (len bytes of one-line JSON) for rel, whose file's stat is st. */
void media_index_put(struct media_index *x, const char *rel, const struct stat *st,
    const char *rec, size_t len);
/* Rewrites the file when it has grown stale, and frees x. */
void media_index_close(struct media_index *x);

#endif
