/* media_int.h: between media_decode.c (the source) and media_encode.c (the
 * outputs). Not for tools: they use media.h. */
#ifndef MEDUSA_MEDIA_INT_H
#define MEDUSA_MEDIA_INT_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include "media.h"
#include "profile.h"

/* What every output needs to know about the source. */
struct msrc {
	const char *path;
	AVRational vtb;           /* video stream time base */
	AVRational frame_rate;    /* guessed, may be 0/1 */
	int rotation;             /* clockwise degrees to turn: 0, 90, 180, 270 */
	int has_audio;
	int sample_rate;
	enum AVSampleFormat sample_fmt;
	AVChannelLayout layout;
	int64_t astart, aend;     /* audio window in samples (1/sample_rate) */
};

struct mout;

/* An output of one profile over the video window [start, end) and the
 * image target time (all in vtb). NULL and err on failure. */
struct mout *mout_new(const struct profile *p, const char *path, const struct msrc *src,
    int64_t start, int64_t end, struct media_result *res, char *err, size_t errlen);
/* A decoded video frame at ts (vtb) lasting dur (vtb, may be 0). 0 or -1. */
int mout_video(struct mout *o, AVFrame *f, int64_t ts, int64_t dur, char *err, size_t errlen);
/* A decoded audio frame whose pts is in samples. 0 or -1. */
int mout_audio(struct mout *o, AVFrame *f, char *err, size_t errlen);
/* True once the output wants no more video frames. */
int mout_video_done(const struct mout *o);
/* What the output does with a video frame at ts, from its window alone
 * (so another thread may ask while the output works): -1 not yet (skip it),
 * 0 takes it, 1 takes it and wants no more, 2 wants no more (skip it). */
int mout_takes(const struct mout *o, int64_t ts);
/* True when the output encodes audio. */
int mout_has_audio(const struct mout *o);
/* Flushes, writes the trailer, fills the result. 0 or -1. */
int mout_finish(struct mout *o, char *err, size_t errlen);
void mout_free(struct mout *o);

/* Copy profiles: stream copy of [start_ms, end_ms), own demux. 0 or -1. */
int media_copy(const char *src, long long start_ms, long long end_ms,
    const struct profile *p, const char *out, struct media_result *res,
    char *err, size_t errlen);

/* A file name for libavformat: "file:" in front, so that a name with a
 * colon ("a:b.mp4", ".x:y.tmp") is never taken for a protocol. Free it. */
char *media_url(const char *path);

/* "what: av_err2str(e)" into err; returns -1. */
int merr(char *err, size_t errlen, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
