/* profile.h: output profiles of backyard.medusa.json (medusa-files(5)). */
#ifndef MEDUSA_PROFILE_H
#define MEDUSA_PROFILE_H

#include <stddef.h>
#include "config.h"

/* Validates spec as a profile named name and fills p (name, kind, spec,
 * canonical, ext, mime, check_encoders). Every field is checked; with
 * check_encoders (a tool that encodes: medusa-cut) so is that the encoders
 * it needs are in this libavcodec, and the first one present is picked
 * (profile_settings picks the same); without, libavcodec is never loaded.
 * On error writes "JSON-PATH: reason" relative to the profile into err and
 * returns -1. */
int profile_parse(const char *name, json_object *spec, int check_encoders, struct profile *p,
    char *err, size_t errlen);
void profile_free(struct profile *p);

/* A validated profile with its defaults filled in; what the media engine
 * works from. Strings point into static tables or into the profile's spec. */
struct profile_settings {
	enum profile_kind kind;
	const char *format;        /* libavformat muxer: mp4, webm, matroska */
	int accurate;              /* copy: re-encode the partial GOPs at the ends */
	/* video and preview */
	const char *vencoder;      /* libx264, libvpx-vp9, libsvtav1, ... */
	int crf;                   /* -1: use the bitrate */
	long bitrate;              /* bits/s, 0: use crf */
	const char *preset;        /* x264/x265/svt preset, or NULL */
	int speed;                 /* vpx/aom cpu-used, -1: encoder default */
	int width, height;         /* bounding box, 0: the source's */
	double fps;                /* frame rate cap, 0: the source's */
	long long seconds_ms;      /* preview: length, 0 for video */
	/* audio (video kind only) */
	const char *aencoder;      /* aac, libopus, or NULL for no audio */
	long abitrate;
	int channels;              /* at most this many, 0: at most 2 */
	/* image */
	const char *iencoder;      /* mjpeg, libwebp */
	double at;                 /* position in the clip, 0..1 */
	int quality;               /* 1..100 */
};

/* Whether a copy profile asks for an accurate copy (without loading the
 * settings). */
int profile_accurate(const struct profile *p);

/* The settings of a profile that profile_parse accepted. */
void profile_settings(const struct profile *p, struct profile_settings *s);

#endif
