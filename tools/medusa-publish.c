/* medusa-publish: rendition records in; their files into frontyard storage,
 * their clips into the metastore, the records out with each rendition's url.
 * With --prune, clips gone from a complete scan leave the frontyard.
 *
 * A run is one generation, committed in one step: every file first, then
 * one transaction for every row and the prune, then the records. Files the
 * previous generation used are listed in the metastore's garbage table and
 * removed only after the grace period, when no server lists them any more. */
#include "atomic.h"
#include "config.h"
#include "hash.h"
#include "metastore.h"
#include "ndjson.h"
#include "rule.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GRACE_DEFAULT 600       /* seconds: longer than a server's refresh (30 s) and
                                   the API's max-age (10 s), with room for a slow one */
#define RECHASH_LEN 16
#define CLIP_ID_MAX 64

struct item {
	json_object *rec;               /* printed (or spooled) once the clip is done */
	int clip;                       /* a clip to publish (else pass through) */
	int changed;                    /* its row changes in this run: spooled */
	struct ms_clip c;
	struct ms_rendition *r;
	char **urls;
};

struct pub {
	struct store *st;
	struct metastore *ms;
	sqlite3 *db;
	const char *base;
	char *base_json;                /* base as it stands inside a JSON string */
	int prune, force, quiet;
	long long grace;
	long long gen, now;
	/* counts */
	long long clips, changed, unchanged, failed, errors, pruned, removed, damaged, excluded;
	int complete, prune_ok, fatal, leftovers, out_failed;
	json_object *summary;
	sqlite3_stmt *q_seen, *q_keep, *q_touch;
	unsigned char *rows;            /* a bit per clips.n this run published (or kept) */
	size_t nrows;                   /* bytes of rows */
	long long nseen;
	const char *workdir;            /* -w: medusa-cut's, cleaned where clips changed */
	struct rule *where;             /* -W or frontyard.where: what this frontyard carries */
	char *where_text;               /* its canonical text, part of a record's rechash */
	char *workreal;                 /* its real path, to tell which files are its */
	FILE *spool;                    /* the records of changed rows, printed after the commit */
	char *dirty;                    /* METASTORE.dirty: files may be in storage that no row names */
	int was_dirty, made_dirty;
	struct ndjson_reader *rd;
};

/* Fault injection for the tests (HACKING.md): with MEDUSA_TEST_CRASH_AT=N
 * the Nth crash point kills this process group, as kill -9 of a reconcile
 * would at that moment. */
static void crash_point(void)
{
	static long n, at = -1;
	if (at < 0) {
		const char *e = getenv("MEDUSA_TEST_CRASH_AT");
		at = e && *e ? strtol(e, NULL, 10) : 0;
	}
	if (at > 0 && ++n == at) {
		fflush(NULL);
		kill(0, SIGKILL);
		raise(SIGKILL);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: medusa-publish [-fpq] [-C backyard] [-s storage] [-m metastore] "
	    "[-u base-url] [-w workdir] [-W rule] [-g grace] [< renditions]\n"
	    "       medusa-publish -E [-C backyard] [-s storage] [-m metastore] [-u base-url] [-W rule]\n");
	exit(EXIT_USAGE);
}

static int sql(struct pub *p, const char *s)
{
	char *msg = NULL;
	if (sqlite3_exec(p->db, s, NULL, NULL, &msg) != SQLITE_OK) {
		mwarn("%s: %s", metastore_path(p->ms), msg ? msg : sqlite3_errmsg(p->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *prep(struct pub *p, const char *s)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(p->db, s, -1, &q, NULL) != SQLITE_OK) {
		mwarn("%s: %s", metastore_path(p->ms), sqlite3_errmsg(p->db));
		return NULL;
	}
	return q;
}

/* Standard output failed: the run still publishes (the frontyard is what
 * it is for), and says so at the end. */
static void out_failed(struct pub *p)
{
	if (!p->out_failed)
		mwarnerr("write error on standard output: the records are not written, "
		    "the clips still are published");
	p->out_failed = 1;
}

/* A record out: one that names a row this run changes waits for the
 * commit (spooled); any other is true already and goes out at once (an
 * unchanged clip is published in the generation there is, an error record
 * claims nothing). */
static void emit(struct pub *p, json_object *rec, int changed)
{
	if (changed) {
		if (ndjson_write(p->spool, rec) < 0) {
			mwarnerr("cannot keep the records until the commit (TMPDIR full?)");
			p->fatal = 1;
		}
	} else if (!p->out_failed && ndjson_write(stdout, rec) < 0) {
		out_failed(p);
	}
}

/* Turns item into an error record for its clip, keeping that clip's row. */
static void fail_item(struct pub *p, struct item *it, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_item(struct pub *p, struct item *it, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *video = jstr(it->rec, "video"), *clip = jstr(it->rec, "clip");
	mwarn("%s%s%s: %s", video ? video : "", video && clip ? ": clip " : "", clip ? clip : "", msg);
	json_object *err = ndjson_error_record(video, clip, msg);
	json_object_put(it->rec);
	it->rec = err;
	it->clip = 0;
	p->failed++;
}

static int valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int valid_hex(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < min || n > max)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return 0;
	return 1;
}

static char *url_of(const char *base, const char *key)
{
	size_t n = strlen(base);
	return xasprintf("%s%s%s", base, n && base[n - 1] != '/' ? "/" : "", key);
}

/* One rendition of a record into r; NULL, or what is wrong with it. */
static const char *parse_rendition(struct pub *p, struct item *it, size_t i, char *why, size_t n)
{
	json_object *o = json_object_array_get_idx(json_object_object_get(it->rec, "renditions"), i);
	struct ms_rendition *r = &it->r[i];
	const char *id = it->c.id, *bad = NULL;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, n, "renditions[%zu]: not an object", i);
		return why;
	}
	r->profile = jstr(o, "profile");
	r->kind = jstr(o, "kind");
	r->key = jstr(o, "key");
	r->version = jstr(o, "version");
	r->hash = jstr(o, "hash");
	r->mime = jstr(o, "mime");
	const char *file = jstr(o, "file");
	if (!valid_name(r->profile))
		bad = "no valid \"profile\"";
	else if (!r->kind || !*r->kind)
		bad = "no \"kind\"";
	else if (!valid_hex(r->version, 1, 64))
		bad = "no valid \"version\" (hex)";
	else if (!valid_hex(r->hash, HASH_HEX_LEN, HASH_HEX_LEN))
		bad = "no valid \"hash\" (BLAKE2b-256, hex)";
	else if (!r->mime || !*r->mime)
		bad = "no \"mime\"";
	else if (!file || !*file)
		bad = "no \"file\"";
	else if (jint64(o, "bytes", &r->bytes) < 0 || r->bytes < 0)
		bad = "no valid \"bytes\"";
	if (bad) {
		snprintf(why, n, "renditions[%zu]: %s", i, bad);
		return why;
	}
	/* the key is immutable and names the clip, version and profile */
	size_t pl = strlen(id) + strlen(r->version) + strlen(r->profile) + 9;
	char *want = xasprintf("clips/%s/%s/%s.", id, r->version, r->profile);
	int keyok = r->key && store_key_valid(r->key) && strncmp(r->key, want, pl) == 0 &&
	    valid_name(r->key + pl) && !strchr(r->key + pl, '-') && !strchr(r->key + pl, '_');
	free(want);
	if (!keyok) {
		snprintf(why, n, "renditions[%zu]: \"key\" must be clips/%s/%s/%s.EXT", i, id,
		    r->version, r->profile);
		return why;
	}
	for (size_t j = 0; j < i; j++)
		if (strcmp(it->r[j].profile, r->profile) == 0) {
			snprintf(why, n, "renditions[%zu]: profile %s appears twice", i, r->profile);
			return why;
		}
	r->width = r->height = 0;
	r->duration = r->start = -1;
	long long v;
	if (jint64(o, "width", &v) == 0 && v > 0)
		r->width = v;
	if (jint64(o, "height", &v) == 0 && v > 0)
		r->height = v;
	double d;
	if (jdouble(o, "duration", &d) == 0 && isfinite(d) && d >= 0)
		r->duration = d;
	if (jdouble(o, "start", &d) == 0 && isfinite(d) && d >= 0)
		r->start = d;
	it->urls[i] = url_of(p->base, r->key);
	r->url = it->urls[i];
	json_object_object_add(o, "url", json_object_new_string(r->url));
	return NULL;
}

/* Reads a clip record into it->c. NULL, or what is wrong with it. */
static const char *parse_clip(struct pub *p, struct item *it, char *why, size_t n)
{
	json_object *rec = it->rec, *tags, *rends;
	struct ms_clip *c = &it->c;
	c->id = jstr(rec, "clip");
	c->video = jstr(rec, "video");
	if (!c->id || !clip_id_valid(c->id))
		return "no valid \"clip\" id (1-64 of A-Z a-z 0-9 _ -)";
	if (!c->video || !*c->video)
		return "no \"video\"";
	if (jdouble(rec, "start", &c->start) < 0 || jdouble(rec, "end", &c->end) < 0 ||
	    !isfinite(c->start) || !isfinite(c->end) || c->start < 0 || c->end <= c->start)
		return "\"start\" and \"end\" must be seconds with 0 <= start < end";
	if (!json_object_object_get_ex(rec, "tags", &tags) || !json_object_is_type(tags, json_type_object))
		return "\"tags\" must be an object";
	c->tags = tags;
	if (!json_object_object_get_ex(rec, "renditions", &rends) ||
	    !json_object_is_type(rends, json_type_array))
		return "no \"renditions\" (is this a medusa-cut record?)";
	c->nr = json_object_array_length(rends);
	it->r = xcalloc(c->nr ? c->nr : 1, sizeof *it->r);
	it->urls = xcalloc(c->nr ? c->nr : 1, sizeof *it->urls);
	c->r = it->r;
	for (size_t i = 0; i < c->nr; i++) {
		const char *bad = parse_rendition(p, it, i, why, n);
		if (bad)
			return bad;
	}
	return NULL;
}

static void item_free(struct item *it)
{
	json_object_put(it->rec);
	for (size_t i = 0; it->urls && i < it->c.nr; i++)
		free(it->urls[i]);
	free(it->urls);
	free(it->r);
	memset(it, 0, sizeof *it);
}

/* Marks row n (clips.n) as published by this run: prune keeps it, and a
 * second record for it is refused. 1 new, 0 marked already. A bit a row,
 * in memory: cheaper than a table of ids, and flat (a byte per 8 rows). */
static int mark_row(struct pub *p, long long n)
{
	size_t byte = (size_t)n / 8;
	if (byte >= p->nrows) {
		size_t cap = p->nrows ? p->nrows : 4096;
		while (cap <= byte)
			cap *= 2;
		p->rows = xrealloc(p->rows, cap);
		memset(p->rows + p->nrows, 0, cap - p->nrows);
		p->nrows = cap;
	}
	unsigned char bit = (unsigned char)(1u << (n % 8));
	if (p->rows[byte] & bit)
		return 0;
	p->rows[byte] |= bit;
	p->nseen++;
	return 1;
}

/* medusa_seen(n) in the prune's SQL: whether this run published row n. */
static void seen_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct pub *p = sqlite3_user_data(ctx);
	long long n = sqlite3_value_int64(argv[0]);
	(void)argc;
	sqlite3_result_int(ctx, n >= 0 && (size_t)n / 8 < p->nrows && (p->rows[n / 8] >> (n % 8) & 1));
}

/* Remembers what an error record names, so that prune keeps it: a clip id
 * (its row stays as it is) or a whole video. 0 or -1. */
static int remember(struct pub *p, const char *clip, const char *video)
{
	sqlite3_stmt **q = clip ? &p->q_seen : &p->q_keep;
	if (!*q && !(*q = prep(p, clip ?
	    "INSERT OR IGNORE INTO temp.seen(id, video, ok) VALUES (?1, ?2, 0)" :
	    "INSERT OR IGNORE INTO temp.keep_video(video) VALUES (?2)")))
		return -1;
	sqlite3_reset(*q);
	if (clip)
		sqlite3_bind_text(*q, 1, clip, -1, SQLITE_STATIC);
	sqlite3_bind_text(*q, 2, video ? video : "", -1, SQLITE_STATIC);
	int r = sqlite3_step(*q);
	sqlite3_reset(*q);
	if (r != SQLITE_DONE) {
		mwarn("%s: %s", metastore_path(p->ms), sqlite3_errmsg(p->db));
		return -1;
	}
	return 0;
}

/* A clip whose work folder is to be tidied after the commit. */
static int touch(struct pub *p, const char *clip)
{
	if (!p->workdir)
		return 0;
	if (!p->q_touch && !(p->q_touch = prep(p, "INSERT OR IGNORE INTO temp.touched(id) VALUES (?1)")))
		return -1;
	sqlite3_reset(p->q_touch);
	sqlite3_bind_text(p->q_touch, 1, clip, -1, SQLITE_STATIC);
	int r = sqlite3_step(p->q_touch);
	sqlite3_reset(p->q_touch);
	return r == SQLITE_DONE ? 0 : -1;
}

/* Before the first file goes into storage: a mark that says files may be
 * there that no committed row names, until this run commits (a kill in
 * between leaves it, and the next run sweeps storage). */
static int mark_dirty(struct pub *p)
{
	if (p->made_dirty || p->was_dirty)
		return 0;
	int fd = open(p->dirty, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	char *dir = path_dirname(p->dirty);
	int r = fd < 0 || fsync(fd) < 0 || fsync_dir(dir) < 0 ? -1 : 0;
	if (r < 0)
		mwarnerr("%s", p->dirty);
	if (fd >= 0)
		close(fd);
	free(dir);
	p->made_dirty = r == 0;
	return r;
}

/* A work file that does not match its record is damaged: it goes, with
 * the object medusa-cut keeps beside it, so that the next cut makes it
 * again (only inside -W, never a file elsewhere). 1 removed, 0 not. */
static int drop_damaged(struct pub *p, const char *file)
{
	char *real = p->workreal ? realpath(file, NULL) : NULL;
	size_t n = p->workreal ? strlen(p->workreal) : 0;
	int inside = real && strncmp(real, p->workreal, n) == 0 && real[n] == '/';
	int r = 0;
	if (inside) {
		char *dir = path_dirname(real);
		const char *base = strrchr(real, '/') + 1;
		char *meta = xasprintf("%s/.%s.json", dir, base);
		if (unlink(meta) < 0 && errno != ENOENT)
			mwarnerr("%s", meta);
		if (unlink(real) < 0)
			mwarnerr("%s", real);
		else
			r = 1;
		free(meta);
		free(dir);
	}
	free(real);
	return r;
}

/* Puts a clip's files into storage; a clip whose row already holds exactly
 * this needs only its keys to exist. On a failure the keys this call added
 * go again, so a failed clip leaves nothing behind. 0 or -1 (item failed). */
static int put_files(struct pub *p, struct item *it, int unchanged)
{
	const char **added = xcalloc(it->c.nr ? it->c.nr : 1, sizeof *added);
	size_t nadded = 0;
	int r = 0;
	json_object *rends = json_object_object_get(it->rec, "renditions");
	for (size_t i = 0; i < it->c.nr; i++) {
		const struct ms_rendition *rd = &it->r[i];
		long long size = -1;
		if (unchanged && store_stat(p->st, rd->key, &size, NULL, 0) == 1 && size == rd->bytes)
			continue;
		const char *file = jstr(json_object_array_get_idx(rends, i), "file");
		int s = mark_dirty(p) < 0 ? -1 : store_put_file(p->st, rd->key, file, rd->mime, rd->hash, 1);
		if (s < 0) {
			int damaged = errno == EBADMSG;
			if (nadded && store_remove(p->st, added, nadded) < 0)
				p->leftovers = 1;
			if (damaged && drop_damaged(p, file)) {
				p->damaged++;
				fail_item(p, it, "%s: %s does not match its record: removed, so that medusa-cut "
				    "makes it again", rd->key, file);
			} else {
				fail_item(p, it, "%s: cannot put into storage %s", rd->key, p->st->url);
			}
			r = -1;
			break;
		}
		if (s == 1)
			added[nadded++] = rd->key;
		crash_point();
	}
	free(added);
	return r;
}

struct oldkeys {
	struct pub *p;
	const struct item *it;
	long long since; /* when the keys became unused */
	int err;
};

/* A key of the row being replaced that the new row does not name: unused
 * from this generation on. */
static int retire_key(void *arg, const char *key)
{
	struct oldkeys *o = arg;
	for (size_t m = 0; o->it && m < o->it->c.nr; m++)
		if (strcmp(key, o->it->r[m].key) == 0)
			return 0;
	if (metastore_garbage_add(o->p->ms, key, o->since) < 0)
		return -1;
	return 0;
}

/* Deletes the row of clip id in this generation; its files go into the
 * garbage table as unused since `since`. 1 a row went, 0 there was none,
 * -1 error. */
static int drop_row(struct pub *p, const char *id, long long since)
{
	struct oldkeys o = {p, NULL, since, 0};
	if (metastore_clip_keys(p->ms, id, retire_key, &o) < 0)
		return -1;
	int r = metastore_delete_clip(p->ms, id);
	if (r > 0)
		p->changed++;
	return r;
}

/* A clip whose row names a file that is gone and cannot be put again
 * leaves the frontyard in this generation (it is back once medusa-cut has
 * made it again): no server lists a file that is not there. */
static int unpublish(struct pub *p, const char *id)
{
	if (drop_row(p, id, p->now) < 0)
		return -1;
	mwarn("clip %s: a file its row names is gone from storage: the clip is not listed until "
	    "its renditions are made again", id);
	return 0;
}

/* A clip outside the publication rule: its record passes through without
 * urls, and its row, when there is one (the rule narrowed, or its tags
 * changed), goes in this generation. Its files go right after the commit,
 * without the grace period: the rule keeps them private, even from a
 * listing taken before the withdrawal. -1: fatal. */
static int withdraw(struct pub *p, const char *id)
{
	int r = drop_row(p, id, 0);
	if (r > 0) {
		p->pruned++;
		if (touch(p, id) < 0)
			return -1;
	}
	p->excluded++;
	return r < 0 ? -1 : 0;
}

/* Publishes one clip record into the open transaction. -1: fatal. */
static int publish_clip(struct pub *p, struct item *it, const unsigned char *rechash)
{
	char fp[HASH_HEX_LEN + 1], old[HASH_HEX_LEN + 1];
	long long row = 0;
	int had = metastore_clip_row(p->ms, it->c.id, &row, old, sizeof old);
	if (had < 0)
		return -1;
	/* a row this run published already: the same id twice */
	if (had == 1 && !mark_row(p, row)) {
		fail_item(p, it, "clip id %s comes twice in this input: the second is not published",
		    it->c.id);
		return 0;
	}
	metastore_fingerprint(&it->c, fp);
	int unchanged = had == 1 && strcmp(fp, old) == 0;
	char *id = xstrdup(it->c.id);
	if (put_files(p, it, unchanged) < 0) {
		/* the failure replaced the record, which held it->c.id, by an
		 * error record: the row goes by the copy */
		int r = had == 1 && unchanged ? unpublish(p, id) : 0;
		free(id);
		return r;
	}
	free(id);
	if (touch(p, it->c.id) < 0)
		return -1;
	p->clips++;
	it->c.rechash = rechash;
	it->c.rechash_len = RECHASH_LEN;
	if (unchanged) {
		p->unchanged++;
		/* the same row from other bytes: found by them next time */
		return metastore_set_rechash(p->ms, it->c.id, rechash, RECHASH_LEN);
	}
	struct oldkeys o = {p, it, p->now, 0};
	if (had == 1 && metastore_clip_keys(p->ms, it->c.id, retire_key, &o) < 0)
		return -1;
	it->c.fresh = had == 0;
	long long n = metastore_put_clip(p->ms, &it->c, p->gen + 1, p->now);
	if (n < 0)
		return -1;
	mark_row(p, n);
	p->changed++;
	it->changed = 1;
	return 0;
}

/* The hash that recognises a record seen before: its bytes and the base
 * URL its urls are made of. */
static void record_hash(struct pub *p, const char *line, size_t len, unsigned char out[RECHASH_LEN])
{
	crypto_generichash_state st;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	crypto_generichash_init(&st, NULL, 0, RECHASH_LEN);
	crypto_generichash_update(&st, (const unsigned char *)"medusa record 1", 16);
	crypto_generichash_update(&st, (const unsigned char *)p->base, strlen(p->base) + 1);
	/* a line kept under one rule may be left out under another */
	crypto_generichash_update(&st, (const unsigned char *)p->where_text, strlen(p->where_text) + 1);
	crypto_generichash_update(&st, (const unsigned char *)line, len);
	crypto_generichash_final(&st, out, RECHASH_LEN);
}

/* The keys of a known row, with their sizes. */
struct known {
	char *key[16];
	long long bytes[16];
	size_t n;
	int toomany;
};

static int known_key(void *arg, const char *key, long long bytes)
{
	struct known *k = arg;
	if (k->n == 16) {
		k->toomany = 1;
		return 1;
	}
	k->key[k->n] = xstrdup(key);
	k->bytes[k->n++] = bytes;
	return 0;
}

static void known_free(struct known *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->key[i]);
}

/* The record line with "url" after each rendition's "key": the line was
 * parsed and validated when its row was made from these very bytes (the
 * rechash says so), so only the urls go in. NULL when the line does not
 * hold each key exactly once, or has urls already (then it is parsed). */
static char *with_urls(struct pub *p, const char *line, size_t len, const struct known *k)
{
	static const char pat[] = "\"key\":\"";
	const size_t pl = sizeof pat - 1;
	const char *at[16] = {0};
	size_t want = len + 2, bl = strlen(p->base_json);
	int slash = bl && p->base_json[bl - 1] != '/';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (memmem(line, len, "\"url\":", 6))
		return NULL;
	/* every "key":" of the line, each the start of one known key */
	for (const char *f = line, *end = line + len; (f = memmem(f, (size_t)(end - f), pat, pl)); f += pl) {
		const char *v = f + pl;
		size_t i;
		for (i = 0; i < k->n; i++) {
			size_t kl = strlen(k->key[i]);
			if ((size_t)(end - v) > kl && !memcmp(v, k->key[i], kl) && v[kl] == '"')
				break;
		}
		if (i == k->n || at[i])
			return NULL;
		at[i] = v + strlen(k->key[i]) + 1;
		want += bl + strlen(k->key[i]) + 10;
	}
	for (size_t i = 0; i < k->n; i++)
		if (!at[i])
			return NULL;
	char *out = xmalloc(want), *o = out;
	const char *from = line;
	/* in the order they stand in the line */
	for (size_t done = 0; done < k->n; done++) {
		size_t next = 0;
		for (size_t i = 1; i < k->n; i++)
			if (at[i] < at[next])
				next = i;
		size_t kl = strlen(k->key[next]);
		memcpy(o, from, (size_t)(at[next] - from));
		o += at[next] - from;
		memcpy(o, ",\"url\":\"", 8);
		o += 8;
		memcpy(o, p->base_json, bl);
		o += bl;
		if (slash)
			*o++ = '/';
		memcpy(o, k->key[next], kl);
		o += kl;
		*o++ = '"';
		from = at[next];
		at[next] = line + len + 1; /* done */
	}
	memcpy(o, from, (size_t)(line + len - from));
	o += line + len - from;
	*o++ = '\n';
	*o = '\0';
	return out;
}

/* The value of the one "clip" member of a record line: 1, or 0 when the
 * line has none or more than one (then it is parsed). */
static int line_clip(const char *line, size_t len, char id[CLIP_ID_MAX + 1])
{
	static const char pat[] = "\"clip\":\"";
	const size_t pl = sizeof pat - 1;
	const char *f = memmem(line, len, pat, pl);
	if (!f || memmem(f + pl, len - (size_t)(f + pl - line), pat, pl))
		return 0;
	const char *v = f + pl, *e = memchr(v, '"', len - (size_t)(v - line));
	if (!e || e == v || (size_t)(e - v) > CLIP_ID_MAX)
		return 0;
	memcpy(id, v, (size_t)(e - v));
	id[e - v] = '\0';
	return clip_id_valid(id);
}

/* A record line seen before, whose row holds it and whose files are all in
 * storage, is published as it is, without parsing it. 1 done, 0 not such a
 * line (parse it), -1 fatal. */
static int known_record(struct pub *p, const char *line, size_t len, const unsigned char *rechash)
{
	struct ms_known row;
	struct known k = {0};
	char *out = NULL, id[CLIP_ID_MAX + 1];
	/* the clip id as the line has it (the row's rechash then proves that
	 * the line is the one the row was made from) */
	if (!line_clip(line, len, id))
		return 0;
	int r = metastore_find_record(p->ms, id, rechash, RECHASH_LEN, &row, known_key, &k);
	if (r <= 0) {
		known_free(&k);
		return r;
	}
	r = 0;
	if (k.toomany)
		goto out;
	for (size_t i = 0; i < k.n; i++) {
		long long size = -1;
		int s = store_stat(p->st, k.key[i], &size, NULL, 0);
		if (s < 0) {
			r = -1;
			goto out;
		}
		if (s == 0 || size != k.bytes[i])
			goto out; /* parsed: it is put again from its file */
	}
	if (!(out = with_urls(p, line, len, &k)))
		goto out;
	if (!mark_row(p, row.n))
		goto out; /* a second one: parsed, and refused there */
	if (!p->out_failed && fputs(out, stdout) == EOF)
		out_failed(p);
	p->clips++;
	p->unchanged++;
	r = 1;
out:
	known_free(&k);
	free(out);
	free(row.id);
	free(row.video);
	return r;
}

/* One record (parsed). -1: fatal. */
static int add_record(struct pub *p, json_object *rec, const unsigned char *rechash)
{
	if (ndjson_is_summary(rec)) {
		json_object *s = json_object_object_get(rec, "summary"), *c;
		p->complete = json_object_object_get_ex(s, "complete", &c) &&
		    json_object_get_boolean(c);
		json_object_put(p->summary);
		p->summary = rec;
		return 0;
	}
	struct item it = {.rec = rec};
	int r = 0;
	if (ndjson_is_error(rec)) {
		const char *clip = jstr(rec, "clip"), *video = jstr(rec, "video");
		p->errors++;
		if (!clip && !video) {
			if (p->prune_ok && p->prune)
				mwarn("an error record names no video: not pruning");
			p->prune_ok = 0;
		}
		r = remember(p, clip, video) < 0 ? -1 : 0;
	} else {
		char why[512];
		const char *bad, *id = jstr(rec, "clip");
		it.clip = 1;
		if (p->where && id && clip_id_valid(id) &&
		    !rule_match(p->where, json_object_object_get(rec, "tags")))
			r = withdraw(p, id);
		else if ((bad = parse_clip(p, &it, why, sizeof why)))
			fail_item(p, &it, "%s", bad);
		else
			r = publish_clip(p, &it, rechash);
	}
	if (r == 0)
		emit(p, it.rec, it.changed);
	item_free(&it);
	return r;
}

/* Reads every record and publishes it into the open transaction. */
static void read_records(struct pub *p)
{
	const char *line;
	size_t len;
	int st;
	while (!p->fatal && (st = ndjson_next_line(p->rd, &line, &len)) != NDJSON_EOF) {
		if (st == NDJSON_IOERR) {
			p->fatal = 1;
			break;
		}
		unsigned char h[RECHASH_LEN];
		record_hash(p, line, len, h);
		int k = known_record(p, line, len, h);
		if (k != 0) {
			p->fatal |= k < 0;
			continue;
		}
		json_object *rec;
		if (ndjson_parse_line(p->rd, line, len, &rec) != NDJSON_RECORD) {
			/* a line we cannot read may have been any clip */
			p->prune_ok = 0;
			p->failed++;
			continue;
		}
		if (add_record(p, rec, h) < 0)
			p->fatal = 1;
	}
}

struct orphans {
	struct pub *p;
	sqlite3_stmt *ref, *add;
	long long n, keys;
};

static int each_key(void *arg, const char *key, long long size)
{
	struct orphans *o = arg;
	o->keys++;
	sqlite3_reset(o->ref);
	sqlite3_bind_text(o->ref, 1, key, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(o->ref);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return -1;
	sqlite3_reset(o->add);
	sqlite3_bind_text(o->add, 1, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(o->add) != SQLITE_DONE)
		return -1;
	o->n++;
	return 0;
}

static void remove_keys(struct pub *p, char **keys, size_t n)
{
	if (n && store_remove(p->st, (const char *const *)keys, n) < 0) {
		mwarn("%s: some unused files could not be removed (the next run retries)", p->st->url);
		p->leftovers = 1;
	}
	p->removed += (long long)n;
	if (n)
		crash_point();
}

/* Removes the keys in temp table tbl(key), in chunks. */
static int remove_listed(struct pub *p, const char *tbl)
{
	char *q = xasprintf("SELECT key FROM temp.%s", tbl);
	sqlite3_stmt *s = prep(p, q);
	free(q);
	if (!s)
		return -1;
	char *keys[256];
	size_t n = 0;
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		keys[n++] = xstrdup((const char *)sqlite3_column_text(s, 0));
		if (n == 256) {
			remove_keys(p, keys, n);
			while (n)
				free(keys[--n]);
		}
	}
	remove_keys(p, keys, n);
	while (n)
		free(keys[--n]);
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : -1;
}

/* Files under clips/ that neither a row nor the garbage table names: put
 * by a run that was killed before its commit. Only when one was (the dirty
 * mark): listing storage costs what storage holds. */
static int sweep(struct pub *p)
{
	struct orphans o = {p, prep(p, "SELECT 1 FROM renditions WHERE key = ?1"
		" UNION ALL SELECT 1 FROM garbage WHERE key = ?1"),
		prep(p, "INSERT OR IGNORE INTO temp.orphans(key) VALUES (?1)"), 0, 0};
	int r = -1;
	if (!o.ref || !o.add || sql(p, "DELETE FROM temp.orphans") < 0)
		goto out;
	if (store_list(p->st, "clips/", each_key, &o) != 0) {
		mwarn("%s: cannot list storage: files a killed run left stay", p->st->url);
		goto out;
	}
	if (o.n * 2 > o.keys && o.n > 8 && !p->force) {
		mwarn("%s: %lld of %lld files are named by no clip; not removing so many "
		    "(--force does)", p->st->url, o.n, o.keys);
		goto out;
	}
	r = remove_listed(p, "orphans");
out:
	sqlite3_finalize(o.ref);
	sqlite3_finalize(o.add);
	return r;
}

static int hexname(const char *s)
{
	return valid_hex(s, 1, 64);
}

/* A name medusa-cut or atomic writes give a temporary file. */
static int temporary(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp.") != NULL;
}

/* Removes the plain files of a work folder (all, or only temporaries) and,
 * when all went, the folder. */
static int empty_folder(const char *dir, int only_tmp)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *f;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((f = readdir(d))) {
		struct stat st;
		if (!strcmp(f->d_name, ".") || !strcmp(f->d_name, "..") || (only_tmp && !temporary(f->d_name)))
			continue;
		if (fstatat(fd, f->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    unlinkat(fd, f->d_name, 0) < 0)
			mwarnerr("%s/%s", dir, f->d_name);
	}
	closedir(d);
	return !only_tmp && rmdir(dir) == 0;
}

/* The work folder WORK/CLIP of one clip: version folders that no row and
 * no garbage entry names go (pruned clips, replaced versions), and in the
 * others the temporary files a killed medusa-cut left. Skipped while a
 * medusa-cut works on the clip (it holds the folder's lock). */
static void clean_clip_folder(struct pub *p, const char *clip, sqlite3_stmt *named)
{
	char *cdir = path_join(p->workdir, clip);
	int lock = open(cdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *cd = NULL;
	struct dirent *v;
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0 || !(cd = opendir(cdir)))
		goto out;
	while ((v = readdir(cd))) {
		if (!hexname(v->d_name))
			continue;
		char *lo = xasprintf("clips/%s/%s/", clip, v->d_name);
		char *hi = xasprintf("clips/%s/%s0", clip, v->d_name);
		sqlite3_reset(named);
		sqlite3_bind_text(named, 1, lo, -1, SQLITE_STATIC);
		sqlite3_bind_text(named, 2, hi, -1, SQLITE_STATIC);
		int r = sqlite3_step(named);
		sqlite3_reset(named);
		free(lo);
		free(hi);
		char *vdir = path_join(cdir, v->d_name);
		if (r == SQLITE_DONE)
			empty_folder(vdir, 0);
		else if (r == SQLITE_ROW)
			empty_folder(vdir, 1);
		free(vdir);
	}
out:
	if (cd)
		closedir(cd);
	if (lock >= 0)
		close(lock); /* and its lock */
	rmdir(cdir); /* when it is empty now */
	free(cdir);
}

/* Tidies the work folders of the clips this run put, changed or removed
 * files of: never a walk of the whole work directory. */
static void clean_workdir(struct pub *p)
{
	sqlite3_stmt *ids = prep(p, "SELECT id FROM temp.touched ORDER BY id");
	sqlite3_stmt *named = prep(p, "SELECT 1 FROM renditions WHERE key >= ?1 AND key < ?2"
	    " UNION ALL SELECT 1 FROM garbage WHERE key >= ?1 AND key < ?2 LIMIT 1");
	while (ids && named && sqlite3_step(ids) == SQLITE_ROW) {
		const char *clip = (const char *)sqlite3_column_text(ids, 0);
		if (clip_id_valid(clip))
			clean_clip_folder(p, clip, named);
	}
	sqlite3_finalize(ids);
	sqlite3_finalize(named);
}

/* The clip of a key clips/CLIP/..., for the work folder to tidy. */
static int touch_key(struct pub *p, const char *key)
{
	if (!p->workdir || strncmp(key, "clips/", 6))
		return 0;
	const char *s = key + 6, *e = strchr(s, '/');
	if (!e)
		return 0;
	char *clip = strndup(s, (size_t)(e - s));
	if (!clip)
		mdie(EXIT_USAGE, "out of memory");
	int r = touch(p, clip);
	free(clip);
	return r;
}

struct due {
	struct pub *p;
	char **keys;
	size_t n, cap;
};

static int due_each(void *arg, const char *key)
{
	struct due *d = arg;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->keys = xrealloc(d->keys, d->cap * sizeof *d->keys);
	}
	d->keys[d->n++] = xstrdup(key);
	return 0;
}

/* Removes the files no row has named for the grace period, then forgets
 * them: a kill in between leaves them listed, and the next run removes
 * them again (a missing key is no error). */
static int remove_due(struct pub *p)
{
	struct due d = {p, NULL, 0, 0};
	int r = metastore_garbage_due(p->ms, p->now - p->grace, due_each, &d);
	for (size_t at = 0; r == 0 && at < d.n; at += 256) {
		size_t n = d.n - at < 256 ? d.n - at : 256, fails = p->leftovers;
		remove_keys(p, d.keys + at, n);
		if (p->leftovers && !fails)
			break; /* listed still: retried next time */
		if (metastore_begin(p->ms) < 0) {
			r = -1;
			break;
		}
		for (size_t i = at; r == 0 && i < at + n; i++)
			r = metastore_garbage_gone(p->ms, d.keys[i]) < 0 || touch_key(p, d.keys[i]) < 0 ? -1 : 0;
		if (r < 0 || metastore_commit(p->ms) < 0) {
			metastore_rollback(p->ms);
			r = -1;
		}
	}
	for (size_t i = 0; i < d.n; i++)
		free(d.keys[i]);
	free(d.keys);
	return r;
}

/* Inside the run's transaction: the clips gone from a complete scan. Their
 * files go into the garbage table. -1: fatal. */
static int prune(struct pub *p)
{
	if (!p->complete) {
		mwarn("not pruning: the input did not end with a complete scan summary");
		return 0;
	}
	if (!p->prune_ok || p->fatal) {
		mwarn("not pruning: this input was not read whole");
		return 0;
	}
	if (sql(p, "DELETE FROM temp.doomed;"
	    " INSERT INTO temp.doomed(n) SELECT n FROM clips"
	    " WHERE NOT medusa_seen(n) AND id NOT IN (SELECT id FROM temp.seen)"
	    " AND video NOT IN (SELECT video FROM temp.keep_video)") < 0)
		return -1;
	long long doomed = sqlite3_changes(p->db), total = metastore_count(p->ms);
	if (total < 0)
		return -1;
	if (doomed == 0)
		return 0;
	if (doomed * 2 > total && !p->force) {
		sqlite3_stmt *q = prep(p, "SELECT count(*) FROM temp.seen");
		long long seen = q && sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) + p->nseen : -1;
		sqlite3_finalize(q);
		if (seen == 0)
			mwarn("the input holds no clips: refusing to prune all %lld clips "
			    "(an empty or unmounted backyard?); --force does it", total);
		else
			mwarn("refusing to prune %lld of %lld clips (more than half: an unmounted "
			    "folder?); --force does it", doomed, total);
		p->failed++;
		return 0;
	}
	char *q = xasprintf("INSERT INTO garbage(key, since) SELECT key, %lld FROM renditions"
	    " WHERE clip IN (SELECT n FROM temp.doomed) ON CONFLICT(key) DO NOTHING;"
	    " INSERT OR IGNORE INTO temp.touched(id) SELECT id FROM clips WHERE n IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM renditions WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM tags WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM clips WHERE n IN (SELECT n FROM temp.doomed)", p->now);
	int r = sql(p, q);
	free(q);
	if (r < 0)
		return -1;
	p->pruned += doomed;
	return 0;
}

/* The run's one commit: the generation moves when a row changed. */
static int commit(struct pub *p)
{
	int moved = p->changed || p->pruned;
	if (moved && (metastore_garbage_unref(p->ms) < 0 ||
	    metastore_set_generation(p->ms, p->gen + 1, p->now) < 0))
		return -1;
	crash_point();
	if (metastore_commit(p->ms) < 0)
		return -1;
	crash_point();
	if (moved)
		p->gen++;
	return 0;
}

/* The records, now that they are published; -1 when stdout fails. The
 * kernel copies them (sendfile) where it can. */
static int print_spool(struct pub *p)
{
	char buf[1 << 16];
	size_t n;
	if (fflush(p->spool) == EOF || fflush(stdout) == EOF) {
		mwarnerr("the records kept until the commit");
		return -1;
	}
	int fd = fileno(p->spool);
	off_t off = 0, size = lseek(fd, 0, SEEK_END);
	while (size > 0 && off < size) {
		ssize_t w = sendfile(STDOUT_FILENO, fd, &off, (size_t)(size - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w < 0 && errno != EINVAL && errno != ENOSYS)
				return -1;
			break; /* not this kind of output: copy */
		}
	}
	if (fseeko(p->spool, off, SEEK_SET) < 0) {
		mwarnerr("the records kept until the commit");
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, p->spool)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			return -1;
	return ferror(p->spool) ? -1 : 0;
}

static void print_env(const char *name, const char *v)
{
	printf("%s='", name);
	for (; v && *v; v++)
		if (*v == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*v);
	puts("'");
}

static int lock_metastore(const char *path)
{
	char *lp = xasprintf("%s.lock", path);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		mwarnerr("%s", lp);
		free(lp);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		mwarn("%s: another medusa-publish holds the metastore; waiting", lp);
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				mwarnerr("%s", lp);
				close(fd);
				free(lp);
				return -1;
			}
	}
	free(lp);
	return fd;
}

static json_object *summary_record(struct pub *p)
{
	json_object *sum = p->summary ? p->summary : json_object_new_object();
	json_object *s = json_object_object_get(sum, "summary");
	p->summary = NULL;
	if (!s) {
		s = json_object_new_object();
		json_object_object_add(sum, "summary", s);
	}
	json_object *ps = json_object_new_object();
	json_object_object_add(ps, "clips", json_object_new_int64(p->clips));
	json_object_object_add(ps, "changed", json_object_new_int64(p->changed));
	json_object_object_add(ps, "unchanged", json_object_new_int64(p->unchanged));
	json_object_object_add(ps, "failed", json_object_new_int64(p->failed));
	json_object_object_add(ps, "errors", json_object_new_int64(p->errors));
	json_object_object_add(ps, "pruned", json_object_new_int64(p->pruned));
	json_object_object_add(ps, "excluded", json_object_new_int64(p->excluded));
	json_object_object_add(ps, "removed", json_object_new_int64(p->removed));
	json_object_object_add(ps, "damaged", json_object_new_int64(p->damaged));
	json_object_object_add(ps, "generation", json_object_new_int64(p->gen));
	json_object_object_add(s, "publish", ps);
	return sum;
}

/* The settings, as shell assignments for medusa-reconcile and -sync, with
 * the metastore's generation (empty when there is none yet). */
static int print_settings(const struct config *cfg, const char *storage, const char *ms,
    const char *base, const char *where)
{
	long long gen = -1;
	char why[1024], g[32] = "";
	if (access(ms, F_OK) == 0 && !strstr(ms, "://")) {
		if (metastore_peek_generation(ms, &gen, why, sizeof why) < 0) {
			mwarn("%s", why);
			return EXIT_USAGE;
		}
		snprintf(g, sizeof g, "%lld", gen);
	}
	print_env("MEDUSA_ROOT", cfg->root);
	print_env("MEDUSA_FRONTYARD", cfg->frontyard_dir);
	print_env("MEDUSA_STORAGE", storage);
	print_env("MEDUSA_METASTORE", ms);
	print_env("MEDUSA_WORKDIR", cfg->workdir);
	print_env("MEDUSA_URL", base);
	print_env("MEDUSA_WHERE", where);
	print_env("MEDUSA_GENERATION", g);
	return close_stdout() < 0 ? EXIT_SOME : EXIT_ALLOK;
}

static long long grace_arg(const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		mdie(EXIT_USAGE, "--grace %s: seconds, a whole number from 0", s);
	return v;
}

/* An unnamed temporary file in TMPDIR (tmpfile(3) ignores it). */
static FILE *spool_file(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xstrdup(t && *t ? t : "/tmp");
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char *tmpl = xasprintf("%s/medusa-publish.XXXXXX", dir);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	free(dir);
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

/* The opened run: store, metastore (locked), the transaction, the spool. */
static void run_open(struct pub *p, const char *storage, const char *mspath)
{
	char why[1024];
	if (!(p->st = store_open(storage, why, sizeof why)))
		mdie(EXIT_USAGE, "%s", why);
	char *msdir = path_dirname(mspath);
	if (access(msdir, F_OK) < 0 && mkdir(msdir, 0755) < 0 && errno != EEXIST)
		mwarnerr("%s", msdir);
	free(msdir);
	if (!(p->ms = metastore_open(mspath, 0, why, sizeof why)))
		mdie(EXIT_USAGE, "%s", why);
	/* after the open, so that a path that is no metastore gets no lock
	 * file beside it; the open itself is safe beside a running publish */
	if (lock_metastore(mspath) < 0)
		exit(EXIT_USAGE);
	p->db = metastore_db(p->ms);
	if (sqlite3_create_function(p->db, "medusa_seen", 1, SQLITE_UTF8, p, seen_fn, NULL, NULL) != SQLITE_OK)
		mdie(EXIT_USAGE, "%s: %s", mspath, sqlite3_errmsg(p->db));
	p->now = (long long)time(NULL);
	p->dirty = xasprintf("%s.dirty", mspath);
	p->was_dirty = access(p->dirty, F_OK) == 0;
	if (p->workdir)
		p->workreal = realpath(p->workdir, NULL);
	json_object *b = json_object_new_string(p->base);
	const char *bj = json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	p->base_json = strndup(bj + 1, strlen(bj) - 2);
	json_object_put(b);
	if (!(p->spool = spool_file()))
		mdie(EXIT_USAGE, "cannot make a temporary file for the records in %s: %s",
		    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
	if (metastore_generation(p->ms, &p->gen, NULL) < 0 || metastore_begin(p->ms) < 0 ||
	    sql(p, "CREATE TEMP TABLE seen(id TEXT PRIMARY KEY, video TEXT, ok INTEGER) WITHOUT ROWID;"
	    " CREATE TEMP TABLE keep_video(video TEXT PRIMARY KEY) WITHOUT ROWID;"
	    " CREATE TEMP TABLE doomed(n INTEGER PRIMARY KEY);"
	    " CREATE TEMP TABLE touched(id TEXT PRIMARY KEY) WITHOUT ROWID;"
	    " CREATE TEMP TABLE orphans(key TEXT PRIMARY KEY) WITHOUT ROWID") < 0)
		mdie(EXIT_USAGE, "%s: cannot use the metastore", mspath);
}

/* After the commit: the records, the files whose grace ran out, the work
 * folders, and a sweep of storage when a killed run may have left files. */
static void run_finish(struct pub *p, long long gen0)
{
	if (remove_due(p) < 0)
		p->fatal = 1;
	if (p->workdir)
		clean_workdir(p);
	if (p->was_dirty && sweep(p) < 0)
		p->leftovers = 1;
	/* nothing this run put is unnamed now, and what a killed one put is
	 * gone: the mark goes */
	if ((p->was_dirty || p->made_dirty) && !p->leftovers && unlink(p->dirty) < 0 && errno != ENOENT)
		mwarnerr("%s", p->dirty);
	int out_ok = !p->out_failed && print_spool(p) == 0;
	json_object *sum = summary_record(p);
	if (!out_ok || ndjson_write(stdout, sum) < 0 || fflush(stdout) == EOF) {
		mwarnerr("generation %lld is published, but its records could not be written to "
		    "standard output", p->gen);
		p->fatal = 1;
	}
	json_object_put(sum);
	if (!p->quiet)
		mwarn("%lld clips published (%lld changed, %lld unchanged), %lld failed, "
		    "%lld error records passed, %lld pruned, %lld unused files removed; generation %lld%s",
		    p->clips, p->changed, p->unchanged, p->failed, p->errors, p->pruned, p->removed, p->gen,
		    p->gen == gen0 ? " (unchanged)" : "");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"prune", no_argument, NULL, 'p'},
		{"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"batch", required_argument, NULL, 'b'},
		{"grace", required_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pub p = {.prune_ok = 1, .grace = GRACE_DEFAULT};
	const char *dir = NULL, *storage = NULL, *mspath = NULL, *base = NULL, *where = NULL;
	int env = 0, c;
	while ((c = getopt_long(argc, argv, "b:C:Efg:hm:pqs:u:w:W:", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': {
			/* a run is one transaction now; -b is taken as before */
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100000)
				mdie(EXIT_USAGE, "-b %s: a batch is 1 to 100000 records", optarg);
			break;
		}
		case 'C': dir = optarg; break;
		case 'E': env = 1; break;
		case 'f': p.force = 1; break;
		case 'g': p.grace = grace_arg(optarg); break;
		case 'm': mspath = optarg; break;
		case 'p': p.prune = 1; break;
		case 'q': p.quiet = 1; break;
		case 's': storage = optarg; break;
		case 'u': base = optarg; break;
		case 'w': p.workdir = optarg; break;
		case 'W': where = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	struct config cfg = {0};
	int have_cfg = 0;
	if (!storage || !mspath || env || dir) {
		config_open(dir, &cfg);
		have_cfg = 1;
		if (!storage)
			storage = cfg.storage;
		if (!mspath)
			mspath = cfg.metastore;
		if (!base)
			base = cfg.base_url;
	}
	if (!base)
		base = "/files/";
	/* (a bad rule ends the run here, before anything is done) */
	p.where = rule_open(where, have_cfg ? &cfg : NULL);
	if (env) {
		int rc = print_settings(&cfg, storage, mspath, base, where ? where : cfg.where);
		rule_free(p.where);
		config_free(&cfg);
		return rc;
	}
	if (strstr(mspath, "://"))
		mdie(EXIT_USAGE, "%s: medusa-publish writes a local metastore file "
		    "(medusa-sync copies it to the cloud)", mspath);
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "cannot initialise libsodium");
	p.base = base;
	p.where_text = p.where ? rule_canonical(p.where) : xstrdup("");
	run_open(&p, storage, mspath);
	long long gen0 = p.gen;
	p.rd = ndjson_open(stdin, "stdin");
	read_records(&p);
	ndjson_close(p.rd);
	if (!p.fatal && p.prune && prune(&p) < 0)
		p.fatal = 1;
	if (p.fatal || commit(&p) < 0) {
		metastore_rollback(p.ms);
		mwarn("%s: publishing failed: nothing of this run was committed (generation %lld "
		    "stays)", metastore_path(p.ms), gen0);
		p.fatal = 1;
	} else {
		run_finish(&p, gen0);
	}
	fclose(p.spool);
	json_object_put(p.summary);
	sqlite3_finalize(p.q_seen);
	sqlite3_finalize(p.q_keep);
	sqlite3_finalize(p.q_touch);
	metastore_close(p.ms);
	store_close(p.st);
	free(p.dirty);
	free(p.rows);
	free(p.workreal);
	free(p.base_json);
	free(p.where_text);
	rule_free(p.where);
	if (have_cfg)
		config_free(&cfg);
	if (close_stdout() < 0)
		p.fatal = 1;
	return p.fatal ? EXIT_SOME : p.failed ? EXIT_SOME : EXIT_ALLOK;
}
