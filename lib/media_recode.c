/* Audio that a copy's container cannot hold (media_copy.c): decoded and
 * encoded again as AAC, to the sample from the copy's origin to its end,
 * so that it keeps its place against the copied video. */
#include "media_int.h"
#include "util.h"

#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
#include <stdlib.h>

struct mrecode {
	AVCodecContext *dec, *enc;
	SwrContext *swr;
	AVAudioFifo *fifo;
	AVFrame *in, *conv;
	AVRational stb;            /* the source stream's time base */
	int64_t next;              /* where the next decoded sample is (1/rate), or AV_NOPTS_VALUE */
	int64_t pts;               /* the next encoded frame's (1/rate, 0 at the origin), or AV_NOPTS_VALUE */
	int64_t from, to;          /* the samples kept (1/rate) */
	struct mpktq q;            /* encoded, not yet taken */
};

static int open_aac(struct mrecode *r, int global, char *err, size_t errlen)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
	if (!codec)
		return merr(err, errlen, 0, "no AAC encoder");
	AVCodecContext *e = r->enc = avcodec_alloc_context3(codec);
	if (!e)
		return merr(err, errlen, AVERROR(ENOMEM), "encoder");
	e->sample_fmt = AV_SAMPLE_FMT_FLTP;
	e->sample_rate = r->dec->sample_rate;
	if (r->dec->ch_layout.order == AV_CHANNEL_ORDER_NATIVE)
		av_channel_layout_copy(&e->ch_layout, &r->dec->ch_layout);
	else
		av_channel_layout_default(&e->ch_layout, r->dec->ch_layout.nb_channels);
	e->bit_rate = 64000 * (int64_t)e->ch_layout.nb_channels;
	e->time_base = (AVRational){1, e->sample_rate};
	if (global)
		e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	e->opaque = r->dec->opaque;
	int x = avcodec_open2(e, codec, NULL);
	return x < 0 ? merr(err, errlen, x, "opening the AAC encoder") : 0;
}

int mrecode_new(struct mfile *f, int idx, int global, struct mrecode **out, char *err, size_t errlen)
{
	struct mrecode *r = *out = xcalloc(1, sizeof *r);
	r->stb = f->ic->streams[idx]->time_base;
	r->next = r->pts = AV_NOPTS_VALUE;
	if (media_decoder(f, idx, 1, &r->dec, err, errlen) < 0 || open_aac(r, global, err, errlen) < 0)
		return -1;
	int e = swr_alloc_set_opts2(&r->swr, &r->enc->ch_layout, r->enc->sample_fmt, r->enc->sample_rate,
	    &r->dec->ch_layout, r->dec->sample_fmt, r->dec->sample_rate, 0, NULL);
	if (e >= 0)
		e = swr_init(r->swr);
	if (e < 0)
		return merr(err, errlen, e, "audio conversion");
	r->fifo = av_audio_fifo_alloc(r->enc->sample_fmt, r->enc->ch_layout.nb_channels, r->enc->frame_size);
	r->in = av_frame_alloc();
	r->conv = av_frame_alloc();
	if (!r->fifo || !r->in || !r->conv)
		return merr(err, errlen, AVERROR(ENOMEM), "audio");
	return 0;
}

int mrecode_params(const struct mrecode *r, AVCodecParameters *par, AVRational *tb)
{
	*tb = r->enc->time_base;
	return avcodec_parameters_from_context(par, r->enc);
}

/* Sends n samples from the FIFO (n 0: the end) and queues what
 * comes out. */
static int encode(struct mrecode *r, int n, char *err, size_t errlen)
{
	AVFrame *fr = NULL;
	int e = 0;
	if (n > 0) {
		if (!(fr = av_frame_alloc()))
			return merr(err, errlen, AVERROR(ENOMEM), "audio");
		fr->nb_samples = n;
		fr->format = r->enc->sample_fmt;
		fr->sample_rate = r->enc->sample_rate;
		e = av_channel_layout_copy(&fr->ch_layout, &r->enc->ch_layout);
		if (e >= 0)
			e = av_frame_get_buffer(fr, 0);
		if (e >= 0 && av_audio_fifo_read(r->fifo, (void **)fr->data, n) != n)
			e = AVERROR_BUG;
		fr->pts = r->pts;
		r->pts += n;
	}
	if (e < 0) {
		av_frame_free(&fr);
		return merr(err, errlen, e, "encoding the audio");
	}
	e = media_encode_into(r->enc, fr, &r->q, NULL, NULL, "the audio", err, errlen);
	av_frame_free(&fr);
	return e;
}

/* A decoded frame: converted, its samples inside [from, to) into the
 * FIFO, whole encoder frames out of it. */
static int keep(void *arg, AVFrame *in, char *err, size_t errlen)
{
	struct mrecode *r = arg;
	AVRational sr = {1, r->dec->sample_rate};
	int64_t at = in->pts != AV_NOPTS_VALUE ? av_rescale_q(in->pts, r->stb, sr) : r->next;
	if (at == AV_NOPTS_VALUE)
		at = r->from;
	r->next = at + in->nb_samples;
	av_frame_unref(r->conv);
	r->conv->format = r->enc->sample_fmt;
	r->conv->sample_rate = r->enc->sample_rate;
	int e = av_channel_layout_copy(&r->conv->ch_layout, &r->enc->ch_layout);
	if (e >= 0)
		e = swr_convert_frame(r->swr, r->conv, in);
	if (e < 0)
		return merr(err, errlen, e, "converting the audio");
	int64_t lo = at > r->from ? at : r->from, hi = at + r->conv->nb_samples;
	if (hi > r->to)
		hi = r->to;
	if (lo >= hi)
		return 0;
	/* audio that starts after the origin starts as late in the copy */
	if (r->pts == AV_NOPTS_VALUE)
		r->pts = lo - r->from;
	void *part[AV_NUM_DATA_POINTERS];
	int bps = av_get_bytes_per_sample(r->enc->sample_fmt);
	for (int c = 0; c < r->enc->ch_layout.nb_channels && c < AV_NUM_DATA_POINTERS; c++)
		part[c] = r->conv->extended_data[c] + (lo - at) * bps;
	if (av_audio_fifo_write(r->fifo, part, (int)(hi - lo)) < hi - lo)
		return merr(err, errlen, AVERROR(ENOMEM), "audio");
	while (av_audio_fifo_size(r->fifo) >= r->enc->frame_size)
		if (encode(r, r->enc->frame_size, err, errlen) < 0)
			return -1;
	return 0;
}

static int decode(struct mrecode *r, const AVPacket *pkt, char *err, size_t errlen)
{
	return media_decode_each(r->dec, pkt, r->in, keep, r, "the audio", err, errlen);
}

int mrecode_packet(struct mrecode *r, const AVPacket *pkt, int64_t from, int64_t to, AVRational tb,
    char *err, size_t errlen)
{
	AVRational sr = {1, r->dec->sample_rate};
	r->from = av_rescale_q(from, tb, sr);
	r->to = av_rescale_q(to, tb, sr);
	return decode(r, pkt, err, errlen);
}

int mrecode_finish(struct mrecode *r, char *err, size_t errlen)
{
	if (decode(r, NULL, err, errlen) < 0)
		return -1;
	if (r->pts == AV_NOPTS_VALUE)
		return 0; /* nothing kept: nothing to end */
	int n = av_audio_fifo_size(r->fifo);
	return (n > 0 && encode(r, n, err, errlen) < 0) ? -1 : encode(r, 0, err, errlen);
}

AVPacket *mrecode_take(struct mrecode *r)
{
	return mpktq_take(&r->q);
}

void mrecode_free(struct mrecode *r)
{
	if (!r)
		return;
	mpktq_free(&r->q);
	avcodec_free_context(&r->dec);
	avcodec_free_context(&r->enc);
	swr_free(&r->swr);
	if (r->fifo)
		av_audio_fifo_free(r->fifo);
	av_frame_free(&r->in);
	av_frame_free(&r->conv);
	free(r);
}
