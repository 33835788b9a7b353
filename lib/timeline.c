/* The editor's timeline of a video in one decode: every frame goes through
 * scale + scdet (the scene changes), the frames nearest to regular times
 * become tiles of a sprite sheet, and the audio becomes peaks. FFmpeg is
 * loaded with dlopen on the first call (as probe.c does), because
 * medusa-serve links this file and must start fast for every other
 * request; the sonames are those of the headers we were built against. */
#include "timeline.h"
#include "atomic.h"
#include "probe.h"
#include "timefmt.h"
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define TILE_H 72          /* px; the page scales tiles to its lane height */
#define MAX_TILES 300      /* per sheet: about 1 MB of JPEG at most */
#define MAX_PEAKS 30000    /* per video: 100 a second up to 5 minutes */
#define SHEET_COLS 10
#define SCENE_THRESHOLD 10 /* scdet's score (0-100); hard cuts score 20 and more */
#define MAX_BAD_PACKETS 100

enum { L_avformat, L_avcodec, L_avfilter, L_avutil, NLIBS };

#define AV_FUNCS(X) \
	X(avformat, avformat_open_input) X(avformat, avformat_find_stream_info) \
	X(avformat, av_find_best_stream) X(avformat, av_read_frame) X(avformat, avformat_close_input) \
	X(avcodec, avcodec_find_decoder) X(avcodec, avcodec_find_encoder) \
	X(avcodec, avcodec_alloc_context3) X(avcodec, avcodec_parameters_to_context) \
	X(avcodec, avcodec_open2) X(avcodec, avcodec_send_packet) X(avcodec, avcodec_receive_frame) \
	X(avcodec, avcodec_send_frame) X(avcodec, avcodec_receive_packet) \
	X(avcodec, avcodec_free_context) X(avcodec, av_packet_alloc) X(avcodec, av_packet_free) \
	X(avcodec, av_packet_unref) \
	X(avfilter, avfilter_graph_alloc) X(avfilter, avfilter_get_by_name) \
	X(avfilter, avfilter_graph_create_filter) X(avfilter, avfilter_graph_parse_ptr) \
	X(avfilter, avfilter_inout_alloc) X(avfilter, avfilter_inout_free) \
	X(avfilter, avfilter_graph_config) X(avfilter, avfilter_graph_free) \
	X(avfilter, av_buffersrc_add_frame_flags) X(avfilter, av_buffersink_get_frame) \
	X(avutil, av_frame_alloc) X(avutil, av_frame_free) X(avutil, av_frame_unref) \
	X(avutil, av_frame_get_buffer) X(avutil, av_dict_get) X(avutil, av_dict_set) \
	X(avutil, av_dict_free) X(avutil, av_strdup) X(avutil, av_strerror) \
	X(avutil, av_log_set_level) X(avutil, av_sample_fmt_is_planar) \
	X(avutil, av_get_packed_sample_fmt)

static struct {
	int loaded; /* 1 ok, -1 failed */
	char error[256];
#define AV_DECL(lib, f) __typeof__(&f) f;
	AV_FUNCS(AV_DECL)
} av;

static int load(void)
{
	if (av.loaded)
		return av.loaded;
	const int major[NLIBS] = {LIBAVFORMAT_VERSION_MAJOR, LIBAVCODEC_VERSION_MAJOR,
	    LIBAVFILTER_VERSION_MAJOR, LIBAVUTIL_VERSION_MAJOR};
	static const char *const name[NLIBS] = {"avformat", "avcodec", "avfilter", "avutil"};
	void *h[NLIBS];
	for (int i = 0; i < NLIBS; i++) {
		char so[64];
		snprintf(so, sizeof so, "lib%s.so.%d", name[i], major[i]);
		if (!(h[i] = dlopen(so, RTLD_NOW | RTLD_LOCAL))) {
			snprintf(av.error, sizeof av.error, "cannot load FFmpeg: %s", dlerror());
			return av.loaded = -1;
		}
	}
#define AV_LOAD(lib, f) \
	if (!(*(void **)&av.f = dlsym(h[L_##lib], #f))) { \
		snprintf(av.error, sizeof av.error, "lib%s: no %s", #lib, #f); \
		return av.loaded = -1; \
	}
	AV_FUNCS(AV_LOAD)
	/* our messages name the file; libav's own would be noise */
	av.av_log_set_level(AV_LOG_QUIET);
	return av.loaded = 1;
}

struct tl {
	AVFormatContext *ic;
	AVCodecContext *vdec, *adec;
	int vi, ai, rotation;
	AVFilterGraph *graph;
	AVFilterContext *src, *sink;
	AVFrame *frame, *filt, *sheet;
	AVPacket *pkt;
	double start;           /* where times count from, seconds */
	double duration;        /* 0 when unknown */
	double fps, interval, next;
	int tw, th, cols, maxtiles, ntiles;
	double *times;
	double *scenes;
	size_t nscenes, capscenes;
	long nframes;
	unsigned char *peaks;
	size_t npeaks, cappeaks;
	double rate;            /* peaks per second */
	char *err;
	size_t errlen;
};

static int fail(struct tl *t, int e, const char *what)
{
	char buf[AV_ERROR_MAX_STRING_SIZE] = "";
	if (e < 0 && av.av_strerror(e, buf, sizeof buf) < 0)
		snprintf(buf, sizeof buf, "error %d", e);
	snprintf(t->err, t->errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
	return -1;
}

static int open_decoder(struct tl *t, int idx, AVCodecContext **out)
{
	AVStream *st = t->ic->streams[idx];
	const AVCodec *dec = av.avcodec_find_decoder(st->codecpar->codec_id);
	if (!dec)
		return fail(t, 0, "no decoder for the stream");
	if (!(*out = av.avcodec_alloc_context3(dec)))
		return fail(t, AVERROR(ENOMEM), "decoder");
	int e = av.avcodec_parameters_to_context(*out, st->codecpar);
	if (e < 0)
		return fail(t, e, "decoder parameters");
	(*out)->pkt_timebase = st->time_base;
	(*out)->thread_count = 0;
	if ((e = av.avcodec_open2(*out, dec, NULL)) < 0)
		return fail(t, e, "opening the decoder");
	return 0;
}

static int open_input(struct tl *t, const char *path)
{
	/* a playlist or concat script in the backyard must not open URLs */
	AVDictionary *opts = NULL;
	if (av.av_dict_set(&opts, "protocol_whitelist", "file", 0) < 0)
		return fail(t, AVERROR(ENOMEM), "options");
	int e = av.avformat_open_input(&t->ic, path, NULL, &opts);
	av.av_dict_free(&opts);
	if (e < 0)
		return fail(t, e, "cannot open");
	if ((e = av.avformat_find_stream_info(t->ic, NULL)) < 0)
		return fail(t, e, "cannot read the streams");
	t->vi = av.av_find_best_stream(t->ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (t->vi < 0)
		return fail(t, 0, "no video stream");
	t->ai = av.av_find_best_stream(t->ic, AVMEDIA_TYPE_AUDIO, -1, t->vi, NULL, 0);
	if (open_decoder(t, t->vi, &t->vdec) < 0)
		return -1;
	/* a video whose sound cannot be decoded still gets its pictures */
	if (t->ai >= 0 && open_decoder(t, t->ai, &t->adec) < 0)
		t->ai = -1;
	/* clip times count from the file's first timestamp, never before 0 */
	int64_t s = t->ic->start_time;
	t->start = s == AV_NOPTS_VALUE || s < 0 ? 0 : s / (double)AV_TIME_BASE;
	AVRational fr = t->ic->streams[t->vi]->avg_frame_rate;
	t->fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 25;
	return 0;
}

/* The tile size, the time between tiles and the sheet's layout. */
static void plan_tiles(struct tl *t)
{
	const AVCodecParameters *cp = t->ic->streams[t->vi]->codecpar;
	double w = cp->width, h = cp->height;
	if (cp->sample_aspect_ratio.num > 0 && cp->sample_aspect_ratio.den > 0)
		w *= av_q2d(cp->sample_aspect_ratio);
	if (t->rotation == 90 || t->rotation == 270) {
		double x = w;
		w = h;
		h = x;
	}
	t->th = TILE_H;
	long tw = h > 0 ? 2 * lround(TILE_H * w / h / 2) : 128;
	t->tw = (int)(tw < 16 ? 16 : tw > 4 * TILE_H ? 4 * TILE_H : tw);
	static const double ladder[] = {0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600, 1800};
	size_t i = 0;
	while (i + 1 < sizeof ladder / sizeof ladder[0] && t->duration / ladder[i] > MAX_TILES - 1)
		i++;
	t->interval = ladder[i];
	double n = t->duration > 0 ? ceil(t->duration / t->interval) + 1 : MAX_TILES;
	t->maxtiles = n > MAX_TILES ? MAX_TILES : (int)n;
	t->cols = t->maxtiles < SHEET_COLS ? t->maxtiles : SHEET_COLS;
	t->times = xcalloc((size_t)t->maxtiles, sizeof *t->times);
	double r = t->duration > 0 ? MAX_PEAKS / t->duration : 100;
	t->rate = r > 100 ? 100 : r;
}

static int link_graph(struct tl *t, const char *chain)
{
	AVFilterInOut *outs = av.avfilter_inout_alloc(), *ins = av.avfilter_inout_alloc();
	int e = AVERROR(ENOMEM);
	if (outs && ins) {
		outs->name = av.av_strdup("in");
		outs->filter_ctx = t->src;
		ins->name = av.av_strdup("out");
		ins->filter_ctx = t->sink;
		if (outs->name && ins->name &&
		    (e = av.avfilter_graph_parse_ptr(t->graph, chain, &ins, &outs, NULL)) >= 0)
			e = av.avfilter_graph_config(t->graph, NULL);
	}
	av.avfilter_inout_free(&ins);
	av.avfilter_inout_free(&outs);
	return e < 0 ? fail(t, e, "the filter graph") : 0;
}

/* buffer -> (rotation) -> scale to the tile -> JPEG's pixel format ->
 * scdet -> buffersink, set up from the first decoded frame. */
static int open_graph(struct tl *t, const AVFrame *f)
{
	AVRational tb = t->ic->streams[t->vi]->time_base;
	AVRational sar = f->sample_aspect_ratio.num > 0 ? f->sample_aspect_ratio : (AVRational){1, 1};
	char args[256], chain[256];
	snprintf(args, sizeof args, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
	    f->width, f->height, f->format, tb.num, tb.den, sar.num, sar.den);
	const char *rot = t->rotation == 90 ? "transpose=clock," : t->rotation == 180 ?
	    "hflip,vflip," : t->rotation == 270 ? "transpose=cclock," : "";
	snprintf(chain, sizeof chain, "%sscale=%d:%d:flags=area,setsar=1,format=yuvj420p,scdet=threshold=%d",
	    rot, t->tw, t->th, SCENE_THRESHOLD);
	if (!(t->graph = av.avfilter_graph_alloc()))
		return fail(t, AVERROR(ENOMEM), "the filter graph");
	int e = av.avfilter_graph_create_filter(&t->src, av.avfilter_get_by_name("buffer"), "in",
	    args, NULL, t->graph);
	if (e >= 0)
		e = av.avfilter_graph_create_filter(&t->sink, av.avfilter_get_by_name("buffersink"),
		    "out", NULL, NULL, t->graph);
	if (e < 0)
		return fail(t, e, "the filter graph");
	return link_graph(t, chain);
}

static int alloc_sheet(struct tl *t)
{
	int rows = (t->maxtiles + t->cols - 1) / t->cols;
	if (!(t->sheet = av.av_frame_alloc()))
		return fail(t, AVERROR(ENOMEM), "the filmstrip");
	t->sheet->format = AV_PIX_FMT_YUVJ420P;
	t->sheet->width = t->cols * t->tw;
	t->sheet->height = rows * t->th;
	int e = av.av_frame_get_buffer(t->sheet, 0);
	if (e < 0)
		return fail(t, e, "the filmstrip");
	/* black where no tile comes (full range: Y 0, chroma 128) */
	memset(t->sheet->data[0], 0, (size_t)t->sheet->linesize[0] * (size_t)t->sheet->height);
	for (int p = 1; p < 3; p++)
		memset(t->sheet->data[p], 128, (size_t)t->sheet->linesize[p] * (size_t)(t->sheet->height / 2));
	return 0;
}

static void put_tile(struct tl *t, const AVFrame *f, double time)
{
	int i = t->ntiles++;
	int x = (i % t->cols) * t->tw, y = (i / t->cols) * t->th;
	for (int p = 0; p < 3; p++) {
		int sh = p ? 1 : 0, w = t->tw >> sh, h = t->th >> sh;
		for (int r = 0; r < h && r < (f->height >> sh); r++)
			memcpy(t->sheet->data[p] + (size_t)((y >> sh) + r) * (size_t)t->sheet->linesize[p] + (x >> sh),
			    f->data[p] + (size_t)r * (size_t)f->linesize[p], (size_t)(w < (f->width >> sh) ? w : f->width >> sh));
	}
	t->times[i] = time;
	/* the next tile is the first frame at or after the next multiple of
	 * the interval (a quarter frame early counts: timestamps are rounded) */
	while (t->next - 0.25 / t->fps <= time)
		t->next += t->interval;
}

static void on_picture(struct tl *t, const AVFrame *f)
{
	AVRational tb = t->ic->streams[t->vi]->time_base;
	double time = f->pts == AV_NOPTS_VALUE ? t->nframes / t->fps : f->pts * av_q2d(tb) - t->start;
	if (time < 0)
		time = 0;
	if (t->nframes++ > 0 && av.av_dict_get(f->metadata, "lavfi.scd.time", NULL, 0)) {
		if (t->nscenes == t->capscenes) {
			t->capscenes = t->capscenes ? 2 * t->capscenes : 64;
			t->scenes = xrealloc(t->scenes, t->capscenes * sizeof *t->scenes);
		}
		t->scenes[t->nscenes++] = time;
	}
	if (t->ntiles < t->maxtiles && time >= t->next - 0.25 / t->fps)
		put_tile(t, f, time);
}

static int drain_graph(struct tl *t)
{
	for (;;) {
		int e = av.av_buffersink_get_frame(t->sink, t->filt);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e < 0)
			return fail(t, e, "filtering");
		on_picture(t, t->filt);
		av.av_frame_unref(t->filt);
	}
}

static int on_video_frame(struct tl *t, AVFrame *f)
{
	if (!t->graph && (open_graph(t, f) < 0 || alloc_sheet(t) < 0))
		return -1;
	f->pts = f->best_effort_timestamp;
	int e = av.av_buffersrc_add_frame_flags(t->src, f, AV_BUFFERSRC_FLAG_KEEP_REF);
	if (e < 0)
		return fail(t, e, "filtering");
	return drain_graph(t);
}

/* A sample as a fraction of full scale, any of the usual formats (fmt:
 * the packed one of the frame's). */
static double sample_at(const AVFrame *f, int planar, enum AVSampleFormat fmt, int ch, int i)
{
	const uint8_t *d = f->extended_data[planar ? ch : 0];
	size_t k = planar ? (size_t)i : (size_t)i * (size_t)f->ch_layout.nb_channels + (size_t)ch;
	switch (fmt) {
	case AV_SAMPLE_FMT_U8: return (d[k] - 128) / 128.0;
	case AV_SAMPLE_FMT_S16: return ((const int16_t *)d)[k] / 32768.0;
	case AV_SAMPLE_FMT_S32: return ((const int32_t *)d)[k] / 2147483648.0;
	case AV_SAMPLE_FMT_FLT: return ((const float *)d)[k];
	case AV_SAMPLE_FMT_DBL: return ((const double *)d)[k];
	default: return 0;
	}
}

static void on_audio_frame(struct tl *t, const AVFrame *f)
{
	AVStream *st = t->ic->streams[t->ai];
	int64_t pts = f->best_effort_timestamp;
	if (pts == AV_NOPTS_VALUE || f->sample_rate <= 0)
		return;
	double t0 = pts * av_q2d(st->time_base) - t->start;
	int planar = av.av_sample_fmt_is_planar(f->format);
	enum AVSampleFormat fmt = av.av_get_packed_sample_fmt(f->format);
	for (int i = 0; i < f->nb_samples; i++) {
		double b = floor((t0 + (double)i / f->sample_rate) * t->rate);
		if (b < 0 || b >= MAX_PEAKS * 2)
			continue;
		size_t k = (size_t)b;
		xgrow_zeroed(&t->peaks, &t->cappeaks, k, 1024);
		double m = 0;
		for (int ch = 0; ch < f->ch_layout.nb_channels; ch++) {
			double v = fabs(sample_at(f, planar, fmt, ch, i));
			if (v > m)
				m = v;
		}
		unsigned char p = (unsigned char)lround((m > 1 ? 1 : m) * 255);
		if (p > t->peaks[k])
			t->peaks[k] = p;
		if (k + 1 > t->npeaks)
			t->npeaks = k + 1;
	}
}

/* Sends one packet (NULL: the end) to a decoder and handles its frames. */
static int decode(struct tl *t, AVCodecContext *dec, const AVPacket *pkt, int *bad)
{
	int e = av.avcodec_send_packet(dec, pkt);
	if (e < 0 && e != AVERROR_EOF) {
		/* a corrupt packet is skipped, as players do; many mean a broken file */
		if (e == AVERROR_INVALIDDATA && ++*bad <= MAX_BAD_PACKETS)
			return 0;
		return fail(t, e, "decoding");
	}
	for (;;) {
		e = av.avcodec_receive_frame(dec, t->frame);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e == AVERROR_INVALIDDATA && ++*bad <= MAX_BAD_PACKETS)
			continue;
		if (e < 0)
			return fail(t, e, "decoding");
		int r = 0;
		if (dec == t->vdec)
			r = on_video_frame(t, t->frame);
		else
			on_audio_frame(t, t->frame);
		av.av_frame_unref(t->frame);
		if (r < 0)
			return -1;
	}
}

static int run(struct tl *t)
{
	int bad = 0, e;
	while ((e = av.av_read_frame(t->ic, t->pkt)) >= 0) {
		int r = 0;
		if (t->pkt->stream_index == t->vi)
			r = decode(t, t->vdec, t->pkt, &bad);
		else if (t->pkt->stream_index == t->ai)
			r = decode(t, t->adec, t->pkt, &bad);
		av.av_packet_unref(t->pkt);
		if (r < 0)
			return -1;
	}
	if (e != AVERROR_EOF)
		return fail(t, e, "reading");
	if (decode(t, t->vdec, NULL, &bad) < 0 || (t->adec && decode(t, t->adec, NULL, &bad) < 0))
		return -1;
	if (!t->graph)
		return fail(t, 0, "no picture could be decoded");
	if ((e = av.av_buffersrc_add_frame_flags(t->src, NULL, 0)) < 0)
		return fail(t, e, "filtering");
	return drain_graph(t);
}

static int write_sheet(struct tl *t, const char *file)
{
	const AVCodec *enc = av.avcodec_find_encoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *ec = enc ? av.avcodec_alloc_context3(enc) : NULL;
	AVPacket *pkt = av.av_packet_alloc();
	int rc = -1, e = AVERROR(ENOMEM);
	if (!ec || !pkt)
		goto out;
	int rows = (t->ntiles + t->cols - 1) / t->cols;
	ec->width = t->sheet->width;
	ec->height = rows * t->th;
	ec->pix_fmt = AV_PIX_FMT_YUVJ420P;
	ec->time_base = (AVRational){1, 25};
	ec->flags |= AV_CODEC_FLAG_QSCALE;
	ec->global_quality = FF_QP2LAMBDA * 4;
	if ((e = av.avcodec_open2(ec, enc, NULL)) < 0)
		goto out;
	t->sheet->height = ec->height;
	t->sheet->quality = ec->global_quality;
	t->sheet->pts = 0;
	if ((e = av.avcodec_send_frame(ec, t->sheet)) < 0 || (e = av.avcodec_send_frame(ec, NULL)) < 0 ||
	    (e = av.avcodec_receive_packet(ec, pkt)) < 0)
		goto out;
	if (atomic_write(file, pkt->data, (size_t)pkt->size, 0644) < 0) {
		snprintf(t->err, t->errlen, "%s: %s", file, strerror(errno));
		e = 0;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && e < 0)
		fail(t, e, "encoding the filmstrip");
	av.av_packet_free(&pkt);
	av.avcodec_free_context(&ec);
	return rc;
}

static json_object *times_json(const double *v, size_t n)
{
	json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, time_to_json(llround(v[i] * 1000)));
	return a;
}

static int write_json(struct tl *t, const char *dir, const char *name, json_object *o)
{
	char *file = path_join(dir, name);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int rc = atomic_write(file, s, strlen(s), 0644);
	if (rc < 0)
		snprintf(t->err, t->errlen, "%s: %s", file, strerror(errno));
	free(file);
	json_object_put(o);
	return rc;
}

static int write_all(struct tl *t, const char *dir, const char *version)
{
	double d = t->duration;
	if (d <= 0 && t->ntiles)
		d = t->times[t->ntiles - 1] + 1 / t->fps;
	char *sheet = path_join(dir, TIMELINE_SHEET);
	int r = write_sheet(t, sheet);
	free(sheet);
	if (r < 0)
		return -1;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(version));
	json_object_object_add(o, "duration", time_to_json(llround(d * 1000)));
	json_object_object_add(o, "fps", json_object_new_double(round(t->fps * 1000) / 1000));
	json_object_object_add(o, "width", json_object_new_int(t->tw));
	json_object_object_add(o, "height", json_object_new_int(t->th));
	json_object_object_add(o, "columns", json_object_new_int(t->cols));
	json_object_object_add(o, "interval", time_to_json(llround(t->interval * 1000)));
	json_object_object_add(o, "times", times_json(t->times, (size_t)t->ntiles));
	if (write_json(t, dir, TIMELINE_TILES, o) < 0)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "duration", time_to_json(llround(d * 1000)));
	json_object_object_add(o, "rate", json_object_new_double(t->rate));
	json_object *p = json_object_new_array_ext((int)t->npeaks);
	for (size_t i = 0; i < t->npeaks && i < MAX_PEAKS * 2; i++)
		json_object_array_add(p, json_object_new_int(t->peaks[i]));
	json_object_object_add(o, "peaks", p);
	if (write_json(t, dir, TIMELINE_PEAKS, o) < 0)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "scenes", times_json(t->scenes, t->nscenes));
	return write_json(t, dir, TIMELINE_SCENES, o);
}

int timeline_make(const char *path, const char *dir, const char *version, char *err, size_t errlen)
{
	struct tl t = {.vi = -1, .ai = -1, .err = err, .errlen = errlen};
	struct probe p;
	int rc = -1;
	if (load() < 0) {
		snprintf(err, errlen, "%s", av.error);
		return -1;
	}
	/* the probe knows the rotation and the length */
	if (probe_file(path, &p, err, errlen) < 0)
		return -1;
	t.rotation = p.rotation;
	t.duration = p.duration_ms > 0 ? p.duration_ms / 1000.0 : 0;
	if (open_input(&t, path) < 0)
		goto out;
	plan_tiles(&t);
	if (!(t.frame = av.av_frame_alloc()) || !(t.filt = av.av_frame_alloc()) ||
	    !(t.pkt = av.av_packet_alloc())) {
		fail(&t, AVERROR(ENOMEM), "frames");
		goto out;
	}
	if (run(&t) < 0 || write_all(&t, dir, version) < 0)
		goto out;
	rc = 0;
out:
	av.avfilter_graph_free(&t.graph);
	av.av_frame_free(&t.sheet);
	av.av_frame_free(&t.frame);
	av.av_frame_free(&t.filt);
	av.av_packet_free(&t.pkt);
	av.avcodec_free_context(&t.vdec);
	av.avcodec_free_context(&t.adec);
	av.avformat_close_input(&t.ic);
	free(t.times);
	free(t.scenes);
	free(t.peaks);
	return rc;
}
