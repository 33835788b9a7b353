/* Codecs driven one step at a time: a queue of the packets an encoder
 * gave, and the send/receive loops of an encoder and a decoder (the
 * splice's and the copy's audio: media_splice.c, media_recode.c). */
#include "media_int.h"

#include <stdlib.h>

int mpktq_push(struct mpktq *q, const AVPacket *p, char *err, size_t errlen)
{
	return media_pkt_push(&q->a, &q->n, &q->cap, p, err, errlen);
}

AVPacket *mpktq_take(struct mpktq *q)
{
	if (q->head == q->n) {
		q->head = q->n = 0;
		return NULL;
	}
	return q->a[q->head++];
}

void mpktq_drop(struct mpktq *q)
{
	for (size_t i = q->head; i < q->n; i++)
		av_packet_free(&q->a[i]);
	q->n = q->head = 0;
}

void mpktq_free(struct mpktq *q)
{
	mpktq_drop(q);
	free(q->a);
	q->a = NULL;
	q->cap = 0;
}

int media_encode_into(AVCodecContext *enc, const AVFrame *fr, struct mpktq *q, media_pkt_fn *fix,
    void *arg, const char *what, char *err, size_t errlen)
{
	int e = avcodec_send_frame(enc, fr);
	if (e < 0)
		return merr(err, errlen, e, "encoding %s", what);
	AVPacket *p = av_packet_alloc();
	if (!p)
		return merr(err, errlen, AVERROR(ENOMEM), "packet");
	int r = 0;
	while ((e = avcodec_receive_packet(enc, p)) >= 0) {
		r = fix ? fix(arg, p, err, errlen) : 0;
		if (r == 0)
			r = mpktq_push(q, p, err, errlen);
		av_packet_unref(p);
		if (r < 0)
			break;
	}
	av_packet_free(&p);
	if (r == 0 && e != AVERROR(EAGAIN) && e != AVERROR_EOF)
		r = merr(err, errlen, e, "encoding %s", what);
	return r;
}

int media_decode_each(AVCodecContext *dec, const AVPacket *pkt, AVFrame *fr, media_frame_fn *each,
    void *arg, const char *what, char *err, size_t errlen)
{
	int e = avcodec_send_packet(dec, pkt);
	if (e < 0 && e != AVERROR_EOF && e != AVERROR_INVALIDDATA)
		return merr(err, errlen, e, "decoding %s", what);
	for (;;) {
		e = avcodec_receive_frame(dec, fr);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return 0;
		if (e == AVERROR_INVALIDDATA)
			continue;
		if (e < 0)
			return merr(err, errlen, e, "decoding %s", what);
		int r = each(arg, fr, err, errlen);
		av_frame_unref(fr);
		if (r < 0)
			return -1;
	}
}
