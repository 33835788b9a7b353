/* The source side of a clip: open, find the streams, seek to the keyframe
 * before the start, decode once, hand every frame to every output. Stream
 * copy (its own demux, no decode) and the source fingerprint live here too. */
#include "media_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libavutil/display.h>
#include <libavutil/time.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CORRUPT 100 /* skipped packets before a source counts as broken */

static volatile sig_atomic_t interrupted;

void media_init(int verbose)
{
	av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_FATAL);
	/* SVT-AV1 prints its banner itself, past av_log; 1 keeps its errors */
	if (!verbose)
		setenv("SVT_LOG", "1", 0);
}

void media_interrupt(void)
{
	interrupted = 1;
}

int media_fingerprint(const char *path, char hex[HASH_HEX_LEN + 1])
{
	enum { MIB = 1 << 20 };
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	crypto_generichash_state h;
	unsigned char *buf = xmalloc(MIB), out[32];
	int r = -1, e = 0;
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	char head[64];
	int n = snprintf(head, sizeof head, "%lld %lld.%09ld", (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	crypto_generichash_init(&h, NULL, 0, sizeof out);
	crypto_generichash_update(&h, (unsigned char *)head, (unsigned long long)n);
	off_t offs[2] = {0, st.st_size > MIB ? st.st_size - MIB : 0};
	for (int i = 0; i < 2; i++) {
		ssize_t got = pread(fd, buf, MIB, offs[i]);
		if (got < 0)
			goto out;
		crypto_generichash_update(&h, buf, (unsigned long long)got);
	}
	crypto_generichash_final(&h, out, sizeof out);
	hash_to_hex(out, sizeof out, hex);
	r = 0;
out:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return r;
}

/* The clockwise turn that makes the picture upright, from the display
 * matrix (as the ffmpeg CLI's autorotate reads it). */
static int stream_rotation(const AVStream *st)
{
	const int32_t *m = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
	if (!m)
		return 0;
	double theta = -av_display_rotation_get(m);
	if (isnan(theta))
		return 0;
	theta -= 360 * floor(theta / 360 + 0.9 / 360);
	if (fabs(theta - 90) < 2)
		return 90;
	if (fabs(theta - 180) < 2)
		return 180;
	if (fabs(theta - 270) < 2)
		return 270;
	return 0;
}

/* The default audio track, else the first one; -1 when there is none. */
static int pick_audio(const AVFormatContext *ic)
{
	int first = -1;
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		const AVStream *st = ic->streams[i];
		if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO ||
		    !avcodec_find_decoder(st->codecpar->codec_id))
			continue;
		if (st->disposition & AV_DISPOSITION_DEFAULT)
			return (int)i;
		if (first < 0)
			first = (int)i;
	}
	return first;
}

static int open_decoder(AVFormatContext *ic, int idx, int threads, AVCodecContext **out,
    char *err, size_t errlen)
{
	AVStream *st = ic->streams[idx];
	const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
	int e;
	if (!dec)
		return merr(err, errlen, 0, "no decoder for %s", avcodec_get_name(st->codecpar->codec_id));
	if (!(*out = avcodec_alloc_context3(dec)))
		return merr(err, errlen, AVERROR(ENOMEM), "decoder");
	if ((e = avcodec_parameters_to_context(*out, st->codecpar)) < 0)
		return merr(err, errlen, e, "decoder parameters");
	(*out)->pkt_timebase = st->time_base;
	(*out)->thread_count = threads;
	if ((e = avcodec_open2(*out, dec, NULL)) < 0)
		return merr(err, errlen, e, "opening the %s decoder", dec->name);
	return 0;
}

static int open_source(const char *path, AVFormatContext **ic, char *err, size_t errlen)
{
	struct stat st;
	/* a FIFO or a device would block or never end */
	if (stat(path, &st) < 0)
		return merr(err, errlen, 0, "cannot open: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return merr(err, errlen, 0, "not a regular file");
	char *url = media_url(path);
	int e = avformat_open_input(ic, url, NULL, NULL);
	free(url);
	if (e < 0)
		return merr(err, errlen, e, "cannot open");
	if ((e = avformat_find_stream_info(*ic, NULL)) < 0)
		return merr(err, errlen, e, "cannot read the streams");
	return 0;
}

static int video_stream(AVFormatContext *ic)
{
	int best = -1;
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		const AVStream *st = ic->streams[i];
		if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO ||
		    (st->disposition & AV_DISPOSITION_ATTACHED_PIC) || st->codecpar->width <= 0)
			continue;
		if (best < 0 || (st->disposition & AV_DISPOSITION_DEFAULT))
			best = (int)i;
		if (st->disposition & AV_DISPOSITION_DEFAULT)
			break;
	}
	return best;
}

/* Where clip times count from, in AV_TIME_BASE: the file's first
 * timestamp (an MPEG-TS starts anywhere), but never before 0 (audio codec
 * delay makes some files start a little before it). */
static int64_t file_start(const AVFormatContext *ic)
{
	return ic->start_time == AV_NOPTS_VALUE || ic->start_time < 0 ? 0 : ic->start_time;
}

/* Checks the clip against the file's length. 0 or -1. */
static int check_range(const AVFormatContext *ic, long long start_ms, long long end_ms,
    char *err, size_t errlen)
{
	if (end_ms <= start_ms)
		return merr(err, errlen, 0, "the clip is empty (end %.3f is not after start %.3f)",
		    end_ms / 1000.0, start_ms / 1000.0);
	if (ic->duration == AV_NOPTS_VALUE || ic->duration <= 0)
		return 0;
	long long dur_ms = ic->duration / 1000;
	if (start_ms >= dur_ms)
		return merr(err, errlen, 0, "start %.3f is past the end of the video (%.3f s)",
		    start_ms / 1000.0, dur_ms / 1000.0);
	/* a sidecar may round the end up a little */
	if (end_ms > dur_ms + 500)
		return merr(err, errlen, 0, "end %.3f is past the end of the video (%.3f s)",
		    end_ms / 1000.0, dur_ms / 1000.0);
	return 0;
}

struct cut {
	const char *path;
	AVFormatContext *ic;
	AVCodecContext *vdec, *adec;
	int vi, ai;
	struct msrc src;
	struct lane *lanes;          /* one per output, each with its thread */
	size_t nouts;
	int64_t start, end;          /* video window, vtb */
	int64_t base;                /* the file's start, vtb */
	AVFrame *frame;
	AVPacket *pkt;
	AVFrame **aq;                /* audio held until the seek is known good */
	size_t naq, aqcap;
	int confirmed;               /* a keyframe at or before start came out */
	int64_t last_ts, seek_back;  /* vtb */
	int audio_done, corrupt;
	long long frames;
	int64_t t0;
	media_progress_fn *progress;
	void *parg;
};

/* An output works in its own thread (its filter graph, its encoder, its
 * muxer), fed decoded frames through a short queue, so that the outputs and
 * the decoder run side by side. Only the lane's thread touches its mout
 * once it runs; the decoding thread asks mout_takes, which reads what does
 * not change. */
#define LANE_QUEUE 8

enum { ITEM_VIDEO, ITEM_AUDIO, ITEM_FINISH, ITEM_ABORT };

struct item {
	int kind;
	AVFrame *f;
	int64_t ts, dur;
};

struct lane {
	struct mout *o;
	pthread_t th;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item q[LANE_QUEUE];
	unsigned head, n;
	int failed;                  /* the thread's mout failed: err says why */
	char err[512];
	int vdone;                   /* decoding thread: no more video for it */
};

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	int failed = 0;
	char err[512];
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
		if (!failed) {
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
			failed = 1;
			pthread_mutex_lock(&l->mu);
			memcpy(l->err, err, sizeof err);
			l->failed = 1;
			pthread_mutex_unlock(&l->mu);
		}
		if (it.kind == ITEM_FINISH || it.kind == ITEM_ABORT)
			return NULL;
	}
}

/* Queues an item (a new reference to f); -1 with the lane's error when its
 * output failed. */
static int lane_push(struct lane *l, int kind, const AVFrame *f, int64_t ts, int64_t dur,
    char *err, size_t errlen)
{
	struct item it = {.kind = kind, .ts = ts, .dur = dur};
	if (f && !(it.f = av_frame_clone(f)))
		return merr(err, errlen, AVERROR(ENOMEM), "frame");
	pthread_mutex_lock(&l->mu);
	while (l->n == LANE_QUEUE && !l->failed)
		pthread_cond_wait(&l->cv, &l->mu);
	if (l->failed && kind != ITEM_ABORT) {
		snprintf(err, errlen, "%s", l->err);
		pthread_mutex_unlock(&l->mu);
		av_frame_free(&it.f);
		return -1;
	}
	while (l->n == LANE_QUEUE)
		pthread_cond_wait(&l->cv, &l->mu);
	l->q[(l->head + l->n) % LANE_QUEUE] = it;
	l->n++;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

/* Ends every lane (finish: write the outputs; else abandon them) and waits
 * for their threads. 0, or -1 with the first failed lane's error. */
static int lanes_end(struct cut *c, int finish, char *err, size_t errlen)
{
	char why[512];
	int r = 0;
	for (size_t i = 0; i < c->nouts; i++) {
		struct lane *l = &c->lanes[i];
		/* a lane that failed refuses to finish: abandon it */
		if (l->running && lane_push(l, finish ? ITEM_FINISH : ITEM_ABORT, NULL, 0, 0,
		    why, sizeof why) < 0)
			lane_push(l, ITEM_ABORT, NULL, 0, 0, why, sizeof why);
	}
	for (size_t i = 0; i < c->nouts; i++) {
		struct lane *l = &c->lanes[i];
		if (!l->running)
			continue;
		pthread_join(l->th, NULL);
		l->running = 0;
		if (l->failed && r == 0) {
			snprintf(err, errlen, "%s", l->err);
			r = -1;
		}
	}
	return r;
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

static int all_video_done(const struct cut *c)
{
	for (size_t i = 0; i < c->nouts; i++)
		if (!c->lanes[i].vdone)
			return 0;
	return 1;
}

/* 1: the seek went past the start, seek further back; 0 ok; -1 error */
static int on_video(struct cut *c, AVFrame *f, char *err, size_t errlen)
{
	int64_t ts = f->best_effort_timestamp;
	if (ts == AV_NOPTS_VALUE) {
		/* no timestamps (a raw stream): count frames */
		int64_t step = c->src.frame_rate.num > 0 ?
		    av_rescale_q(1, av_inv_q(c->src.frame_rate), c->src.vtb) : 1;
		ts = c->last_ts == AV_NOPTS_VALUE ? c->base : c->last_ts + (step > 0 ? step : 1);
	}
	if (!c->confirmed) {
		/* frames before the first keyframe after a seek may be broken;
		 * from the start of the file, or when no frame says it is a
		 * keyframe, take what comes */
		if (c->seek_back >= 0) {
			/* past the clip without a keyframe, or a keyframe after
			 * the start: seek further back */
			if (!f->key_frame)
				return ts >= c->end;
			if (ts > c->start)
				return 1;
		}
		c->confirmed = 1;
		for (size_t i = 0; i < c->naq; i++)
			if (feed_audio(c, c->aq[i], err, errlen) < 0)
				return -1;
		drop_audio_queue(c);
	}
	c->last_ts = ts;
	c->frames++;
	for (size_t i = 0; i < c->nouts; i++) {
		struct lane *l = &c->lanes[i];
		int t = l->vdone ? 2 : mout_takes(l->o, ts);
		if (t == 0 || t == 1) {
			if (lane_push(l, ITEM_VIDEO, f, ts, f->pkt_duration, err, errlen) < 0)
				return -1;
		}
		if (t >= 1)
			l->vdone = 1;
	}
	if (c->progress && ts >= c->start) {
		double el = (double)(av_gettime_relative() - c->t0) / 1e6;
		double done = (double)(ts - c->start) / (double)(c->end - c->start);
		double secs = (double)(ts - c->start) * av_q2d(c->src.vtb);
		c->progress(c->parg, done > 1 ? 1 : done, el > 0 ? c->frames / el : 0,
		    el > 0 ? secs / el : 0);
	}
	return 0;
}

static int on_audio(struct cut *c, AVFrame *f, char *err, size_t errlen)
{
	int64_t pts = f->best_effort_timestamp;
	if (pts == AV_NOPTS_VALUE)
		return 0; /* cannot place it: leave a gap rather than shift the rest */
	f->pts = av_rescale_q(pts, c->ic->streams[c->ai]->time_base,
	    (AVRational){1, f->sample_rate});
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

/* Sends a packet (NULL drains) and handles every frame. 1 asks for a
 * seek further back. */
static int decode(struct cut *c, AVCodecContext *dec, AVPacket *pkt, char *err, size_t errlen)
{
	int e = avcodec_send_packet(dec, pkt);
	if (e < 0 && e != AVERROR_EOF) {
		if (++c->corrupt > MAX_CORRUPT)
			return merr(err, errlen, e, "too many corrupt packets");
		double t = pkt && pkt->pts != AV_NOPTS_VALUE ?
		    pkt->pts * av_q2d(c->ic->streams[pkt->stream_index]->time_base) : 0;
		mwarn("%s: corrupt %s packet at %.3f s skipped: %s", c->path,
		    dec == c->vdec ? "video" : "audio", t, av_err2str(e));
		return 0;
	}
	for (;;) {
		e = avcodec_receive_frame(dec, c->frame);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e == AVERROR_INVALIDDATA) {
			if (++c->corrupt > MAX_CORRUPT)
				return merr(err, errlen, e, "too many corrupt frames");
			mwarn("%s: corrupt frame skipped", c->path);
			continue;
		}
		if (e < 0)
			return merr(err, errlen, e, "decoding");
		if (c->frame->decode_error_flags || (c->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
			if (++c->corrupt > MAX_CORRUPT)
				return merr(err, errlen, 0, "too many corrupt frames");
			AVRational tb = dec == c->vdec ? c->src.vtb : c->ic->streams[c->ai]->time_base;
			int64_t t = c->frame->best_effort_timestamp;
			t = t == AV_NOPTS_VALUE ? 0 : t - av_rescale_q(c->base, c->src.vtb, tb);
			mwarn("%s: corrupt %s data near %.3f s, concealed", c->path,
			    dec == c->vdec ? "video" : "audio", t * av_q2d(tb));
		}
		int r = dec == c->vdec ? on_video(c, c->frame, err, errlen)
		    : on_audio(c, c->frame, err, errlen);
		av_frame_unref(c->frame);
		if (r)
			return r;
	}
}

static int seek(struct cut *c, char *err, size_t errlen)
{
	int64_t target = c->start - c->seek_back;
	if (target <= c->base) {
		target = c->base;
		c->seek_back = -1; /* as far back as it goes: take what comes */
	}
	avcodec_flush_buffers(c->vdec);
	if (c->adec)
		avcodec_flush_buffers(c->adec);
	drop_audio_queue(c);
	c->confirmed = 0;
	c->audio_done = 0;
	c->last_ts = AV_NOPTS_VALUE;
	int e = av_seek_frame(c->ic, c->vi, target, AVSEEK_FLAG_BACKWARD);
	if (e < 0 && c->seek_back >= 0) {
		/* some files cannot seek: read from the beginning instead */
		c->seek_back = -1;
		e = av_seek_frame(c->ic, c->vi, c->base, AVSEEK_FLAG_BACKWARD);
		if (e < 0)
			e = avformat_seek_file(c->ic, -1, INT64_MIN, 0, 0, 0);
	}
	return e < 0 ? merr(err, errlen, e, "cannot seek") : 0;
}

/* The seek landed after the start: try a second earlier, then 2, 4 ... */
static int back_off(struct cut *c, char *err, size_t errlen)
{
	int64_t one = av_rescale_q(1, (AVRational){1, 1}, c->src.vtb);
	c->seek_back = c->seek_back ? 2 * c->seek_back : one;
	return seek(c, err, errlen);
}

static int run(struct cut *c, long long start_ms, long long end_ms, char *err, size_t errlen)
{
	int e;
	c->seek_back = 0;
	if (seek(c, err, errlen) < 0)
		return -1;
	for (;;) {
		if (all_video_done(c) && (c->ai < 0 || c->audio_done))
			break;
		if (interrupted)
			return merr(err, errlen, 0, "interrupted");
		e = av_read_frame(c->ic, c->pkt);
		if (e == AVERROR_EOF && !c->confirmed && c->seek_back >= 0) {
			/* the end, and no keyframe came out: from further back */
			e = 0;
			av_packet_unref(c->pkt);
			if (back_off(c, err, errlen) < 0)
				return -1;
			continue;
		}
		if (e == AVERROR_EOF)
			break;
		if (e < 0)
			return merr(err, errlen, e, "reading");
		int r = 0;
		if (c->pkt->flags & AV_PKT_FLAG_CORRUPT &&
		    (c->pkt->stream_index == c->vi || c->pkt->stream_index == c->ai)) {
			AVRational tb = c->ic->streams[c->pkt->stream_index]->time_base;
			mwarn("%s: corrupt packet at %.3f s skipped", c->path, c->pkt->pts == AV_NOPTS_VALUE ?
			    0 : (c->pkt->pts - av_rescale_q(c->base, c->src.vtb, tb)) * av_q2d(tb));
			if (++c->corrupt > MAX_CORRUPT) {
				av_packet_unref(c->pkt);
				return merr(err, errlen, 0, "too many corrupt packets");
			}
		} else if (c->pkt->stream_index == c->vi && !all_video_done(c))
			r = decode(c, c->vdec, c->pkt, err, errlen);
		else if (c->pkt->stream_index == c->ai && c->adec && !c->audio_done)
			r = decode(c, c->adec, c->pkt, err, errlen);
		av_packet_unref(c->pkt);
		if (r < 0)
			return -1;
		if (r == 1 && back_off(c, err, errlen) < 0)
			return -1;
	}
	/* the end of the file (or of the window): drain the decoders */
	if ((e = decode(c, c->vdec, NULL, err, errlen)) < 0 || (c->adec && decode(c, c->adec, NULL, err, errlen) < 0))
		return -1;
	if (!c->confirmed) {
		/* never found a keyframe: take the audio we have anyway */
		c->confirmed = 1;
		for (size_t i = 0; i < c->naq; i++)
			if (feed_audio(c, c->aq[i], err, errlen) < 0)
				return -1;
		drop_audio_queue(c);
	}
	if (c->last_ts == AV_NOPTS_VALUE || c->last_ts < c->start)
		return merr(err, errlen, 0, "no video frame between %.3f and %.3f s%s",
		    start_ms / 1000.0, end_ms / 1000.0,
		    c->ic->pb && c->ic->pb->eof_reached ? " (the file ends early: truncated?)" : "");
	/* the file said it lasts longer than what could be read */
	double got = (double)(c->last_ts - c->base) * av_q2d(c->src.vtb);
	if (!all_video_done(c) && c->ic->duration > 0 &&
	    got + 1.0 < (double)c->ic->duration / AV_TIME_BASE && got + 1.0 < end_ms / 1000.0)
		return merr(err, errlen, 0, "the video data ends at %.3f s, before the clip's end "
		    "(%.3f s): truncated?", got, end_ms / 1000.0);
	return lanes_end(c, 1, err, errlen);
}

int media_cut(const char *path, long long start_ms, long long end_ms, size_t n,
    const struct profile *const *profiles, const char *const *outs,
    struct media_result *res, media_progress_fn *progress, void *arg,
    char *err, size_t errlen)
{
	struct cut c = {.path = path, .vi = -1, .ai = -1, .progress = progress, .parg = arg};
	int r = -1;
	size_t ncopy = 0;
	c.t0 = av_gettime_relative();
	if (open_source(path, &c.ic, err, errlen) < 0)
		goto out;
	if ((c.vi = video_stream(c.ic)) < 0) {
		merr(err, errlen, 0, "no video stream");
		goto out;
	}
	if (check_range(c.ic, start_ms, end_ms, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		ncopy += profiles[i]->kind == PROFILE_COPY;
	AVStream *vst = c.ic->streams[c.vi];
	c.src.path = path;
	c.src.vtb = vst->time_base;
	c.src.frame_rate = av_guess_frame_rate(c.ic, vst, NULL);
	c.src.rotation = stream_rotation(vst);
	int64_t base_us = file_start(c.ic);
	c.base = av_rescale_q(base_us, AV_TIME_BASE_Q, c.src.vtb);
	c.start = c.base + av_rescale_q(start_ms, (AVRational){1, 1000}, c.src.vtb);
	c.end = c.base + av_rescale_q(end_ms, (AVRational){1, 1000}, c.src.vtb);
	if (ncopy < n) {
		int need_audio = 0;
		for (size_t i = 0; i < n; i++)
			need_audio |= profiles[i]->kind == PROFILE_VIDEO;
		c.ai = need_audio ? pick_audio(c.ic) : -1;
		if (open_decoder(c.ic, c.vi, 0, &c.vdec, err, errlen) < 0)
			goto out;
		if (c.ai >= 0 && open_decoder(c.ic, c.ai, 0, &c.adec, err, errlen) < 0) {
			/* an audio track we cannot decode: go on without audio */
			mwarn("%s: %s; the renditions get no audio", path, err);
			avcodec_free_context(&c.adec);
			c.ai = -1;
		}
		if (c.ai >= 0) {
			c.src.has_audio = 1;
			c.src.sample_rate = c.adec->sample_rate;
			c.src.sample_fmt = c.adec->sample_fmt;
			if (av_channel_layout_copy(&c.src.layout, &c.adec->ch_layout) < 0) {
				merr(err, errlen, AVERROR(ENOMEM), "channel layout");
				goto out;
			}
			AVRational sr = {1, c.adec->sample_rate};
			c.src.astart = av_rescale_q(base_us, AV_TIME_BASE_Q, sr) +
			    av_rescale_q(start_ms, (AVRational){1, 1000}, sr);
			c.src.aend = av_rescale_q(base_us, AV_TIME_BASE_Q, sr) +
			    av_rescale_q(end_ms, (AVRational){1, 1000}, sr);
		}
		c.lanes = xcalloc(n, sizeof *c.lanes);
		for (size_t i = 0; i < n; i++) {
			if (profiles[i]->kind == PROFILE_COPY)
				continue;
			struct lane *l = &c.lanes[c.nouts];
			if (!(l->o = mout_new(profiles[i], outs[i], &c.src, c.start, c.end,
			    &res[i], err, errlen)))
				goto out;
			pthread_mutex_init(&l->mu, NULL);
			pthread_cond_init(&l->cv, NULL);
			c.nouts++;
			int e = pthread_create(&l->th, NULL, lane_main, l);
			if (e) {
				merr(err, errlen, 0, "cannot start a thread: %s", strerror(e));
				goto out;
			}
			l->running = 1;
		}
		if (!(c.frame = av_frame_alloc()) || !(c.pkt = av_packet_alloc())) {
			merr(err, errlen, AVERROR(ENOMEM), "allocating");
			goto out;
		}
		if (run(&c, start_ms, end_ms, err, errlen) < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (profiles[i]->kind != PROFILE_COPY)
			continue;
		char why[256];
		if (media_copy(path, start_ms, end_ms, profiles[i], outs[i], &res[i], why, sizeof why) < 0) {
			if (ncopy == n) {
				/* nothing else to keep: the copy's error is the clip's */
				snprintf(err, errlen, "%s", why);
				goto out;
			}
			snprintf(res[i].error, sizeof res[i].error, "%s", why);
		}
	}
	r = 0;
out:
	if (c.lanes) {
		char why[512];
		lanes_end(&c, 0, why, sizeof why); /* after an error: abandon the rest */
		for (size_t i = 0; i < c.nouts; i++) {
			mout_free(c.lanes[i].o);
			pthread_mutex_destroy(&c.lanes[i].mu);
			pthread_cond_destroy(&c.lanes[i].cv);
		}
		free(c.lanes);
	}
	drop_audio_queue(&c);
	free(c.aq);
	av_frame_free(&c.frame);
	av_packet_free(&c.pkt);
	avcodec_free_context(&c.vdec);
	avcodec_free_context(&c.adec);
	av_channel_layout_uninit(&c.src.layout);
	avformat_close_input(&c.ic);
	return r;
}

/* Whether a packet flagged as a keyframe really starts a picture on its
 * own: some demuxers flag P-frames (MPEG-2 in MPEG-TS), so it is decoded
 * alone. Without a decoder the flag is believed. */
static int really_key(AVCodecContext *dec, AVFrame *f, const AVPacket *pkt)
{
	if (!(pkt->flags & AV_PKT_FLAG_KEY))
		return 0;
	if (!dec)
		return 1;
	avcodec_flush_buffers(dec);
	int key = 0;
	if (avcodec_send_packet(dec, pkt) >= 0 && avcodec_send_packet(dec, NULL) >= 0 &&
	    avcodec_receive_frame(dec, f) >= 0)
		key = f->key_frame && (f->pict_type == AV_PICTURE_TYPE_I ||
		    f->pict_type == AV_PICTURE_TYPE_NONE);
	av_frame_unref(f);
	avcodec_flush_buffers(dec);
	return key;
}

/* Seeks so that the first video keyframe read is at or before start: a
 * seek may land on a later one (MPEG-TS), then it tries 1, 2, 4 ... seconds
 * earlier, down to the beginning. */
static int copy_seek(AVFormatContext *ic, int vi, int64_t start, int64_t base, AVPacket *pkt,
    AVCodecContext *dec, AVFrame *f)
{
	AVRational tb = ic->streams[vi]->time_base;
	int64_t back = 0, one = av_rescale_q(1, (AVRational){1, 1}, tb);
	for (;;) {
		int64_t target = start - back;
		if (target <= base)
			target = base;
		int e = av_seek_frame(ic, vi, target, AVSEEK_FLAG_BACKWARD);
		if (e < 0)
			return avformat_seek_file(ic, -1, INT64_MIN, 0, 0, 0);
		if (target == base)
			return 0;
		int64_t kf = AV_NOPTS_VALUE;
		while (kf == AV_NOPTS_VALUE && (e = av_read_frame(ic, pkt)) >= 0) {
			if (pkt->stream_index == vi && really_key(dec, f, pkt))
				kf = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
			av_packet_unref(pkt);
		}
		if (kf != AV_NOPTS_VALUE && kf <= start)
			return av_seek_frame(ic, vi, target, AVSEEK_FLAG_BACKWARD);
		back = back ? 2 * back : one;
	}
}

/* Stream copy: the state of one copy. */
struct copy {
	AVFormatContext *ic, *oc;
	AVStream *vst;
	int vi, *map;
	int64_t kf, end, vend;       /* vtb: the real start, the asked end, the video's end */
	AVPacket **held;             /* from the keyframe until the start is settled */
	size_t nheld, cap;
	const char *out, *path;
};

/* Shifts a packet to start at the keyframe and writes it. */
static int copy_write(struct copy *c, AVPacket *p, char *err, size_t errlen)
{
	int si = p->stream_index;
	AVRational tb = c->ic->streams[si]->time_base;
	int64_t shift = av_rescale_q(c->kf, c->vst->time_base, tb);
	int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
	/* audio outside the copied video has nothing to go with */
	if (si != c->vi && t != AV_NOPTS_VALUE &&
	    (t < shift || av_rescale_q(t, tb, c->vst->time_base) >= c->end))
		return 0;
	if (si == c->vi && p->pts != AV_NOPTS_VALUE &&
	    (c->vend == AV_NOPTS_VALUE || p->pts + p->duration > c->vend))
		c->vend = p->pts + p->duration;
	if (p->pts != AV_NOPTS_VALUE)
		p->pts -= shift;
	if (p->dts != AV_NOPTS_VALUE)
		p->dts -= shift;
	av_packet_rescale_ts(p, tb, c->oc->streams[c->map[si]]->time_base);
	p->stream_index = c->map[si];
	p->pos = -1;
	int e = av_interleaved_write_frame(c->oc, p);
	return e < 0 ? merr(err, errlen, e, "%s: writing", c->out) : 0;
}

static void copy_drop_held(struct copy *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		av_packet_free(&c->held[i]);
	c->nheld = 0;
}

static int copy_hold(struct copy *c, const AVPacket *p, char *err, size_t errlen)
{
	if (c->nheld == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->held = xrealloc(c->held, c->cap * sizeof *c->held);
	}
	if (!(c->held[c->nheld] = av_packet_clone(p)))
		return merr(err, errlen, AVERROR(ENOMEM), "packet");
	c->nheld++;
	return 0;
}

/* The start is settled: the header, then what was held. */
static int copy_begin(struct copy *c, const struct profile_settings *s, char *err, size_t errlen)
{
	AVDictionary *opts = NULL;
	int e;
	if (strcmp(s->format, "mp4") == 0)
		av_dict_set(&opts, "movflags", "+faststart", 0);
	if ((e = avio_open(&c->oc->pb, c->oc->url, AVIO_FLAG_WRITE)) < 0 ||
	    (e = avformat_write_header(c->oc, &opts)) < 0) {
		av_dict_free(&opts);
		return merr(err, errlen, e, "%s", c->out);
	}
	av_dict_free(&opts);
	for (size_t i = 0; i < c->nheld; i++)
		if (copy_write(c, c->held[i], err, errlen) < 0)
			return -1;
	copy_drop_held(c);
	return 0;
}

/* Output streams for the video and the default audio track. */
static int copy_streams(struct copy *c, int ai, const char *format, char *err, size_t errlen)
{
	c->map = xcalloc(c->ic->nb_streams, sizeof *c->map);
	for (unsigned i = 0; i < c->ic->nb_streams; i++) {
		c->map[i] = -1;
		if ((int)i != c->vi && (int)i != ai)
			continue;
		AVStream *in = c->ic->streams[i];
		enum AVCodecID id = in->codecpar->codec_id;
		if (avformat_query_codec(c->oc->oformat, id, FF_COMPLIANCE_NORMAL) == 0) {
			if ((int)i == c->vi)
				return merr(err, errlen, 0, "%s cannot go into %s without re-encoding",
				    avcodec_get_name(id), format);
			mwarn("%s: %s audio cannot go into %s: the copy has no audio", c->path,
			    avcodec_get_name(id), format);
			continue;
		}
		AVStream *o = avformat_new_stream(c->oc, NULL);
		int e = o ? avcodec_parameters_copy(o->codecpar, in->codecpar) : AVERROR(ENOMEM);
		if (e < 0)
			return merr(err, errlen, e, "output stream");
		o->codecpar->codec_tag = 0;
		o->time_base = in->time_base;
		/* keep the rotation: a copy is the same picture */
		size_t sz;
		const uint8_t *dm = av_stream_get_side_data(in, AV_PKT_DATA_DISPLAYMATRIX, &sz);
		if (dm) {
			uint8_t *d = av_stream_new_side_data(o, AV_PKT_DATA_DISPLAYMATRIX, sz);
			if (!d)
				return merr(err, errlen, AVERROR(ENOMEM), "side data");
			memcpy(d, dm, sz);
		}
		c->map[i] = o->index;
	}
	return 0;
}

/* Stream copy. A copy must start on a keyframe: the last one at or before
 * the asked start. Packets from there are held until the start is passed
 * (a later keyframe at or before start replaces them), then everything
 * with a decode time before the end goes out, shifted to start at 0. */
int media_copy(const char *path, long long start_ms, long long end_ms,
    const struct profile *p, const char *out, struct media_result *res,
    char *err, size_t errlen)
{
	struct copy c = {.vi = -1, .kf = AV_NOPTS_VALUE, .vend = AV_NOPTS_VALUE, .out = out, .path = path};
	AVPacket *pkt = NULL;
	AVCodecContext *dec = NULL;
	AVFrame *f = NULL;
	int r = -1, e, started = 0;
	struct profile_settings s;
	profile_settings(p, &s);
	memset(res, 0, sizeof *res);
	if (open_source(path, &c.ic, err, errlen) < 0)
		goto out;
	if ((c.vi = video_stream(c.ic)) < 0) {
		merr(err, errlen, 0, "no video stream");
		goto out;
	}
	if (check_range(c.ic, start_ms, end_ms, err, errlen) < 0)
		goto out;
	c.vst = c.ic->streams[c.vi];
	AVRational vtb = c.vst->time_base;
	int64_t base = av_rescale_q(file_start(c.ic), AV_TIME_BASE_Q, vtb);
	int64_t start = base + av_rescale_q(start_ms, (AVRational){1, 1000}, vtb);
	c.end = base + av_rescale_q(end_ms, (AVRational){1, 1000}, vtb);
	char *url = media_url(out);
	e = avformat_alloc_output_context2(&c.oc, NULL, s.format, url);
	free(url);
	if (e < 0 || !c.oc) {
		merr(err, errlen, e, "output format %s", s.format);
		goto out;
	}
	if (copy_streams(&c, pick_audio(c.ic), s.format, err, errlen) < 0)
		goto out;
	if (!(pkt = av_packet_alloc()) || !(f = av_frame_alloc())) {
		merr(err, errlen, AVERROR(ENOMEM), "allocating");
		goto out;
	}
	/* one frame at a time, so that a keyframe comes out at once */
	char why[256];
	if (open_decoder(c.ic, c.vi, 1, &dec, why, sizeof why) < 0)
		avcodec_free_context(&dec);
	if ((e = copy_seek(c.ic, c.vi, start, base, pkt, dec, f)) < 0) {
		merr(err, errlen, e, "cannot seek");
		goto out;
	}
	for (;;) {
		if (interrupted) {
			merr(err, errlen, 0, "interrupted");
			goto out;
		}
		e = av_read_frame(c.ic, pkt);
		if (e == AVERROR_EOF)
			break;
		if (e < 0) {
			merr(err, errlen, e, "reading");
			goto out;
		}
		int si = pkt->stream_index, video = si == c.vi;
		if (c.map[si] < 0) {
			av_packet_unref(pkt);
			continue;
		}
		int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
		int64_t tv = t == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(t, c.ic->streams[si]->time_base, vtb);
		if (started && video && pkt->dts != AV_NOPTS_VALUE && pkt->dts >= c.end)
			break;
		if (!started) {
			if (video && tv != AV_NOPTS_VALUE && tv <= start && really_key(dec, f, pkt)) {
				copy_drop_held(&c);
				c.kf = tv;
			} else if (video && c.kf != AV_NOPTS_VALUE && tv != AV_NOPTS_VALUE &&
			    (tv > start || (pkt->flags & AV_PKT_FLAG_KEY))) {
				if (copy_begin(&c, &s, err, errlen) < 0)
					goto out;
				started = 1;
			}
			if (!started) {
				e = c.kf == AV_NOPTS_VALUE ? 0 : copy_hold(&c, pkt, err, errlen);
				av_packet_unref(pkt);
				if (e < 0)
					goto out;
				continue;
			}
		}
		e = copy_write(&c, pkt, err, errlen);
		av_packet_unref(pkt);
		if (e < 0)
			goto out;
	}
	/* a clip in the last frames: the file ended before the start was passed */
	if (!started && c.kf != AV_NOPTS_VALUE) {
		if (copy_begin(&c, &s, err, errlen) < 0)
			goto out;
		started = 1;
	}
	if (!started) {
		merr(err, errlen, 0, "no keyframe at or before %.3f s", start_ms / 1000.0);
		goto out;
	}
	if ((e = av_write_trailer(c.oc)) < 0 || (e = avio_closep(&c.oc->pb)) < 0) {
		merr(err, errlen, e, "%s: finishing", out);
		goto out;
	}
	int w = c.vst->codecpar->width, h = c.vst->codecpar->height, rot = stream_rotation(c.vst);
	if (rot && strcmp(s.format, "mp4")) {
		/* the matroska muxer here writes no display matrix */
		mwarn("%s: a %s copy cannot keep the rotation: it is not upright", path, s.format);
		rot = 0;
	}
	res->width = rot == 90 || rot == 270 ? h : w;
	res->height = rot == 90 || rot == 270 ? w : h;
	res->start_ms = av_rescale_q(c.kf - base, vtb, (AVRational){1, 1000});
	res->duration_ms = c.vend == AV_NOPTS_VALUE ? 0 : av_rescale_q(c.vend - c.kf, vtb, (AVRational){1, 1000});
	r = 0;
out:
	copy_drop_held(&c);
	free(c.held);
	free(c.map);
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&dec);
	if (c.oc) {
		if (c.oc->pb)
			avio_closep(&c.oc->pb);
		avformat_free_context(c.oc);
	}
	avformat_close_input(&c.ic);
	return r;
}
