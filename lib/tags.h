/* tags.h: tag values, their validation against the tag set, and
 * inheritance (default <- folders root to leaf <- video <- clip). */
#ifndef MEDUSA_TAGS_H
#define MEDUSA_TAGS_H

#include <stddef.h>
#include <json-c/json.h>
#include "config.h"

/* The definition of the tag NAME among the N of a tag set, or NULL.
 * config_tag() is this for a config's tag set; tags.c looks up here so
 * that it stays below config.c (HACKING.md, "Layers"). */
const struct tagdef *tag_find(const struct tagdef *tags, size_t n, const char *name);

/* Checks one value against a tag definition. 0, or -1 with err filled
 * ("must be an integer", "\"x\" is not one of a, b"). */
int tag_value_check(const struct tagdef *t, json_object *v, char *err, size_t errlen);

/* Checks a tags object as written in a sidecar or folder file: every key a
 * known tag, every value of its type (null means "inherit"). On error, err
 * names the tag. 0 or -1. */
int tags_check_partial(const struct config *cfg, json_object *tags, char *err, size_t errlen);

/* Checks effective tags: as above, and every required tag has a value. */
int tags_check_complete(const struct config *cfg, json_object *tags, char *err, size_t errlen);

/* One layer of tag values and where it comes from ("default",
 * "folder:a/b", "video", "clip"). */
struct tag_layer {
	const char *source;
	json_object *tags;   /* may be NULL */
};

/* Effective tags: defaults, then each layer in order. Returns a new object.
 * When sources is not NULL it receives a new object mapping each tag name to
 * the source of its value. */
json_object *tags_effective(const struct config *cfg, const struct tag_layer *layers,
    size_t nlayers, json_object **sources);

/* Parses "tag=value" from the command line into a value of the tag's type
 * (integers, numbers, true/false, comma-separated lists). NULL with err. */
json_object *tag_value_from_string(const struct tagdef *t, const char *s, char *err, size_t errlen);

#endif
