/* metafile.h: the one way every writer saves a sidecar or folder file
 * (medusa-meta set/add/rm/tag/untag, PUT /api/videos/PATH/meta and
 * /api/folders/PATH/meta), and the one view of such a file that
 * `medusa-meta get` and GET .../meta show. HACKING.md, "The save routine".
 *
 * Above sidecar.h (reading, validating, formatting) and probe.h (the
 * duration a clip must end within). */
#ifndef MEDUSA_METAFILE_H
#define MEDUSA_METAFILE_H

#include <stddef.h>
#include <json-c/json.h>
#include "config.h"
#include "hash.h"

/* A video's sidecar or a folder's folder file. */
struct metafile {
	int folder;
	const char *rel;        /* the video or folder: clean, relative ("" for the root) */
	const char *abs;        /* the video or folder itself */
	const char *file_abs;   /* its sidecar or folder file */
};

/* The tags the target inherits: {"TAG":{"value":V,"source":S}} from the
 * defaults and the folder files above it (for a folder, not its own).
 * NULL with err naming a broken folder file. */
json_object *metafile_inherited(const struct config *cfg, const struct metafile *t,
    char *err, size_t errlen);

/* The view of the file: {"etag":E,"meta":DOC,"inherited":{...}}, plus
 * "error" (and "meta":null) when the file cannot be read or parsed, plus
 * "inherited_error" when a folder file above is broken. In DOC every clip
 * of a sidecar that has no id shows the id it is published under (derived
 * from the path and times, as `medusa-meta clips` derives it), so that a
 * client that saves the view back keeps it. E is a strong validator: it
 * changes whenever the view or the file's bytes do (inherited values
 * included). *exists: whether the file is there. A new object. */
json_object *metafile_view(const struct config *cfg, const struct metafile *t, int *exists);

/* A precondition of a save, evaluated under the file's lock with the etag
 * of the view as it is then and whether the file exists: non-zero to go
 * on (If-Match, If-None-Match, medusa-meta set -e). */
typedef int (*metafile_precond)(void *arg, const char *etag, int exists);

enum metafile_status {
	METAFILE_SAVED = 0,
	METAFILE_STALE = 1,     /* the precondition failed: nothing written */
	METAFILE_INVALID = 2,   /* doc refused: why, and path (422) */
	METAFILE_ERROR = -1,    /* cannot read or write the file: why, errno */
};

struct metafile_result {
	char etag[ETAG_LEN + 1];/* METAFILE_SAVED: the etag of the new view */
	json_object *warnings;  /* [{"clip":ID,"path":"clips[2].tags.kind","message":...}]:
	                           clips saved that cannot be published; new, put it */
	char path[128];         /* METAFILE_INVALID: the JSON path in doc ("" when the
	                           problem is not in doc, e.g. a broken folder file) */
	char why[1024];
};

/* Saves doc as the target's file: validates it (the tag set, times within
 * the video when its duration can be probed, unique ids), gives every clip
 * without an id one (a clip whose times equal an id-less clip of the file
 * on disk gets the id that one is published under; any other gets a
 * random id when random_ids is set (a clip made in the editor or by
 * medusa-meta add), a derived one otherwise (hand-written)), then, under
 * the lock of the file's folder, checks pre and replaces the file
 * atomically. A clip whose effective tags miss a required tag is saved,
 * with a warning in res->warnings: it is not published until it has one.
 * doc is changed in place (the ids). */
enum metafile_status metafile_save(const struct config *cfg, const struct metafile *t,
    json_object *doc, int random_ids, metafile_precond pre, void *arg,
    struct metafile_result *res);

#endif
