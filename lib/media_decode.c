/* The decoding cut: find the keyframe before the start, decode once from
 * there, and hand every frame in the clip to every output (media_encode.c),
 * each of which works in a thread of its own. An output that fails fails
 * alone; a source that fails fails them all. */
#include "media_int.h"
#include "util.h"

#include <libavutil/imgutils.h>
#include <libavutil/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CORRUPT 100 /* skipped packets before a source counts as broken */

/* An output works in its own thread (its filter graph, its encoder, its
 * muxer), fed decoded frames through a short queue, so that the outputs and
 * the decoder run side by side. Only the lane's thread touches its mout
 * once it runs; the decoding thread asks mout_takes, which reads what does
 * not change. */
#define LANE_QUEUE 8
/* and at most this many bytes of pictures: each queued frame holds a
 * buffer of the decoder's, and 8 pictures of 4K are 100 MB */
#define LANE_BYTES (24 << 20)

enum { ITEM_VIDEO, ITEM_AUDIO, ITEM_FINISH, ITEM_ABORT };

struct item {
	int kind;
	AVFrame *f;
	int64_t ts, dur;
};

struct lane {
	struct mout *o;
	struct media_result *res;    /* its error is written by the lane's thread */
	struct mlog *log;
	pthread_t th;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item q[LANE_QUEUE];
	unsigned head, n, cap;       /* cap: items it may hold, up to LANE_QUEUE */
	atomic_int failed;           /* its output failed: no more items for it */
	int vdone;                   /* decoding thread: no more video for it */
};

struct cut {
	struct mfile f;
	AVCodecContext *vdec, *adec;
	int ai;                      /* the audio track decoded, or -1 */
	struct msrc src;
	struct lane *lanes;          /* one per output that opened */
	size_t nouts;
	int64_t start, end;          /* the clip, vtb */
	AVFrame *frame;
	AVPacket *pkt;
	AVFrame **aq;                /* audio held until the seek is known good */
	size_t naq, aqcap;
	int from_start;              /* read from the file's first packet: take what comes */
	int confirmed;               /* a keyframe at or before start came out */
	int64_t last_ts, seek_back;  /* vtb */
	int64_t data_end;            /* end of the last frame read (video or audio), vtb */
	int audio_done, corrupt;
	long long frames;
	int64_t t0;
	media_progress_fn *progress;
	void *parg;
};

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	char err[sizeof l->res->error];
	mlog_enter(l->log);
	for (;;) {
		pthread_mutex_lock(&l->mu);
		while (!l->n)
			pthread_cond_wait(&l->cv, &l->mu);
		struct item it = l->q[l->head];
		l->head = (l->head + 1) % LANE_QUEUE;
		l->n--;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		int e = 0;
		if (!atomic_load(&l->failed)) {
			if (it.kind == ITEM_VIDEO)
				e = mout_video(l->o, it.f, it.ts, it.dur, err, sizeof err);
			else if (it.kind == ITEM_AUDIO)
				e = mout_audio(l->o, it.f, err, sizeof err);
			else if (it.kind == ITEM_FINISH)
				e = mout_finish(l->o, err, sizeof err);
		}
		av_frame_free(&it.f);
		if (e < 0) {
			/* keep taking items so that the decoding thread never waits */
			snprintf(l->res->error, sizeof l->res->error, "%s", err);
			atomic_store(&l->failed, 1);
			pthread_mutex_lock(&l->mu);
			pthread_cond_broadcast(&l->cv);
			pthread_mutex_unlock(&l->mu);
		}
		if (it.kind == ITEM_FINISH || it.kind == ITEM_ABORT)
			return NULL;
	}
}

/* Queues an item (a new reference to f) unless the lane's output failed.
 * -1 only when out of memory. */
static int lane_push(struct lane *l, int kind, const AVFrame *f, int64_t ts, int64_t dur,
    char *err, size_t errlen)
{
	int last = kind == ITEM_FINISH || kind == ITEM_ABORT;
	if (!last && atomic_load(&l->failed))
		return 0;
	struct item it = {.kind = kind, .ts = ts, .dur = dur};
	if (f && !(it.f = av_frame_clone(f)))
		return merr(err, errlen, AVERROR(ENOMEM), "frame");
	pthread_mutex_lock(&l->mu);
	while ((l->n >= l->cap || l->n == LANE_QUEUE) && (last || !atomic_load(&l->failed)))
		pthread_cond_wait(&l->cv, &l->mu);
	if (!last && atomic_load(&l->failed)) {
		pthread_mutex_unlock(&l->mu);
		av_frame_free(&it.f);
		return 0;
	}
	l->q[(l->head + l->n) % LANE_QUEUE] = it;
	l->n++;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

/* Ends every lane (finish: write the outputs; else abandon them) and waits
 * for their threads; a lane that failed has its result's error set. */
static void lanes_end(struct cut *c, int finish)
{
	char why[256];
	for (size_t i = 0; i < c->nouts; i++)
		if (c->lanes[i].running)
			lane_push(&c->lanes[i], finish ? ITEM_FINISH : ITEM_ABORT, NULL, 0, 0, why, sizeof why);
	for (size_t i = 0; i < c->nouts; i++) {
		if (c->lanes[i].running)
			pthread_join(c->lanes[i].th, NULL);
		c->lanes[i].running = 0;
	}
}

static int lane_done(const struct lane *l)
{
	return l->vdone || atomic_load(&l->failed);
}

static int all_video_done(const struct cut *c)
{
	for (size_t i = 0; i < c->nouts; i++)
		if (!lane_done(&c->lanes[i]))
			return 0;
	return 1;
}

static void drop_audio_queue(struct cut *c)
{
	for (size_t i = 0; i < c->naq; i++)
		av_frame_free(&c->aq[i]);
	c->naq = 0;
}

static int feed_audio(struct cut *c, AVFrame *f, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nouts; i++)
		if (mout_has_audio(c->lanes[i].o) &&
		    lane_push(&c->lanes[i], ITEM_AUDIO, f, 0, 0, err, errlen) < 0)
			return -1;
	return 0;
}

/* The first frames are good: what audio was held goes out. */
static int confirm(struct cut *c, char *err, size_t errlen)
{
	c->confirmed = 1;
	for (size_t i = 0; i < c->naq; i++)
		if (feed_audio(c, c->aq[i], err, errlen) < 0)
			return -1;
	drop_audio_queue(c);
	return 0;
}

static void report_progress(struct cut *c, int64_t ts)
{
	if (!c->progress || ts < c->start)
		return;
	double el = (double)(av_gettime_relative() - c->t0) / 1e6;
	double done = (double)(ts - c->start) / (double)(c->end - c->start);
	double secs = (double)(ts - c->start) * av_q2d(c->src.vtb);
	c->progress(c->parg, done > 1 ? 1 : done, el > 0 ? c->frames / el : 0, el > 0 ? secs / el : 0);
}

/* How many items each lane may hold, from the size of the pictures. */
static void size_lanes(struct cut *c, const AVFrame *f)
{
	int bytes = av_image_get_buffer_size(f->format, f->width, f->height, 1);
	unsigned cap = bytes > 0 ? (unsigned)(LANE_BYTES / bytes) : LANE_QUEUE;
	cap = cap < 2 ? 2 : cap > LANE_QUEUE ? LANE_QUEUE : cap;
	for (size_t i = 0; i < c->nouts; i++) {
		pthread_mutex_lock(&c->lanes[i].mu);
		c->lanes[i].cap = cap;
		pthread_mutex_unlock(&c->lanes[i].mu);
	}
}

/* 1: the seek went past the start, seek further back; 0 ok; -1 error */
static int on_video(struct cut *c, AVFrame *f, char *err, size_t errlen)
{
	int64_t ts = f->best_effort_timestamp;
	if (ts == AV_NOPTS_VALUE) {
		/* no timestamps (a raw stream): count frames */
		ts = c->last_ts == AV_NOPTS_VALUE ? av_rescale_q(c->f.base, AV_TIME_BASE_Q, c->src.vtb) :
		    c->last_ts + c->f.frame_dur;
	}
	if (!c->confirmed) {
		/* after a seek, frames before the first keyframe may be broken:
		 * past the clip without a keyframe, or a keyframe after the
		 * start, means seeking further back. From the file's first
		 * packet, take what comes. */
		if (!c->from_start) {
			if (!f->key_frame)
				return ts >= c->end;
			if (ts > c->start)
				return 1;
		}
		if (confirm(c, err, errlen) < 0)
			return -1;
	}
	if (ts >= c->start)
		atomic_store(&c->f.log.preroll, 0);
	if (!c->frames)
		size_lanes(c, f);
	c->last_ts = ts;
	c->frames++;
	for (size_t i = 0; i < c->nouts; i++) {
		struct lane *l = &c->lanes[i];
		int t = lane_done(l) ? 2 : mout_takes(l->o, ts);
		/* the first frame past the end goes too: it ends the one before */
		if ((t == 0 || t == 1 || (t == 2 && !l->vdone)) &&
		    lane_push(l, ITEM_VIDEO, f, ts, f->pkt_duration, err, errlen) < 0)
			return -1;
		if (t >= 1)
			l->vdone = 1;
	}
	report_progress(c, ts);
	return 0;
}

static int on_audio(struct cut *c, AVFrame *f, char *err, size_t errlen)
{
	int64_t pts = f->best_effort_timestamp;
	if (pts == AV_NOPTS_VALUE)
		return 0; /* cannot place it: leave a gap rather than shift the rest */
	f->pts = av_rescale_q(pts, c->f.ic->streams[c->ai]->time_base, (AVRational){1, f->sample_rate});
	if (f->sample_rate != c->src.sample_rate || f->ch_layout.nb_channels != c->src.layout.nb_channels)
		return 0; /* a mid-stream format change: skip rather than break the graph */
	if (f->pts >= c->src.aend)
		c->audio_done = 1;
	if (f->pts + f->nb_samples <= c->src.astart || f->pts >= c->src.aend)
		return 0;
	if (c->confirmed)
		return feed_audio(c, f, err, errlen);
	if (c->naq == c->aqcap) {
		c->aqcap = c->aqcap ? 2 * c->aqcap : 64;
		c->aq = xrealloc(c->aq, c->aqcap * sizeof *c->aq);
	}
	if (!(c->aq[c->naq] = av_frame_clone(f)))
		return merr(err, errlen, AVERROR(ENOMEM), "audio frame");
	c->naq++;
	return 0;
}

/* Whether a problem at ts (in tb) matters: inside the clip, and for video
 * once the seek was found good (before, the references may be missing). */
static int in_clip(const struct cut *c, AVCodecContext *dec, int64_t ts, AVRational tb)
{
	if (dec == c->vdec && !c->confirmed && !c->from_start)
		return 0;
	return ts == AV_NOPTS_VALUE || av_rescale_q(ts, tb, c->src.vtb) >= c->start;
}

/* A corrupt packet or frame (what: "packet", "frame" skipped, or "data"
 * concealed): a warning, and an error once there are many. 0 or -1. */
static int corrupt(struct cut *c, AVCodecContext *dec, int64_t ts, AVRational tb, const char *what,
    char *err, size_t errlen)
{
	if (!in_clip(c, dec, ts, tb))
		return 0;
	if (++c->corrupt > MAX_CORRUPT)
		return merr(err, errlen, 0, "too many corrupt packets and frames");
	const char *kind = dec == c->vdec ? "video" : "audio";
	double t = ts == AV_NOPTS_VALUE ? 0 : mfile_seconds(&c->f, ts, tb);
	if (strcmp(what, "data") == 0)
		mwarn("%s: corrupt %s data near %.3f s, concealed", c->f.path, kind, t);
	else
		mwarn("%s: corrupt %s %s at %.3f s skipped", c->f.path, kind, what, t);
	return 0;
}

/* Sends a packet (NULL drains) and handles every frame. 1 asks for a
 * seek further back. */
static int decode(struct cut *c, AVCodecContext *dec, AVPacket *pkt, char *err, size_t errlen)
{
	AVRational tb = dec == c->vdec ? c->src.vtb : c->f.ic->streams[c->ai]->time_base;
	int e = avcodec_send_packet(dec, pkt);
	if (e < 0 && e != AVERROR_EOF)
		return corrupt(c, dec, pkt ? pkt->pts : AV_NOPTS_VALUE, tb, "packet", err, errlen);
	for (;;) {
		e = avcodec_receive_frame(dec, c->frame);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e == AVERROR_INVALIDDATA) {
			if (corrupt(c, dec, pkt ? pkt->pts : AV_NOPTS_VALUE, tb, "frame", err, errlen) < 0)
				return -1;
			continue;
		}
		if (e < 0)
			return merr(err, errlen, e, "decoding");
		if ((c->frame->decode_error_flags || (c->frame->flags & AV_FRAME_FLAG_CORRUPT)) &&
		    corrupt(c, dec, c->frame->best_effort_timestamp, tb, "data", err, errlen) < 0) {
			av_frame_unref(c->frame);
			return -1;
		}
		int r = dec == c->vdec ? on_video(c, c->frame, err, errlen)
		    : on_audio(c, c->frame, err, errlen);
		av_frame_unref(c->frame);
		if (r)
			return r;
	}
}

static int flagged_key(void *arg, AVPacket *pkt)
{
	(void)arg;
	return (pkt->flags & AV_PKT_FLAG_KEY) != 0;
}

/* Starts reading where the first keyframe is at or before the start, at
 * least seek_back before it; from the first packet when that is near the
 * file's start or the file cannot seek. The decoded frames confirm it. */
static int seek(struct cut *c, char *err, size_t errlen)
{
	avcodec_flush_buffers(c->vdec);
	if (c->adec)
		avcodec_flush_buffers(c->adec);
	drop_audio_queue(c);
	c->confirmed = 0;
	c->audio_done = 0;
	c->last_ts = AV_NOPTS_VALUE;
	int r = mfile_seek_key(&c->f, c->start, &c->seek_back, flagged_key, NULL, c->pkt, err, errlen);
	if (r < 0)
		return -1;
	c->from_start = r == 1;
	atomic_store(&c->f.log.preroll, !c->from_start);
	return 0;
}

/* The frames showed the seek landed after the start: try a second
 * earlier, then 2, 4 ... */
static int back_off(struct cut *c, char *err, size_t errlen)
{
	int64_t one = av_rescale_q(1, (AVRational){1, 1}, c->src.vtb);
	c->seek_back = c->seek_back ? 2 * c->seek_back : one;
	return seek(c, err, errlen);
}

/* Notes how far the data goes: the end of this packet. */
static void note_data(struct cut *c, const AVPacket *p)
{
	int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
	if (t == AV_NOPTS_VALUE)
		return;
	AVRational tb = c->f.ic->streams[p->stream_index]->time_base;
	int64_t e = av_rescale_q(t + p->duration, tb, c->src.vtb);
	if (c->data_end == AV_NOPTS_VALUE || e > c->data_end)
		c->data_end = e;
}

static int reached_end(const struct cut *c)
{
	return c->data_end != AV_NOPTS_VALUE && c->data_end + c->f.frame_dur >= c->end;
}

/* One packet read: decoded when an output still needs what it holds. 1
 * asks for a seek further back. */
static int on_packet(struct cut *c, AVPacket *p, char *err, size_t errlen)
{
	int si = p->stream_index;
	if (si != c->f.vi && si != c->ai)
		return 0;
	note_data(c, p);
	AVCodecContext *dec = si == c->f.vi ? c->vdec : c->adec;
	if (p->flags & AV_PKT_FLAG_CORRUPT)
		return corrupt(c, dec, p->pts, c->f.ic->streams[si]->time_base, "packet", err, errlen);
	if (si == c->f.vi)
		return all_video_done(c) ? 0 : decode(c, c->vdec, p, err, errlen);
	if (!c->adec || c->audio_done)
		return 0;
	/* audio before the clip, read after a seek, may begin mid-frame */
	int64_t end = p->pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE :
	    av_rescale_q(p->pts + p->duration, c->f.ic->streams[si]->time_base,
	    (AVRational){1, c->src.sample_rate});
	int before = end != AV_NOPTS_VALUE && end <= c->src.astart;
	int was = atomic_exchange(&c->f.log.preroll, before || atomic_load(&c->f.log.preroll));
	int r = decode(c, c->adec, p, err, errlen);
	atomic_store(&c->f.log.preroll, was);
	return r;
}

static int run(struct cut *c, long long start_ms, long long end_ms, char *err, size_t errlen)
{
	int e;
	c->seek_back = 0;
	if (seek(c, err, errlen) < 0)
		return -1;
	for (;;) {
		/* every output has what it needs; the rest is read only to see
		 * that the data reaches the clip's end */
		if (all_video_done(c) && (c->ai < 0 || c->audio_done) && reached_end(c))
			break;
		if (media_interrupted())
			return merr(err, errlen, 0, "interrupted");
		e = mfile_read(&c->f, c->pkt);
		if (e == AVERROR_EOF && !c->confirmed && !c->from_start) {
			/* the end, and no keyframe came out: from further back */
			if (back_off(c, err, errlen) < 0)
				return -1;
			continue;
		}
		if (e == AVERROR_EOF)
			break;
		if (e < 0)
			return merr(err, errlen, e, "reading");
		int r = on_packet(c, c->pkt, err, errlen);
		av_packet_unref(c->pkt);
		if (r < 0)
			return -1;
		if (r == 1 && back_off(c, err, errlen) < 0)
			return -1;
	}
	/* the end of the file (or of the clip): drain the decoders */
	if (decode(c, c->vdec, NULL, err, errlen) < 0 || (c->adec && decode(c, c->adec, NULL, err, errlen) < 0))
		return -1;
	if (!c->confirmed && confirm(c, err, errlen) < 0)
		return -1;
	if (c->last_ts == AV_NOPTS_VALUE || c->last_ts < c->start)
		return merr(err, errlen, 0, "no video frame between %.3f and %.3f s%s",
		    start_ms / 1000.0, end_ms / 1000.0,
		    c->f.ic->pb && c->f.ic->pb->eof_reached ? " (the file ends early: truncated?)" : "");
	if (!reached_end(c))
		return merr(err, errlen, 0, "the data ends at %.3f s, before the clip's end "
		    "(%.3f s): truncated?", mfile_seconds(&c->f, c->data_end, c->src.vtb), end_ms / 1000.0);
	lanes_end(c, 1);
	return 0;
}

/* The decoders and what the outputs need to know of the source. */
static int open_decoders(struct cut *c, int need_audio, long long start_ms, long long end_ms,
    char *err, size_t errlen)
{
	AVStream *vst = c->f.ic->streams[c->f.vi];
	c->src.path = c->f.path;
	c->src.log = &c->f.log;
	c->src.vtb = vst->time_base;
	c->src.frame_rate = av_guess_frame_rate(c->f.ic, vst, NULL);
	c->src.rotation = media_rotation(vst);
	c->start = mfile_vtime(&c->f, start_ms);
	c->end = mfile_vtime(&c->f, end_ms);
	c->ai = need_audio ? c->f.ai : -1;
	if (media_decoder(&c->f, c->f.vi, 0, &c->vdec, err, errlen) < 0)
		return -1;
	if (c->ai >= 0 && media_decoder(&c->f, c->ai, 0, &c->adec, err, errlen) < 0) {
		/* an audio track we cannot decode: go on without audio */
		mwarn("%s: %s; the renditions get no audio", c->f.path, err);
		avcodec_free_context(&c->adec);
		c->ai = -1;
	}
	if (c->ai < 0)
		return 0;
	c->src.has_audio = 1;
	c->src.sample_rate = c->adec->sample_rate;
	c->src.sample_fmt = c->adec->sample_fmt;
	if (av_channel_layout_copy(&c->src.layout, &c->adec->ch_layout) < 0)
		return merr(err, errlen, AVERROR(ENOMEM), "channel layout");
	AVRational sr = {1, c->adec->sample_rate};
	c->src.astart = av_rescale_q(c->f.base, AV_TIME_BASE_Q, sr) +
	    av_rescale_q(start_ms, (AVRational){1, 1000}, sr);
	c->src.aend = av_rescale_q(c->f.base, AV_TIME_BASE_Q, sr) +
	    av_rescale_q(end_ms, (AVRational){1, 1000}, sr);
	return 0;
}

/* A lane per output that opens; one that does not has its error set. */
static int start_lanes(struct cut *c, size_t n, const struct profile *const *profiles,
    const char *const *outs, struct media_result *res, char *err, size_t errlen)
{
	c->lanes = xcalloc(n, sizeof *c->lanes);
	for (size_t i = 0; i < n; i++) {
		if (profiles[i]->kind == PROFILE_COPY)
			continue;
		struct lane *l = &c->lanes[c->nouts];
		if (!(l->o = mout_new(profiles[i], outs[i], &c->src, c->start, c->end, &res[i],
		    res[i].error, sizeof res[i].error)))
			continue;
		l->res = &res[i];
		l->log = &c->f.log;
		l->cap = LANE_QUEUE;
		pthread_mutex_init(&l->mu, NULL);
		pthread_cond_init(&l->cv, NULL);
		c->nouts++;
		int e = pthread_create(&l->th, NULL, lane_main, l);
		if (e)
			return merr(err, errlen, 0, "cannot start a thread: %s", strerror(e));
		l->running = 1;
	}
	return 0;
}

static void free_cut(struct cut *c)
{
	if (c->lanes) {
		lanes_end(c, 0); /* after an error: abandon the rest */
		for (size_t i = 0; i < c->nouts; i++) {
			mout_free(c->lanes[i].o);
			pthread_mutex_destroy(&c->lanes[i].mu);
			pthread_cond_destroy(&c->lanes[i].cv);
		}
		free(c->lanes);
	}
	drop_audio_queue(c);
	free(c->aq);
	av_frame_free(&c->frame);
	av_packet_free(&c->pkt);
	avcodec_free_context(&c->vdec);
	avcodec_free_context(&c->adec);
	av_channel_layout_uninit(&c->src.layout);
	mfile_close(&c->f);
}

/* The copy profiles, each with its own demux. */
static int copies(const char *path, long long start_ms, long long end_ms, size_t n,
    const struct profile *const *profiles, const char *const *outs,
    struct media_result *res, size_t ncopy, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (profiles[i]->kind != PROFILE_COPY)
			continue;
		char why[256];
		if (media_copy(path, start_ms, end_ms, profiles[i], outs[i], &res[i], why, sizeof why) < 0) {
			if (ncopy == n)
				/* nothing else to keep: the copy's error is the clip's */
				return merr(err, errlen, 0, "%s", why);
			snprintf(res[i].error, sizeof res[i].error, "%s", why);
		}
	}
	return 0;
}

int media_cut(const char *path, long long start_ms, long long end_ms, size_t n,
    const struct profile *const *profiles, const char *const *outs,
    struct media_result *res, media_progress_fn *progress, void *arg,
    char *err, size_t errlen)
{
	struct cut c = {.ai = -1, .data_end = AV_NOPTS_VALUE, .progress = progress, .parg = arg};
	int r = -1, need_audio = 0;
	size_t ncopy = 0;
	for (size_t i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof res[i]);
		ncopy += profiles[i]->kind == PROFILE_COPY;
		need_audio |= profiles[i]->kind == PROFILE_VIDEO;
	}
	c.t0 = av_gettime_relative();
	if (mfile_open(&c.f, path, err, errlen) < 0 ||
	    mfile_check_range(&c.f, start_ms, end_ms, err, errlen) < 0)
		goto out;
	mlog_enter(&c.f.log);
	if (ncopy < n) {
		if (open_decoders(&c, need_audio, start_ms, end_ms, err, errlen) < 0 ||
		    start_lanes(&c, n, profiles, outs, res, err, errlen) < 0)
			goto out;
		if (!(c.frame = av_frame_alloc()) || !(c.pkt = av_packet_alloc())) {
			merr(err, errlen, AVERROR(ENOMEM), "allocating");
			goto out;
		}
		if (c.nouts && run(&c, start_ms, end_ms, err, errlen) < 0)
			goto out;
	}
	if (copies(path, start_ms, end_ms, n, profiles, outs, res, ncopy, err, errlen) < 0)
		goto out;
	r = 0;
out:
	free_cut(&c);
	mlog_enter(NULL);
	return r;
}
