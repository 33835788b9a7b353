/* media.h: cutting clips into renditions with the FFmpeg libraries.
 * One demux and one decode of the clip's range feed every profile's filter
 * graph and encoder (media_decode.c drives, media_encode.c makes outputs). */
#ifndef MEDUSA_MEDIA_H
#define MEDUSA_MEDIA_H

#include <stddef.h>
#include "backyard.h"
#include "hash.h"

/* What one rendition came out as. */
struct media_result {
	int width, height;      /* as displayed: rotation applied */
	long long duration_ms;  /* of the file, as ffprobe reads it (0 for an image) */
	long long start_ms;     /* copy: the real start (the keyframe at or before the asked one) */
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

/* The source fingerprint of a rendition version: BLAKE2b over size, mtime
 * and the first and last MiB of the file, as hex. 0, or -1 with errno. */
int media_fingerprint(const char *path, char hex[HASH_HEX_LEN + 1]);

#endif
