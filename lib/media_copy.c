/* Stream copy: the packets of the video and of its default audio track,
 * untouched, from the keyframe at or before the clip's start to its end,
 * in a new container. Its own demux; nothing is decoded but keyframes, to
 * see that they are real. An accurate copy starts on the start and ends
 * on the end: the partial GOPs at its ends are decoded and encoded again
 * (media_splice.c), the GOPs between are the source's packets. */
#include "media_int.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct copy {
	struct mfile f;
	AVFormatContext *oc;
	AVCodecContext *dec;         /* one frame at a time, for really_key */
	AVFrame *frame;
	int *map;                    /* input stream -> output stream, or -1 */
	struct mrecode *arec;        /* audio the container cannot hold, encoded again, or NULL */
	const char *out;
	int64_t start, end;          /* the clip, vtb */
	int64_t kf;                  /* the keyframe the copy starts on, vtb */
	int64_t origin;              /* what becomes 0: kf, or the start when the video starts after it */
	int64_t data_end;            /* end of the last frame read (any copied stream), vtb */
	int edits;                   /* the container has edit lists (MP4) */
	int started, vdone, adone;
	long long vpackets;          /* video packets written */
	AVPacket **held;             /* from the keyframe until the start is settled */
	size_t nheld, cap;
	/* an accurate copy */
	struct msplice *sp;          /* NULL for a keyframe copy */
	int phase;                   /* ACC_HEAD, ACC_LEAD, ACC_COPY, ACC_DONE */
	AVPacket *k1;                /* ACC_LEAD: the first keyframe to copy, held */
	int64_t open_at;             /* an H.264 keyframe in the head that is no IDR, else AV_NOPTS_VALUE */
	AVPacket **gop;              /* the GOP that may be the tail, held */
	size_t ngop, gcap;
	AVPacket **prev;             /* HEVC: the GOP before it, written (the tail's
	                              * leading pictures need it decoded) */
	size_t nprev, pcap;
	int64_t head_end;            /* where the copied packets start (K1), vtb */
	int64_t tail_start;          /* where the tail's re-encode starts, else AV_NOPTS_VALUE */
	int nreenc;
	int64_t reenc[2][2];
};

enum { ACC_HEAD, ACC_LEAD, ACC_COPY, ACC_DONE };
#define ACC_FALLBACK 2 /* cannot splice here: a keyframe copy instead */

static int64_t pkt_time(const AVPacket *p)
{
	return p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
}

/* Whether a packet flagged as a keyframe really starts a picture on its
 * own: some demuxers flag P-frames (MPEG-2 in MPEG-TS), so it is decoded
 * alone. Without a decoder the flag is believed. An H.264 keyframe must
 * be an IDR: after a recovery point, pictures may still refer to those
 * before it (an open GOP), and a copy from there decodes with errors. */
static int really_key(void *arg, AVPacket *pkt)
{
	struct copy *c = arg;
	if (!(pkt->flags & AV_PKT_FLAG_KEY) ||
	    !msplice_clean_start(c->f.ic->streams[c->f.vi]->codecpar, pkt))
		return 0;
	if (!c->dec)
		return 1;
	avcodec_flush_buffers(c->dec);
	/* a picture before an edit list's start is decoded but not shown:
	 * it must come out to be looked at */
	int flags = pkt->flags, key = 0;
	pkt->flags &= ~AV_PKT_FLAG_DISCARD;
	if (avcodec_send_packet(c->dec, pkt) >= 0 && avcodec_send_packet(c->dec, NULL) >= 0 &&
	    avcodec_receive_frame(c->dec, c->frame) >= 0)
		key = c->frame->key_frame && (c->frame->pict_type == AV_PICTURE_TYPE_I ||
		    c->frame->pict_type == AV_PICTURE_TYPE_NONE);
	pkt->flags = flags;
	av_frame_unref(c->frame);
	avcodec_flush_buffers(c->dec);
	return key;
}

/* Whether an audio packet at t (its stream's tb) lies before the edge e
 * (vtb): for an accurate copy, when most of it does (the nearest frame
 * boundary wins); else when it starts before. */
static int audio_before(const struct copy *c, const AVPacket *p, int64_t t, int64_t e)
{
	AVRational tb = c->f.ic->streams[p->stream_index]->time_base;
	int64_t edge = av_rescale_q(e, c->f.vtb, tb);
	return c->sp ? t + p->duration / 2 < edge : t < edge;
}

/* Shifts a packet so that origin becomes 0 and writes it. */
static int write_out(struct copy *c, AVPacket *p, char *err, size_t errlen)
{
	int si = p->stream_index;
	AVRational tb = c->f.ic->streams[si]->time_base;
	int64_t shift = av_rescale_q(c->origin, c->f.vtb, tb);
	if (p->pts != AV_NOPTS_VALUE)
		p->pts -= shift;
	if (p->dts != AV_NOPTS_VALUE)
		p->dts -= shift;
	av_packet_rescale_ts(p, tb, c->oc->streams[c->map[si]]->time_base);
	p->stream_index = c->map[si];
	p->pos = -1;
	if (si == c->f.vi)
		c->vpackets++;
	int e = av_interleaved_write_frame(c->oc, p);
	return e < 0 ? merr(err, errlen, e, "%s: writing", c->out) : 0;
}

/* Writes what the audio's encoder gave. */
static int recode_out(struct copy *c, char *err, size_t errlen)
{
	AVPacket *p;
	int r = 0;
	while ((p = mrecode_take(c->arec))) {
		if (r == 0) {
			AVStream *o = c->oc->streams[c->map[c->f.ai]];
			av_packet_rescale_ts(p, (AVRational){1, o->codecpar->sample_rate}, o->time_base);
			p->stream_index = o->index;
			int e = av_interleaved_write_frame(c->oc, p);
			if (e < 0)
				r = merr(err, errlen, e, "%s: writing", c->out);
		}
		av_packet_free(&p);
	}
	return r;
}

/* An audio packet to encode again: its samples from the copy's origin to
 * its end. */
static int recode_write(struct copy *c, AVPacket *p, char *err, size_t errlen)
{
	if (mrecode_packet(c->arec, p, c->origin, c->end, c->f.vtb, err, errlen) < 0)
		return -1;
	return recode_out(c, err, errlen);
}

static int copy_write(struct copy *c, AVPacket *p, char *err, size_t errlen)
{
	int si = p->stream_index;
	if (c->arec && si == c->f.ai)
		return recode_write(c, p, err, errlen);
	AVRational tb = c->f.ic->streams[si]->time_base;
	int64_t t = pkt_time(p);
	if (si != c->f.vi && t != AV_NOPTS_VALUE && audio_before(c, p, t, c->origin))
		return 0; /* audio before the copy starts */
	/* the leading pictures of an open GOP need the GOP before */
	if (si == c->f.vi && t != AV_NOPTS_VALUE && av_rescale_q(t, tb, c->f.vtb) < c->kf)
		return 0;
	return write_out(c, p, err, errlen);
}

static void drop_held(struct copy *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		av_packet_free(&c->held[i]);
	c->nheld = 0;
}

/* A keyframe moved the copy's start: what was held before it can go,
 * except audio that still belongs to the copy (from origin on). */
static void prune_held(struct copy *c)
{
	size_t k = 0;
	for (size_t i = 0; i < c->nheld; i++) {
		AVPacket *p = c->held[i];
		int64_t t = pkt_time(p);
		if (p->stream_index != c->f.vi && t != AV_NOPTS_VALUE &&
		    av_rescale_q(t, c->f.ic->streams[p->stream_index]->time_base, c->f.vtb) >= c->origin)
			c->held[k++] = p;
		else
			av_packet_free(&c->held[i]);
	}
	c->nheld = k;
}

static int hold(struct copy *c, const AVPacket *p, char *err, size_t errlen)
{
	return media_pkt_push(&c->held, &c->nheld, &c->cap, p, err, errlen);
}

/* The start is settled: the header, then what was held. */
static int begin(struct copy *c, const struct profile_settings *s, char *err, size_t errlen)
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
	c->started = 1;
	for (size_t i = 0; i < c->nheld; i++)
		if (copy_write(c, c->held[i], err, errlen) < 0)
			return -1;
	drop_held(c);
	return 0;
}

/* Audio the container cannot hold: encoded again as AAC when it can hold
 * that, else left out; said so. 1 when it is encoded again. */
static int audio_recode(struct copy *c, int idx, const char *format)
{
	const char *name = avcodec_get_name(c->f.ic->streams[idx]->codecpar->codec_id);
	char why[200] = "";
	if (avformat_query_codec(c->oc->oformat, AV_CODEC_ID_AAC, FF_COMPLIANCE_NORMAL) == 1 &&
	    mrecode_new(&c->f, idx, !!(c->oc->oformat->flags & AVFMT_GLOBALHEADER), &c->arec, why,
	    sizeof why) == 0) {
		mwarn("%s: %s audio cannot go into %s: encoded again as AAC", c->f.path, name, format);
		return 1;
	}
	mrecode_free(c->arec);
	c->arec = NULL;
	mwarn("%s: %s audio cannot go into %s%s%s: the copy has no audio", c->f.path, name, format,
	    *why ? ", nor encoded again: " : "", why);
	return 0;
}

/* Output streams for the video and the default audio track. */
static int copy_streams(struct copy *c, const char *format, char *err, size_t errlen)
{
	AVFormatContext *ic = c->f.ic;
	c->map = xcalloc(ic->nb_streams, sizeof *c->map);
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		c->map[i] = -1;
		if ((int)i != c->f.vi && (int)i != c->f.ai)
			continue;
		AVStream *in = ic->streams[i];
		enum AVCodecID id = in->codecpar->codec_id;
		int recode = 0;
		if (avformat_query_codec(c->oc->oformat, id, FF_COMPLIANCE_NORMAL) == 0) {
			if ((int)i == c->f.vi)
				return merr(err, errlen, 0, "%s cannot go into %s without re-encoding",
				    avcodec_get_name(id), format);
			if (!(recode = audio_recode(c, (int)i, format)))
				continue;
		}
		AVStream *o = avformat_new_stream(c->oc, NULL);
		int e = !o ? AVERROR(ENOMEM) : recode ? mrecode_params(c->arec, o->codecpar, &o->time_base)
		    : avcodec_parameters_copy(o->codecpar, in->codecpar);
		if (e < 0)
			return merr(err, errlen, e, "output stream");
		o->codecpar->codec_tag = 0;
		if (!recode)
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

/* What becomes 0 in the copy: its keyframe; the start when the video
 * starts after it; in an MP4, where the source's edit list starts showing
 * pictures (the copy keeps an edit list that hides those before). */
static int64_t copy_origin(const struct copy *c)
{
	if (c->kf > c->start)
		return c->start;
	int64_t shown = c->f.ic->streams[c->f.vi]->start_time;
	if (c->edits && shown != AV_NOPTS_VALUE && shown > c->kf)
		return shown < c->start ? shown : c->start;
	return c->kf;
}

/* A video packet before the copy has begun. */
static int video_before(struct copy *c, AVPacket *p, int64_t t, const struct profile_settings *s,
    char *err, size_t errlen)
{
	if (t == AV_NOPTS_VALUE)
		return c->kf == AV_NOPTS_VALUE ? 0 : hold(c, p, err, errlen);
	if ((t <= c->start || c->kf == AV_NOPTS_VALUE) && really_key(c, p)) {
		/* a (later) keyframe at or before the start; or the first one,
		 * after it: then the video starts late in the copy too */
		c->kf = t;
		c->origin = copy_origin(c);
		prune_held(c);
		if (t > c->start)
			return begin(c, s, err, errlen) < 0 ? -1 : 1;
		return hold(c, p, err, errlen);
	}
	if (c->kf == AV_NOPTS_VALUE)
		return 0;
	if (t > c->start)
		return begin(c, s, err, errlen) < 0 ? -1 : 1;
	return hold(c, p, err, errlen);
}

/* --- an accurate copy --- */

/* Writes what the splice encoded. It has no B-frames, so its decode times
 * may be put delay before its presentation times (delay: see splice_out).
 * A head's last packet is sealed for what is copied after it. */
static int write_spliced(struct copy *c, int64_t delay, int head, char *err, size_t errlen)
{
	AVPacket *p, *next = msplice_take(c->sp);
	int r = 0;
	while ((p = next)) {
		next = msplice_take(c->sp);
		if (r == 0 && head && !next)
			r = msplice_seal(c->sp, p, err, errlen);
		if (r == 0) {
			p->dts = p->pts - delay;
			p->stream_index = c->f.vi;
			/* libx264 gives no durations here: the last sample's is
			 * the track's end, and the edit list's */
			if (p->duration <= 0)
				p->duration = c->f.frame_dur;
			r = write_out(c, p, err, errlen);
		}
		av_packet_free(&p);
	}
	return r;
}

/* How far before its presentation time a packet of a range [lo, hi) is
 * decoded. A head's (next: the copied keyframe after it) ends a frame
 * before next decodes: next's own delay. A tail's (next: the first packet
 * not copied) starts where next would decode, or at lo when next decodes
 * before lo (after its leading pictures, which were copied). */
static int64_t splice_delay(const AVPacket *next, int64_t lo, int head)
{
	if (!next || next->pts == AV_NOPTS_VALUE || next->dts == AV_NOPTS_VALUE)
		return 0;
	int64_t d = head ? next->pts - next->dts : lo - next->dts;
	return d > 0 ? d : 0;
}

/* A range re-encoded: [lo, hi) (vtb) went out as frames of our own. */
static int splice_out(struct copy *c, int64_t lo, int64_t hi, const AVPacket *next, int head,
    char *err, size_t errlen)
{
	if (msplice_finish(c->sp, err, errlen) < 0)
		return -1;
	if (msplice_frames(c->sp) && c->nreenc < 2) {
		c->reenc[c->nreenc][0] = lo;
		c->reenc[c->nreenc++][1] = hi;
	}
	return write_spliced(c, splice_delay(next, lo, head), head, err, errlen);
}

static int fallback(char *err, size_t errlen, const char *fmt, double t)
{
	merr(err, errlen, 0, fmt, t);
	return ACC_FALLBACK;
}

static void drop_prev(struct copy *c)
{
	for (size_t i = 0; i < c->nprev; i++)
		av_packet_free(&c->prev[i]);
	c->nprev = 0;
}

/* Writes the first n packets of the GOP held and drops it; an HEVC GOP
 * written whole is kept as prev. */
static int gop_write(struct copy *c, size_t n, char *err, size_t errlen)
{
	int r = 0, keep = c->sp && n == c->ngop &&
	    c->f.ic->streams[c->f.vi]->codecpar->codec_id == AV_CODEC_ID_HEVC;
	if (keep)
		drop_prev(c);
	for (size_t i = 0; i < c->ngop; i++) {
		if (r == 0 && keep)
			r = media_pkt_push(&c->prev, &c->nprev, &c->pcap, c->gop[i], err, errlen);
		if (r == 0 && i < n)
			r = copy_write(c, c->gop[i], err, errlen);
		av_packet_free(&c->gop[i]);
	}
	c->ngop = 0;
	return r;
}

static int gop_hold(struct copy *c, const AVPacket *p, char *err, size_t errlen)
{
	return media_pkt_push(&c->gop, &c->ngop, &c->gcap, p, err, errlen);
}

/* The last GOP held ends the clip: copied up to the end when that is
 * exact (no picture before the end decodes after one past it), else
 * decoded and encoded again from its keyframe. */
static int acc_tail(struct copy *c, char *err, size_t errlen)
{
	c->phase = ACC_DONE;
	c->vdone = 1;
	size_t n = c->ngop, cut = n;
	int exact = 1;
	for (size_t i = 0; i < n; i++) {
		int64_t t = pkt_time(c->gop[i]);
		if (t != AV_NOPTS_VALUE && t >= c->end && cut == n)
			cut = i;
		else if (cut < n && t != AV_NOPTS_VALUE && t < c->end)
			exact = 0;
	}
	if (exact || !n)
		return gop_write(c, cut, err, errlen);
	AVPacket *k = c->gop[0];
	if (!msplice_is_idr(c->sp, k))
		return fallback(err, errlen, "the keyframe at %.3f s before the end is not an IDR picture",
		    mfile_seconds(&c->f, pkt_time(k), c->f.vtb));
	/* from its first picture shown in the copy: an HEVC CRA's leading
	 * pictures show before it, and need the GOP before decoded */
	int64_t lo = pkt_time(k);
	for (size_t i = 1; i < n; i++) {
		int64_t t = pkt_time(c->gop[i]);
		if (t != AV_NOPTS_VALUE && t >= c->kf && t < lo)
			lo = t;
	}
	c->tail_start = lo;
	if (msplice_begin(c->sp, lo, c->end, err, errlen) < 0)
		return -1;
	for (size_t i = 0; lo < pkt_time(k) && i < c->nprev; i++)
		if (msplice_packet(c->sp, c->prev[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (msplice_packet(c->sp, c->gop[i], err, errlen) < 0)
			return -1;
	int r = splice_out(c, lo, c->end, k, 0, err, errlen);
	gop_write(c, 0, err, errlen);
	return r;
}

/* A head that went past an H.264 keyframe that is no IDR picture: the
 * copy cannot start there (the pictures after it may refer to pictures
 * before it, which the head does not have), so it went on to an IDR. */
static void open_gop_said(const struct copy *c, int64_t to)
{
	if (c->open_at != AV_NOPTS_VALUE)
		mwarn("%s: the keyframe at %.3f s is not an IDR picture (an open GOP): re-encoded up to %.3f s",
		    c->f.path, mfile_seconds(&c->f, c->open_at, c->f.vtb), mfile_seconds(&c->f, to, c->f.vtb));
}

/* The head ends: re-encoded up to the first keyframe copied (k1, whose
 * leading pictures it covered), which is then held as the first GOP's. */
static int acc_head_end(struct copy *c, char *err, size_t errlen)
{
	AVPacket *k = c->k1;
	int64_t tk = pkt_time(k), to = tk < c->end ? tk : c->end;
	int r = splice_out(c, c->start, to, k, 1, err, errlen);
	if (r == 0 && tk < c->end && msplice_frames(c->sp))
		r = msplice_first_copied(c->sp, k, err, errlen);
	c->phase = tk < c->end ? ACC_COPY : ACC_DONE;
	c->vdone = c->phase == ACC_DONE;
	if (r == 0 && c->phase == ACC_COPY)
		r = gop_hold(c, k, err, errlen);
	av_packet_free(&c->k1);
	open_gop_said(c, to);
	return r;
}

/* No keyframe to copy from before the end: all of it is the head. */
static int acc_head_all(struct copy *c, char *err, size_t errlen)
{
	c->phase = ACC_DONE;
	c->vdone = 1;
	c->head_end = c->end;
	open_gop_said(c, c->end);
	return splice_out(c, c->start, c->end, NULL, 1, err, errlen);
}

/* A video packet of an accurate copy, in decode order: decoded for the
 * head until the first keyframe at or after the start (K1) and the
 * pictures after it that show before it, then held a GOP at a time,
 * each written when the next keyframe shows it is inside the clip. 0,
 * ACC_FALLBACK or -1, with err. */
static int acc_video(struct copy *c, AVPacket *p, int64_t tv, char *err, size_t errlen)
{
	if (c->phase == ACC_HEAD) {
		/* from a decode time at or past the end on, nothing shows before it */
		int64_t dv = p->dts != AV_NOPTS_VALUE ? p->dts : tv;
		if (dv != AV_NOPTS_VALUE && dv >= c->end)
			return acc_head_all(c, err, errlen);
		if (tv == AV_NOPTS_VALUE || tv < c->start || !(p->flags & AV_PKT_FLAG_KEY))
			return msplice_packet(c->sp, p, err, errlen);
		if (!msplice_is_idr(c->sp, p)) {
			if (c->open_at == AV_NOPTS_VALUE)
				c->open_at = tv;
			return msplice_packet(c->sp, p, err, errlen);
		}
		if (!(c->k1 = av_packet_clone(p)))
			return merr(err, errlen, AVERROR(ENOMEM), "packet");
		c->kf = c->head_end = tv;
		c->phase = ACC_LEAD;
		msplice_end_at(c->sp, tv);
		return msplice_packet(c->sp, p, err, errlen);
	}
	if (c->phase == ACC_LEAD) {
		/* K1's leading pictures: the head's, left out of the copy */
		if (tv != AV_NOPTS_VALUE && tv < c->kf)
			return msplice_packet(c->sp, p, err, errlen);
		if (acc_head_end(c, err, errlen) < 0)
			return -1;
	}
	if (c->phase != ACC_COPY)
		return 0;
	/* from a decode time at or past the end on, nothing shows before it */
	int64_t dv = p->dts != AV_NOPTS_VALUE ? p->dts : tv;
	if (dv != AV_NOPTS_VALUE && dv >= c->end)
		return acc_tail(c, err, errlen);
	/* a GOP ends where the next can be spliced onto: an IDR (IRAP) */
	if ((p->flags & AV_PKT_FLAG_KEY) && c->ngop && tv != AV_NOPTS_VALUE && tv < c->end &&
	    msplice_is_idr(c->sp, p) && gop_write(c, c->ngop, err, errlen) < 0)
		return -1;
	return gop_hold(c, p, err, errlen);
}

/* The file ended: whatever is under way ends the clip. */
static int acc_eof(struct copy *c, char *err, size_t errlen)
{
	if (c->phase == ACC_HEAD)
		return acc_head_all(c, err, errlen);
	if (c->phase == ACC_LEAD && acc_head_end(c, err, errlen) < 0)
		return -1;
	return c->phase == ACC_COPY ? acc_tail(c, err, errlen) : 0;
}

/* One packet of an accurate copy. */
static int acc_packet(struct copy *c, AVPacket *p, int64_t tv, const struct profile_settings *s,
    char *err, size_t errlen)
{
	if (!c->started && begin(c, s, err, errlen) < 0)
		return -1;
	if (p->stream_index == c->f.vi)
		return c->vdone ? 0 : acc_video(c, p, tv, err, errlen);
	if (c->adone || (tv != AV_NOPTS_VALUE && !audio_before(c, p, pkt_time(p), c->end))) {
		c->adone = 1;
		return 0;
	}
	return copy_write(c, p, err, errlen);
}

/* One packet read: held, written or dropped. 0, or -1 with err. */
static int copy_packet(struct copy *c, AVPacket *p, const struct profile_settings *s,
    char *err, size_t errlen)
{
	int si = p->stream_index, video = si == c->f.vi;
	int64_t t = pkt_time(p);
	AVRational tb = c->f.ic->streams[si]->time_base;
	int64_t tv = t == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(t, tb, c->f.vtb);
	if (tv != AV_NOPTS_VALUE) {
		int64_t fe = tv + av_rescale_q(p->duration, tb, c->f.vtb);
		if (c->data_end == AV_NOPTS_VALUE || fe > c->data_end)
			c->data_end = fe;
	}
	if (c->sp)
		return acc_packet(c, p, tv, s, err, errlen);
	if (!c->started) {
		if (video) {
			int r = video_before(c, p, tv, s, err, errlen);
			if (r <= 0)
				return r;
		} else {
			/* audio may start the copy before the video's first
			 * keyframe: keep what can still belong to it */
			if (tv != AV_NOPTS_VALUE && c->kf == AV_NOPTS_VALUE &&
			    tv < c->start - 2 * av_rescale_q(1, (AVRational){1, 1}, c->f.vtb))
				return 0;
			return hold(c, p, err, errlen);
		}
	}
	if (video) {
		/* in decode order: what comes after a picture at or past the
		 * end may need it, so the video ends before the first one */
		if (c->vdone || (tv != AV_NOPTS_VALUE && tv >= c->end)) {
			c->vdone = 1;
			return 0;
		}
	} else if (tv != AV_NOPTS_VALUE && tv >= c->end) {
		c->adone = 1;
		return 0;
	}
	return copy_write(c, p, err, errlen);
}

/* The copy read to the end of the file: did the data reach the clip's end? */
static int check_end(struct copy *c, long long end_ms, char *err, size_t errlen)
{
	if (c->data_end != AV_NOPTS_VALUE && c->data_end + c->f.frame_dur >= c->end)
		return 0;
	return merr(err, errlen, 0, "the data ends at %.3f s, before the clip's end (%.3f s): truncated?",
	    c->data_end == AV_NOPTS_VALUE ? 0 : mfile_seconds(&c->f, c->data_end, c->f.vtb),
	    end_ms / 1000.0);
}

static int copy_run(struct copy *c, long long start_ms, long long end_ms,
    const struct profile_settings *s, char *err, size_t errlen)
{
	AVPacket *pkt = av_packet_alloc();
	int r = -1, e;
	if (!pkt)
		return merr(err, errlen, AVERROR(ENOMEM), "allocating");
	int64_t back = 0;
	if (mfile_seek_key(&c->f, c->start, &back, really_key, c, pkt, err, errlen) < 0)
		goto out;
	atomic_store(&c->f.log.preroll, c->sp != NULL); /* the head's decode, before the start */
	int audio = c->f.ai >= 0 && c->map[c->f.ai] >= 0;
	for (;;) {
		if (media_interrupted()) {
			merr(err, errlen, 0, "interrupted");
			goto out;
		}
		if (c->vdone && (!audio || c->adone))
			break;
		e = mfile_read(&c->f, pkt);
		if (e == AVERROR_EOF) {
			if (c->sp && (r = acc_eof(c, err, errlen)) != 0)
				goto out;
			r = -1;
			if (check_end(c, end_ms, err, errlen) < 0)
				goto out;
			break;
		}
		if (e < 0) {
			merr(err, errlen, e, "reading");
			goto out;
		}
		e = c->map[pkt->stream_index] < 0 ? 0 : copy_packet(c, pkt, s, err, errlen);
		av_packet_unref(pkt);
		if (e != 0) {
			r = e < 0 ? -1 : e;
			goto out;
		}
	}
	/* a clip in the last frames: the file ended before the start was passed */
	if (!c->started && c->kf != AV_NOPTS_VALUE && begin(c, s, err, errlen) < 0)
		goto out;
	if (!c->started) {
		if (c->f.ic->streams[c->f.vi]->codecpar->codec_id == AV_CODEC_ID_H264)
			merr(err, errlen, 0, "no IDR picture at or before %.3f s: a copy from an I-picture "
			    "that is not one (an open GOP) would not decode without errors", start_ms / 1000.0);
		else
			merr(err, errlen, 0, "no keyframe at or before %.3f s", start_ms / 1000.0);
		goto out;
	}
	/* the video starts after the clip: audio alone is no copy of it */
	if (!c->vpackets) {
		merr(err, errlen, 0, "no video frame in the clip");
		goto out;
	}
	r = 0;
out:
	av_packet_free(&pkt);
	return r;
}

/* The splice's parameter sets go into the output's header. */
static int acc_setup(struct copy *c, char *err, size_t errlen)
{
	int r = msplice_new(&c->f, &c->sp, err, errlen);
	if (r != 0)
		return r < 0 ? -1 : ACC_FALLBACK;
	int size;
	const uint8_t *x = msplice_extradata(c->sp, &size);
	AVCodecParameters *par = c->oc->streams[c->map[c->f.vi]]->codecpar;
	av_freep(&par->extradata);
	if (!(par->extradata = av_mallocz((size_t)size + AV_INPUT_BUFFER_PADDING_SIZE)))
		return merr(err, errlen, AVERROR(ENOMEM), "extradata");
	memcpy(par->extradata, x, (size_t)size);
	par->extradata_size = size;
	c->origin = c->start;
	c->tail_start = AV_NOPTS_VALUE;
	return msplice_begin(c->sp, c->start, c->end, err, errlen);
}

/* The ranges of an accurate copy, as clip times. */
static void acc_result(const struct copy *c, struct media_result *res)
{
	res->nreenc = c->nreenc;
	for (int i = 0; i < c->nreenc; i++)
		for (int k = 0; k < 2; k++)
			res->reenc_ms[i][k] = llround(mfile_seconds(&c->f, c->reenc[i][k], c->f.vtb) * 1000);
	if (c->head_end < c->end) {
		int64_t to = c->tail_start != AV_NOPTS_VALUE ? c->tail_start : c->end;
		if (c->data_end != AV_NOPTS_VALUE && c->data_end < to)
			to = c->data_end;
		res->copied_ms[0] = llround(mfile_seconds(&c->f, c->head_end, c->f.vtb) * 1000);
		res->copied_ms[1] = llround(mfile_seconds(&c->f, to, c->f.vtb) * 1000);
	}
}

/* One copy: accurate or not. 0, ACC_FALLBACK (err says why) or -1. */
static int copy_once(const char *path, long long start_ms, long long end_ms,
    const struct profile_settings *sp, int accurate, const char *out, struct media_result *res,
    char *err, size_t errlen)
{
	struct copy c = {.kf = AV_NOPTS_VALUE, .data_end = AV_NOPTS_VALUE, .open_at = AV_NOPTS_VALUE, .out = out};
	struct profile_settings s = *sp;
	int r = -1, e;
	memset(res, 0, sizeof *res);
	if (mfile_open(&c.f, path, err, errlen) < 0 ||
	    mfile_check_range(&c.f, start_ms, end_ms, err, errlen) < 0)
		goto out;
	mlog_enter(&c.f.log);
	c.edits = strcmp(s.format, "mp4") == 0;
	c.start = mfile_vtime(&c.f, start_ms);
	c.end = mfile_vtime(&c.f, end_ms);
	char *url = media_url(out);
	e = avformat_alloc_output_context2(&c.oc, NULL, s.format, url);
	free(url);
	if (e < 0 || !c.oc) {
		merr(err, errlen, e, "output format %s", s.format);
		goto out;
	}
	if (copy_streams(&c, s.format, err, errlen) < 0)
		goto out;
	if (accurate && (r = acc_setup(&c, err, errlen)) != 0)
		goto out;
	r = -1;
	if (!(c.frame = av_frame_alloc())) {
		merr(err, errlen, AVERROR(ENOMEM), "allocating");
		goto out;
	}
	char why[256];
	if (media_decoder(&c.f, c.f.vi, 1, &c.dec, why, sizeof why) < 0)
		avcodec_free_context(&c.dec);
	if ((r = copy_run(&c, start_ms, end_ms, &s, err, errlen)) != 0)
		goto out;
	r = -1;
	if (c.arec && (mrecode_finish(c.arec, err, errlen) < 0 || recode_out(&c, err, errlen) < 0))
		goto out;
	if ((e = av_write_trailer(c.oc)) < 0 || (e = avio_closep(&c.oc->pb)) < 0) {
		merr(err, errlen, e, "%s: finishing", out);
		goto out;
	}
	AVStream *vst = c.f.ic->streams[c.f.vi];
	int w = vst->codecpar->width, h = vst->codecpar->height, rot = media_rotation(vst);
	if (rot && strcmp(s.format, "mp4")) {
		/* the matroska muxer here writes no display matrix */
		mwarn("%s: a %s copy cannot keep the rotation: it is not upright", path, s.format);
		rot = 0;
	}
	res->width = rot == 90 || rot == 270 ? h : w;
	res->height = rot == 90 || rot == 270 ? w : h;
	res->start_ms = llround(mfile_seconds(&c.f, c.origin, c.f.vtb) * 1000);
	if (c.sp)
		acc_result(&c, res);
	if ((res->duration_ms = media_file_duration(out, err, errlen)) < 0)
		goto out;
	r = 0;
out:
	mlog_enter(NULL);
	drop_held(&c);
	free(c.held);
	gop_write(&c, 0, err, 0);
	free(c.gop);
	drop_prev(&c);
	free(c.prev);
	av_packet_free(&c.k1);
	msplice_free(c.sp);
	mrecode_free(c.arec);
	free(c.map);
	av_frame_free(&c.frame);
	avcodec_free_context(&c.dec);
	if (c.oc) {
		if (c.oc->pb)
			avio_closep(&c.oc->pb);
		avformat_free_context(c.oc);
	}
	mfile_close(&c.f);
	return r;
}

int media_copy(const char *path, long long start_ms, long long end_ms,
    const struct profile *p, const char *out, struct media_result *res,
    char *err, size_t errlen)
{
	struct profile_settings s;
	profile_settings(p, &s);
	int r = copy_once(path, start_ms, end_ms, &s, s.accurate, out, res, err, errlen);
	if (r != ACC_FALLBACK)
		return r;
	/* never a broken file: the copy the source allows, said so */
	mwarn("%s: %s: a keyframe copy instead", path, err);
	return copy_once(path, start_ms, end_ms, &s, 0, out, res, err, errlen);
}
