/* media_int.h: between media_decode.c (the source) and media_encode.c (the
 * outputs). Not for tools: they use media.h. */
#ifndef MEDUSA_MEDIA_INT_H
#define MEDUSA_MEDIA_INT_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdatomic.h>
#include "media.h"
#include "profile.h"

/* The libraries' log lines name the source they concern (media_source.c):
 * a decoder's or encoder's opaque points at its mlog, and so does each
 * thread of ours while it works on a source. */
struct mlog {
	const char *path;
	atomic_int preroll;       /* 1: decoding what comes before the clip, whose
	                           * errors after a seek mean nothing: dropped */
};
/* This thread's lines name l's source from now on; clears its last error. */
void mlog_enter(struct mlog *l);
/* The last error line the libraries logged in this thread, or "". */
const char *mlog_last_error(void);

/* An open source: the video stream, the default audio track, and where
 * clip times count from. */
struct mfile {
	const char *path;
	AVFormatContext *ic;
	int vi, ai;               /* ai: -1 without audio */
	int64_t base;             /* the file's first timestamp, AV_TIME_BASE */
	AVRational vtb;           /* the video stream's time base */
	int64_t frame_dur;        /* one video frame (guessed), vtb */
	int fresh;                /* nothing read since it was opened */
	struct mlog log;
};

/* Opens path (a regular file; only the file protocol) and finds its
 * streams. 0, or -1 with err (f is then to be closed all the same). */
int mfile_open(struct mfile *f, const char *path, char *err, size_t errlen);
void mfile_close(struct mfile *f);
/* How far a clip's end may pass the end of the data, ms: one frame. */
long long mfile_tolerance_ms(const struct mfile *f);
/* A clip time (ms from the file's start) in the video time base. */
int64_t mfile_vtime(const struct mfile *f, long long ms);
/* A timestamp in tb as seconds from the file's start. */
double mfile_seconds(const struct mfile *f, int64_t ts, AVRational tb);
/* Refuses an empty clip, or one that starts past the file's end or ends
 * more than a frame after it, by the container's duration. 0 or -1. */
int mfile_check_range(const struct mfile *f, long long start_ms, long long end_ms,
    char *err, size_t errlen);
/* av_read_frame. */
int mfile_read(struct mfile *f, AVPacket *pkt);
/* Goes back to the file's first packet (opening it again unless nothing
 * was read). The AVStreams change; the stream indices stay. 0 or -1. */
int mfile_rewind(struct mfile *f, char *err, size_t errlen);
/* Seeks so that reading goes on at or before target (video time base):
 * 0 after a seek (which may land late in MPEG-TS: check the first
 * keyframe), 1 when it read from the start instead (near it, or the file
 * cannot seek), -1 with err. */
int mfile_seek(struct mfile *f, int64_t target, char *err, size_t errlen);
/* Whether a video packet starts a picture that decodes on its own. */
typedef int media_key_fn(void *arg, AVPacket *pkt);
/* Seeks so that the first keyframe read (is_key) is at or before start
 * (vtb): a seek that lands after it (MPEG-TS and PS seek by timestamp, to
 * any packet) is tried again 1, 2, 4 ... seconds earlier (*back, from the
 * value given), without decoding, down to the file's start. 0 positioned,
 * 1 reading from the first packet, -1 with err. */
int mfile_seek_key(struct mfile *f, int64_t start, int64_t *back, media_key_fn *is_key, void *arg,
    AVPacket *pkt, char *err, size_t errlen);
/* Opens a decoder for stream idx (threads 0: as many as suit). 0, or -1
 * with err; *out is then to be freed all the same. */
int media_decoder(struct mfile *f, int idx, int threads, AVCodecContext **out,
    char *err, size_t errlen);
/* The clockwise turn (0, 90, 180, 270) that shows the stream upright. */
int media_rotation(const AVStream *st);
/* The duration of a file we wrote as ffprobe gives it (the container's),
 * in ms, or -1 with err. */
long long media_file_duration(const char *path, char *err, size_t errlen);

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
	struct mlog *log;         /* for the encoders' log lines */
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

/* True once media_interrupt was called. */
int media_interrupted(void);

/* Copy profiles: stream copy of [start_ms, end_ms), own demux. 0 or -1. */
int media_copy(const char *src, long long start_ms, long long end_ms,
    const struct profile *p, const char *out, struct media_result *res,
    char *err, size_t errlen);

/* The re-encoded ends of an accurate copy (media_splice.c). */
struct msplice;
/* For the video of f: 0, 1 when it cannot be spliced (err says why: the
 * caller falls back), -1 with err. *out is then to be freed all the same. */
int msplice_new(struct mfile *f, struct msplice **out, char *err, size_t errlen);
/* What the output's video stream must carry as extradata. */
const uint8_t *msplice_extradata(const struct msplice *s, int *size);
/* Whether a video packet of an H.264 or HEVC stream holds a picture that
 * the ones after it need none before (an IDR, an HEVC CRA): a copy may
 * start there. 1 for other codecs. */
int msplice_clean_start(const AVCodecParameters *par, const AVPacket *pkt);
/* Whether a source packet holds an IDR picture (a splice may follow it). */
int msplice_is_idr(const struct msplice *s, const AVPacket *pkt);
/* HEVC: the last packet of the head gets an end of sequence, so that the
 * copied keyframe after it starts a new coded video sequence. 0 or -1. */
int msplice_seal(struct msplice *s, AVPacket *last, char *err, size_t errlen);
/* HEVC: the first copied keyframe after a head gets the source's
 * parameter sets in front (the head carried its own). 0 or -1. */
int msplice_first_copied(struct msplice *s, AVPacket *pkt, char *err, size_t errlen);
/* A new range: the frames decoded from here with timestamps in [lo, hi)
 * (vtb) are encoded. 0 or -1. */
int msplice_begin(struct msplice *s, int64_t lo, int64_t hi, char *err, size_t errlen);
/* The range ends at hi (vtb) if not before. */
void msplice_end_at(struct msplice *s, int64_t hi);
/* A source packet, in decode order. 0 or -1. */
int msplice_packet(struct msplice *s, const AVPacket *pkt, char *err, size_t errlen);
/* The range's end: drains decoder and encoder. 0 or -1. */
int msplice_finish(struct msplice *s, char *err, size_t errlen);
/* Frames encoded in the range so far. */
long long msplice_frames(const struct msplice *s);
/* The next encoded packet (pts in vtb, the caller's to free), or NULL. */
AVPacket *msplice_take(struct msplice *s);
void msplice_free(struct msplice *s);

/* A queue of packets, empty when zeroed (media_codec.c). */
struct mpktq {
	AVPacket **a;
	size_t n, cap, head;      /* head: the next to take */
};
/* Appends a new reference to p. 0, or -1 with err. */
int mpktq_push(struct mpktq *q, const AVPacket *p, char *err, size_t errlen);
/* The oldest packet (the caller's to free), or NULL when empty. */
AVPacket *mpktq_take(struct mpktq *q);
/* Frees the packets left; mpktq_free the array too. */
void mpktq_drop(struct mpktq *q);
void mpktq_free(struct mpktq *q);
typedef int media_pkt_fn(void *arg, AVPacket *p, char *err, size_t errlen);
typedef int media_frame_fn(void *arg, AVFrame *fr, char *err, size_t errlen);
/* Sends fr (NULL: the end) to enc and queues every packet it gives, each
 * passed to fix first (NULL: none). 0, or -1 with err ("encoding what"). */
int media_encode_into(AVCodecContext *enc, const AVFrame *fr, struct mpktq *q, media_pkt_fn *fix,
    void *arg, const char *what, char *err, size_t errlen);
/* Sends pkt (NULL drains) to dec and passes every frame it gives to each,
 * in fr (unreferenced after); data that does not decode is skipped. 0, or
 * -1 with err. */
int media_decode_each(AVCodecContext *dec, const AVPacket *pkt, AVFrame *fr, media_frame_fn *each,
    void *arg, const char *what, char *err, size_t errlen);

/* Audio a copy's container cannot hold, encoded again as AAC
 * (media_recode.c). */
struct mrecode;
/* For stream idx of f; global: the container wants the header apart. 0,
 * or -1 with err; *out is then to be freed all the same. */
int mrecode_new(struct mfile *f, int idx, int global, struct mrecode **out, char *err, size_t errlen);
/* The output stream's parameters and time base. 0 or -1 (AVERROR). */
int mrecode_params(const struct mrecode *r, AVCodecParameters *par, AVRational *tb);
/* A source packet; the samples in [from, to) (tb) are kept, each at its
 * distance from from in the output. 0 or -1. */
int mrecode_packet(struct mrecode *r, const AVPacket *pkt, int64_t from, int64_t to, AVRational tb,
    char *err, size_t errlen);
/* The end: drains decoder and encoder. 0 or -1. */
int mrecode_finish(struct mrecode *r, char *err, size_t errlen);
/* The next encoded packet (pts in the output time base of mrecode_params,
 * the caller's to free), or NULL. */
AVPacket *mrecode_take(struct mrecode *r);
void mrecode_free(struct mrecode *r);

/* A file name for libavformat: "file:" in front, so that a name with a
 * colon ("a:b.mp4", ".x:y.tmp") is never taken for a protocol. Free it. */
char *media_url(const char *path);

/* Appends a new reference to p to the array *a of *n (room for *cap). 0,
 * or -1 with err. */
int media_pkt_push(AVPacket ***a, size_t *n, size_t *cap, const AVPacket *p,
    char *err, size_t errlen);

/* "what: av_err2str(e)" into err; returns -1. */
int merr(char *err, size_t errlen, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
