/* sidecar.h: the metadata files of the backyard (medusa-files(5)):
 * <video>.medusa.json sidecars and folder.medusa.json folder files; reading
 * them with their etag, validating, replacing them atomically under an etag
 * check, and the tag layers a clip inherits. */
#ifndef MEDUSA_SIDECAR_H
#define MEDUSA_SIDECAR_H

#include <stddef.h>
#include <json-c/json.h>
#include "config.h"
#include "hash.h"

struct sidecar_file {
	char *path;             /* absolute */
	int exists;
	json_object *doc;       /* parsed; {"tags":{},"clips":[]} when absent */
	char etag[ETAG_LEN + 1];/* of the bytes on disk; of no bytes when absent */
};

/* Reads a sidecar or folder file. A missing file is not an error (exists=0).
 * Malformed JSON: -1 with err ("line 3: unexpected character"); m->etag is
 * still set, so a broken file can be replaced with its etag. */
int sidecar_read(const char *path, struct sidecar_file *m, char *err, size_t errlen);
void sidecar_file_free(struct sidecar_file *m);

/* Validates a sidecar against the tag set: "tags" partial, each clip with
 * valid id (if any), start and end (times), end > start, end within
 * duration_ms when that is >= 0, clip tags partial, unknown fields refused.
 * err names the JSON path ("clips[1].end: before start"). 0 or -1. */
int sidecar_validate(const struct config *cfg, json_object *doc, long long duration_ms,
    char *err, size_t errlen);
/* Validates a folder file: {"tags": {...}} only. */
int sidecar_folder_validate(const struct config *cfg, json_object *doc, char *err, size_t errlen);

/* Gives every clip without an id one: derived from the video path and its
 * times when derived is set (hand-written clips), random otherwise (clips
 * created through the API or medusa-meta add). */
void sidecar_assign_ids(json_object *doc, const char *video_rel, int derived);

/* Replaces path with doc (pretty-printed) atomically. When expect_etag is not
 * NULL the file's current etag must equal it, checked under a lock on the
 * directory: otherwise nothing is written and 1 is returned. 0 on success
 * (new_etag filled when not NULL), -1 with errno on a write error (the old
 * file stays whole). */
int sidecar_write(const char *path, json_object *doc, const char *expect_etag,
    char new_etag[ETAG_LEN + 1]);

/* doc as sidecar_write writes it: indented, a container on one line when it
 * fits in 80 columns, a final newline. Free the result. */
char *sidecar_format(json_object *doc, size_t *len);

/* The path of a video's sidecar (video + ".medusa.json"). */
char *sidecar_path(const char *video_abs);

/* Tag layers of a video, for tags_effective: each folder file from the root
 * down to the video's folder ("folder:" + relative dir, "folder:." for the
 * root), then the video's own tags ("video"). The layers hold references
 * into *owned, which the caller frees with json_object_put; *layers is the
 * caller's to free() and has room for one more layer after *nlayers (the
 * clip's). A folder file that cannot be read, parsed or validated: -1 with
 * err naming the file relative to the root ("a/folder.medusa.json: ..."). */
struct tag_layer;
int sidecar_video_layers(const struct config *cfg, const char *video_rel, json_object *sidecar_doc,
    struct tag_layer **layers, size_t *nlayers, json_object **owned, char *err, size_t errlen);

/* Checks that every clip of a validated sidecar has complete effective
 * tags (every required tag has a value from the clip, the video, its folders
 * or a default). -1 with err ("clips[0] (id k3v9q2): tag \"kind\":
 * required, and no value is set"); -2 when a folder file above is broken
 * (err names it as sidecar_video_layers does). */
int sidecar_check_effective(const struct config *cfg, const char *video_rel,
    json_object *doc, char *err, size_t errlen);

#endif
