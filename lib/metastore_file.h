/* metastore_file.h: reads and copies of a metastore file by its path,
 * without opening it as a struct metastore (no migration, no write lock):
 * what the remote metastore (rmeta.c) does with snapshots. Every function
 * returns 0, or -1 after a message naming the file. */
#ifndef MEDUSA_METASTORE_FILE_H
#define MEDUSA_METASTORE_FILE_H

/* The generation recorded in the metastore at path (0 when none is). */
int metastore_file_generation(const char *path, long long *generation);

/* Calls each(arg, key, bytes, hash, mime) for every rendition in key order;
 * key may be NULL, hash and mime are NULL when not recorded. A negative
 * return from each stops the walk with -1. */
int metastore_file_each_key(const char *path,
    int (*each)(void *arg, const char *key, long long bytes, const char *hash, const char *mime),
    void *arg);

/* A consistent copy of the metastore at path in out (which must not
 * exist), in rollback journal mode so that it can be read where it lies. */
int metastore_file_snapshot(const char *path, const char *out);

/* Whether path is a database in rollback-journal mode with no WAL beside
 * it: a snapshot, which nobody writes (the metastore itself is in WAL
 * mode). (No message: 0 for a file that is not there or no database.) */
int metastore_file_is_snapshot(const char *path);

#endif
