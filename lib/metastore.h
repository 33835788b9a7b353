/* metastore.h: the frontyard metastore, one SQLite file in WAL mode
 * (medusa-files(5), METASTORE). medusa-publish writes it; medusa-serve and
 * medusa-sync read it through the functions here.
 *
 * Schema 2 (PRAGMA user_version = 2):
 *   meta(key TEXT PRIMARY KEY, value)       'generation' (integer, bumped by
 *        every commit that changes a clip), 'updated' (unix seconds of it)
 *   clips(n INTEGER PRIMARY KEY, id TEXT UNIQUE, video, start, "end",
 *        duration, tags JSON text, fingerprint, generation, updated,
 *        rechash: BLAKE2b-128 of the base URL and the record line it was
 *        made from, or NULL)
 *   renditions(clip -> clips.n, profile, kind, key, version, url, bytes,
 *        hash, mime, width, height, duration, start; PRIMARY KEY(clip, profile))
 *   tags(clip -> clips.n, name, value TEXT, num REAL; one row per scalar
 *        value, one per element of a list; PRIMARY KEY(clip, name, value))
 *   garbage(key TEXT PRIMARY KEY, since) files that no row names since the
 *        commit at unix time since; removed from storage after a grace
 *        period (a server may still list them until it sees the commit)
 * Indexes: clips(video), clips(updated), renditions(key),
 * tags(name, value, clip), tags(name, num). A tag filter is
 *   SELECT id FROM clips WHERE n IN (SELECT clip FROM tags WHERE name=? AND value=?)
 * clips.video is a backyard path: never show it to the public. */
#ifndef MEDUSA_METASTORE_H
#define MEDUSA_METASTORE_H

#include <stddef.h>
#include <json-c/json.h>

#define METASTORE_SCHEMA 2

struct metastore;

enum {
	MS_READONLY = 1,        /* readers (serve, sync): never writes, never migrates */
	MS_ROLLBACK = 2,        /* a writer of a snapshot: a rollback journal, not WAL, so
	                           that the file is whole without a -wal beside it */
};

/* Opens (creating and migrating unless MS_READONLY) the metastore at path.
 * NULL with err filled ("PATH: reason") on error. */
struct metastore *metastore_open(const char *path, int flags, char *err, size_t errlen);
void metastore_close(struct metastore *ms);
const char *metastore_path(const struct metastore *ms);

/* Write transactions (BEGIN IMMEDIATE: the write lock is taken at once, so
 * a commit never meets a snapshot conflict). 0 or -1 after a message. */
int metastore_begin(struct metastore *ms);
int metastore_commit(struct metastore *ms);
void metastore_rollback(struct metastore *ms);
/* A read transaction (BEGIN: what the reads in it see is one state of the
 * metastore). 0, or -1 without a message: the caller names what failed. */
int metastore_read_begin(struct metastore *ms);
/* Ends the read transaction of metastore_read_begin; nothing when none. */
void metastore_read_end(struct metastore *ms);

struct ms_rendition {
	const char *profile, *kind, *key, *version, *url, *hash, *mime;
	long long bytes;
	long long width, height;        /* 0 when not known */
	double duration;                /* < 0 when not known */
	double start;                   /* copy profiles: the real start; < 0 else */
};

struct ms_clip {
	const char *id, *video;
	double start, end;
	json_object *tags;              /* effective tags, an object */
	const struct ms_rendition *r;
	size_t nr;
	const unsigned char *rechash;   /* may be NULL */
	size_t rechash_len;
	int fresh;                      /* no row has this id yet: nothing to replace */
};

/* The fingerprint of what a clip row would hold (hex, HASH_HEX_LEN+1):
 * equal fingerprints mean an upsert would change nothing. */
void metastore_fingerprint(const struct ms_clip *c, char *fp);
/* The stored fingerprint of clip id: 1 found, 0 not, -1 error. */
int metastore_clip_fingerprint(struct metastore *ms, const char *id, char *fp, size_t n);
/* The same, with the row's n in *row (may be NULL). */
int metastore_clip_row(struct metastore *ms, const char *id, long long *row, char *fp, size_t n);
/* Inserts or replaces clip c with its renditions and tags (inside a
 * transaction), stamped with generation gen and time now. The row's n
 * (> 0), or -1. */
long long metastore_put_clip(struct metastore *ms, const struct ms_clip *c, long long gen,
    long long now);
/* Deletes a clip with its renditions and tags. 1 deleted, 0 absent, -1. */
int metastore_delete_clip(struct metastore *ms, const char *id);
/* Calls each(arg, key) for every rendition key of clip id. -1 on error, or
 * the first non-zero return of each. */
int metastore_clip_keys(struct metastore *ms, const char *id,
    int (*each)(void *arg, const char *key), void *arg);

/* The row of clip id if it was made from a record with this rechash: 1 found (k->id and
 * k->video are new strings: free them; each(arg, key, bytes) was called
 * for its renditions, and its first non-zero return is returned instead
 * of 1), 0 not, -1 error. */
struct ms_known {
	long long n;
	char *id, *video;
};
int metastore_find_record(struct metastore *ms, const char *id, const void *rechash, size_t len,
    struct ms_known *k, int (*each)(void *arg, const char *key, long long bytes), void *arg);
/* Sets the rechash of clip id (inside a transaction). 0 or -1. */
int metastore_set_rechash(struct metastore *ms, const char *id, const void *rechash, size_t len);

/* The garbage table (inside a transaction): add a key no row names since
 * `since` (a key listed already keeps the earlier time); drop the keys rows name again; call each(arg, key) for the keys
 * unused since before at the latest (and still unnamed); forget a key
 * once it is removed from storage. 0 or -1 (due: -1, or the first
 * non-zero return of each). */
int metastore_garbage_add(struct metastore *ms, const char *key, long long since);
int metastore_garbage_unref(struct metastore *ms);
int metastore_garbage_due(struct metastore *ms, long long before,
    int (*each)(void *arg, const char *key), void *arg);
int metastore_garbage_gone(struct metastore *ms, const char *key);

/* The generation of the metastore at path, read without opening it for
 * use (no migration, no lock): 0, or -1 with err saying whether it is no
 * metastore or a damaged one. */
int metastore_peek_generation(const char *path, long long *gen, char *err, size_t errlen);

/* The generation and its time (unix seconds). 0 or -1. */
int metastore_generation(struct metastore *ms, long long *gen, long long *updated);
/* Sets generation to gen and updated to now (inside a transaction). */
int metastore_set_generation(struct metastore *ms, long long gen, long long now);
/* Number of clips, or -1. */
long long metastore_count(struct metastore *ms);
/* Calls each(arg, id) for every clip in id order; stops at a non-zero
 * return and returns it; -1 on error. */
int metastore_each_id(struct metastore *ms, int (*each)(void *arg, const char *id), void *arg);

/* The public JSON of a clip, as GET /api/clips/ID serves it (HACKING.md):
 * {"id","start","end","duration","tags","updated","renditions":[{"profile",
 * "kind","url","mime","width","height","bytes","duration"}]} — no backyard
 * path. url is base_url + key when base_url is not NULL, else the url that
 * was published. NULL when absent (errno 0) or on error (message, errno). */
json_object *metastore_clip_json(struct metastore *ms, const char *id, const char *base_url);
/* Calls each(arg, clip) with the public JSON of every clip in id order (one
 * pass, memory flat); each must not keep clip without json_object_get. Stops
 * at a non-zero return and returns it; -1 on error. */
int metastore_each_clip(struct metastore *ms, const char *base_url,
    int (*each)(void *arg, json_object *clip), void *arg);

#endif
