#include "profile.h"
#include "hash.h"
#include "ndjson.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *container, *ext, *mime;
} containers[] = {
	{"mp4", "mp4", "video/mp4"},
	{"webm", "webm", "video/webm"},
	{"mkv", "mkv", "video/x-matroska"},
};

static const struct {
	const char *format, *ext, *mime;
} images[] = {
	{"jpeg", "jpg", "image/jpeg"},
	{"webp", "webp", "image/webp"},
};

int profile_parse(const char *name, json_object *spec, struct profile *p,
    char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	if (!clip_id_valid(name)) {
		snprintf(err, errlen, "profile names are letters, digits, '_' and '-'");
		return -1;
	}
	if (!json_object_is_type(spec, json_type_object)) {
		snprintf(err, errlen, "a profile must be an object");
		return -1;
	}
	const char *kind = jstr(spec, "kind");
	if (!kind) {
		snprintf(err, errlen, "kind: missing (video, image, copy or preview)");
		return -1;
	}
	const char *ext = NULL, *mime = NULL;
	if (strcmp(kind, "video") == 0 || strcmp(kind, "copy") == 0 || strcmp(kind, "preview") == 0) {
		p->kind = kind[0] == 'v' ? PROFILE_VIDEO : kind[0] == 'c' ? PROFILE_COPY : PROFILE_PREVIEW;
		const char *c = jstr(spec, "container");
		if (!c)
			c = p->kind == PROFILE_PREVIEW ? "webm" : "mp4";
		for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++)
			if (strcmp(c, containers[i].container) == 0) {
				ext = containers[i].ext;
				mime = containers[i].mime;
			}
		if (!ext) {
			snprintf(err, errlen, "container: \"%s\" is not one of mp4, webm, mkv", c);
			return -1;
		}
	} else if (strcmp(kind, "image") == 0) {
		p->kind = PROFILE_IMAGE;
		const char *f = jstr(spec, "format");
		if (!f)
			f = "jpeg";
		for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
			if (strcmp(f, images[i].format) == 0) {
				ext = images[i].ext;
				mime = images[i].mime;
			}
		if (!ext) {
			snprintf(err, errlen, "format: \"%s\" is not one of jpeg, webp", f);
			return -1;
		}
	} else {
		snprintf(err, errlen, "kind: \"%s\" is not one of video, image, copy, preview", kind);
		return -1;
	}
	p->name = xstrdup(name);
	p->spec = json_object_get(spec);
	p->canonical = json_canonical(spec);
	p->ext = xstrdup(ext);
	p->mime = xstrdup(mime);
	return 0;
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
