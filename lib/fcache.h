/* fcache.h: the frontyard's listing index (findex.h), kept current with
 * the metastore. The index of a generation is built once, by one
 * process, into CACHEDIR/clips-KEY.idx (KEY names the settings it was
 * built for: metastore, file URL base, tag set, publication rule) and
 * renamed into place; every other process maps it.
 *
 * Whether the metastore moved is seen on every request without SQLite:
 * the metastore's files are compared with what they were when the index
 * was last found current (its inode, size, mtime and change counter; the
 * -wal file's inode, size and header, whose salts change when the WAL
 * restarts). Only when they differ is the generation read, and the index
 * rebuilt when it moved. CACHEDIR/clips-KEY.stamp holds the generation
 * and the files' state it was checked at, so that a new process (inetd:
 * one a connection) starts without opening the metastore at all.
 *
 * Reading only: nothing here fetches a remote metastore; a replica's
 * copy is replaced by its fetcher (fcache_fetch.h) and seen here as a
 * changed file. */
#ifndef MEDUSA_FCACHE_H
#define MEDUSA_FCACHE_H

#include <stddef.h>
#include <json-c/json.h>
#include "findex.h"
#include "rule.h"

struct fcache_opts {
	const char *cachedir;
	const char *metastore;          /* the SQLite file (a replica: its local copy) */
	const char *base_url;           /* replaces the published base of file URLs, or NULL */
	const struct config *cfg;       /* the tag set, or NULL */
	json_object *tags;              /* cfg's tag set as /api/tags gives it (array), or NULL */
	const struct rule *where;       /* the publication rule, or NULL */
};

struct fcache;

/* A cache for these settings (copied; cfg and where must outlive it).
 * No file is touched yet. */
struct fcache *fcache_new(const struct fcache_opts *o);
void fcache_free(struct fcache *fc);

/* The index of the metastore's current generation: the one held when the
 * metastore's files did not change, else the one on disk or a new one.
 * force: read the generation even when the files look the same (a
 * re-cache). When the metastore cannot be read (a sync replacing it), the
 * last index stays. NULL with err when there is none. Owned by fc, valid
 * until the next call. */
struct findex *fcache_current(struct fcache *fc, int force, char *err, size_t errlen);

/* Makes the cache directory (and its parents). 0 or -1 with errno. */
int fcache_dir(const char *dir);

#endif
