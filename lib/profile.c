/* Profiles: validation of every field, defaults, and the check that the
 * encoders a profile needs are in the libavcodec we run with. */
#include "profile.h"
#include "hash.h"
#include "ndjson.h"
#include "util.h"

#include <dlfcn.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *container, *ext, *mime, *format;
} containers[] = {
	{"mp4", "mp4", "video/mp4", "mp4"},
	{"webm", "webm", "video/webm", "webm"},
	{"mkv", "mkv", "video/x-matroska", "matroska"},
};

static const struct {
	const char *format, *ext, *mime, *encoder;
} images[] = {
	{"jpeg", "jpg", "image/jpeg", "mjpeg"},
	{"webp", "webp", "image/webp", "libwebp"},
};

/* Video codecs: the encoders that make them, in order of preference, and
 * the containers that can hold them. */
static const struct {
	const char *codec, *encoders[3], *in;
	enum AVCodecID id;
	int crf;
} vcodecs[] = {
	{"h264", {"libx264"}, "mp4 mkv", AV_CODEC_ID_H264, 23},
	{"hevc", {"libx265"}, "mp4 mkv", AV_CODEC_ID_HEVC, 28},
	{"vp9", {"libvpx-vp9"}, "mp4 webm mkv", AV_CODEC_ID_VP9, 32},
	{"av1", {"libsvtav1", "libaom-av1"}, "mp4 webm mkv", AV_CODEC_ID_AV1, 35},
};

static const struct {
	const char *codec, *encoder, *in;
	long bitrate;
} acodecs[] = {
	{"aac", "aac", "mp4 mkv", 128000},
	{"opus", "libopus", "mp4 webm mkv", 96000},
};

static const char *x264_presets[] = {
	"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
	"slower", "veryslow", "placebo", NULL,
};

static const char *fields_video[] = {"kind", "description", "container", "codec",
	"encoder", "crf", "bitrate", "preset", "speed", "width", "height", "fps",
	"audio", "audio_bitrate", "audio_channels", NULL};
static const char *fields_preview[] = {"kind", "description", "container", "codec",
	"encoder", "crf", "bitrate", "preset", "speed", "width", "height", "fps",
	"seconds", NULL};
static const char *fields_image[] = {"kind", "description", "format", "width",
	"height", "at", "quality", NULL};
static const char *fields_copy[] = {"kind", "description", "container", "accurate", NULL};

static int in_list(const char *word, const char *list)
{
	size_t n = strlen(word);
	for (const char *s = list; *s;) {
		const char *e = strchr(s, ' ');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == n && strncmp(s, word, n) == 0)
			return 1;
		s += len + (e != NULL);
	}
	return 0;
}

/* Each getter leaves *out alone when the field is absent: 0 ok, -1 error. */
static int get_int(json_object *spec, const char *k, long lo, long hi, long *out,
    char *err, size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(spec, k, &v))
		return 0;
	double d = json_object_get_double(v);
	if (!json_object_is_type(v, json_type_int) &&
	    !(json_object_is_type(v, json_type_double) && d == floor(d))) {
		snprintf(err, errlen, "%s: must be an integer from %ld to %ld", k, lo, hi);
		return -1;
	}
	long long x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : (long long)d;
	if (x < lo || x > hi) {
		snprintf(err, errlen, "%s: %lld is out of range (%ld to %ld)", k, x, lo, hi);
		return -1;
	}
	*out = (long)x;
	return 0;
}

static int get_num(json_object *spec, const char *k, double lo, double hi, double *out,
    char *err, size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(spec, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
		snprintf(err, errlen, "%s: must be a number from %g to %g", k, lo, hi);
		return -1;
	}
	double d = json_object_get_double(v);
	if (!(d >= lo && d <= hi)) {
		snprintf(err, errlen, "%s: %g is out of range (%g to %g)", k, d, lo, hi);
		return -1;
	}
	*out = d;
	return 0;
}

static int get_bool(json_object *spec, const char *k, int *out, char *err, size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(spec, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(err, errlen, "%s: must be true or false", k);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_str(json_object *spec, const char *k, const char **out, char *err, size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(spec, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
		snprintf(err, errlen, "%s: must be a non-empty string", k);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* Every tool loads the config, but only medusa-cut encodes: looking the
 * encoders up would load libavcodec and its 160 libraries into each process
 * (one per connection under inetd), some 15 ms apiece. So only a tool that
 * asks (check_encoders, CONFIG_ENCODERS) looks them up, in the libavcodec of our
 * headers' soname, loaded on first use (medusa-cut has it linked anyway). */
static const AVCodec *find_encoder(const char *name)
{
	static __typeof__(&avcodec_find_encoder_by_name) lookup;
	static int tried;
	if (!tried) {
		char soname[64];
		tried = 1;
		snprintf(soname, sizeof soname, "libavcodec.so.%d", LIBAVCODEC_VERSION_MAJOR);
		void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
		if (h)
			lookup = (__typeof__(lookup))dlsym(h, "avcodec_find_encoder_by_name");
	}
	return lookup ? lookup(name) : NULL;
}

/* check: look the encoder up, else take it as there */
static int have_encoder(int check, const char *name, enum AVCodecID id)
{
	if (!check)
		return 1;
	const AVCodec *c = find_encoder(name);
	return c && (id == AV_CODEC_ID_NONE || c->id == id);
}

static int have_encoder_named(int check, const char *name)
{
	return have_encoder(check, name, AV_CODEC_ID_NONE);
}

static int missing_encoder(const char *field, const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: encoder \"%s\" is not in this libavcodec (%s)",
	    field, name, LIBAVCODEC_IDENT);
	return -1;
}

/* The video part shared by video and preview. */
static int parse_video(json_object *spec, int check, const char *container,
    struct profile_settings *s, char *err, size_t errlen)
{
	const char *codec = strcmp(container, "webm") == 0 ? "vp9" : "h264";
	if (get_str(spec, "codec", &codec, err, errlen) < 0)
		return -1;
	size_t ci = sizeof vcodecs / sizeof vcodecs[0];
	for (size_t i = 0; i < sizeof vcodecs / sizeof vcodecs[0]; i++)
		if (strcmp(codec, vcodecs[i].codec) == 0)
			ci = i;
	if (ci == sizeof vcodecs / sizeof vcodecs[0]) {
		snprintf(err, errlen, "codec: \"%s\" is not one of h264, hevc, vp9, av1", codec);
		return -1;
	}
	if (!in_list(container, vcodecs[ci].in)) {
		snprintf(err, errlen, "codec: %s cannot go into %s (use one of: %s)", codec,
		    container, vcodecs[ci].in);
		return -1;
	}
	const char *enc = NULL;
	if (get_str(spec, "encoder", &enc, err, errlen) < 0)
		return -1;
	if (enc) {
		if (!have_encoder_named(check, enc))
			return missing_encoder("encoder", enc, err, errlen);
		if (!have_encoder(check, enc, vcodecs[ci].id)) {
			snprintf(err, errlen, "encoder: \"%s\" does not make %s", enc, codec);
			return -1;
		}
	} else {
		for (size_t i = 0; i < 3 && vcodecs[ci].encoders[i] && !enc; i++)
			if (have_encoder(check, vcodecs[ci].encoders[i], vcodecs[ci].id))
				enc = vcodecs[ci].encoders[i];
		if (!enc)
			return missing_encoder("codec", vcodecs[ci].encoders[0], err, errlen);
	}
	s->vencoder = enc;
	long crf = -1, bitrate = 0, speed = -1, w = 0, h = 0;
	if (get_int(spec, "crf", 0, 63, &crf, err, errlen) < 0 ||
	    get_int(spec, "bitrate", 10000, 500000000, &bitrate, err, errlen) < 0 ||
	    get_int(spec, "speed", 0, 13, &speed, err, errlen) < 0 ||
	    get_int(spec, "width", 16, 16384, &w, err, errlen) < 0 ||
	    get_int(spec, "height", 16, 16384, &h, err, errlen) < 0 ||
	    get_num(spec, "fps", 1, 240, &s->fps, err, errlen) < 0)
		return -1;
	if (crf >= 0 && bitrate) {
		snprintf(err, errlen, "crf: give crf or bitrate, not both");
		return -1;
	}
	if (crf > 51 && (strcmp(enc, "libx264") == 0 || strcmp(enc, "libx265") == 0)) {
		snprintf(err, errlen, "crf: %ld is out of range for %s (0 to 51)", crf, enc);
		return -1;
	}
	s->crf = crf < 0 && !bitrate ? vcodecs[ci].crf : (int)crf;
	s->bitrate = bitrate;
	s->speed = (int)speed;
	s->width = (int)w;
	s->height = (int)h;
	if (get_str(spec, "preset", &s->preset, err, errlen) < 0)
		return -1;
	if (strcmp(enc, "libx264") == 0 || strcmp(enc, "libx265") == 0) {
		if (!s->preset)
			s->preset = "veryfast";
		int found = 0;
		for (size_t i = 0; x264_presets[i]; i++)
			found |= strcmp(s->preset, x264_presets[i]) == 0;
		if (!found) {
			snprintf(err, errlen, "preset: \"%s\" is not an x264 preset (ultrafast ... placebo)", s->preset);
			return -1;
		}
	} else if (s->preset) {
		snprintf(err, errlen, "preset: %s has no presets; use \"speed\"", enc);
		return -1;
	}
	if (speed >= 0 && strcmp(enc, "libx264") == 0) {
		snprintf(err, errlen, "speed: libx264 has no speed; use \"preset\"");
		return -1;
	}
	return 0;
}

static int parse_audio(json_object *spec, int check, const char *container,
    struct profile_settings *s, char *err, size_t errlen)
{
	const char *audio = strcmp(container, "webm") == 0 ? "opus" : "aac";
	if (get_str(spec, "audio", &audio, err, errlen) < 0)
		return -1;
	if (strcmp(audio, "none") == 0) {
		json_object *v;
		if (json_object_object_get_ex(spec, "audio_bitrate", &v) ||
		    json_object_object_get_ex(spec, "audio_channels", &v)) {
			snprintf(err, errlen, "audio: \"none\" takes no audio_bitrate or audio_channels");
			return -1;
		}
		return 0;
	}
	size_t ai = sizeof acodecs / sizeof acodecs[0];
	for (size_t i = 0; i < sizeof acodecs / sizeof acodecs[0]; i++)
		if (strcmp(audio, acodecs[i].codec) == 0)
			ai = i;
	if (ai == sizeof acodecs / sizeof acodecs[0]) {
		snprintf(err, errlen, "audio: \"%s\" is not one of aac, opus, none", audio);
		return -1;
	}
	if (!in_list(container, acodecs[ai].in)) {
		snprintf(err, errlen, "audio: %s cannot go into %s", audio, container);
		return -1;
	}
	if (!have_encoder_named(check, acodecs[ai].encoder))
		return missing_encoder("audio", acodecs[ai].encoder, err, errlen);
	long br = acodecs[ai].bitrate, ch = 0;
	if (get_int(spec, "audio_bitrate", 6000, 512000, &br, err, errlen) < 0 ||
	    get_int(spec, "audio_channels", 1, 2, &ch, err, errlen) < 0)
		return -1;
	s->aencoder = acodecs[ai].encoder;
	s->abitrate = br;
	s->channels = (int)ch;
	return 0;
}

static int check_fields(json_object *spec, const char **fields, const char *kind,
    char *err, size_t errlen)
{
	json_object_object_foreach(spec, k, v) {
		(void)v;
		int found = 0;
		for (size_t i = 0; fields[i]; i++)
			found |= strcmp(k, fields[i]) == 0;
		if (!found) {
			snprintf(err, errlen, "%s: not a field of a %s profile", k, kind);
			return -1;
		}
	}
	return 0;
}

/* Parses spec into s (and the extension and mime type); -1 with err. */
static int parse(json_object *spec, int check, struct profile_settings *s, const char **ext,
    const char **mime, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->crf = -1;
	s->speed = -1;
	if (!json_object_is_type(spec, json_type_object)) {
		snprintf(err, errlen, "a profile must be an object");
		return -1;
	}
	const char *kind = NULL;
	if (get_str(spec, "kind", &kind, err, errlen) < 0)
		return -1;
	if (!kind) {
		snprintf(err, errlen, "kind: missing (video, image, copy or preview)");
		return -1;
	}
	const char **fields;
	if (strcmp(kind, "video") == 0) {
		s->kind = PROFILE_VIDEO;
		fields = fields_video;
	} else if (strcmp(kind, "preview") == 0) {
		s->kind = PROFILE_PREVIEW;
		fields = fields_preview;
	} else if (strcmp(kind, "copy") == 0) {
		s->kind = PROFILE_COPY;
		fields = fields_copy;
	} else if (strcmp(kind, "image") == 0) {
		s->kind = PROFILE_IMAGE;
		fields = fields_image;
	} else {
		snprintf(err, errlen, "kind: \"%s\" is not one of video, image, copy, preview", kind);
		return -1;
	}
	if (check_fields(spec, fields, kind, err, errlen) < 0)
		return -1;
	const char *d;
	if (get_str(spec, "description", &d, err, errlen) < 0)
		return -1;
	if (s->kind == PROFILE_IMAGE) {
		const char *f = "jpeg";
		if (get_str(spec, "format", &f, err, errlen) < 0)
			return -1;
		for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
			if (strcmp(f, images[i].format) == 0) {
				*ext = images[i].ext;
				*mime = images[i].mime;
				s->iencoder = images[i].encoder;
			}
		if (!s->iencoder) {
			snprintf(err, errlen, "format: \"%s\" is not one of jpeg, webp", f);
			return -1;
		}
		if (!have_encoder_named(check, s->iencoder))
			return missing_encoder("format", s->iencoder, err, errlen);
		long w = 0, h = 0, q = 85;
		s->at = 0.5;
		if (get_int(spec, "width", 16, 16384, &w, err, errlen) < 0 ||
		    get_int(spec, "height", 16, 16384, &h, err, errlen) < 0 ||
		    get_int(spec, "quality", 1, 100, &q, err, errlen) < 0 ||
		    get_num(spec, "at", 0, 1, &s->at, err, errlen) < 0)
			return -1;
		s->width = (int)w;
		s->height = (int)h;
		s->quality = (int)q;
		return 0;
	}
	const char *c = s->kind == PROFILE_PREVIEW ? "webm" : "mp4";
	if (get_str(spec, "container", &c, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++)
		if (strcmp(c, containers[i].container) == 0) {
			*ext = containers[i].ext;
			*mime = containers[i].mime;
			s->format = containers[i].format;
		}
	if (!s->format) {
		snprintf(err, errlen, "container: \"%s\" is not one of mp4, webm, mkv", c);
		return -1;
	}
	if (s->kind == PROFILE_COPY)
		return get_bool(spec, "accurate", &s->accurate, err, errlen);
	if (parse_video(spec, check, c, s, err, errlen) < 0)
		return -1;
	if (s->kind == PROFILE_VIDEO)
		return parse_audio(spec, check, c, s, err, errlen);
	/* a preview is small, short and muted unless told otherwise */
	double secs = 3;
	if (get_num(spec, "seconds", 0.5, 60, &secs, err, errlen) < 0)
		return -1;
	s->seconds_ms = llround(secs * 1000);
	if (!s->width && !s->height)
		s->width = 320;
	if (s->fps == 0)
		s->fps = 12;
	return 0;
}

int profile_parse(const char *name, json_object *spec, int check_encoders, struct profile *p,
    char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	if (!clip_id_valid(name)) {
		snprintf(err, errlen, "profile names are letters, digits, '_' and '-'");
		return -1;
	}
	struct profile_settings s;
	const char *ext = NULL, *mime = NULL;
	if (parse(spec, check_encoders, &s, &ext, &mime, err, errlen) < 0)
		return -1;
	p->kind = s.kind;
	p->check_encoders = check_encoders;
	p->name = xstrdup(name);
	p->spec = json_object_get(spec);
	p->canonical = json_canonical(spec);
	p->ext = xstrdup(ext);
	p->mime = xstrdup(mime);
	return 0;
}

void profile_settings(const struct profile *p, struct profile_settings *s)
{
	const char *ext, *mime;
	char err[256];
	if (parse(p->spec, p->check_encoders, s, &ext, &mime, err, sizeof err) < 0)
		mdie(EXIT_USAGE, "profile %s: %s", p->name, err); /* validated at load */
}

int profile_accurate(const struct profile *p)
{
	json_object *v;
	return p->kind == PROFILE_COPY && json_object_object_get_ex(p->spec, "accurate", &v) &&
	    json_object_get_boolean(v);
}

void profile_free(struct profile *p)
{
	free(p->name);
	json_object_put(p->spec);
	free(p->canonical);
	free(p->ext);
	free(p->mime);
	memset(p, 0, sizeof *p);
}
