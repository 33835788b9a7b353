/* rmeta.h: the remote metastore. A consistent snapshot of the local SQLite
 * metastore goes into a store under a key named by its generation and hash,
 * beside a manifest of the storage keys it references; the small generation
 * object "meta/generation" is written last and is the single switch that
 * remote frontyard servers poll:
 *
 *   {"generation":G,"snapshot":"meta/snapshots/G-HASH16.sqlite","hash":H,
 *    "bytes":N,"keys":"meta/snapshots/G-HASH16.keys","time":T,
 *    "history":[{"generation":..,"snapshot":..,"keys":..},...]}
 *
 * history holds the generations before (newest first, at most --keep), whose
 * files gc leaves alone so that a server still on an older one keeps
 * working. Every function prints its own messages; -1 on failure. */
#ifndef MEDUSA_RMETA_H
#define MEDUSA_RMETA_H

#include <stdio.h>

struct store;

#define RMETA_GENERATION_KEY "meta/generation"
#define RMETA_SNAPSHOT_DIR "meta/snapshots/"
#define RMETA_CLEAN_KEY "meta/clean"

/* Calls each(arg, key, bytes, hash, mime) for every valid storage key the
 * metastore file references, in key order (an invalid one is skipped with
 * a warning); a negative return of each stops it. 0 or -1. */
int rmeta_each_key(const char *metastore,
    int (*each)(void *arg, const char *key, long long bytes, const char *hash, const char *mime),
    void *arg);

/* Prints the storage keys the metastore references, one record a line:
 * {"key":K,"bytes":N,"hash":H,"mime":M}, in key order. */
int rmeta_keys(const char *metastore, FILE *out);

/* A consistent copy of metastore at out (which must not exist), in rollback
 * journal mode so that it can be read where it lies; *generation gets its
 * generation. 0 or -1. */
int rmeta_snapshot(const char *metastore, const char *out, long long *generation);

/* Snapshot metastore, upload the snapshot and its manifest, then write the
 * generation object (keeping `keep` older generations in its history).
 * Nothing is uploaded when the remote is already at the local generation; a
 * remote generation newer than the local one is refused unless force. dry:
 * print the plan only. Prints the new generation object (or the plan). */
int rmeta_push(struct store *s, const char *metastore, int keep, int force, int dry);

/* What a sync must upload: lists the store (each key also written to
 * listing as {"key":K,"size":N}, when not NULL, for a gc after it) and
 * prints {"key","file","mime","hash","bytes"} for every key the metastore
 * references that the store lacks or holds with another size, file being
 * root/key. A referenced file missing from root is an error (named). */
int rmeta_missing(struct store *s, const char *metastore, const char *root, FILE *listing,
    FILE *out);

/* Prints the generation object ({"generation":0} when there is none). */
int rmeta_show(struct store *s);

/* Deletes what neither the current generation nor the ones in its history
 * (at most keep) reference, nor any key listed in keyfile (one a line; may
 * be NULL: the keys of a generation about to be switched to, so that the
 * current one counts as the first of the keep older ones): only under
 * clips/ and meta/snapshots/. Prints each deleted key
 * as {"delete":K,"size":N}; dry: prints and deletes nothing. Refuses when
 * there is no generation object and no keyfile. listing (may be NULL): the
 * store's keys as "medusa-store ls" printed them a moment ago, to save
 * listing the store again (keys put since are not in it, so not deleted).
 * clean (may be NULL): after a complete gc, meta/clean = "G KEEP" (G the
 * current generation), followed by " " and clean when clean is not empty
 * (the publication rule the copy was made under), which medusa-sync reads
 * to stop early. */
int rmeta_gc(struct store *s, int keep, const char *keyfile, const char *listing, int dry,
    const char *clean);

/* The remote-metastore mode of a frontyard server: reads the generation
 * object; when it is newer than the local copy, downloads the snapshot
 * beside local, checks its hash and generation and renames it over local.
 * A failed download or a bad snapshot keeps the old file; a generation going
 * backwards is refused. 1 when local changed, 0 when it was current, -1 on
 * error; *generation (may be NULL) gets the generation now in local. */
int rmeta_fetch(struct store *s, const char *local, long long *generation);
/* The same from a URL: a store ("s3://bucket/prefix") or the public http(s)
 * URL of the prefix or of its generation object (a CDN), read unsigned. */
int rmeta_fetch_url(const char *remote, const char *local, long long *generation);

#endif
