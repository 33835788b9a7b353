/* The libraries of FFmpeg are loaded on the first probe only: linked, they
 * cost every run of medusa-scan some 20 ms and 24 MB of mappings before it
 * reads a directory, while most scans never probe. The sonames are the ones
 * of the headers we were built against, so the ABI is the same as when
 * linking. */
#include "probe.h"
#include "util.h"

#include <dlfcn.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static struct {
	int loaded; /* 1 ok, -1 failed */
	char error[256];
	__typeof__(&avformat_open_input) open_input;
	__typeof__(&avformat_find_stream_info) find_stream_info;
	__typeof__(&av_find_best_stream) find_best_stream;
	__typeof__(&avformat_close_input) close_input;
	__typeof__(&avcodec_get_name) codec_name;
	__typeof__(&av_display_rotation_get) rotation_get;
	__typeof__(&av_strerror) strerror_;
	__typeof__(&av_log_set_level) log_set_level;
	__typeof__(&av_rescale_q) rescale_q;
	__typeof__(&av_dict_set) dict_set;
	__typeof__(&av_dict_free) dict_free;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
	__typeof__(&av_packet_side_data_get) side_data_get;
#else
	__typeof__(&av_stream_get_side_data) stream_side_data;
#endif
} av;

static void *sym(void *h, const char *lib, const char *name)
{
	void *p = h ? dlsym(h, name) : NULL;
	if (!p && !av.error[0])
		snprintf(av.error, sizeof av.error, "%s: no %s", lib, name);
	return p;
}

static int load(void)
{
	if (av.loaded)
		return av.loaded;
	char fmt[64], codec[64], util[64];
	snprintf(fmt, sizeof fmt, "libavformat.so.%d", LIBAVFORMAT_VERSION_MAJOR);
	snprintf(codec, sizeof codec, "libavcodec.so.%d", LIBAVCODEC_VERSION_MAJOR);
	snprintf(util, sizeof util, "libavutil.so.%d", LIBAVUTIL_VERSION_MAJOR);
	void *hf = dlopen(fmt, RTLD_NOW | RTLD_LOCAL);
	void *hc = hf ? dlopen(codec, RTLD_NOW | RTLD_LOCAL) : NULL;
	void *hu = hc ? dlopen(util, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!hu) {
		snprintf(av.error, sizeof av.error, "cannot load FFmpeg: %s", dlerror());
		return av.loaded = -1;
	}
	*(void **)&av.open_input = sym(hf, fmt, "avformat_open_input");
	*(void **)&av.find_stream_info = sym(hf, fmt, "avformat_find_stream_info");
	*(void **)&av.find_best_stream = sym(hf, fmt, "av_find_best_stream");
	*(void **)&av.close_input = sym(hf, fmt, "avformat_close_input");
	*(void **)&av.codec_name = sym(hc, codec, "avcodec_get_name");
	*(void **)&av.rotation_get = sym(hu, util, "av_display_rotation_get");
	*(void **)&av.strerror_ = sym(hu, util, "av_strerror");
	*(void **)&av.log_set_level = sym(hu, util, "av_log_set_level");
	*(void **)&av.rescale_q = sym(hu, util, "av_rescale_q");
	*(void **)&av.dict_set = sym(hu, util, "av_dict_set");
	*(void **)&av.dict_free = sym(hu, util, "av_dict_free");
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
	*(void **)&av.side_data_get = sym(hc, codec, "av_packet_side_data_get");
#else
	*(void **)&av.stream_side_data = sym(hf, fmt, "av_stream_get_side_data");
#endif
	if (av.error[0])
		return av.loaded = -1;
	/* our messages name the file; libav's own would be noise */
	av.log_set_level(AV_LOG_QUIET);
	return av.loaded = 1;
}

static const char *averr(int r, char *buf, size_t n)
{
	if (av.strerror_(r, buf, n) < 0)
		snprintf(buf, n, "error %d", r);
	return buf;
}

static int rotation_of(const AVStream *st)
{
	const int32_t *m = NULL;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
	const AVPacketSideData *sd = av.side_data_get(st->codecpar->coded_side_data,
	    st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
	if (sd && sd->size >= 9 * sizeof(int32_t))
		m = (const int32_t *)sd->data;
#else
	size_t size = 0;
	m = (const int32_t *)av.stream_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
	if (size < 9 * sizeof(int32_t))
		m = NULL;
#endif
	if (!m)
		return 0;
	double a = av.rotation_get(m);
	if (isnan(a))
		return 0;
	/* the matrix rotates counter-clockwise; players turn the picture
	 * clockwise by the opposite angle, as ffmpeg's autorotate does */
	long deg = lround(-a) % 360;
	if (deg < 0)
		deg += 360;
	return (int)deg;
}

int probe_file(const char *path, struct probe *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->duration_ms = -1;
	if (load() < 0) {
		snprintf(err, errlen, "%s", av.error);
		return -1;
	}
	AVFormatContext *fmt = NULL;
	char averrbuf[AV_ERROR_MAX_STRING_SIZE];
	/* a file of the backyard is a file: a playlist or a concat script
	 * inside it must not make the probe open network URLs */
	AVDictionary *opts = NULL;
	if (av.dict_set(&opts, "protocol_whitelist", "file", 0) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int r = av.open_input(&fmt, path, NULL, &opts);
	av.dict_free(&opts);
	if (r < 0) {
		snprintf(err, errlen, "%s", averr(r, averrbuf, sizeof averrbuf));
		return -1;
	}
	r = av.find_stream_info(fmt, NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the streams: %s", averr(r, averrbuf, sizeof averrbuf));
		av.close_input(&fmt);
		return -1;
	}
	int vi = av.find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	int ai = av.find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
	if (vi < 0) {
		snprintf(err, errlen, "no video stream");
		av.close_input(&fmt);
		return -1;
	}
	AVStream *vs = fmt->streams[vi];
	p->width = vs->codecpar->width;
	p->height = vs->codecpar->height;
	snprintf(p->vcodec, sizeof p->vcodec, "%s", av.codec_name(vs->codecpar->codec_id));
	if (ai >= 0)
		snprintf(p->acodec, sizeof p->acodec, "%s",
		    av.codec_name(fmt->streams[ai]->codecpar->codec_id));
	p->rotation = rotation_of(vs);
	if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
		p->duration_ms = av.rescale_q(fmt->duration, AV_TIME_BASE_Q, (AVRational){1, 1000});
	else if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0)
		p->duration_ms = av.rescale_q(vs->duration, vs->time_base, (AVRational){1, 1000});
	av.close_input(&fmt);
	return 0;
}
