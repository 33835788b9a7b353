/* metastore.c: the SQLite metastore (schema in metastore.h and
 * medusa-files(5)). */
#include "metastore_int.h"
#include "hash.h"
#include "ndjson.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Migrations: entry i takes a database from user_version i to i+1. Never
 * edit one that has shipped; append. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta (\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  value\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO meta(key, value) VALUES ('generation', 0), ('updated', 0);\n"
	"CREATE TABLE clips (\n"
	"  n           INTEGER PRIMARY KEY,\n"
	"  id          TEXT NOT NULL UNIQUE,\n"
	"  video       TEXT NOT NULL,\n"
	"  start       REAL NOT NULL,\n"
	"  \"end\"       REAL NOT NULL,\n"
	"  duration    REAL NOT NULL,\n"
	"  tags        TEXT NOT NULL,\n"
	"  fingerprint TEXT NOT NULL,\n"
	"  generation  INTEGER NOT NULL,\n"
	"  updated     INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX clips_video ON clips(video);\n"
	"CREATE INDEX clips_updated ON clips(updated);\n"
	"CREATE TABLE renditions (\n"
	"  clip     INTEGER NOT NULL REFERENCES clips(n) ON DELETE CASCADE,\n"
	"  profile  TEXT NOT NULL,\n"
	"  kind     TEXT NOT NULL,\n"
	"  key      TEXT NOT NULL,\n"
	"  version  TEXT NOT NULL,\n"
	"  url      TEXT NOT NULL,\n"
	"  bytes    INTEGER NOT NULL,\n"
	"  hash     TEXT NOT NULL,\n"
	"  mime     TEXT NOT NULL,\n"
	"  width    INTEGER,\n"
	"  height   INTEGER,\n"
	"  duration REAL,\n"
	"  start    REAL,\n"
	"  PRIMARY KEY (clip, profile)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX renditions_key ON renditions(key);\n"
	"CREATE TABLE tags (\n"
	"  clip  INTEGER NOT NULL REFERENCES clips(n) ON DELETE CASCADE,\n"
	"  name  TEXT NOT NULL,\n"
	"  value TEXT NOT NULL,\n"
	"  num   REAL,\n"
	"  PRIMARY KEY (clip, name, value)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX tags_value ON tags(name, value, clip);\n"
	"CREATE INDEX tags_num ON tags(name, num) WHERE num IS NOT NULL;\n",
	/* 1 -> 2: the hash of the record a row was made from (a record seen
	 * before is recognised without parsing it), and the files a previous
	 * generation used, removed after a grace period */
	"ALTER TABLE clips ADD COLUMN rechash BLOB;\n"
	"CREATE TABLE garbage (\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  since INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n",
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

enum {
	Q_FP, Q_UPSERT, Q_DEL_R, Q_DEL_T, Q_INS_R, Q_INS_T, Q_DEL_C, Q_KEYS, Q_GEN_GET,
	Q_GEN_SET, Q_COUNT, Q_IDS, Q_CLIP, Q_RENDS, Q_EACH, Q_FIND, Q_RECHASH,
	Q_GARBAGE, Q_UNGARBAGE, Q_DUE, Q_GONE, NQ
};

static const char *const sql[NQ] = {
	[Q_FP] = "SELECT fingerprint, n FROM clips WHERE id = ?1",
	[Q_UPSERT] = "INSERT INTO clips(id, video, start, \"end\", duration, tags, fingerprint,"
	    " generation, updated, rechash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	    " ON CONFLICT(id) DO UPDATE SET video = excluded.video, start = excluded.start,"
	    " \"end\" = excluded.\"end\", duration = excluded.duration, tags = excluded.tags,"
	    " fingerprint = excluded.fingerprint, generation = excluded.generation,"
	    " updated = excluded.updated, rechash = excluded.rechash RETURNING n",
	[Q_DEL_R] = "DELETE FROM renditions WHERE clip = ?1",
	[Q_DEL_T] = "DELETE FROM tags WHERE clip = ?1",
	[Q_INS_R] = "INSERT INTO renditions(clip, profile, kind, key, version, url, bytes, hash,"
	    " mime, width, height, duration, start)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[Q_INS_T] = "INSERT OR IGNORE INTO tags(clip, name, value, num) VALUES (?1, ?2, ?3, ?4)",
	[Q_DEL_C] = "DELETE FROM clips WHERE id = ?1 RETURNING n",
	[Q_KEYS] = "SELECT r.key FROM renditions r JOIN clips c ON c.n = r.clip"
	    " WHERE c.id = ?1 ORDER BY r.profile",
	[Q_GEN_GET] = "SELECT (SELECT value FROM meta WHERE key = 'generation'),"
	    " (SELECT value FROM meta WHERE key = 'updated')",
	[Q_GEN_SET] = "INSERT INTO meta(key, value) VALUES ('generation', ?1), ('updated', ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[Q_COUNT] = "SELECT count(*) FROM clips",
	[Q_IDS] = "SELECT id FROM clips ORDER BY id",
	[Q_CLIP] = "SELECT n, id, start, \"end\", duration, tags, updated FROM clips WHERE id = ?1",
	[Q_RENDS] = "SELECT profile, kind, key, url, mime, width, height, bytes, duration, start"
	    " FROM renditions WHERE clip = ?1 ORDER BY profile",
	[Q_EACH] = "SELECT c.n, c.id, c.start, c.\"end\", c.duration, c.tags, c.updated,"
	    " r.profile, r.kind, r.key, r.url, r.mime, r.width, r.height, r.bytes, r.duration,"
	    " r.start FROM clips c LEFT JOIN renditions r ON r.clip = c.n"
	    " ORDER BY c.id, r.profile",
	[Q_FIND] = "SELECT c.n, c.video, r.key, r.bytes FROM clips c"
	    " LEFT JOIN renditions r ON r.clip = c.n WHERE c.id = ?1 AND c.rechash = ?2",
	[Q_RECHASH] = "UPDATE clips SET rechash = ?2 WHERE id = ?1",
	[Q_GARBAGE] = "INSERT INTO garbage(key, since) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET since = min(since, excluded.since)",
	[Q_UNGARBAGE] = "DELETE FROM garbage WHERE key IN (SELECT key FROM renditions)",
	[Q_DUE] = "SELECT key FROM garbage WHERE since <= ?1"
	    " AND key NOT IN (SELECT key FROM renditions) ORDER BY key",
	[Q_GONE] = "DELETE FROM garbage WHERE key = ?1",
};

struct metastore {
	sqlite3 *db;
	char *path;
	int readonly;
	sqlite3_stmt *q[NQ];
};

/* What SQLite says of a database it cannot read as one. */
static int damaged(int code)
{
	code &= 0xff;
	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

#define DAMAGED_HINT "the metastore is damaged: restore it from a backup, or move it away " \
	"and publish again (medusa-reconcile makes a new one)"

int metastore_sql_error(struct metastore *ms, const char *what)
{
	if (damaged(sqlite3_extended_errcode(ms->db)))
		mwarn("%s: %s: %s: " DAMAGED_HINT, ms->path, what, sqlite3_errmsg(ms->db));
	else
		mwarn("%s: %s: %s", ms->path, what, sqlite3_errmsg(ms->db));
	return -1;
}

sqlite3_stmt *metastore_sql_stmt(struct metastore *ms, sqlite3_stmt **q, const char *s)
{
	if (!*q && sqlite3_prepare_v3(ms->db, s, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK) {
		metastore_sql_error(ms, "prepare");
		return NULL;
	}
	sqlite3_reset(*q);
	sqlite3_clear_bindings(*q);
	return *q;
}

static sqlite3_stmt *stmt(struct metastore *ms, int i)
{
	return metastore_sql_stmt(ms, &ms->q[i], sql[i]);
}

int metastore_sql_exec(struct metastore *ms, const char *s)
{
	char *msg = NULL;
	if (sqlite3_exec(ms->db, s, NULL, NULL, &msg) != SQLITE_OK) {
		mwarn("%s: %s", ms->path, msg ? msg : sqlite3_errmsg(ms->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(struct metastore *ms, int *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ms->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return metastore_sql_error(ms, "reading the schema version");
	int r = sqlite3_step(s);
	*v = r == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : metastore_sql_error(ms, "reading the schema version");
}

static int migrate(struct metastore *ms, char *err, size_t errlen)
{
	int v;
	if (user_version(ms, &v) < 0) {
		snprintf(err, errlen, "%s: not a readable SQLite database", ms->path);
		return -1;
	}
	if (v > (int)NMIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d is newer than this medusa knows (%d)",
		    ms->path, v, (int)NMIGRATIONS);
		return -1;
	}
	if (v == (int)NMIGRATIONS)
		return 0;
	if (ms->readonly) {
		snprintf(err, errlen, "%s: schema version %d, needs %d: run medusa-publish once",
		    ms->path, v, (int)NMIGRATIONS);
		return -1;
	}
	if (metastore_sql_exec(ms, "BEGIN IMMEDIATE") < 0)
		goto fail;
	/* another process may have migrated while we waited for the lock */
	if (user_version(ms, &v) < 0)
		goto fail_tx;
	for (; v < (int)NMIGRATIONS; v++) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if (metastore_sql_exec(ms, migrations[v]) < 0 || metastore_sql_exec(ms, pragma) < 0)
			goto fail_tx;
	}
	if (metastore_sql_exec(ms, "COMMIT") < 0)
		goto fail_tx;
	return 0;
fail_tx:
	metastore_sql_exec(ms, "ROLLBACK");
fail:
	snprintf(err, errlen, "%s: cannot create or migrate the schema", ms->path);
	return -1;
}

struct metastore *metastore_open(const char *path, int flags, char *err, size_t errlen)
{
	struct metastore *ms = xcalloc(1, sizeof *ms);
	ms->path = xstrdup(path);
	ms->readonly = !!(flags & MS_READONLY);
	int oflags = ms->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &ms->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, ms->db ? sqlite3_errmsg(ms->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(ms->db, 1);
	/* writers wait for each other (publish batches, a sqlite3 user) */
	sqlite3_busy_timeout(ms->db, 30000);
	if (!ms->readonly) {
		/* WAL: readers (the frontyard server) never block a publish; FULL:
		 * a commit is on disk before publish removes the files it replaced;
		 * a snapshot keeps a rollback journal, to be read where it lies */
		if (metastore_sql_exec(ms, flags & MS_ROLLBACK ?
		    "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON" :
		    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON") < 0) {
			snprintf(err, errlen, "%s: cannot open the metastore (not a SQLite database?)", path);
			goto fail;
		}
	}
	if (migrate(ms, err, errlen) < 0)
		goto fail;
	return ms;
fail:
	metastore_close(ms);
	return NULL;
}

void metastore_close(struct metastore *ms)
{
	if (!ms)
		return;
	for (int i = 0; i < NQ; i++)
		sqlite3_finalize(ms->q[i]);
	if (ms->db && sqlite3_close(ms->db) != SQLITE_OK)
		mwarn("%s: close: %s", ms->path, sqlite3_errmsg(ms->db));
	free(ms->path);
	free(ms);
}

sqlite3 *metastore_sqlite(struct metastore *ms) { return ms->db; }
const char *metastore_path(const struct metastore *ms) { return ms->path; }

int metastore_begin(struct metastore *ms) { return metastore_sql_exec(ms, "BEGIN IMMEDIATE"); }
int metastore_commit(struct metastore *ms) { return metastore_sql_exec(ms, "COMMIT"); }

int metastore_read_begin(struct metastore *ms)
{
	return sqlite3_exec(ms->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void metastore_read_end(struct metastore *ms)
{
	/* a read transaction: nothing to commit that could fail */
	if (!sqlite3_get_autocommit(ms->db))
		(void)sqlite3_exec(ms->db, "COMMIT", NULL, NULL, NULL);
}

void metastore_rollback(struct metastore *ms)
{
	if (!sqlite3_get_autocommit(ms->db))
		metastore_sql_exec(ms, "ROLLBACK");
}

static void add_num(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void fp_str(crypto_generichash_state *st, const char *v)
{
	/* each field ends in a NUL, so that "ab"+"c" differs from "a"+"bc" */
	if (v)
		crypto_generichash_update(st, (const unsigned char *)v, strlen(v) + 1);
	else
		crypto_generichash_update(st, (const unsigned char *)"\1", 2);
}

static void fp_num(crypto_generichash_state *st, double v)
{
	char buf[40];
	snprintf(buf, sizeof buf, "%a", v);
	fp_str(st, buf);
}

/* The stored projection of a clip, hashed: anything that would change a
 * row changes the fingerprint. */
void metastore_fingerprint(const struct ms_clip *c, char *fp)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	fp_str(&st, "medusa clip 1");
	fp_str(&st, c->video);
	fp_num(&st, c->start);
	fp_num(&st, c->end);
	char *tags = json_canonical(c->tags);
	fp_str(&st, tags);
	free(tags);
	for (size_t i = 0; i < c->nr; i++) {
		const struct ms_rendition *r = &c->r[i];
		fp_str(&st, r->profile);
		fp_str(&st, r->kind);
		fp_str(&st, r->key);
		fp_str(&st, r->version);
		fp_str(&st, r->url);
		fp_str(&st, r->hash);
		fp_str(&st, r->mime);
		char buf[128];
		snprintf(buf, sizeof buf, "%lld %lld %lld", r->bytes, r->width, r->height);
		fp_str(&st, buf);
		fp_num(&st, r->duration);
		fp_num(&st, r->start);
	}
	unsigned char bin[32];
	crypto_generichash_final(&st, bin, sizeof bin);
	hash_to_hex(bin, sizeof bin, fp);
}

int metastore_clip_row(struct metastore *ms, const char *id, long long *row, char *fp, size_t n)
{
	sqlite3_stmt *s = stmt(ms, Q_FP);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		snprintf(fp, n, "%s", (const char *)sqlite3_column_text(s, 0));
		if (row)
			*row = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		return 1;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : metastore_sql_error(ms, "reading a clip");
}

int metastore_clip_fingerprint(struct metastore *ms, const char *id, char *fp, size_t n)
{
	return metastore_clip_row(ms, id, NULL, fp, n);
}

int metastore_sql_done(struct metastore *ms, sqlite3_stmt *s, const char *what)
{
	int r = sqlite3_step(s);
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : metastore_sql_error(ms, what);
}

/* Shortest text that reads back as the same double, as a user would type
 * it in a query ("3", "2.5"). */
static void num_text(double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, n, "%.17g", v);
}

static int put_tag(struct metastore *ms, sqlite3_int64 clip, const char *name, json_object *v)
{
	char text[64];
	const char *value;
	double num;
	int has_num = 1;
	switch (json_object_get_type(v)) {
	case json_type_string:
		value = json_object_get_string(v);
		has_num = 0;
		break;
	case json_type_int:
		snprintf(text, sizeof text, "%lld", (long long)json_object_get_int64(v));
		value = text;
		num = (double)json_object_get_int64(v);
		break;
	case json_type_double:
		num = json_object_get_double(v);
		num_text(num, text, sizeof text);
		value = text;
		break;
	case json_type_boolean:
		num = json_object_get_boolean(v);
		value = num ? "true" : "false";
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_array) && put_tag(ms, clip, name, e) < 0)
				return -1;
		}
		return 0;
	default: /* null: no value to filter on */
		return 0;
	}
	sqlite3_stmt *s = stmt(ms, Q_INS_T);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, clip);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	if (has_num)
		sqlite3_bind_double(s, 4, num);
	else
		sqlite3_bind_null(s, 4);
	return metastore_sql_done(ms, s, "writing a tag");
}

/* Removes the renditions and tag rows of clip row n: explicitly, so that a
 * connection without foreign_keys does the same. doing names the caller's
 * work in messages. */
static int drop_children(struct metastore *ms, sqlite3_int64 n, const char *doing)
{
	static const int queries[] = {Q_DEL_R, Q_DEL_T};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		sqlite3_stmt *s = stmt(ms, queries[i]);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, n);
		char what[64];
		snprintf(what, sizeof what, "%s %s", doing, i == 0 ? "renditions" : "tags");
		if (metastore_sql_done(ms, s, what) < 0)
			return -1;
	}
	return 0;
}

long long metastore_put_clip(struct metastore *ms, const struct ms_clip *c, long long gen,
    long long now)
{
	char fp[HASH_HEX_LEN + 1];
	metastore_fingerprint(c, fp);
	const char *tags = json_object_to_json_string_ext(c->tags,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	sqlite3_stmt *s = stmt(ms, Q_UPSERT);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->video, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 3, c->start);
	sqlite3_bind_double(s, 4, c->end);
	sqlite3_bind_double(s, 5, c->end - c->start);
	sqlite3_bind_text(s, 6, tags, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, fp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, gen);
	sqlite3_bind_int64(s, 9, now);
	if (c->rechash)
		sqlite3_bind_blob(s, 10, c->rechash, (int)c->rechash_len, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return metastore_sql_error(ms, "writing a clip");
	}
	sqlite3_int64 n = sqlite3_column_int64(s, 0);
	if (metastore_sql_done(ms, s, "writing a clip") < 0 ||
	    (!c->fresh && drop_children(ms, n, "writing") < 0))
		return -1;
	for (size_t i = 0; i < c->nr; i++) {
		const struct ms_rendition *r = &c->r[i];
		if (!(s = stmt(ms, Q_INS_R)))
			return -1;
		sqlite3_bind_int64(s, 1, n);
		sqlite3_bind_text(s, 2, r->profile, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, r->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, r->version, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, r->url, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, r->bytes);
		sqlite3_bind_text(s, 8, r->hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 9, r->mime, -1, SQLITE_STATIC);
		if (r->width > 0)
			sqlite3_bind_int64(s, 10, r->width);
		if (r->height > 0)
			sqlite3_bind_int64(s, 11, r->height);
		if (r->duration >= 0)
			sqlite3_bind_double(s, 12, r->duration);
		if (r->start >= 0)
			sqlite3_bind_double(s, 13, r->start);
		if (metastore_sql_done(ms, s, "writing a rendition") < 0)
			return -1;
	}
	json_object_object_foreach(c->tags, name, v) {
		if (put_tag(ms, n, name, v) < 0)
			return -1;
	}
	return (long long)n;
}

int metastore_delete_clip(struct metastore *ms, const char *id)
{
	sqlite3_stmt *s = stmt(ms, Q_DEL_C);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_reset(s);
		return r == SQLITE_DONE ? 0 : metastore_sql_error(ms, "deleting a clip");
	}
	sqlite3_int64 n = sqlite3_column_int64(s, 0);
	if (metastore_sql_done(ms, s, "deleting a clip") < 0 || drop_children(ms, n, "deleting") < 0)
		return -1;
	return 1;
}

int metastore_sql_each(struct metastore *ms, sqlite3_stmt *s,
    int (*each)(void *arg, const char *text), void *arg, const char *what)
{
	int r, ret = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = each(arg, (const char *)sqlite3_column_text(s, 0))) != 0)
			break;
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return metastore_sql_error(ms, what);
	return ret;
}

int metastore_clip_keys(struct metastore *ms, const char *id,
    int (*each)(void *arg, const char *key), void *arg)
{
	sqlite3_stmt *s = stmt(ms, Q_KEYS);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	return metastore_sql_each(ms, s, each, arg, "reading rendition keys");
}

int metastore_generation(struct metastore *ms, long long *gen, long long *updated)
{
	sqlite3_stmt *s = stmt(ms, Q_GEN_GET);
	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return metastore_sql_error(ms, "reading the generation");
	}
	if (gen)
		*gen = sqlite3_column_int64(s, 0);
	if (updated)
		*updated = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

int metastore_set_generation(struct metastore *ms, long long gen, long long now)
{
	sqlite3_stmt *s = stmt(ms, Q_GEN_SET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, gen);
	sqlite3_bind_int64(s, 2, now);
	return metastore_sql_done(ms, s, "writing the generation");
}

long long metastore_count(struct metastore *ms)
{
	sqlite3_stmt *s = stmt(ms, Q_COUNT);
	if (!s)
		return -1;
	long long n = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		metastore_sql_error(ms, "counting clips");
	sqlite3_reset(s);
	return n;
}

int metastore_each_id(struct metastore *ms, int (*each)(void *arg, const char *id), void *arg)
{
	sqlite3_stmt *s = stmt(ms, Q_IDS);
	return s ? metastore_sql_each(ms, s, each, arg, "listing clips") : -1;
}

static json_object *clip_head(sqlite3_stmt *s)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "id", json_object_new_string((const char *)sqlite3_column_text(s, 1)));
	add_num(c, "start", sqlite3_column_double(s, 2));
	add_num(c, "end", sqlite3_column_double(s, 3));
	add_num(c, "duration", sqlite3_column_double(s, 4));
	const char *tags = (const char *)sqlite3_column_text(s, 5);
	json_object *t = tags ? json_tokener_parse(tags) : NULL;
	json_object_object_add(c, "tags", t ? t : json_object_new_object());
	json_object_object_add(c, "updated", json_object_new_int64(sqlite3_column_int64(s, 6)));
	json_object_object_add(c, "renditions", json_object_new_array());
	return c;
}

/* Appends the rendition in columns i.. of s to clip c. */
static void add_rendition(json_object *c, sqlite3_stmt *s, int i, const char *base)
{
	json_object *r = json_object_new_object();
	const char *key = (const char *)sqlite3_column_text(s, i + 2);
	const char *url = (const char *)sqlite3_column_text(s, i + 3);
	json_object_object_add(r, "profile",
	    json_object_new_string((const char *)sqlite3_column_text(s, i)));
	json_object_object_add(r, "kind",
	    json_object_new_string((const char *)sqlite3_column_text(s, i + 1)));
	if (base) {
		size_t bl = strlen(base);
		char *u = xasprintf("%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", key);
		json_object_object_add(r, "url", json_object_new_string(u));
		free(u);
	} else {
		json_object_object_add(r, "url", json_object_new_string(url ? url : key));
	}
	json_object_object_add(r, "mime",
	    json_object_new_string((const char *)sqlite3_column_text(s, i + 4)));
	if (sqlite3_column_type(s, i + 5) != SQLITE_NULL)
		json_object_object_add(r, "width", json_object_new_int64(sqlite3_column_int64(s, i + 5)));
	if (sqlite3_column_type(s, i + 6) != SQLITE_NULL)
		json_object_object_add(r, "height", json_object_new_int64(sqlite3_column_int64(s, i + 6)));
	json_object_object_add(r, "bytes", json_object_new_int64(sqlite3_column_int64(s, i + 7)));
	if (sqlite3_column_type(s, i + 8) != SQLITE_NULL)
		add_num(r, "duration", sqlite3_column_double(s, i + 8));
	if (sqlite3_column_type(s, i + 9) != SQLITE_NULL)
		add_num(r, "start", sqlite3_column_double(s, i + 9));
	json_object_array_add(json_object_object_get(c, "renditions"), r);
}

json_object *metastore_clip_json(struct metastore *ms, const char *id, const char *base_url)
{
	sqlite3_stmt *s = stmt(ms, Q_CLIP);
	if (!s)
		return NULL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_reset(s);
		if (r != SQLITE_DONE) {
			metastore_sql_error(ms, "reading a clip");
			errno = EIO;
		} else {
			errno = 0;
		}
		return NULL;
	}
	json_object *c = clip_head(s);
	sqlite3_int64 n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_stmt *q = stmt(ms, Q_RENDS);
	if (!q) {
		json_object_put(c);
		errno = EIO;
		return NULL;
	}
	sqlite3_bind_int64(q, 1, n);
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		add_rendition(c, q, 0, base_url);
	sqlite3_reset(q);
	if (r != SQLITE_DONE) {
		metastore_sql_error(ms, "reading renditions");
		json_object_put(c);
		errno = EIO;
		return NULL;
	}
	return c;
}

int metastore_each_clip(struct metastore *ms, const char *base_url,
    int (*each)(void *arg, json_object *clip), void *arg)
{
	sqlite3_stmt *s = stmt(ms, Q_EACH);
	if (!s)
		return -1;
	json_object *cur = NULL;
	sqlite3_int64 curn = 0;
	int r, ret = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64 n = sqlite3_column_int64(s, 0);
		if (!cur || n != curn) {
			if (cur) {
				ret = each(arg, cur);
				json_object_put(cur);
				cur = NULL;
				if (ret)
					break;
			}
			cur = clip_head(s);
			curn = n;
		}
		if (sqlite3_column_type(s, 7) != SQLITE_NULL)
			add_rendition(cur, s, 7, base_url);
	}
	if (cur && !ret && (r == SQLITE_DONE))
		ret = each(arg, cur);
	json_object_put(cur);
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return metastore_sql_error(ms, "listing clips");
	return ret;
}

int metastore_find_record(struct metastore *ms, const char *id, const void *rechash, size_t len,
    struct ms_known *k, int (*each)(void *arg, const char *key, long long bytes), void *arg)
{
	sqlite3_stmt *s = stmt(ms, Q_FIND);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, rechash, (int)len, SQLITE_STATIC);
	int r, found = 0, ret = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (!found) {
			k->n = sqlite3_column_int64(s, 0);
			k->id = xstrdup(id);
			k->video = xstrdup((const char *)sqlite3_column_text(s, 1));
			found = 1;
		}
		if (sqlite3_column_type(s, 2) != SQLITE_NULL &&
		    (ret = each(arg, (const char *)sqlite3_column_text(s, 2), sqlite3_column_int64(s, 3))))
			break;
	}
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		if (found) {
			free(k->id);
			free(k->video);
		}
		return metastore_sql_error(ms, "finding a record");
	}
	return found ? (ret ? ret : 1) : 0;
}

int metastore_set_rechash(struct metastore *ms, const char *id, const void *rechash, size_t len)
{
	sqlite3_stmt *s = stmt(ms, Q_RECHASH);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, rechash, (int)len, SQLITE_STATIC);
	return metastore_sql_done(ms, s, "writing a record hash");
}

int metastore_garbage_add(struct metastore *ms, const char *key, long long since)
{
	sqlite3_stmt *s = stmt(ms, Q_GARBAGE);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, since);
	return metastore_sql_done(ms, s, "listing an unused file");
}

int metastore_garbage_unref(struct metastore *ms)
{
	sqlite3_stmt *s = stmt(ms, Q_UNGARBAGE);
	return s ? metastore_sql_done(ms, s, "keeping a file used again") : -1;
}

int metastore_garbage_due(struct metastore *ms, long long before,
    int (*each)(void *arg, const char *key), void *arg)
{
	sqlite3_stmt *s = stmt(ms, Q_DUE);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	return metastore_sql_each(ms, s, each, arg, "reading unused files");
}

int metastore_garbage_gone(struct metastore *ms, const char *key)
{
	sqlite3_stmt *s = stmt(ms, Q_GONE);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	return metastore_sql_done(ms, s, "forgetting a removed file");
}

int metastore_peek_generation(const char *path, long long *gen, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1, r;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 30000);
	r = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'generation'", -1, &s, NULL);
	if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		*gen = sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (r == SQLITE_DONE) {
		snprintf(err, errlen, "%s: not a medusa metastore (no generation)", path);
	} else if (damaged(sqlite3_extended_errcode(db))) {
		snprintf(err, errlen, "%s: %s: " DAMAGED_HINT, path, sqlite3_errmsg(db));
	} else {
		snprintf(err, errlen, "%s: not a medusa metastore (%s)", path, sqlite3_errmsg(db));
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}
