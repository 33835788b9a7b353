/* findex.h: the frontyard's listing index. One file per metastore
 * generation (and per server settings), built once from the public clip
 * JSON and read by mmap, so that a request costs what it answers, not
 * what the frontyard holds (HACKING.md, "Listing index"):
 *   - the clips' JSON text in the default order (newest "updated" first,
 *     then id), one ordinal each;
 *   - ids sorted, for GET /api/clips/ID (binary search);
 *   - a dictionary of (tag, class, value) with a posting each: the
 *     ordinals of the clips holding that value, as a sorted array when
 *     few hold it and as a bitmap when many do;
 *   - trigrams of the string values, for q= (substring, ASCII case
 *     folded);
 *   - per clip the values it holds (facets of a small selection);
 *   - per sort field the ordinals in its order, with the start of each
 *     run of equal values marked (descending keeps ties in the default
 *     order, missing values go last either way);
 *   - the ids of the clips the publication rule left out.
 * Nothing in it is a backyard path. */
#ifndef MEDUSA_FINDEX_H
#define MEDUSA_FINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "config.h"
#include "rule.h"

struct findex;
struct findex_builder;
struct findex_sel;

/* A builder for the tag set of cfg (NULL: none; sorting by a tag needs
 * it) and publication rule where (NULL: every clip; the builder keeps
 * neither). */
struct findex_builder *findex_builder_new(const struct config *cfg, const struct rule *where);
void findex_builder_free(struct findex_builder *b);
/* Adds a clip: its public JSON ("id" first, "tags", "updated", ...). A
 * clip outside the rule is only remembered as left out. */
void findex_builder_add(struct findex_builder *b, json_object *clip);
/* The index file: *out (free it), *len bytes. head (taken) is the
 * header object; the builder adds "total" and "facets" (of every clip). */
void findex_builder_finish(struct findex_builder *b, json_object *head, char **out, size_t *len);

/* Maps an index file; NULL with errno (ENOENT: absent) and err when it
 * is no index. */
struct findex *findex_open(const char *path, char *err, size_t errlen);
/* The same over a buffer (taken; freed by findex_free). */
struct findex *findex_from_buffer(char *buf, size_t len, char *err, size_t errlen);
void findex_free(struct findex *fx);

/* The header object (owned by the index): "generation", "updated",
 * "total", "tags", "facets", "base", "where". */
json_object *findex_head(const struct findex *fx);
size_t findex_total(const struct findex *fx);
/* 32 hex digits naming the index's content. */
const char *findex_etag(const struct findex *fx);

/* The JSON text of the clip at ordinal i (not NUL-terminated). 1, or 0
 * when there is none. */
int findex_clip(const struct findex *fx, size_t i, const char **text, size_t *len);
/* The ordinal of clip id, or -1. */
long findex_find(const struct findex *fx, const char *id);
/* Whether clip id was left out by the publication rule. */
int findex_excluded(const struct findex *fx, const char *id);

/* The clips that pass filters (NULL: all) and whose string tags hold q
 * (NULL or "": no text condition). */
struct findex_sel *findex_select(const struct findex *fx, const struct rule *filters, const char *q);
void findex_sel_free(struct findex_sel *s);
size_t findex_sel_count(const struct findex_sel *s);

/* Whether the index can sort by field (tag: a tag's name, else one of
 * id, start, end, duration, updated). */
int findex_can_sort(const struct findex *fx, const char *field, int tag);
/* The ordinals of the selection's clips from off, at most limit, into
 * out: in the default order (field NULL) or by field (descending when
 * desc). Returns how many. */
size_t findex_page(const struct findex *fx, const struct findex_sel *s, const char *field, int tag,
    int desc, size_t off, size_t limit, uint32_t *out);

/* Facet counts of the selection: {TAG:{VALUE:COUNT}}, the most common
 * values first (at most 1000 a tag); numbers that are not whole are not
 * counted. A new object. */
json_object *findex_facets(const struct findex *fx, const struct findex_sel *s);

#endif
