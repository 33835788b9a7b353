/* The source of a cut, shared by the decoding cut (media_decode.c) and the
 * stream copy (media_copy.c): opening a file, its streams, where its clip
 * times count from, seeking and going back to its first packet; and the
 * FFmpeg libraries' log lines, which go out as ours (program, file). */
#include "media_int.h"
#include "util.h"

#include <libavutil/display.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A target this close to the start is read from the start: cheaper than a
 * seek that may land after it. */
#define REWIND_NEAR_US 1000000

char *media_url(const char *path)
{
	return xasprintf("file:%s", path);
}

int merr(char *err, size_t errlen, int e, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (e)
		snprintf(err, errlen, "%s: %s", what, av_err2str(e));
	else
		snprintf(err, errlen, "%s", what);
	return -1;
}

int media_pkt_push(AVPacket ***a, size_t *n, size_t *cap, const AVPacket *p,
    char *err, size_t errlen)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*a = xrealloc(*a, *cap * sizeof **a);
	}
	if (!((*a)[*n] = av_packet_clone(p)))
		return merr(err, errlen, AVERROR(ENOMEM), "packet");
	(*n)++;
	return 0;
}

static volatile sig_atomic_t interrupted;

void media_interrupt(void)
{
	interrupted = 1;
}

int media_interrupted(void)
{
	return interrupted;
}

/* --- the libraries' log lines --- */

static int log_level = AV_LOG_ERROR;
static _Thread_local struct mlog *thread_log; /* what this thread works on */
static _Thread_local char last_error[256];          /* its last error line */

void mlog_enter(struct mlog *l)
{
	thread_log = l;
	last_error[0] = 0;
}

const char *mlog_last_error(void)
{
	return last_error;
}

/* The mlog a line belongs to: the codec context's (set by us on every
 * decoder and encoder, and copied into the threads of frame-threaded
 * codecs), else the thread's. */
static struct mlog *log_of(void *avcl)
{
	const AVClass *cls = avcl ? *(const AVClass **)avcl : NULL;
	if (cls && strcmp(cls->class_name, "AVCodecContext") == 0 && ((AVCodecContext *)avcl)->opaque)
		return ((AVCodecContext *)avcl)->opaque;
	return thread_log;
}

static void on_log(void *avcl, int level, const char *fmt, va_list vl)
{
	struct mlog *l = log_of(avcl);
	if (level > log_level && level > AV_LOG_ERROR)
		return;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, vl);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	if (!n)
		return;
	/* after a seek, packets before the clip may not decode: not news */
	if (l && atomic_load(&l->preroll))
		return;
	const AVClass *cls = avcl ? *(const AVClass **)avcl : NULL;
	const char *who = cls && cls->item_name ? cls->item_name(avcl) : "libav";
	if (level <= AV_LOG_ERROR && l == thread_log)
		snprintf(last_error, sizeof last_error, "%s", msg);
	if (level > log_level)
		return;
	if (l && l->path)
		mwarn("%s: %s: %s", l->path, who, msg);
	else
		mwarn("%s: %s", who, msg);
}

void media_init(int verbosity)
{
	log_level = verbosity < 0 ? AV_LOG_QUIET : verbosity > 0 ? AV_LOG_WARNING : AV_LOG_ERROR;
	av_log_set_callback(on_log);
	/* SVT-AV1 prints past av_log, without our prefix: its errors reach us
	 * through libavcodec's own line */
	setenv("SVT_LOG", "0", 0);
}

/* --- streams --- */

/* The clockwise turn that makes the picture upright, from the display
 * matrix (as the ffmpeg CLI's autorotate reads it). */
int media_rotation(const AVStream *st)
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

static int video_stream(const AVFormatContext *ic)
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

int media_decoder(struct mfile *f, int idx, int threads, AVCodecContext **out,
    char *err, size_t errlen)
{
	AVStream *st = f->ic->streams[idx];
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
	(*out)->opaque = &f->log;
	if ((e = avcodec_open2(*out, dec, NULL)) < 0)
		return merr(err, errlen, e, "opening the %s decoder", dec->name);
	return 0;
}

/* --- the file --- */

static int open_input(struct mfile *f, char *err, size_t errlen)
{
	struct stat st;
	/* a FIFO or a device would block or never end */
	if (stat(f->path, &st) < 0)
		return merr(err, errlen, 0, "cannot open: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return merr(err, errlen, 0, "not a regular file");
	/* a playlist or a concat script in the backyard must not open URLs */
	AVDictionary *opts = NULL;
	char *url = media_url(f->path);
	int e = av_dict_set(&opts, "protocol_whitelist", "file", 0);
	if (e >= 0)
		e = avformat_open_input(&f->ic, url, NULL, &opts);
	av_dict_free(&opts);
	free(url);
	if (e < 0)
		return merr(err, errlen, e, "cannot open");
	if ((e = avformat_find_stream_info(f->ic, NULL)) < 0)
		return merr(err, errlen, e, "cannot read the streams");
	f->fresh = 1;
	return 0;
}

/* Where clip times count from: the first timestamp of the video or its
 * audio, as the ffmpeg CLI counts an output of the two. An MPEG-TS starts
 * anywhere; after a 33-bit wrap of its clock its first timestamps are
 * negative; a subtitle or data stream does not move it. */
static int64_t first_timestamp(const struct mfile *f)
{
	int64_t t = AV_NOPTS_VALUE;
	for (int k = 0; k < 2; k++) {
		int i = k ? f->ai : f->vi;
		const AVStream *st = i >= 0 ? f->ic->streams[i] : NULL;
		if (!st || st->start_time == AV_NOPTS_VALUE)
			continue;
		int64_t s = av_rescale_q(st->start_time, st->time_base, AV_TIME_BASE_Q);
		if (t == AV_NOPTS_VALUE || s < t)
			t = s;
	}
	if (t == AV_NOPTS_VALUE)
		t = f->ic->start_time;
	return t == AV_NOPTS_VALUE ? 0 : t;
}

int mfile_open(struct mfile *f, const char *path, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->path = path;
	f->log.path = path;
	f->vi = f->ai = -1;
	if (open_input(f, err, errlen) < 0)
		return -1;
	if ((f->vi = video_stream(f->ic)) < 0)
		return merr(err, errlen, 0, "no video stream");
	f->ai = pick_audio(f->ic);
	f->base = first_timestamp(f);
	AVStream *vst = f->ic->streams[f->vi];
	f->vtb = vst->time_base;
	AVRational fr = av_guess_frame_rate(f->ic, vst, NULL);
	f->frame_dur = av_rescale_q(1, fr.num > 0 && fr.den > 0 ? av_inv_q(fr) : (AVRational){1, 10}, f->vtb);
	return 0;
}

void mfile_close(struct mfile *f)
{
	avformat_close_input(&f->ic);
}

long long mfile_tolerance_ms(const struct mfile *f)
{
	return av_rescale_q(f->frame_dur, f->vtb, (AVRational){1, 1000}) + 1;
}

int64_t mfile_vtime(const struct mfile *f, long long ms)
{
	return av_rescale_q(f->base, AV_TIME_BASE_Q, f->vtb) +
	    av_rescale_q(ms, (AVRational){1, 1000}, f->vtb);
}

double mfile_seconds(const struct mfile *f, int64_t ts, AVRational tb)
{
	return (double)(ts - av_rescale_q(f->base, AV_TIME_BASE_Q, tb)) * av_q2d(tb);
}

int mfile_check_range(const struct mfile *f, long long start_ms, long long end_ms,
    char *err, size_t errlen)
{
	if (end_ms <= start_ms)
		return merr(err, errlen, 0, "the clip is empty (end %.3f is not after start %.3f)",
		    end_ms / 1000.0, start_ms / 1000.0);
	const AVFormatContext *ic = f->ic;
	if (ic->duration == AV_NOPTS_VALUE || ic->duration <= 0)
		return 0;
	long long dur_ms = ic->duration / 1000;
	if (start_ms >= dur_ms)
		return merr(err, errlen, 0, "start %.3f is past the end of the video (%.3f s)",
		    start_ms / 1000.0, dur_ms / 1000.0);
	/* an end may round the last frame's up; more would make a short file */
	if (end_ms > dur_ms + mfile_tolerance_ms(f))
		return merr(err, errlen, 0, "end %.3f is past the end of the video (%.3f s)",
		    end_ms / 1000.0, dur_ms / 1000.0);
	return 0;
}

int mfile_read(struct mfile *f, AVPacket *pkt)
{
	f->fresh = 0;
	return av_read_frame(f->ic, pkt);
}

/* Opens the file again: the one sure way back to its first packet, since
 * a timestamp seek to the start lands on the last packet at or before that
 * time in formats that search by timestamp (MPEG-TS and PS), past the
 * first keyframe when the stream has B-frames. */
int mfile_rewind(struct mfile *f, char *err, size_t errlen)
{
	if (f->fresh)
		return 0;
	AVFormatContext *old = f->ic;
	f->ic = NULL;
	int r = open_input(f, err, errlen);
	if (r == 0 && (f->ic->nb_streams != old->nb_streams ||
	    f->ic->streams[f->vi]->codecpar->codec_id != old->streams[f->vi]->codecpar->codec_id ||
	    (f->ai >= 0 && f->ic->streams[f->ai]->codecpar->codec_id != old->streams[f->ai]->codecpar->codec_id)))
		r = merr(err, errlen, 0, "the streams changed while it was read");
	avformat_close_input(&old);
	return r;
}

int mfile_seek(struct mfile *f, int64_t target, char *err, size_t errlen)
{
	int64_t near = av_rescale_q(f->base + REWIND_NEAR_US, AV_TIME_BASE_Q, f->vtb);
	if (target <= near)
		return mfile_rewind(f, err, errlen) < 0 ? -1 : 1;
	int e = av_seek_frame(f->ic, f->vi, target, AVSEEK_FLAG_BACKWARD);
	if (e < 0)
		/* some files cannot seek: read them from the start */
		return mfile_rewind(f, err, errlen) < 0 ? -1 : 1;
	f->fresh = 0;
	return 0;
}

long long media_file_duration(const char *path, char *err, size_t errlen)
{
	AVFormatContext *ic = NULL;
	char *url = media_url(path);
	int e = avformat_open_input(&ic, url, NULL, NULL);
	free(url);
	if (e >= 0)
		e = avformat_find_stream_info(ic, NULL);
	long long ms = -1;
	if (e < 0)
		merr(err, errlen, e, "%s: reading it back", path);
	else if (ic->duration == AV_NOPTS_VALUE || ic->duration < 0)
		merr(err, errlen, 0, "%s: no duration when read back", path);
	else
		ms = av_rescale(ic->duration, 1000, AV_TIME_BASE);
	avformat_close_input(&ic);
	return ms;
}

/* The time (vtb) of the first video packet from here that is_key takes
 * for a keyframe, or AV_NOPTS_VALUE when a video packet after start comes
 * first (the keyframe, if any, is after it) or the file ends. */
static int64_t first_keyframe(struct mfile *f, int64_t start, media_key_fn *is_key, void *arg,
    AVPacket *pkt)
{
	int64_t kf = AV_NOPTS_VALUE;
	while (mfile_read(f, pkt) >= 0) {
		int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
		int video = pkt->stream_index == f->vi && t != AV_NOPTS_VALUE;
		int key = video && is_key(arg, pkt);
		av_packet_unref(pkt);
		if (key)
			kf = t;
		if (key || (video && t > start))
			break;
	}
	return kf;
}

int mfile_seek_key(struct mfile *f, int64_t start, int64_t *back, media_key_fn *is_key, void *arg,
    AVPacket *pkt, char *err, size_t errlen)
{
	int64_t one = av_rescale_q(1, (AVRational){1, 1}, f->vtb);
	for (;;) {
		int64_t target = start - *back;
		int r = mfile_seek(f, target, err, errlen);
		if (r != 0)
			return r;
		int64_t kf = first_keyframe(f, start, is_key, arg, pkt);
		if (kf != AV_NOPTS_VALUE && kf <= start)
			return mfile_seek(f, target, err, errlen);
		*back = *back ? 2 * *back : one;
	}
}
