/* The re-encoded ends of an accurate copy (media_copy.c): the partial GOP
 * at the head (and at the tail) decoded and encoded again with the
 * source's codec, profile, level, pixel format and colour tags, so that it
 * splices onto the source's own packets, which stay byte for byte what
 * they were. H.264: libx264 is told a parameter-set id the source does not
 * use, and the output's decoder configuration carries both the source's
 * parameter sets and ours. HEVC: libx265 cannot choose its ids, so the
 * parameter sets go in-band (an MP4 gets the hev1 sample entry that
 * allows it): ours on our IDR, the source's again on the first copied
 * keyframe, after an end of sequence that starts a new coded video
 * sequence there (a CRA then drops its leading pictures, as the copy
 * does: the head covers their times). */
#include "media_int.h"
#include "util.h"

#include <libavcodec/bsf.h>
#include <libavutil/opt.h>
#include <stdlib.h>
#include <string.h>

#define SPLICE_CRF "17"   /* a re-encode of decoded pictures: near transparent */

struct msplice {
	struct mfile *f;
	AVCodecContext *dec, *enc;
	AVFrame *frame;
	enum AVCodecID codec;      /* H.264 or HEVC */
	int annexb;                /* the source's packets have start codes (MPEG-TS) */
	int lensize;               /* else the bytes of their NAL sizes */
	uint8_t *srcps;            /* HEVC: the source's VPS, SPS and PPS, framed as its packets */
	size_t srcps_size;
	int ps_id;                 /* the SPS and PPS id our encoder uses */
	uint8_t *extradata;        /* the output stream's */
	int extradata_size;
	uint8_t *encps;            /* the first encoder's parameter sets, as it gave them */
	int encps_size;
	int64_t lo, hi;            /* frames taken, vtb */
	int64_t taken;             /* frames encoded since msplice_begin */
	int used;                  /* ranges begun */
	struct mpktq q;            /* encoded, not yet taken */
};

/* --- NAL units: walking the three framings libav gives us --- */

struct nal {
	const uint8_t *p;
	size_t n;
};

/* The next NAL unit of buf from *pos: framed by start codes (lensize 0)
 * or by big-endian sizes of lensize bytes. 1 found, 0 at the end. */
static int next_nal(const uint8_t *buf, size_t len, int lensize, size_t *pos, struct nal *out)
{
	size_t i = *pos;
	if (lensize) {
		if (i + (size_t)lensize > len)
			return 0;
		size_t n = 0;
		for (int k = 0; k < lensize; k++)
			n = n << 8 | buf[i + (size_t)k];
		i += (size_t)lensize;
		if (n == 0 || n > len - i)
			return 0;
		*out = (struct nal){buf + i, n};
		*pos = i + n;
		return 1;
	}
	while (i + 3 <= len && !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
		i++;
	if (i + 3 > len)
		return 0;
	size_t s = i + 3, e = s;
	while (e + 3 <= len && !(buf[e] == 0 && buf[e + 1] == 0 && (buf[e + 2] == 1 ||
	    (buf[e + 2] == 0 && e + 4 <= len && buf[e + 3] == 1))))
		e++;
	if (e + 3 > len)
		e = len;
	*out = (struct nal){buf + s, e - s};
	*pos = e;
	return out->n > 0;
}

static int is_annexb(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] == 0 && p[1] == 0 && (p[2] == 1 || (n >= 4 && p[2] == 0 && p[3] == 1));
}

/* How the packets of an H.264 or HEVC stream frame their NAL units: the
 * size field's bytes from the avcC or hvcC record, 0 for start codes. */
static int nal_lensize(const AVCodecParameters *par)
{
	const uint8_t *x = par->extradata;
	if (!x || par->extradata_size < 7 || x[0] != 1)
		return 0;
	if (par->codec_id == AV_CODEC_ID_HEVC)
		return par->extradata_size >= 23 ? (x[21] & 3) + 1 : 0;
	return (x[4] & 3) + 1;
}

/* Whether a NAL unit is a picture that decodes without any before it:
 * an H.264 IDR, an HEVC IRAP (IDR, CRA, BLA: a CRA's leading pictures
 * need the pictures before, but they show before it, and the copy drops
 * them). An H.264 I-picture that is not an IDR is a recovery point: the
 * pictures after it may still name pictures before it as references
 * (x264's open GOPs do), and they would not decode. */
static int nal_clean_start(enum AVCodecID codec, const struct nal *u)
{
	if (codec == AV_CODEC_ID_HEVC) {
		int type = u->p[0] >> 1 & 0x3f;
		return type >= 16 && type <= 23;
	}
	return (u->p[0] & 0x1f) == 5;
}

int msplice_clean_start(const AVCodecParameters *par, const AVPacket *pkt)
{
	if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC)
		return 1;
	int lensize = nal_lensize(par);
	size_t pos = 0;
	struct nal u;
	while (next_nal(pkt->data, (size_t)pkt->size, lensize, &pos, &u))
		if (nal_clean_start(par->codec_id, &u))
			return 1;
	return 0;
}

int msplice_is_idr(const struct msplice *s, const AVPacket *pkt)
{
	return msplice_clean_start(s->f->ic->streams[s->f->vi]->codecpar, pkt);
}

/* An unsigned Exp-Golomb number at bit *bit of p (n bytes); -1 when it
 * runs out. Only for the ids at the front of an SPS or PPS. */
static long read_ue(const uint8_t *p, size_t n, size_t *bit)
{
	int zeros = 0;
	while (*bit < 8 * n && !(p[*bit / 8] >> (7 - *bit % 8) & 1)) {
		zeros++;
		(*bit)++;
	}
	if (zeros > 20 || *bit + (size_t)zeros + 1 > 8 * n)
		return -1;
	(*bit)++;
	long v = 1;
	for (int k = 0; k < zeros; k++, (*bit)++)
		v = v << 1 | (p[*bit / 8] >> (7 - *bit % 8) & 1);
	return v - 1;
}

/* The highest SPS or PPS id in a parameter-set NAL unit, else -1. */
static long ps_id(const struct nal *u)
{
	int type = u->p[0] & 0x1f;
	size_t bit = 0;
	if (type == 7 && u->n > 4)
		return read_ue(u->p + 4, u->n - 4, &bit);
	if (type != 8 || u->n < 2)
		return -1;
	long pps = read_ue(u->p + 1, u->n - 1, &bit);
	long sps = pps < 0 ? -1 : read_ue(u->p + 1, u->n - 1, &bit);
	return sps < 0 ? -1 : pps > sps ? pps : sps;
}

/* --- the source's decoder configuration --- */

/* The SPS and PPS of an avcC record, in order, and where its tail (the
 * High profile fields) starts. -1 when it is not one. */
static int avcc_units(const uint8_t *p, size_t n, struct nal *sps, int *nsps, struct nal *pps,
    int *npps, size_t *tail)
{
	if (n < 7 || p[0] != 1)
		return -1;
	size_t i = 6;
	*nsps = p[5] & 0x1f;
	for (int k = 0; k < *nsps; k++) {
		if (i + 2 > n)
			return -1;
		size_t l = (size_t)p[i] << 8 | p[i + 1];
		if (l == 0 || i + 2 + l > n)
			return -1;
		sps[k] = (struct nal){p + i + 2, l};
		i += 2 + l;
	}
	if (i >= n)
		return -1;
	*npps = p[i++];
	if (*npps > 64)
		return -1;
	for (int k = 0; k < *npps; k++) {
		if (i + 2 > n)
			return -1;
		size_t l = (size_t)p[i] << 8 | p[i + 1];
		if (l == 0 || i + 2 + l > n)
			return -1;
		pps[k] = (struct nal){p + i + 2, l};
		i += 2 + l;
	}
	*tail = i;
	return 0;
}

static void put16(uint8_t **w, size_t v)
{
	*(*w)++ = (uint8_t)(v >> 8);
	*(*w)++ = (uint8_t)v;
}

/* The NAL units of an encoder's extradata, by type. */
static int split_ps(const uint8_t *p, size_t n, struct nal *sps, int *nsps, struct nal *pps, int *npps)
{
	size_t tail;
	if (avcc_units(p, n, sps, nsps, pps, npps, &tail) == 0)
		return 0;
	int lensize = is_annexb(p, n) ? 0 : 4;
	size_t pos = 0;
	struct nal u;
	*nsps = *npps = 0;
	while (next_nal(p, n, lensize, &pos, &u)) {
		int type = u.p[0] & 0x1f;
		if (type == 7 && *nsps < 32)
			sps[(*nsps)++] = u;
		else if (type == 8 && *npps < 64)
			pps[(*npps)++] = u;
	}
	return *nsps && *npps ? 0 : -1;
}

/* The output's avcC: the source's record with our SPS and PPS added. */
static int merge_avcc(struct msplice *s, const uint8_t *src, size_t srclen, char *err, size_t errlen)
{
	struct nal ss[32], sp[64], es[32], ep[64];
	int nss, nsp, nes, nep;
	size_t tail;
	if (avcc_units(src, srclen, ss, &nss, sp, &nsp, &tail) < 0 ||
	    split_ps(s->encps, (size_t)s->encps_size, es, &nes, ep, &nep) < 0)
		return merr(err, errlen, 0, "cannot read the H.264 parameter sets");
	if (nss + nes > 31 || nsp + nep > 255)
		return merr(err, errlen, 0, "too many H.264 parameter sets");
	size_t size = srclen + 4 * (size_t)(nes + nep) + (size_t)s->encps_size + AV_INPUT_BUFFER_PADDING_SIZE;
	uint8_t *out = av_mallocz(size), *w = out;
	if (!out)
		return merr(err, errlen, AVERROR(ENOMEM), "extradata");
	memcpy(w, src, 5);
	w += 5;
	*w++ = (uint8_t)(0xe0 | (nss + nes));
	for (int k = 0; k < nss + nes; k++) {
		const struct nal *u = k < nss ? &ss[k] : &es[k - nss];
		put16(&w, u->n);
		memcpy(w, u->p, u->n);
		w += u->n;
	}
	*w++ = (uint8_t)(nsp + nep);
	for (int k = 0; k < nsp + nep; k++) {
		const struct nal *u = k < nsp ? &sp[k] : &ep[k - nsp];
		put16(&w, u->n);
		memcpy(w, u->p, u->n);
		w += u->n;
	}
	memcpy(w, src + tail, srclen - tail);
	w += srclen - tail;
	s->extradata = out;
	s->extradata_size = (int)(w - out);
	return 0;
}

/* The output's Annex B extradata (the muxer turns it into avcC and the
 * packets into sized NAL units): the source's, then ours. */
static int merge_annexb(struct msplice *s, const uint8_t *src, size_t srclen, char *err, size_t errlen)
{
	size_t size = srclen + (size_t)s->encps_size;
	uint8_t *out = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!out)
		return merr(err, errlen, AVERROR(ENOMEM), "extradata");
	memcpy(out, src, srclen);
	memcpy(out + srclen, s->encps, (size_t)s->encps_size);
	s->extradata = out;
	s->extradata_size = (int)size;
	return 0;
}

/* An id no SPS or PPS of the source uses, from its extradata; -1 when
 * there is none to be had. */
static int free_ps_id(const uint8_t *p, size_t n, int annexb)
{
	struct nal sps[32], pps[64];
	int nsps = 0, npps = 0;
	size_t tail;
	if (!annexb) {
		if (avcc_units(p, n, sps, &nsps, pps, &npps, &tail) < 0)
			return -1;
	} else if (split_ps(p, n, sps, &nsps, pps, &npps) < 0) {
		return -1;
	}
	long top = -1;
	for (int k = 0; k < nsps + npps; k++) {
		long id = ps_id(k < nsps ? &sps[k] : &pps[k - nsps]);
		if (id < 0)
			return -1;
		if (id > top)
			top = id;
	}
	return top + 1 <= 31 ? (int)(top + 1) : -1;
}

/* --- the encoder --- */

static const char *x264_profile(int profile)
{
	switch (profile & ~FF_PROFILE_H264_CONSTRAINED) {
	case FF_PROFILE_H264_BASELINE: return "baseline";
	case FF_PROFILE_H264_MAIN: return "main";
	case FF_PROFILE_H264_HIGH: return "high";
	case FF_PROFILE_H264_HIGH_10: return "high10";
	case FF_PROFILE_H264_HIGH_422: return "high422";
	case FF_PROFILE_H264_HIGH_444_PREDICTIVE: return "high444";
	default: return NULL;
	}
}

static const char *x265_profile(int profile)
{
	switch (profile) {
	case FF_PROFILE_HEVC_MAIN: return "main";
	case FF_PROFILE_HEVC_MAIN_10: return "main10";
	case FF_PROFILE_HEVC_MAIN_STILL_PICTURE: return "mainstillpicture";
	default: return NULL; /* the range extensions: libx265 picks one from the pixel format */
	}
}

/* An encoder set up as the source was encoded. 0, or -1 with err. */
static int open_encoder(struct msplice *s, AVCodecContext **out, char *err, size_t errlen)
{
	int hevc = s->codec == AV_CODEC_ID_HEVC;
	const char *name = hevc ? "libx265" : "libx264";
	const AVCodec *codec = avcodec_find_encoder_by_name(name);
	const AVStream *st = s->f->ic->streams[s->f->vi];
	const AVCodecParameters *par = st->codecpar;
	if (!codec)
		return merr(err, errlen, 0, "no %s encoder", name);
	AVCodecContext *e = *out = avcodec_alloc_context3(codec);
	if (!e)
		return merr(err, errlen, AVERROR(ENOMEM), "encoder");
	e->width = par->width;
	e->height = par->height;
	e->pix_fmt = s->dec->pix_fmt;
	e->sample_aspect_ratio = par->sample_aspect_ratio;
	e->color_range = par->color_range;
	e->color_primaries = par->color_primaries;
	e->color_trc = par->color_trc;
	e->colorspace = par->color_space;
	e->chroma_sample_location = par->chroma_location;
	e->time_base = s->f->vtb;
	e->framerate = av_guess_frame_rate(s->f->ic, (AVStream *)st, NULL);
	/* no B-frames: decode order is presentation order, so the splice's
	 * timestamps can be put just before the copied packets' */
	e->max_b_frames = 0;
	e->gop_size = 1 << 20;
	e->opaque = &s->f->log;
	AVDictionary *o = NULL;
	char params[64];
	const char *prof;
	if (hevc) {
		/* without a global header libx265 repeats its parameter sets
		 * in-band on its IDR, which is what the splice needs */
		av_dict_set(&o, "x265-params", "log-level=error", 0);
		prof = x265_profile(par->profile);
	} else {
		e->level = par->level > 0 ? par->level : FF_LEVEL_UNKNOWN;
		e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
		snprintf(params, sizeof params, "sps-id=%d:annexb=%d", s->ps_id, s->annexb);
		av_dict_set(&o, "x264-params", params, 0);
		prof = x264_profile(par->profile);
	}
	av_dict_set(&o, "preset", "veryfast", 0);
	av_dict_set(&o, "crf", SPLICE_CRF, 0);
	if (prof)
		av_dict_set(&o, "profile", prof, 0);
	int r = avcodec_open2(e, codec, &o);
	av_dict_free(&o);
	if (r < 0)
		return merr(err, errlen, r, "opening %s as the source was encoded", name);
	if (!hevc && !e->extradata_size)
		return merr(err, errlen, 0, "libx264 gave no parameter sets");
	return 0;
}

/* --- HEVC: parameter sets in-band --- */

/* in Annex B (n bytes) framed with lensize-byte sizes (0: as it is) into
 * a new buffer (with padding). 0 or -1. */
static int reframe(const uint8_t *in, size_t n, int lensize, uint8_t **out, size_t *outn)
{
	size_t pos = 0, total = 0;
	struct nal u;
	while (next_nal(in, n, 0, &pos, &u))
		total += (size_t)(lensize ? lensize : 4) + u.n;
	uint8_t *w = *out = av_mallocz(total + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!w)
		return -1;
	for (pos = 0; next_nal(in, n, 0, &pos, &u);) {
		int k = lensize ? lensize : 4;
		for (int b = 0; b < k; b++)
			*w++ = lensize ? (uint8_t)(u.n >> 8 * (k - 1 - b)) : b == 3;
		memcpy(w, u.p, u.n);
		w += u.n;
	}
	*outn = total;
	return 0;
}

/* pkt's data becomes front, then what it was, then back. 0 or -1. */
static int wrap(AVPacket *pkt, const uint8_t *front, size_t nf, const uint8_t *back, size_t nb)
{
	AVPacket *t = av_packet_alloc();
	if (!t || av_new_packet(t, (int)(nf + (size_t)pkt->size + nb)) < 0 ||
	    av_packet_copy_props(t, pkt) < 0) {
		av_packet_free(&t);
		return -1;
	}
	if (nf)
		memcpy(t->data, front, nf);
	if (pkt->size)
		memcpy(t->data + nf, pkt->data, (size_t)pkt->size);
	if (nb)
		memcpy(t->data + nf + pkt->size, back, nb);
	av_packet_unref(pkt);
	av_packet_move_ref(pkt, t);
	av_packet_free(&t);
	return 0;
}

/* libx265's packets (Annex B) framed as the source's. */
static int frame_as_source(struct msplice *s, AVPacket *pkt, char *err, size_t errlen)
{
	uint8_t *d;
	size_t n;
	if (!s->lensize)
		return 0;
	if (reframe(pkt->data, (size_t)pkt->size, s->lensize, &d, &n) < 0)
		return merr(err, errlen, AVERROR(ENOMEM), "packet");
	int size = pkt->size;
	pkt->size = 0;
	int r = wrap(pkt, d, n, NULL, 0);
	av_free(d);
	if (r < 0) {
		pkt->size = size;
		return merr(err, errlen, AVERROR(ENOMEM), "packet");
	}
	return 0;
}

/* The source's VPS, SPS and PPS framed as its packets: an hvcC record
 * turned into Annex B by libavcodec's hevc_mp4toannexb, then sized. */
static int source_ps(struct msplice *s, const AVCodecParameters *par, char *err, size_t errlen)
{
	if (s->annexb) {
		s->srcps_size = (size_t)par->extradata_size;
		s->srcps = av_memdup(par->extradata, s->srcps_size);
		return s->srcps ? 0 : merr(err, errlen, AVERROR(ENOMEM), "extradata");
	}
	const AVBitStreamFilter *f = av_bsf_get_by_name("hevc_mp4toannexb");
	AVBSFContext *b = NULL;
	int e = f ? av_bsf_alloc(f, &b) : AVERROR_BSF_NOT_FOUND;
	if (e >= 0)
		e = avcodec_parameters_copy(b->par_in, par);
	if (e >= 0)
		e = av_bsf_init(b);
	if (e >= 0 && reframe(b->par_out->extradata, (size_t)b->par_out->extradata_size, s->lensize,
	    &s->srcps, &s->srcps_size) < 0)
		e = AVERROR(ENOMEM);
	av_bsf_free(&b);
	if (e >= 0 && !s->srcps_size)
		return merr(err, errlen, 0, "no HEVC parameter sets in the header");
	return e < 0 ? merr(err, errlen, e, "the HEVC parameter sets") : 0;
}

int msplice_seal(struct msplice *s, AVPacket *last, char *err, size_t errlen)
{
	/* an end of sequence NAL unit (type 36) */
	static const uint8_t eos[] = {0, 0, 0, 1, 0x48, 0x01};
	uint8_t *d;
	size_t n;
	if (s->codec != AV_CODEC_ID_HEVC)
		return 0;
	if (reframe(eos, sizeof eos, s->lensize, &d, &n) < 0)
		return merr(err, errlen, AVERROR(ENOMEM), "packet");
	int r = wrap(last, NULL, 0, d, n);
	av_free(d);
	return r < 0 ? merr(err, errlen, AVERROR(ENOMEM), "packet") : 0;
}

int msplice_first_copied(struct msplice *s, AVPacket *pkt, char *err, size_t errlen)
{
	if (s->codec != AV_CODEC_ID_HEVC)
		return 0;
	return wrap(pkt, s->srcps, s->srcps_size, NULL, 0) < 0 ?
	    merr(err, errlen, AVERROR(ENOMEM), "packet") : 0;
}

/* --- the splice --- */

/* Why the source cannot be spliced, else NULL. */
static const char *cannot(const struct mfile *f)
{
	const AVCodecParameters *par = f->ic->streams[f->vi]->codecpar;
	if (par->codec_id == AV_CODEC_ID_HEVC) {
		if (par->field_order != AV_FIELD_UNKNOWN && par->field_order != AV_FIELD_PROGRESSIVE)
			return "interlaced HEVC";
		if (!par->extradata_size)
			return "HEVC without parameter sets in the header";
		if (par->extradata[0] == 1 && nal_lensize(par) != 4)
			return "HEVC with short NAL sizes";
		return NULL;
	}
	if (par->codec_id != AV_CODEC_ID_H264)
		return avcodec_get_name(par->codec_id);
	if (par->field_order != AV_FIELD_UNKNOWN && par->field_order != AV_FIELD_PROGRESSIVE)
		return "interlaced H.264";
	if (!x264_profile(par->profile))
		return "this H.264 profile";
	if (!par->extradata_size)
		return "H.264 without parameter sets in the header";
	if (par->extradata[0] == 1 && (par->extradata_size < 5 || (par->extradata[4] & 3) != 3))
		return "H.264 with short NAL sizes";
	return NULL;
}

int msplice_new(struct mfile *f, struct msplice **out, char *err, size_t errlen)
{
	const AVCodecParameters *par = f->ic->streams[f->vi]->codecpar;
	const char *no = cannot(f);
	*out = NULL;
	if (no) {
		merr(err, errlen, 0, "no accurate copy of %s", no);
		return 1;
	}
	struct msplice *s = *out = xcalloc(1, sizeof *s);
	s->f = f;
	s->codec = par->codec_id;
	s->annexb = par->extradata[0] != 1;
	s->lensize = nal_lensize(par);
	s->ps_id = s->codec == AV_CODEC_ID_HEVC ? 0 :
	    free_ps_id(par->extradata, (size_t)par->extradata_size, s->annexb);
	if (s->ps_id < 0) {
		merr(err, errlen, 0, "no accurate copy: cannot read the ids of the H.264 parameter sets");
		return 1;
	}
	if (!(s->frame = av_frame_alloc()))
		return merr(err, errlen, AVERROR(ENOMEM), "frame");
	/* a source this libavcodec cannot decode, or libx264 or libx265
	 * encode as it was, is copied as it can be */
	char why[200];
	if (media_decoder(f, f->vi, 0, &s->dec, why, sizeof why) < 0 ||
	    open_encoder(s, &s->enc, why, sizeof why) < 0) {
		merr(err, errlen, 0, "no accurate copy: %s", why);
		return 1;
	}
	if (s->codec == AV_CODEC_ID_HEVC) {
		/* the header stays the source's; ours go in-band */
		s->extradata_size = par->extradata_size;
		if (!(s->extradata = av_memdup(par->extradata, (size_t)par->extradata_size)))
			return merr(err, errlen, AVERROR(ENOMEM), "extradata");
		return source_ps(s, par, err, errlen);
	}
	s->encps_size = s->enc->extradata_size;
	if (!(s->encps = av_memdup(s->enc->extradata, (size_t)s->encps_size)))
		return merr(err, errlen, AVERROR(ENOMEM), "extradata");
	return s->annexb ? merge_annexb(s, par->extradata, (size_t)par->extradata_size, err, errlen)
	    : merge_avcc(s, par->extradata, (size_t)par->extradata_size, err, errlen);
}

const uint8_t *msplice_extradata(const struct msplice *s, int *size)
{
	*size = s->extradata_size;
	return s->extradata;
}

int msplice_begin(struct msplice *s, int64_t lo, int64_t hi, char *err, size_t errlen)
{
	mpktq_drop(&s->q);
	s->lo = lo;
	s->hi = hi;
	s->taken = 0;
	avcodec_flush_buffers(s->dec);
	if (!s->used++)
		return 0; /* the first encoder, unused yet */
	avcodec_free_context(&s->enc);
	if (open_encoder(s, &s->enc, err, errlen) < 0)
		return -1;
	/* the output's header names the first encoder's parameter sets */
	if (s->codec == AV_CODEC_ID_H264 && (s->enc->extradata_size != s->encps_size ||
	    memcmp(s->enc->extradata, s->encps, (size_t)s->encps_size) != 0))
		return merr(err, errlen, 0, "libx264 gave other parameter sets for the tail");
	return 0;
}

void msplice_end_at(struct msplice *s, int64_t hi)
{
	if (hi < s->hi)
		s->hi = hi;
}

/* libx265's packets framed as the source's, as they come out. */
static int fix_packet(void *arg, AVPacket *p, char *err, size_t errlen)
{
	struct msplice *s = arg;
	return s->codec == AV_CODEC_ID_HEVC ? frame_as_source(s, p, err, errlen) : 0;
}

/* Sends a frame (NULL: the end) and queues what comes out. */
static int encode(struct msplice *s, AVFrame *fr, char *err, size_t errlen)
{
	return media_encode_into(s->enc, fr, &s->q, fix_packet, s, "the splice", err, errlen);
}

/* A decoded frame: encoded when it is in [lo, hi). */
static int take_frame(void *arg, AVFrame *fr, char *err, size_t errlen)
{
	struct msplice *s = arg;
	int64_t ts = fr->best_effort_timestamp;
	if (ts == AV_NOPTS_VALUE || ts < s->lo || ts >= s->hi)
		return 0;
	atomic_store(&s->f->log.preroll, 0);
	fr->pts = ts;
	fr->pict_type = AV_PICTURE_TYPE_NONE;
	s->taken++;
	return encode(s, fr, err, errlen);
}

/* Sends a packet (NULL drains) to the decoder. */
static int decode(struct msplice *s, const AVPacket *pkt, char *err, size_t errlen)
{
	return media_decode_each(s->dec, pkt, s->frame, take_frame, s, "the splice", err, errlen);
}

int msplice_packet(struct msplice *s, const AVPacket *pkt, char *err, size_t errlen)
{
	return decode(s, pkt, err, errlen);
}

int msplice_finish(struct msplice *s, char *err, size_t errlen)
{
	if (decode(s, NULL, err, errlen) < 0)
		return -1;
	return s->taken ? encode(s, NULL, err, errlen) : 0;
}

long long msplice_frames(const struct msplice *s)
{
	return s->taken;
}

AVPacket *msplice_take(struct msplice *s)
{
	return mpktq_take(&s->q);
}

void msplice_free(struct msplice *s)
{
	if (!s)
		return;
	mpktq_free(&s->q);
	av_frame_free(&s->frame);
	avcodec_free_context(&s->dec);
	avcodec_free_context(&s->enc);
	av_free(s->extradata);
	av_free(s->encps);
	av_free(s->srcps);
	free(s);
}
