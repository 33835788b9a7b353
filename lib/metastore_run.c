/* metastore_run.c: one publish run's scratch state (metastore_run.h):
 * temporary tables of the connection, and the rows the run published as a
 * bit a row in memory (cheaper than a table of ids, and flat: a byte per 8
 * rows), which the prune's SQL reads through medusa_seen(n). */
#include "metastore_run.h"
#include "metastore_int.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum {
	R_SEEN_CLIP, R_SEEN_VIDEO, R_SEEN_COUNT, R_TOUCH, R_TOUCHED, R_BETWEEN, R_NAMED, R_ORPHAN,
	R_ORPHANS, NR
};

static const char *const sql[NR] = {
	[R_SEEN_CLIP] = "INSERT OR IGNORE INTO temp.seen(id, video, ok) VALUES (?1, ?2, 0)",
	[R_SEEN_VIDEO] = "INSERT OR IGNORE INTO temp.keep_video(video) VALUES (?2)",
	[R_SEEN_COUNT] = "SELECT count(*) FROM temp.seen",
	[R_TOUCH] = "INSERT OR IGNORE INTO temp.touched(id) VALUES (?1)",
	[R_TOUCHED] = "SELECT id FROM temp.touched ORDER BY id",
	[R_BETWEEN] = "SELECT 1 FROM renditions WHERE key >= ?1 AND key < ?2"
	    " UNION ALL SELECT 1 FROM garbage WHERE key >= ?1 AND key < ?2 LIMIT 1",
	[R_NAMED] = "SELECT 1 FROM renditions WHERE key = ?1"
	    " UNION ALL SELECT 1 FROM garbage WHERE key = ?1",
	[R_ORPHAN] = "INSERT OR IGNORE INTO temp.orphans(key) VALUES (?1)",
	[R_ORPHANS] = "SELECT key FROM temp.orphans",
};

static const char tables[] =
	"CREATE TEMP TABLE seen(id TEXT PRIMARY KEY, video TEXT, ok INTEGER) WITHOUT ROWID;"
	" CREATE TEMP TABLE keep_video(video TEXT PRIMARY KEY) WITHOUT ROWID;"
	" CREATE TEMP TABLE doomed(n INTEGER PRIMARY KEY);"
	" CREATE TEMP TABLE touched(id TEXT PRIMARY KEY) WITHOUT ROWID;"
	" CREATE TEMP TABLE orphans(key TEXT PRIMARY KEY) WITHOUT ROWID";

struct ms_run {
	struct metastore *ms;
	sqlite3 *db;
	sqlite3_stmt *q[NR];
	unsigned char *rows;            /* a bit per clips.n this run published */
	size_t nrows;                   /* bytes of rows */
	long long nseen;                /* bits set */
};

static sqlite3_stmt *stmt(struct ms_run *run, int i)
{
	return metastore_sql_stmt(run->ms, &run->q[i], sql[i]);
}

/* medusa_seen(n) in the prune's SQL: whether this run published row n. */
static void seen_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct ms_run *run = sqlite3_user_data(ctx);
	long long n = sqlite3_value_int64(argv[0]);
	(void)argc;
	sqlite3_result_int(ctx, n >= 0 && (size_t)n / 8 < run->nrows &&
	    (run->rows[n / 8] >> (n % 8) & 1));
}

struct ms_run *metastore_run_open(struct metastore *ms)
{
	struct ms_run *run = xcalloc(1, sizeof *run);
	run->ms = ms;
	run->db = metastore_sqlite(ms);
	if (sqlite3_create_function(run->db, "medusa_seen", 1, SQLITE_UTF8, run, seen_fn, NULL,
	    NULL) != SQLITE_OK) {
		metastore_sql_error(ms, "medusa_seen");
		free(run);
		return NULL;
	}
	if (metastore_sql_exec(ms, tables) < 0) {
		metastore_run_close(run);
		return NULL;
	}
	return run;
}

void metastore_run_close(struct ms_run *run)
{
	if (!run)
		return;
	for (int i = 0; i < NR; i++)
		sqlite3_finalize(run->q[i]);
	/* the function points at run: it goes with it */
	sqlite3_create_function(run->db, "medusa_seen", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	free(run->rows);
	free(run);
}

int metastore_seen_row(struct ms_run *run, long long n)
{
	size_t byte = (size_t)n / 8;
	xgrow_zeroed(&run->rows, &run->nrows, byte, 4096);
	unsigned char bit = (unsigned char)(1u << (n % 8));
	if (run->rows[byte] & bit)
		return 0;
	run->rows[byte] |= bit;
	run->nseen++;
	return 1;
}

int metastore_seen_error(struct ms_run *run, const char *clip, const char *video)
{
	sqlite3_stmt *s = stmt(run, clip ? R_SEEN_CLIP : R_SEEN_VIDEO);
	if (!s)
		return -1;
	if (clip)
		sqlite3_bind_text(s, 1, clip, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, video ? video : "", -1, SQLITE_STATIC);
	return metastore_sql_done(run->ms, s, "keeping what an error record names");
}

long long metastore_seen_count(struct ms_run *run)
{
	sqlite3_stmt *s = stmt(run, R_SEEN_COUNT);
	if (!s)
		return -1;
	long long n = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0) + run->nseen;
	else
		metastore_sql_error(run->ms, "counting the clips seen");
	sqlite3_reset(s);
	return n;
}

long long metastore_prune_pick(struct ms_run *run)
{
	if (metastore_sql_exec(run->ms, "DELETE FROM temp.doomed;"
	    " INSERT INTO temp.doomed(n) SELECT n FROM clips"
	    " WHERE NOT medusa_seen(n) AND id NOT IN (SELECT id FROM temp.seen)"
	    " AND video NOT IN (SELECT video FROM temp.keep_video)") < 0)
		return -1;
	return sqlite3_changes(run->db);
}

int metastore_prune(struct ms_run *run, long long since)
{
	/* explicitly, like metastore_delete_clip: a connection without
	 * foreign_keys does the same */
	char *q = xasprintf("INSERT INTO garbage(key, since) SELECT key, %lld FROM renditions"
	    " WHERE clip IN (SELECT n FROM temp.doomed) ON CONFLICT(key) DO NOTHING;"
	    " INSERT OR IGNORE INTO temp.touched(id) SELECT id FROM clips"
	    " WHERE n IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM renditions WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM tags WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM clips WHERE n IN (SELECT n FROM temp.doomed)", since);
	int r = metastore_sql_exec(run->ms, q);
	free(q);
	return r;
}

int metastore_touch(struct ms_run *run, const char *clip)
{
	sqlite3_stmt *s = stmt(run, R_TOUCH);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, clip, -1, SQLITE_STATIC);
	return metastore_sql_done(run->ms, s, "noting a work folder");
}

int metastore_each_touched(struct ms_run *run, int (*each)(void *arg, const char *clip),
    void *arg)
{
	sqlite3_stmt *s = stmt(run, R_TOUCHED);
	return s ? metastore_sql_each(run->ms, s, each, arg, "listing the work folders") : -1;
}

int metastore_named_between(struct ms_run *run, const char *lo, const char *hi)
{
	sqlite3_stmt *s = stmt(run, R_BETWEEN);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hi, -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		return r == SQLITE_ROW;
	return metastore_sql_error(run->ms, "reading the keys of a version");
}

int metastore_orphan(struct ms_run *run, const char *key)
{
	sqlite3_stmt *s = stmt(run, R_NAMED);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return metastore_sql_error(run->ms, "looking a key up");
	if (!(s = stmt(run, R_ORPHAN)))
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	return metastore_sql_done(run->ms, s, "listing an orphan") < 0 ? -1 : 1;
}

int metastore_each_orphan(struct ms_run *run, int (*each)(void *arg, const char *key), void *arg)
{
	sqlite3_stmt *s = stmt(run, R_ORPHANS);
	return s ? metastore_sql_each(run->ms, s, each, arg, "listing the orphans") : -1;
}
