/* The outputs of a clip: per profile a filter graph, an encoder and a
 * muxer (video, preview) or a single encoded frame (image). Frames come in
 * from media_decode.c with source timestamps; everything here starts at 0. */
#include "media_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RING 256 /* frames in flight inside an encoder, more than any delay */
/* seconds of audio out of place (a gap, an overlap) that are filled with
 * silence or dropped: under one audio frame, so A/V stay in sync */
#define AUDIO_SLACK 0.015

struct mout {
	const struct profile *p;
	struct profile_settings s;
	const char *path;
	const struct msrc *src;
	struct media_result *res;
	int64_t start, end, target; /* vtb */
	/* video */
	AVFilterGraph *vg;
	AVFilterContext *vsrc, *vsink;
	AVCodecContext *venc;
	AVStream *vst;
	int64_t first;              /* what becomes 0: the clip's start, vtb */
	int64_t last_end;           /* end of the last frame taken, vtb */
	AVFrame *held, *tmp;        /* held: filtered, waiting for its duration */
	int64_t out_end;            /* end of the last frame encoded, encoder tb */
	struct { int64_t pts, dur; } ring[RING];
	unsigned nring;
	int vsetup, vdone;
	long long vpackets;         /* video packets written */
	/* audio */
	AVFilterGraph *ag;
	AVFilterContext *asrc, *asink;
	AVCodecContext *aenc;
	AVStream *ast;
	int aflushed;
	int64_t ashift;             /* added to audio timestamps, encoder tb */
	/* container */
	AVFormatContext *oc;
	int header;
	AVPacket *pkt;
	/* image */
	AVFrame *cand;
};

/* The displayed size of the source, fitted into the profile's box without
 * upscaling, in even numbers, square pixels. */
static void fit_size(const AVFrame *f, int rotation, int bw, int bh, int *ow, int *oh)
{
	double w = f->width, h = f->height;
	AVRational sar = f->sample_aspect_ratio;
	if (sar.num > 0 && sar.den > 0)
		w = w * sar.num / sar.den;
	if (rotation == 90 || rotation == 270) {
		double t = w;
		w = h;
		h = t;
	}
	double scale = 1;
	if (bh && h * scale > bh)
		scale = bh / h;
	if (bw && w * scale > bw)
		scale = bw / w;
	int x = (int)floor(w * scale / 2 + 0.5) * 2, y = (int)floor(h * scale / 2 + 0.5) * 2;
	/* rounding up must not grow an odd source: 1921 becomes 1920 */
	if (x > w)
		x -= 2;
	if (y > h)
		y -= 2;
	*ow = x < 2 ? 2 : x;
	*oh = y < 2 ? 2 : y;
}

/* buffer -> desc -> buffersink, for video; the frame gives the input. */
static int video_graph(struct mout *o, const AVFrame *f, const char *desc,
    char *err, size_t errlen)
{
	char args[512];
	AVRational sar = f->sample_aspect_ratio;
	if (sar.num <= 0 || sar.den <= 0)
		sar = (AVRational){1, 1};
	snprintf(args, sizeof args,
	    "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
	    f->width, f->height, f->format, o->src->vtb.num, o->src->vtb.den, sar.num, sar.den);
	if (o->src->frame_rate.num > 0 && o->src->frame_rate.den > 0) {
		size_t l = strlen(args);
		snprintf(args + l, sizeof args - l, ":frame_rate=%d/%d",
		    o->src->frame_rate.num, o->src->frame_rate.den);
	}
	AVFilterInOut *in = NULL, *out = NULL;
	int e;
	o->vg = avfilter_graph_alloc();
	if (!o->vg)
		return merr(err, errlen, AVERROR(ENOMEM), "filter graph");
	o->vg->nb_threads = 1; /* the encoders take the cores */
	if ((e = avfilter_graph_create_filter(&o->vsrc, avfilter_get_by_name("buffer"), "in",
	    args, NULL, o->vg)) < 0)
		return merr(err, errlen, e, "video source %s", args);
	if ((e = avfilter_graph_create_filter(&o->vsink, avfilter_get_by_name("buffersink"),
	    "out", NULL, NULL, o->vg)) < 0)
		return merr(err, errlen, e, "video sink");
	if (!(in = avfilter_inout_alloc()) || !(out = avfilter_inout_alloc())) {
		e = AVERROR(ENOMEM);
		goto fail;
	}
	out->name = av_strdup("in");
	out->filter_ctx = o->vsrc;
	in->name = av_strdup("out");
	in->filter_ctx = o->vsink;
	if ((e = avfilter_graph_parse_ptr(o->vg, desc, &in, &out, NULL)) < 0 ||
	    (e = avfilter_graph_config(o->vg, NULL)) < 0)
		goto fail;
	avfilter_inout_free(&in);
	avfilter_inout_free(&out);
	return 0;
fail:
	avfilter_inout_free(&in);
	avfilter_inout_free(&out);
	return merr(err, errlen, e, "video filters \"%s\"", desc);
}

static int is_hdr(const AVFrame *f)
{
	return f->color_trc == AVCOL_TRC_SMPTE2084 || f->color_trc == AVCOL_TRC_ARIB_STD_B67;
}

/* deinterlace, turn upright, cap the rate, scale, tone-map HDR, 8-bit 4:2:0 */
static void video_desc(const struct mout *o, const AVFrame *f, const char *pixfmt,
    char *buf, size_t n)
{
	int w, h;
	fit_size(f, o->src->rotation, o->s.width, o->s.height, &w, &h);
	size_t l = 0;
	buf[0] = 0;
	if (f->interlaced_frame)
		l += snprintf(buf + l, n - l, "bwdif=mode=send_frame:deint=interlaced,");
	if (o->src->rotation == 90)
		l += snprintf(buf + l, n - l, "transpose=clock,");
	else if (o->src->rotation == 270)
		l += snprintf(buf + l, n - l, "transpose=cclock,");
	else if (o->src->rotation == 180)
		l += snprintf(buf + l, n - l, "hflip,vflip,");
	AVRational fr = o->src->frame_rate;
	if (o->s.fps > 0 && o->s.kind != PROFILE_IMAGE &&
	    (fr.num <= 0 || fr.den <= 0 || av_q2d(fr) > o->s.fps + 0.01))
		l += snprintf(buf + l, n - l, "fps=%g:eof_action=pass,", o->s.fps);
	/* the range too: a full-range source must come out limited (video) */
	l += snprintf(buf + l, n - l, "scale=%d:%d:flags=bicubic:out_range=%s,setsar=1,", w, h,
	    strcmp(pixfmt, "yuvj420p") == 0 ? "full" : "limited");
	if (is_hdr(f))
		/* PQ or HLG: to linear light, tone-mapped into BT.709, after the
		 * scale so that the costly part works on the small picture */
		l += snprintf(buf + l, n - l, "zscale=tin=%s:pin=%s:min=%s:t=linear:npl=100,"
		    "format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,"
		    "zscale=t=bt709:m=bt709:r=tv,",
		    f->color_trc == AVCOL_TRC_ARIB_STD_B67 ? "arib-std-b67" : "smpte2084",
		    f->color_primaries == AVCOL_PRI_UNSPECIFIED ? "bt2020" : av_color_primaries_name(f->color_primaries),
		    f->colorspace == AVCOL_SPC_UNSPECIFIED ? "bt2020nc" : av_color_space_name(f->colorspace));
	snprintf(buf + l, n - l, "format=%s", pixfmt);
}

/* The colours the encoder is told: BT.709 after a tone map, else the
 * source's (scaling changes none of them). */
static void set_colors(AVCodecContext *c, const AVFrame *f)
{
	if (is_hdr(f)) {
		c->color_primaries = AVCOL_PRI_BT709;
		c->color_trc = AVCOL_TRC_BT709;
		c->colorspace = AVCOL_SPC_BT709;
		c->color_range = AVCOL_RANGE_MPEG;
		return;
	}
	c->color_primaries = f->color_primaries;
	c->color_trc = f->color_trc;
	c->colorspace = f->colorspace;
	/* yuv420p out of a full-range source is limited range */
	c->color_range = AVCOL_RANGE_MPEG;
}

/* An encoder that does not open for this source: what the library said
 * is the why (a size or format it refuses). */
static int open_failed(const AVCodecContext *c, const AVCodec *codec, int e, char *err, size_t errlen)
{
	char what[128];
	if (codec->type == AVMEDIA_TYPE_VIDEO)
		snprintf(what, sizeof what, "%dx%d", c->width, c->height);
	else
		snprintf(what, sizeof what, "%d Hz, %d channels", c->sample_rate, c->ch_layout.nb_channels);
	const char *said = mlog_last_error();
	snprintf(err, errlen, "encoder %s does not open for %s: %s%s%s%s", codec->name, what,
	    av_err2str(e), *said ? " (" : "", said, *said ? ")" : "");
	return -1;
}

static int set_opt(AVCodecContext *c, const char *k, const char *v, char *err, size_t errlen)
{
	int e = av_opt_set(c->priv_data, k, v, 0);
	return e < 0 ? merr(err, errlen, e, "%s: option %s=%s", c->codec->name, k, v) : 0;
}

static int open_video_encoder(struct mout *o, const AVFrame *f, char *err, size_t errlen)
{
	const AVCodec *codec = avcodec_find_encoder_by_name(o->s.vencoder);
	char v[32];
	int e;
	if (!codec)
		return merr(err, errlen, 0, "encoder %s is not in this libavcodec", o->s.vencoder);
	if (!(o->venc = avcodec_alloc_context3(codec)))
		return merr(err, errlen, AVERROR(ENOMEM), "encoder");
	AVCodecContext *c = o->venc;
	c->width = av_buffersink_get_w(o->vsink);
	c->height = av_buffersink_get_h(o->vsink);
	c->pix_fmt = av_buffersink_get_format(o->vsink);
	c->time_base = av_buffersink_get_time_base(o->vsink);
	c->sample_aspect_ratio = (AVRational){1, 1};
	set_colors(c, f);
	AVRational fr = av_buffersink_get_frame_rate(o->vsink);
	if (fr.num > 0 && fr.den > 0)
		c->framerate = fr;
	c->thread_count = 0;
	c->opaque = o->src->log;
	if (o->oc->oformat->flags & AVFMT_GLOBALHEADER)
		c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	const char *n = codec->name;
	int vpx = strcmp(n, "libvpx-vp9") == 0, aom = strcmp(n, "libaom-av1") == 0,
	    svt = strcmp(n, "libsvtav1") == 0;
	if (o->s.bitrate)
		c->bit_rate = o->s.bitrate;
	if (o->s.crf >= 0) {
		snprintf(v, sizeof v, "%d", o->s.crf);
		if (set_opt(c, "crf", v, err, errlen) < 0)
			return -1;
		c->bit_rate = 0;
	}
	if (o->s.preset && set_opt(c, "preset", o->s.preset, err, errlen) < 0)
		return -1;
	/* x265 prints itself, past av_log; its failures reach us through
	 * libavcodec's own line */
	if (strcmp(n, "libx265") == 0 && set_opt(c, "x265-params", "log-level=none", err, errlen) < 0)
		return -1;
	if (vpx || aom) {
		snprintf(v, sizeof v, "%d", o->s.speed >= 0 ? o->s.speed : vpx ? 4 : 6);
		if (set_opt(c, "cpu-used", v, err, errlen) < 0 ||
		    set_opt(c, "row-mt", "1", err, errlen) < 0)
			return -1;
	} else if (svt) {
		snprintf(v, sizeof v, "%d", o->s.speed >= 0 ? o->s.speed : 8);
		if (set_opt(c, "preset", v, err, errlen) < 0)
			return -1;
	}
	if ((e = avcodec_open2(c, codec, NULL)) < 0)
		return open_failed(c, codec, e, err, errlen);
	if (!(o->vst = avformat_new_stream(o->oc, NULL)))
		return merr(err, errlen, AVERROR(ENOMEM), "output stream");
	o->vst->time_base = c->time_base;
	if ((e = avcodec_parameters_from_context(o->vst->codecpar, c)) < 0)
		return merr(err, errlen, e, "stream parameters");
	return 0;
}

static int open_audio(struct mout *o, char *err, size_t errlen)
{
	const struct msrc *src = o->src;
	const AVCodec *codec = avcodec_find_encoder_by_name(o->s.aencoder);
	int e;
	if (!codec)
		return merr(err, errlen, 0, "encoder %s is not in this libavcodec", o->s.aencoder);
	if (!(o->aenc = avcodec_alloc_context3(codec)))
		return merr(err, errlen, AVERROR(ENOMEM), "audio encoder");
	AVCodecContext *c = o->aenc;
	int rate = src->sample_rate;
	if (codec->supported_samplerates) {
		int best = codec->supported_samplerates[0];
		for (const int *r = codec->supported_samplerates; *r; r++)
			if (*r == src->sample_rate || (*r == 48000 && best != src->sample_rate))
				best = *r;
		rate = best;
	}
	int maxch = o->s.channels ? o->s.channels : 2;
	int nch = src->layout.nb_channels < maxch ? src->layout.nb_channels : maxch;
	av_channel_layout_default(&c->ch_layout, nch < 1 ? 1 : nch);
	c->sample_rate = rate;
	c->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
	c->bit_rate = o->s.abitrate;
	c->time_base = (AVRational){1, rate};
	c->thread_count = 0;
	c->opaque = src->log;
	if (o->oc->oformat->flags & AVFMT_GLOBALHEADER)
		c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	if ((e = avcodec_open2(c, codec, NULL)) < 0)
		return open_failed(c, codec, e, err, errlen);

	/* the graph cuts the window to the sample, keeps each sample where it
	 * was against the clip's start (audio that starts late starts late,
	 * gaps stay gaps) filled with silence, and resamples for the encoder */
	char inl[128], outl[128], args[512], desc[640];
	AVChannelLayout il = {0};
	if (src->layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&il, src->layout.nb_channels);
	else if ((e = av_channel_layout_copy(&il, &src->layout)) < 0)
		return merr(err, errlen, e, "channel layout");
	e = av_channel_layout_describe(&il, inl, sizeof inl);
	av_channel_layout_uninit(&il);
	if (e < 0 || (e = av_channel_layout_describe(&c->ch_layout, outl, sizeof outl)) < 0)
		return merr(err, errlen, e, "channel layout");
	snprintf(args, sizeof args, "time_base=1/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
	    src->sample_rate, src->sample_rate, av_get_sample_fmt_name(src->sample_fmt), inl);
	long long len = av_rescale(src->aend - src->astart, rate, src->sample_rate);
	snprintf(desc, sizeof desc, "atrim=start_pts=%lld:end_pts=%lld,asetpts=PTS-%lld,"
	    "aresample=%d:first_pts=0:min_hard_comp=%g,apad=whole_len=%lld,atrim=end_sample=%lld,"
	    "aformat=sample_fmts=%s:channel_layouts=%s",
	    (long long)src->astart, (long long)src->aend, (long long)src->astart, rate,
	    AUDIO_SLACK, len, len, av_get_sample_fmt_name(c->sample_fmt), outl);
	AVFilterInOut *in = NULL, *out = NULL;
	if (!(o->ag = avfilter_graph_alloc()))
		return merr(err, errlen, AVERROR(ENOMEM), "filter graph");
	o->ag->nb_threads = 1;
	if ((e = avfilter_graph_create_filter(&o->asrc, avfilter_get_by_name("abuffer"), "in",
	    args, NULL, o->ag)) < 0)
		return merr(err, errlen, e, "audio source %s", args);
	if ((e = avfilter_graph_create_filter(&o->asink, avfilter_get_by_name("abuffersink"),
	    "out", NULL, NULL, o->ag)) < 0)
		return merr(err, errlen, e, "audio sink");
	if (!(in = avfilter_inout_alloc()) || !(out = avfilter_inout_alloc())) {
		e = AVERROR(ENOMEM);
		goto fail;
	}
	out->name = av_strdup("in");
	out->filter_ctx = o->asrc;
	in->name = av_strdup("out");
	in->filter_ctx = o->asink;
	if ((e = avfilter_graph_parse_ptr(o->ag, desc, &in, &out, NULL)) < 0 ||
	    (e = avfilter_graph_config(o->ag, NULL)) < 0)
		goto fail;
	avfilter_inout_free(&in);
	avfilter_inout_free(&out);
	/* Matroska keeps Opus's pre-skip as CodecDelay, which readers take off
	 * the audio's timestamps: they are written that much later, or the
	 * muxer would push the video later instead */
	if (codec->id == AV_CODEC_ID_OPUS && strcmp(o->oc->oformat->name, "mp4") != 0)
		o->ashift = c->initial_padding;
	if (!(codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) && c->frame_size > 0)
		av_buffersink_set_frame_size(o->asink, (unsigned)c->frame_size);
	return 0;
fail:
	avfilter_inout_free(&in);
	avfilter_inout_free(&out);
	return merr(err, errlen, e, "audio filters \"%s\"", desc);
}

struct mout *mout_new(const struct profile *p, const char *path, const struct msrc *src,
    int64_t start, int64_t end, struct media_result *res, char *err, size_t errlen)
{
	struct mout *o = xcalloc(1, sizeof *o);
	o->p = p;
	profile_settings(p, &o->s);
	o->path = path;
	o->src = src;
	o->res = res;
	o->start = start;
	o->end = end;
	memset(res, 0, sizeof *res);
	if (o->s.kind == PROFILE_PREVIEW) {
		int64_t len = av_rescale_q(o->s.seconds_ms, (AVRational){1, 1000}, src->vtb);
		if (end - start > len)
			o->end = start + len;
	}
	o->target = start + (int64_t)llround((double)(end - start) * o->s.at);
	if (!(o->pkt = av_packet_alloc()) || !(o->held = av_frame_alloc()) ||
	    !(o->tmp = av_frame_alloc()) || !(o->cand = av_frame_alloc())) {
		merr(err, errlen, AVERROR(ENOMEM), "allocating");
		goto fail;
	}
	if (o->s.kind == PROFILE_IMAGE)
		return o;
	char *url = media_url(path);
	int e = avformat_alloc_output_context2(&o->oc, NULL, o->s.format, url);
	free(url);
	if (e < 0 || !o->oc) {
		merr(err, errlen, e, "output format %s", o->s.format);
		goto fail;
	}
	if (o->s.kind == PROFILE_VIDEO && o->s.aencoder && src->has_audio &&
	    open_audio(o, err, errlen) < 0)
		goto fail;
	return o;
fail:
	mout_free(o);
	return NULL;
}

/* Writes an encoded packet (rescaled from the encoder's time base). */
static int write_packet(struct mout *o, AVCodecContext *c, AVStream *st, char *err, size_t errlen)
{
	if (c == o->aenc && o->ashift) {
		if (o->pkt->pts != AV_NOPTS_VALUE)
			o->pkt->pts += o->ashift;
		if (o->pkt->dts != AV_NOPTS_VALUE)
			o->pkt->dts += o->ashift;
	}
	av_packet_rescale_ts(o->pkt, c->time_base, st->time_base);
	o->pkt->stream_index = st->index;
	int e = av_interleaved_write_frame(o->oc, o->pkt);
	av_packet_unref(o->pkt);
	return e < 0 ? merr(err, errlen, e, "%s: writing", o->path) : 0;
}

/* Sends a frame (NULL flushes) and writes what comes out. */
static int encode(struct mout *o, AVCodecContext *c, AVStream *st, AVFrame *f,
    char *err, size_t errlen)
{
	int e = avcodec_send_frame(c, f);
	if (e < 0)
		return merr(err, errlen, e, "encoding with %s", c->codec->name);
	for (;;) {
		e = avcodec_receive_packet(c, o->pkt);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e < 0)
			return merr(err, errlen, e, "encoding with %s", c->codec->name);
		if (c == o->venc) {
			o->vpackets++;
			/* the encoder forgets durations; the ring remembers them, so
			 * the last frame lasts until the clip's end */
			for (unsigned i = 0; i < RING; i++)
				if (o->ring[i].dur > 0 && o->ring[i].pts == o->pkt->pts) {
					o->pkt->duration = o->ring[i].dur;
					break;
				}
		}
		if (write_packet(o, c, st, err, errlen) < 0)
			return -1;
	}
}

static int encode_video(struct mout *o, AVFrame *f, int64_t dur, char *err, size_t errlen)
{
	if (dur <= 0)
		dur = 1;
	o->ring[o->nring % RING].pts = f->pts;
	o->ring[o->nring % RING].dur = dur;
	o->nring++;
	o->out_end = f->pts + dur;
	f->pict_type = AV_PICTURE_TYPE_NONE;
	int r = encode(o, o->venc, o->vst, f, err, errlen);
	av_frame_unref(f);
	return r;
}

static int drain_audio(struct mout *o, int flush, char *err, size_t errlen)
{
	if (!o->aenc || !o->header)
		return 0;
	for (;;) {
		int e = av_buffersink_get_frame(o->asink, o->tmp);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			break;
		if (e < 0)
			return merr(err, errlen, e, "audio filters");
		e = encode(o, o->aenc, o->ast, o->tmp, err, errlen);
		av_frame_unref(o->tmp);
		if (e < 0)
			return -1;
	}
	return flush ? encode(o, o->aenc, o->ast, NULL, err, errlen) : 0;
}

/* Pulls filtered frames; each waits in held until the next gives its
 * duration. flush: the last one lasts until last_end. */
static int drain_video(struct mout *o, int flush, char *err, size_t errlen)
{
	for (;;) {
		int e = av_buffersink_get_frame(o->vsink, o->tmp);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			break;
		if (e < 0)
			return merr(err, errlen, e, "video filters");
		if (o->held->buf[0] && encode_video(o, o->held, o->tmp->pts - o->held->pts, err, errlen) < 0)
			return -1;
		av_frame_move_ref(o->held, o->tmp);
	}
	if (!flush)
		return 0;
	if (o->held->buf[0]) {
		AVRational tb = av_buffersink_get_time_base(o->vsink);
		int64_t end = av_rescale_q(o->last_end - o->first, o->src->vtb, tb);
		if (encode_video(o, o->held, end - o->held->pts, err, errlen) < 0)
			return -1;
	}
	return encode(o, o->venc, o->vst, NULL, err, errlen);
}

static int setup_video(struct mout *o, const AVFrame *f, char *err, size_t errlen)
{
	char desc[512];
	video_desc(o, f, "yuv420p", desc, sizeof desc);
	if (video_graph(o, f, desc, err, errlen) < 0 || open_video_encoder(o, f, err, errlen) < 0)
		return -1;
	int e;
	if (o->aenc) {
		/* audio second: players take the first track for the main one */
		if (!(o->ast = avformat_new_stream(o->oc, NULL)))
			return merr(err, errlen, AVERROR(ENOMEM), "output stream");
		o->ast->time_base = o->aenc->time_base;
		if ((e = avcodec_parameters_from_context(o->ast->codecpar, o->aenc)) < 0)
			return merr(err, errlen, e, "stream parameters");
	}
	AVDictionary *opts = NULL;
	if (strcmp(o->s.format, "mp4") == 0)
		av_dict_set(&opts, "movflags", "+faststart", 0);
	e = avio_open(&o->oc->pb, o->oc->url, AVIO_FLAG_WRITE);
	if (e < 0) {
		av_dict_free(&opts);
		return merr(err, errlen, e, "%s", o->path);
	}
	e = avformat_write_header(o->oc, &opts);
	av_dict_free(&opts);
	if (e < 0)
		return merr(err, errlen, e, "%s: writing the header", o->path);
	o->header = 1;
	o->vsetup = 1;
	return drain_audio(o, 0, err, errlen);
}

/* Encodes the candidate frame as the one picture of an image profile. */
static int write_image(struct mout *o, char *err, size_t errlen)
{
	AVFrame *f = o->cand;
	int jpeg = strcmp(o->s.iencoder, "mjpeg") == 0, e, fd = -1, r = -1;
	char desc[512];
	video_desc(o, f, jpeg ? "yuvj420p" : "yuv420p", desc, sizeof desc);
	if (video_graph(o, f, desc, err, errlen) < 0)
		return -1;
	f->pts = 0;
	if ((e = av_buffersrc_add_frame_flags(o->vsrc, f, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0 ||
	    (e = av_buffersrc_add_frame(o->vsrc, NULL)) < 0 ||
	    (e = av_buffersink_get_frame(o->vsink, o->tmp)) < 0)
		return merr(err, errlen, e, "image filters");
	const AVCodec *codec = avcodec_find_encoder_by_name(o->s.iencoder);
	if (!codec)
		return merr(err, errlen, 0, "encoder %s is not in this libavcodec", o->s.iencoder);
	if (!(o->venc = avcodec_alloc_context3(codec)))
		return merr(err, errlen, AVERROR(ENOMEM), "encoder");
	AVCodecContext *c = o->venc;
	c->width = o->tmp->width;
	c->height = o->tmp->height;
	c->pix_fmt = o->tmp->format;
	c->time_base = (AVRational){1, 25};
	c->sample_aspect_ratio = (AVRational){1, 1};
	if (jpeg) {
		/* quality 100..1 onto the JPEG quantizer 2..31 */
		int q = 2 + (100 - o->s.quality) * 29 / 99;
		c->flags |= AV_CODEC_FLAG_QSCALE;
		c->global_quality = FF_QP2LAMBDA * q;
		c->qmin = c->qmax = q;
	} else {
		char v[16];
		snprintf(v, sizeof v, "%d", o->s.quality);
		if (set_opt(c, "quality", v, err, errlen) < 0)
			return -1;
	}
	if ((e = avcodec_open2(c, codec, NULL)) < 0)
		return merr(err, errlen, e, "opening encoder %s", codec->name);
	o->tmp->pict_type = AV_PICTURE_TYPE_I;
	if ((e = avcodec_send_frame(c, o->tmp)) < 0 || (e = avcodec_send_frame(c, NULL)) < 0 ||
	    (e = avcodec_receive_packet(c, o->pkt)) < 0)
		return merr(err, errlen, e, "encoding with %s", codec->name);
	o->res->width = c->width;
	o->res->height = c->height;
	if ((fd = open(o->path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return merr(err, errlen, 0, "%s: %s", o->path, strerror(errno));
	for (size_t off = 0; off < (size_t)o->pkt->size;) {
		ssize_t w = write(fd, o->pkt->data + off, (size_t)o->pkt->size - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			merr(err, errlen, 0, "%s: %s", o->path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	r = 0;
out:
	if (close(fd) < 0 && r == 0)
		r = merr(err, errlen, 0, "%s: %s", o->path, strerror(errno));
	av_packet_unref(o->pkt);
	return r;
}

int mout_video_done(const struct mout *o)
{
	return o->vdone;
}

int mout_takes(const struct mout *o, int64_t ts)
{
	if (ts < o->start)
		return -1;
	if (o->s.kind == PROFILE_IMAGE)
		return ts <= o->target && ts < o->end ? 0 : 1;
	return ts < o->end ? 0 : 2;
}

int mout_has_audio(const struct mout *o)
{
	return o->aenc != NULL;
}

/* Ends the video at last_end: the filters are told where the clip ends,
 * or an fps filter would round a clip shorter than its frame interval to
 * no frame at all and cut the last frame of a variable frame rate short. */
static int finish_video(struct mout *o, char *err, size_t errlen)
{
	int e;
	o->vdone = 1;
	if (!o->vsetup)
		return 0;
	if ((e = av_buffersrc_close(o->vsrc, o->last_end - o->first, 0)) < 0)
		return merr(err, errlen, e, "video filters");
	return drain_video(o, 1, err, errlen);
}

int mout_video(struct mout *o, AVFrame *f, int64_t ts, int64_t dur, char *err, size_t errlen)
{
	if (o->vdone)
		return 0;
	if (o->s.kind == PROFILE_IMAGE) {
		/* the picture shown at target: the last frame at or before it,
		 * else the first after it */
		if (ts < o->start)
			return 0;
		if (ts >= o->end && !o->cand->buf[0])
			return 0; /* past the clip: mout_finish says it had no frame */
		if (ts <= o->target || !o->cand->buf[0]) {
			av_frame_unref(o->cand);
			int e = av_frame_ref(o->cand, f);
			if (e < 0)
				return merr(err, errlen, e, "frame");
			if (ts <= o->target && ts < o->end)
				return 0;
		}
		o->vdone = 1;
		return write_image(o, err, errlen);
	}
	if (ts < o->start)
		return 0;
	if (ts >= o->end) {
		/* the frame before this one is shown until the clip's end */
		if (o->vsetup)
			o->last_end = o->end;
		return finish_video(o, err, errlen);
	}
	int first = !o->vsetup;
	if (first) {
		o->first = o->start;
		if (setup_video(o, f, err, errlen) < 0)
			return -1;
	}
	if (dur <= 0 && o->src->frame_rate.num > 0)
		dur = av_rescale_q(1, av_inv_q(o->src->frame_rate), o->src->vtb);
	o->last_end = ts + dur < o->end ? ts + dur : o->end;
	int64_t pts = f->pts;
	/* frames keep their place against the audio; a first frame after
	 * the start (the video starts late) is shown from the start */
	f->pts = first ? 0 : ts - o->first;
	int e = av_buffersrc_add_frame_flags(o->vsrc, f, AV_BUFFERSRC_FLAG_KEEP_REF);
	f->pts = pts;
	if (e < 0)
		return merr(err, errlen, e, "video filters");
	return drain_video(o, 0, err, errlen);
}

int mout_audio(struct mout *o, AVFrame *f, char *err, size_t errlen)
{
	if (!o->aenc || o->aflushed)
		return 0;
	int e = av_buffersrc_add_frame_flags(o->asrc, f, AV_BUFFERSRC_FLAG_KEEP_REF);
	if (e < 0)
		return merr(err, errlen, e, "audio filters");
	return drain_audio(o, 0, err, errlen);
}

int mout_finish(struct mout *o, char *err, size_t errlen)
{
	int e;
	if (o->s.kind == PROFILE_IMAGE) {
		if (o->vdone)
			return 0;
		if (!o->cand->buf[0])
			return merr(err, errlen, 0, "no video frame in the clip");
		o->vdone = 1;
		return write_image(o, err, errlen);
	}
	if (!o->vdone && finish_video(o, err, errlen) < 0)
		return -1;
	if (!o->vsetup || !o->vpackets)
		return merr(err, errlen, 0, "no video frame in the clip");
	if (o->aenc) {
		o->aflushed = 1;
		if ((e = av_buffersrc_add_frame(o->asrc, NULL)) < 0)
			return merr(err, errlen, e, "audio filters");
		if (drain_audio(o, 1, err, errlen) < 0)
			return -1;
	}
	if ((e = av_write_trailer(o->oc)) < 0)
		return merr(err, errlen, e, "%s: writing the trailer", o->path);
	e = avio_closep(&o->oc->pb);
	if (e < 0)
		return merr(err, errlen, e, "%s: closing", o->path);
	o->res->width = o->venc->width;
	o->res->height = o->venc->height;
	/* the container's duration, as players and ffprobe read it */
	return (o->res->duration_ms = media_file_duration(o->path, err, errlen)) < 0 ? -1 : 0;
}

void mout_free(struct mout *o)
{
	if (!o)
		return;
	if (o->oc) {
		if (o->oc->pb)
			avio_closep(&o->oc->pb);
		avformat_free_context(o->oc);
	}
	avcodec_free_context(&o->venc);
	avcodec_free_context(&o->aenc);
	avfilter_graph_free(&o->vg);
	avfilter_graph_free(&o->ag);
	av_frame_free(&o->held);
	av_frame_free(&o->tmp);
	av_frame_free(&o->cand);
	av_packet_free(&o->pkt);
	free(o);
}
