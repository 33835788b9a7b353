/* fcache.h: the frontyard listing cache. One file per metastore
 * generation, CACHEDIR/clips.ndjson, replaced atomically (rename), so that
 * every process inetd starts reads a ready answer instead of querying
 * SQLite:
 *   line 1: {"generation":G,"updated":T,"total":N,"tags":[TAGDEF...],
 *            "facets":{TAG:{VALUE:COUNT}},"base":BASE-URL|null}
 *   then one public clip a line (GET /api/clips/ID's JSON, "id" first), in
 *   the default order: newest "updated" first, then id.
 * It holds no backyard paths: it is built from the public clip JSON. */
#ifndef MEDUSA_FCACHE_H
#define MEDUSA_FCACHE_H

#include <stddef.h>
#include <json-c/json.h>
#include "backyard.h"

#define FCACHE_FILE "clips.ndjson"

struct fcache {
	char *text;             /* the whole file (mapped or allocated) */
	size_t len;
	int mapped;
	long long generation, updated, total;
	json_object *head;      /* line 1 */
	/* private: the clip lines found so far, indexed on demand, so that
	 * the first page of a listing never reads the whole file */
	const char **line;      /* (not NUL-terminated) */
	size_t *linelen;
	json_object **parsed;   /* parsed on demand */
	size_t n, cap;
	const char *scan;       /* where the next line starts */
};

/* The cache for metastore in cachedir: loaded as it is, or rebuilt first
 * when it is missing, when it was built with another base_url or tag set,
 * or when the metastore's generation moved (checked when the cache is
 * older than refresh seconds, or at once when force is set). A cachedir that cannot be
 * written leaves the cache in memory only. With remote (a URL, rmeta.h),
 * metastore is the local copy of a remote metastore, fetched first when the
 * remote generation moved (a failed fetch keeps the old copy). base_url (or NULL) replaces the
 * published file URLs' base. cfg (or NULL) gives the tag set. NULL with why
 * on error (no metastore, unreadable file). */
struct fcache *fcache_get(const char *cachedir, const char *metastore, const char *remote,
    const char *base_url, const struct config *cfg, int refresh, int force, char *why, size_t n);
void fcache_free(struct fcache *fc);

/* Clip line i (0-based): 1 with its bytes, 0 past the last. */
int fcache_line(struct fcache *fc, size_t i, const char **line, size_t *len);
/* Line i parsed (owned by the cache). NULL when absent or unparsable. */
json_object *fcache_clip(struct fcache *fc, size_t i);
/* Counts tag value v (a list: each element) into facets[tag][value]. */
void fcache_facet_add(json_object *facets, const char *tag, json_object *v);

/* The line of clip id, or -1. */
long fcache_find(struct fcache *fc, const char *id);

#endif
