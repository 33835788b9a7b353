/* metastore.h: schema, upsert, the public clip JSON, readers. */
#include "tap.h"
#include "hash.h"
#include "metastore.h"
#include "util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>

static int count_clip(void *arg, json_object *clip)
{
	int *n = arg;
	(*n)++;
	return 0;
}

static int first_id(void *arg, const char *id)
{
	snprintf(arg, 64, "%s", id);
	return 1;
}

/* The tests' own connection to the file: what another reader sees after
 * each commit (metastore.h hands out no SQLite handle). */
static sqlite3 *db;

static long long q1(struct metastore *ms, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;
	(void)ms;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int main(void)
{
	ok(hash_init() == 0, "libsodium");
	char tmpl[] = "/tmp/medusa-ms.XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *path = path_join(dir, "ms.sqlite"), why[512];
	struct metastore *ro = metastore_open(path, MS_READONLY, why, sizeof why);
	ok(ro == NULL, "read-only open of a missing file fails: %s", ro ? "" : why);
	struct metastore *ms = metastore_open(path, 0, why, sizeof why);
	ok(ms != NULL, "create");
	if (!ms)
		return tap_done();
	ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "a second connection");
	ok(q1(ms, "PRAGMA user_version") == METASTORE_SCHEMA, "schema version set");
	long long gen = -1, upd = -1;
	ok(metastore_generation(ms, &gen, &upd) == 0 && gen == 0 && upd == 0, "generation 0");

	json_object *tags = json_tokener_parse(
	    "{\"place\":\"Kyoto\",\"rating\":4,\"score\":2.5,\"public\":true,\"people\":[\"ann\",\"bob\",\"ann\"],\"none\":null}");
	struct ms_rendition r[2] = {
		{"360p", "video", "clips/k1/00aa/360p.mp4", "00aa", "/files/clips/k1/00aa/360p.mp4",
		    "aa", "video/mp4", 1000, 640, 360, 2.5, -1},
		{"poster", "image", "clips/k1/00aa/poster.jpg", "00aa", "/files/clips/k1/00aa/poster.jpg",
		    "bb", "image/jpeg", 100, 160, 90, -1, -1},
	};
	struct ms_clip c = {"k1", "trips/kyoto.mp4", 62.5, 75, tags, r, 2, NULL, 0, 0};
	char fp[HASH_HEX_LEN + 1], fp2[HASH_HEX_LEN + 1], got[HASH_HEX_LEN + 1];
	metastore_fingerprint(&c, fp);
	ok(metastore_clip_fingerprint(ms, "k1", got, sizeof got) == 0, "no clip yet");
	ok(metastore_begin(ms) == 0 && metastore_put_clip(ms, &c, 1, 1000) > 0 &&
	    metastore_set_generation(ms, 1, 1000) == 0 && metastore_commit(ms) == 0, "put a clip");
	ok(metastore_clip_fingerprint(ms, "k1", got, sizeof got) == 1 && strcmp(got, fp) == 0,
	    "stored fingerprint");
	ok(metastore_generation(ms, &gen, &upd) == 0 && gen == 1 && upd == 1000, "generation 1");
	ok(q1(ms, "SELECT count(*) FROM tags") == 6, "six tag rows (a list twice ann = one, null none)");
	ok(q1(ms, "SELECT count(*) FROM clips WHERE n IN (SELECT clip FROM tags WHERE name = 'people' AND value = 'bob')") == 1,
	    "filter on a list element");
	ok(q1(ms, "SELECT count(*) FROM tags WHERE name = 'public' AND value = 'true' AND num = 1") == 1,
	    "a boolean as 'true' and 1");
	ok(q1(ms, "SELECT count(*) FROM tags WHERE name = 'score' AND value = '2.5' AND num > 2") == 1,
	    "a number as text and as a number");
	ok(q1(ms, "SELECT count(*) FROM tags WHERE name = 'rating' AND value = '4'") == 1, "an integer");

	json_object *j = metastore_clip_json(ms, "k1", NULL);
	ok(j != NULL, "clip JSON");
	const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ok(strstr(s, "\"id\":\"k1\"") && strstr(s, "\"duration\":12.5") && strstr(s, "\"updated\":1000"),
	    "id, duration, updated: %s", s);
	ok(!strstr(s, "kyoto.mp4"), "no backyard path in the public JSON");
	ok(strstr(s, "\"url\":\"/files/clips/k1/00aa/360p.mp4\"") != NULL, "published url");
	json_object_put(j);
	j = metastore_clip_json(ms, "k1", "https://cdn.example/g");
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ok(strstr(s, "\"url\":\"https://cdn.example/g/clips/k1/00aa/poster.jpg\"") != NULL, "url from a base");
	json_object_put(j);
	errno = 5;
	ok(metastore_clip_json(ms, "nope", NULL) == NULL && errno == 0, "missing clip: NULL, errno 0");

	/* a second clip without renditions, then iterate */
	struct ms_clip c2 = {"a0", "b.mp4", 0, 1, tags, NULL, 0, NULL, 0, 0};
	ok(metastore_begin(ms) == 0 && metastore_put_clip(ms, &c2, 2, 2000) > 0 &&
	    metastore_commit(ms) == 0, "a clip without renditions");
	int n = 0;
	ok(metastore_each_clip(ms, NULL, count_clip, &n) == 0 && n == 2, "each_clip sees two (%d)", n);
	char id[64] = "";
	ok(metastore_each_id(ms, first_id, id) == 1 && strcmp(id, "a0") == 0, "ids in order, stop early");
	ok(metastore_count(ms) == 2, "count");

	/* replace: same n, renditions replaced */
	struct ms_clip c3 = c;
	c3.nr = 1;
	metastore_fingerprint(&c3, fp2);
	ok(strcmp(fp, fp2) != 0, "a changed clip has another fingerprint");
	long long n0 = q1(ms, "SELECT n FROM clips WHERE id = 'k1'");
	ok(metastore_begin(ms) == 0 && metastore_put_clip(ms, &c3, 3, 3000) > 0 &&
	    metastore_commit(ms) == 0, "replace");
	ok(q1(ms, "SELECT n FROM clips WHERE id = 'k1'") == n0, "row number kept");
	ok(q1(ms, "SELECT count(*) FROM renditions WHERE clip = (SELECT n FROM clips WHERE id = 'k1')") == 1,
	    "renditions replaced");
	ok(metastore_begin(ms) == 0 && metastore_delete_clip(ms, "k1") == 1 &&
	    metastore_delete_clip(ms, "k1") == 0 && metastore_commit(ms) == 0, "delete");
	ok(q1(ms, "SELECT count(*) FROM renditions") == 0 && q1(ms, "SELECT count(*) FROM tags") == 6,
	    "its renditions and tags went");

	ro = metastore_open(path, MS_READONLY, why, sizeof why);
	ok(ro != NULL, "a reader opens beside the writer");
	ok(ro && metastore_count(ro) == 1, "and reads");
	metastore_close(ro);
	ok(sqlite3_exec(db, "PRAGMA user_version = 42", NULL, NULL, NULL) == SQLITE_OK, "pretend newer");
	sqlite3_close(db);
	metastore_close(ms);
	ms = metastore_open(path, 0, why, sizeof why);
	ok(ms == NULL && strstr(why, "newer"), "a newer schema is refused: %s", why);
	metastore_close(ms);
	json_object_put(tags);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	free(cmd);
	free(path);
	return tap_done();
}
