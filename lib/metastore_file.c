/* metastore_file.c: a metastore file read or copied by its path, for the
 * remote metastore (metastore_file.h). */
#include "metastore_file.h"
#include "util.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What this file reads of the metastore schema (medusa-files(5)). */
#define SQL_GENERATION "SELECT value FROM meta WHERE key = 'generation'"
#define SQL_KEYS "SELECT key, bytes, hash, mime FROM renditions ORDER BY key"

static sqlite3 *db_open(const char *path, int flags)
{
	sqlite3 *d = NULL;
	if (sqlite3_open_v2(path, &d, flags, NULL) != SQLITE_OK) {
		mwarn("%s: %s", path, d ? sqlite3_errmsg(d) : "cannot open");
		sqlite3_close(d);
		return NULL;
	}
	sqlite3_busy_timeout(d, 10000);
	return d;
}

/* The file opened read-only and sql prepared on it: the statement, with
 * the connection in *d (close both), or NULL after a message. */
static sqlite3_stmt *query(const char *metastore, const char *sql, sqlite3 **d)
{
	sqlite3_stmt *st = NULL;
	if (!(*d = db_open(metastore, SQLITE_OPEN_READONLY)))
		return NULL;
	if (sqlite3_prepare_v2(*d, sql, -1, &st, NULL) != SQLITE_OK) {
		mwarn("%s: not a medusa metastore: %s", metastore, sqlite3_errmsg(*d));
		sqlite3_close(*d);
		*d = NULL;
	}
	return st;
}

int metastore_file_generation(const char *metastore, long long *generation)
{
	sqlite3 *d;
	sqlite3_stmt *st = query(metastore, SQL_GENERATION, &d);
	int rc = -1;
	if (!st)
		return -1;
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*generation = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (r == SQLITE_DONE) {
		*generation = 0;
		rc = 0;
	} else {
		mwarn("%s: %s", metastore, sqlite3_errmsg(d));
	}
	sqlite3_finalize(st);
	sqlite3_close(d);
	return rc;
}

int metastore_file_each_key(const char *metastore,
    int (*each)(void *arg, const char *key, long long bytes, const char *hash, const char *mime),
    void *arg)
{
	sqlite3 *d;
	sqlite3_stmt *st = query(metastore, SQL_KEYS, &d);
	int rc = 0, r;
	if (!st)
		return -1;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		if (each(arg, k, sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2),
		        (const char *)sqlite3_column_text(st, 3)) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && r != SQLITE_DONE) {
		mwarn("%s: %s", metastore, sqlite3_errmsg(d));
		rc = -1;
	}
	sqlite3_finalize(st);
	sqlite3_close(d);
	return rc;
}

/* A consistent copy of the metastore: VACUUM INTO reads it in one
 * transaction, so a publish running at the same time cannot tear it. */
int metastore_file_snapshot(const char *metastore, const char *out)
{
	sqlite3 *d = db_open(metastore, SQLITE_OPEN_READONLY);
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (!d)
		return -1;
	if (sqlite3_prepare_v2(d, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, out, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		mwarn("%s: snapshot: %s", metastore, sqlite3_errmsg(d));
	else
		rc = 0;
	sqlite3_finalize(st);
	sqlite3_close(d);
	if (rc < 0)
		return -1;
	/* a reader of the copy must not need a -wal or -shm beside it */
	d = db_open(out, SQLITE_OPEN_READWRITE);
	if (!d)
		return -1;
	if (sqlite3_exec(d, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		mwarn("%s: %s", out, sqlite3_errmsg(d));
		rc = -1;
	}
	sqlite3_close(d);
	return rc;
}

/* The header says so: bytes 18 and 19 are 1 for rollback, 2 for WAL. */
int metastore_file_is_snapshot(const char *path)
{
	unsigned char h[100];
	char *wal = xasprintf("%s-wal", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	if (fd >= 0 && read(fd, h, sizeof h) == (ssize_t)sizeof h &&
	    !memcmp(h, "SQLite format 3", 16) && h[18] == 1 && h[19] == 1 && access(wal, F_OK) < 0)
		r = 1;
	if (fd >= 0)
		close(fd);
	free(wal);
	return r;
}
