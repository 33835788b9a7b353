/* metastore_int.h: what the files of the metastore share (metastore.c the
 * connection and its rows, metastore_run.c a publish run's scratch state).
 * No other file includes it: SQLite stays inside the metastore
 * (mk/sqlite.sh). */
#ifndef MEDUSA_METASTORE_INT_H
#define MEDUSA_METASTORE_INT_H

#include "metastore.h"

#include <sqlite3.h>

/* The connection of ms. */
sqlite3 *metastore_sqlite(struct metastore *ms);
/* A message "PATH: what: SQLite's error" (with what to do when the file is
 * damaged); -1. */
int metastore_sql_error(struct metastore *ms, const char *what);
/* The statement of s kept in *q (prepared on the first call), reset and
 * unbound; NULL after a message. */
sqlite3_stmt *metastore_sql_stmt(struct metastore *ms, sqlite3_stmt **q, const char *s);
/* Runs the statements of s; 0, or -1 after a message. */
int metastore_sql_exec(struct metastore *ms, const char *s);
/* Steps s once and resets it: 0 when it is done, else -1 after a message
 * naming what. */
int metastore_sql_done(struct metastore *ms, sqlite3_stmt *s, const char *what);
/* Steps a bound query, calling each(arg, text of column 0) per row, and
 * resets it; -1 after a message naming what, or the first non-zero return
 * of each. */
int metastore_sql_each(struct metastore *ms, sqlite3_stmt *s,
    int (*each)(void *arg, const char *text), void *arg, const char *what);

#endif
