#include "probe.h"

#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int rotation_of(const AVStream *st)
{
	const int32_t *m = NULL;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
	const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data,
	    st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
	if (sd && sd->size >= 9 * sizeof(int32_t))
		m = (const int32_t *)sd->data;
#else
	size_t size = 0;
	m = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
	if (size < 9 * sizeof(int32_t))
		m = NULL;
#endif
	if (!m)
		return 0;
	double a = av_display_rotation_get(m);
	if (isnan(a))
		return 0;
	/* the matrix rotates counter-clockwise; players turn the picture
	 * clockwise by the opposite angle, as ffmpeg's autorotate does */
	long deg = lround(-a) % 360;
	if (deg < 0)
		deg += 360;
	return (int)deg;
}

int probe_file(const char *path, struct probe *p, char *why, size_t n)
{
	memset(p, 0, sizeof *p);
	p->duration_ms = -1;
	AVFormatContext *fmt = NULL;
	char err[AV_ERROR_MAX_STRING_SIZE];
	int r = avformat_open_input(&fmt, path, NULL, NULL);
	if (r < 0) {
		snprintf(why, n, "%s", av_make_error_string(err, sizeof err, r));
		return -1;
	}
	r = avformat_find_stream_info(fmt, NULL);
	if (r < 0) {
		snprintf(why, n, "cannot read the streams: %s", av_make_error_string(err, sizeof err, r));
		avformat_close_input(&fmt);
		return -1;
	}
	int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	int ai = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
	if (vi < 0) {
		snprintf(why, n, "no video stream");
		avformat_close_input(&fmt);
		return -1;
	}
	AVStream *vs = fmt->streams[vi];
	p->width = vs->codecpar->width;
	p->height = vs->codecpar->height;
	snprintf(p->vcodec, sizeof p->vcodec, "%s", avcodec_get_name(vs->codecpar->codec_id));
	if (ai >= 0)
		snprintf(p->acodec, sizeof p->acodec, "%s",
		    avcodec_get_name(fmt->streams[ai]->codecpar->codec_id));
	p->rotation = rotation_of(vs);
	if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
		p->duration_ms = av_rescale(fmt->duration, 1000, AV_TIME_BASE);
	else if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0)
		p->duration_ms = av_rescale_q(vs->duration, vs->time_base, (AVRational){1, 1000});
	avformat_close_input(&fmt);
	return 0;
}
