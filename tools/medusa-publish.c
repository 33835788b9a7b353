/* medusa-publish: rendition records in; their files into frontyard storage,
 * their clips into the metastore, the records out with each rendition's url.
 * With --prune, clips gone from a complete scan leave the frontyard. */
#include "atomic.h"
#include "backyard.h"
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct item {
	json_object *rec;               /* printed after the batch commits */
	int clip;                       /* a clip to publish (else pass through) */
	int excluded;                   /* a clip outside the rule: withdrawn */
	struct ms_clip c;
	struct ms_rendition *r;
	char **urls;
	char **oldkeys;                 /* keys of the row this one replaces */
	size_t noldkeys;
};

struct pub {
	struct store *st;
	struct metastore *ms;
	sqlite3 *db;
	const char *base;
	int prune, force, quiet;
	size_t batch;
	struct item *items;
	size_t nitems;
	long long gen, now;
	/* counts */
	long long clips, changed, unchanged, failed, errors, pruned, removed;
	int complete, prune_ok, fatal;
	json_object *summary;
	sqlite3_stmt *q_seen, *q_keep;
	const char *workdir;            /* -w: medusa-cut's, cleaned on prune */
	struct rule *where;             /* -W or frontyard.where: what this frontyard carries */
	long long excluded;
	long long workcleaned;
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
	fprintf(stderr, "usage: medusa-publish [-fpq] [-b N] [-C backyard] [-s storage] "
	    "[-m metastore] [-u base-url] [-w workdir] [-W rule] [< renditions]\n"
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
	it->r = xcalloc(c->nr, sizeof *it->r);
	it->urls = xcalloc(c->nr, sizeof *it->urls);
	c->r = it->r;
	for (size_t i = 0; i < c->nr; i++) {
		json_object *o = json_object_array_get_idx(rends, i);
		struct ms_rendition *r = &it->r[i];
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
		const char *file = jstr(o, "file"), *bad = NULL;
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
		size_t pl = strlen(c->id) + strlen(r->version) + strlen(r->profile) + 9;
		char *want = xasprintf("clips/%s/%s/%s.", c->id, r->version, r->profile);
		int keyok = r->key && store_key_valid(r->key) && strncmp(r->key, want, pl) == 0 &&
		    valid_name(r->key + pl) && !strchr(r->key + pl, '-') && !strchr(r->key + pl, '_');
		free(want);
		if (!keyok) {
			snprintf(why, n, "renditions[%zu]: \"key\" must be clips/%s/%s/%s.EXT", i,
			    c->id, r->version, r->profile);
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
	}
	return NULL;
}

static void item_free(struct item *it)
{
	json_object_put(it->rec);
	for (size_t i = 0; i < it->c.nr; i++)
		free(it->urls ? it->urls[i] : NULL);
	free(it->urls);
	free(it->r);
	for (size_t i = 0; i < it->noldkeys; i++)
		free(it->oldkeys[i]);
	free(it->oldkeys);
	memset(it, 0, sizeof *it);
}

/* Remembers what this run saw, so that prune keeps it: a clip id (ok: a
 * published clip, whose id must not come twice) or a whole video. 1 new,
 * 0 a second published clip with that id, -1 error. */
static int remember(struct pub *p, const char *clip, const char *video, int ok)
{
	sqlite3_stmt **q = clip ? &p->q_seen : &p->q_keep;
	if (!*q && !(*q = prep(p, clip ?
	    "INSERT INTO temp.seen(id, video, ok) VALUES (?1, ?2, ?3) ON CONFLICT(id)"
	    " DO UPDATE SET ok = 1, video = excluded.video WHERE ok = 0 AND excluded.ok = 1" :
	    "INSERT OR IGNORE INTO temp.keep_video(video) VALUES (?2)")))
		return -1;
	sqlite3_reset(*q);
	if (clip)
		sqlite3_bind_text(*q, 1, clip, -1, SQLITE_STATIC);
	sqlite3_bind_text(*q, 2, video ? video : "", -1, SQLITE_STATIC);
	if (clip)
		sqlite3_bind_int(*q, 3, ok);
	int r = sqlite3_step(*q);
	sqlite3_reset(*q);
	if (r != SQLITE_DONE) {
		mwarn("%s: %s", metastore_path(p->ms), sqlite3_errmsg(p->db));
		return -1;
	}
	return clip && ok && sqlite3_changes(p->db) == 0 ? 0 : 1;
}

static int add_oldkey(void *arg, const char *key)
{
	struct item *it = arg;
	it->oldkeys = xrealloc(it->oldkeys, (it->noldkeys + 1) * sizeof *it->oldkeys);
	it->oldkeys[it->noldkeys++] = xstrdup(key);
	return 0;
}

/* Puts a clip's files into storage; a clip whose row already holds exactly
 * this needs only its keys to exist. On a failure the keys this call added
 * go again, so a failed clip leaves nothing behind. 0 or -1 (item failed). */
static int put_files(struct pub *p, struct item *it, int unchanged)
{
	const char **added = xcalloc(it->c.nr, sizeof *added);
	size_t nadded = 0;
	int r = 0;
	for (size_t i = 0; i < it->c.nr; i++) {
		const struct ms_rendition *rd = &it->r[i];
		long long size = -1;
		int s = store_stat(p->st, rd->key, &size, NULL, 0);
		if (unchanged && s == 1 && size == rd->bytes)
			continue;
		json_object *o = json_object_array_get_idx(json_object_object_get(it->rec, "renditions"), i);
		if (store_put_file(p->st, rd->key, jstr(o, "file"), rd->mime, rd->hash, 1) < 0) {
			if (nadded && store_remove(p->st, added, nadded) < 0)
				mwarn("%s: some files of a failed clip stay (a later --prune removes them)",
				    p->st->url);
			fail_item(p, it, "%s: cannot put into storage %s", rd->key, p->st->url);
			r = -1;
			break;
		}
		if (s == 0)
			added[nadded++] = rd->key;
		crash_point();
	}
	free(added);
	return r;
}

static void remove_keys(struct pub *p, char **keys, size_t n)
{
	if (n && store_remove(p->st, (const char *const *)keys, n) < 0)
		mwarn("%s: some old files could not be removed (a later --prune retries)", p->st->url);
	p->removed += (long long)n;
	if (n)
		crash_point();
}

/* A clip outside the publication rule: seen (prune leaves it to this),
 * and its row, when there is one, goes now; its files go after the
 * commit, as a replaced version's do. 1 a row went, 0 none, -1 error. */
static int withdraw(struct pub *p, struct item *it)
{
	const char *id = jstr(it->rec, "clip");
	if (remember(p, id, jstr(it->rec, "video"), 1) < 0 ||
	    metastore_clip_keys(p->ms, id, add_oldkey, it) < 0)
		return -1;
	int r = metastore_delete_clip(p->ms, id);
	if (r > 0)
		p->pruned++;
	return r;
}

/* Publishes the items read so far: files first, then the rows in one
 * transaction, then the records, then the files the rows no longer name. */
static int flush(struct pub *p)
{
	if (p->nitems == 0)
		return 0;
	long long changed = 0;
	if (metastore_begin(p->ms) < 0)
		goto fatal;
	for (size_t i = 0; i < p->nitems; i++) {
		struct item *it = &p->items[i];
		if (it->excluded) {
			int w = withdraw(p, it);
			if (w < 0)
				goto fatal_tx;
			changed += w;
			continue;
		}
		if (!it->clip) {
			const char *clip = jstr(it->rec, "clip"), *video = jstr(it->rec, "video");
			if (!clip && !video) {
				if (p->prune_ok && p->prune)
					mwarn("an error record names no video: not pruning");
				p->prune_ok = 0;
			}
			if (remember(p, clip, video, 0) < 0)
				goto fatal_tx;
			continue;
		}
		int r = remember(p, it->c.id, it->c.video, 1);
		if (r < 0)
			goto fatal_tx;
		if (r == 0) {
			fail_item(p, it, "clip id %s comes twice in this input: the second is not published",
			    it->c.id);
			continue;
		}
		char fp[HASH_HEX_LEN + 1], old[HASH_HEX_LEN + 1];
		metastore_fingerprint(&it->c, fp);
		int had = metastore_clip_fingerprint(p->ms, it->c.id, old, sizeof old);
		if (had < 0)
			goto fatal_tx;
		int unchanged = had == 1 && strcmp(fp, old) == 0;
		if (put_files(p, it, unchanged) < 0)
			continue;
		p->clips++;
		if (unchanged) {
			p->unchanged++;
			continue;
		}
		if (had == 1 && metastore_clip_keys(p->ms, it->c.id, add_oldkey, it) < 0)
			goto fatal_tx;
		if (metastore_put_clip(p->ms, &it->c, p->gen + 1, p->now) < 0)
			goto fatal_tx;
		changed++;
	}
	if (changed && metastore_set_generation(p->ms, p->gen + 1, p->now) < 0)
		goto fatal_tx;
	crash_point();
	if (metastore_commit(p->ms) < 0)
		goto fatal_tx;
	crash_point();
	if (changed)
		p->gen++;
	p->changed += changed;
	for (size_t i = 0; i < p->nitems; i++) {
		struct item *it = &p->items[i];
		if (ndjson_write(stdout, it->rec) < 0) {
			mwarnerr("write error on standard output");
			p->fatal = 1;
			break;
		}
		/* old versions go only now that no committed row names them */
		size_t k = 0;
		for (size_t j = 0; j < it->noldkeys; j++) {
			int keep = 0;
			for (size_t m = 0; it->clip && m < it->c.nr && !keep; m++)
				keep = strcmp(it->oldkeys[j], it->r[m].key) == 0;
			if (!keep)
				it->oldkeys[k++] = it->oldkeys[j];
			else
				free(it->oldkeys[j]);
		}
		it->noldkeys = k;
		remove_keys(p, it->oldkeys, k);
	}
	for (size_t i = 0; i < p->nitems; i++)
		item_free(&p->items[i]);
	p->nitems = 0;
	return p->fatal ? -1 : 0;
fatal_tx:
	metastore_rollback(p->ms);
fatal:
	mwarn("%s: publishing a batch failed: nothing of it was committed", metastore_path(p->ms));
	for (size_t i = 0; i < p->nitems; i++)
		item_free(&p->items[i]);
	p->nitems = 0;
	p->fatal = 1;
	return -1;
}

static int add_record(struct pub *p, json_object *rec)
{
	if (ndjson_is_summary(rec)) {
		json_object *s = json_object_object_get(rec, "summary"), *c;
		p->complete = json_object_object_get_ex(s, "complete", &c) &&
		    json_object_get_boolean(c);
		json_object_put(p->summary);
		p->summary = rec;
		return 0;
	}
	struct item *it = &p->items[p->nitems++];
	memset(it, 0, sizeof *it);
	it->rec = rec;
	if (ndjson_is_error(rec)) {
		p->errors++;
	} else {
		char why[512];
		const char *bad;
		it->clip = 1;
		if (p->where && clip_id_valid(jstr(rec, "clip") ? jstr(rec, "clip") : "") &&
		    !rule_match(p->where, json_object_object_get(rec, "tags"))) {
			it->clip = 0;
			it->excluded = 1;
			p->excluded++;
		} else if ((bad = parse_clip(p, it, why, sizeof why))) {
			fail_item(p, it, "%s", bad);
		}
	}
	return p->nitems == p->batch ? flush(p) : 0;
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

/* Files under clips/ that no row names: left by a run killed between its
 * commit and its removals. */
static int collect_garbage(struct pub *p)
{
	struct orphans o = {p, prep(p, "SELECT 1 FROM renditions WHERE key = ?1"),
		prep(p, "INSERT OR IGNORE INTO temp.orphans(key) VALUES (?1)"), 0, 0};
	int r = -1;
	if (!o.ref || !o.add || sql(p, "DELETE FROM temp.orphans") < 0)
		goto out;
	if (store_list(p->st, "clips/", each_key, &o) != 0) {
		mwarn("%s: cannot list storage: old files stay", p->st->url);
		goto out;
	}
	if (o.n * 2 > o.keys && o.n > 8 && !p->force) {
		mwarn("%s: %lld of %lld files are named by no clip; not removing so many "
		    "(--force does)", p->st->url, o.n, o.keys);
		r = 0;
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

/* Drops the version folders of medusa-cut's work directory that no row
 * names (WORK/CLIP/VERSION/ holds the files of key clips/CLIP/VERSION/...):
 * the renditions of pruned clips and of replaced versions. Only plain files
 * directly inside such a folder are removed; anything else stays. */
static void clean_workdir(struct pub *p)
{
	DIR *top = opendir(p->workdir);
	if (!top) {
		if (errno != ENOENT)
			mwarnerr("%s", p->workdir);
		return;
	}
	sqlite3_stmt *q = prep(p, "SELECT 1 FROM renditions WHERE key >= ?1 AND key < ?2 LIMIT 1");
	struct dirent *c;
	while (q && (c = readdir(top))) {
		if (c->d_name[0] == '.' || !clip_id_valid(c->d_name))
			continue;
		char *cdir = path_join(p->workdir, c->d_name);
		DIR *cd = opendir(cdir);
		struct dirent *v;
		while (cd && (v = readdir(cd))) {
			if (!hexname(v->d_name))
				continue;
			char *lo = xasprintf("clips/%s/%s/", c->d_name, v->d_name);
			char *hi = xasprintf("clips/%s/%s0", c->d_name, v->d_name);
			sqlite3_reset(q);
			sqlite3_bind_text(q, 1, lo, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, hi, -1, SQLITE_STATIC);
			int r = sqlite3_step(q);
			sqlite3_reset(q);
			free(lo);
			free(hi);
			if (r != SQLITE_DONE)
				continue; /* named by a row, or an error: keep it */
			char *vdir = path_join(cdir, v->d_name);
			int fd = open(vdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			DIR *vd = fd >= 0 ? fdopendir(fd) : NULL;
			struct dirent *f;
			while (vd && (f = readdir(vd))) {
				struct stat st;
				if (strcmp(f->d_name, ".") && strcmp(f->d_name, "..") &&
				    fstatat(fd, f->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISREG(st.st_mode) && unlinkat(fd, f->d_name, 0) < 0)
					mwarnerr("%s/%s", vdir, f->d_name);
			}
			if (vd)
				closedir(vd);
			else if (fd >= 0)
				close(fd);
			if (rmdir(vdir) == 0)
				p->workcleaned++;
			free(vdir);
		}
		if (cd)
			closedir(cd);
		rmdir(cdir); /* when it is empty now */
		free(cdir);
	}
	sqlite3_finalize(q);
	closedir(top);
}

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
	if (metastore_begin(p->ms) < 0)
		return -1;
	if (sql(p, "DELETE FROM temp.doomed; DELETE FROM temp.doomed_keys;"
	    " INSERT INTO temp.doomed(n) SELECT n FROM clips"
	    " WHERE id NOT IN (SELECT id FROM temp.seen)"
	    " AND video NOT IN (SELECT video FROM temp.keep_video)") < 0)
		goto fail;
	long long doomed = sqlite3_changes(p->db), total = metastore_count(p->ms);
	if (total < 0)
		goto fail;
	if (doomed == 0) {
		metastore_rollback(p->ms);
		if (p->workdir)
			clean_workdir(p);
		return collect_garbage(p);
	}
	if (doomed * 2 > total && !p->force) {
		sqlite3_stmt *q = prep(p, "SELECT count(*) FROM temp.seen");
		long long seen = q && sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
		sqlite3_finalize(q);
		if (seen == 0)
			mwarn("the input holds no clips: refusing to prune all %lld clips "
			    "(an empty or unmounted backyard?); --force does it", total);
		else
			mwarn("refusing to prune %lld of %lld clips (more than half: an unmounted "
			    "folder?); --force does it", doomed, total);
		metastore_rollback(p->ms);
		p->failed++;
		return 0;
	}
	if (sql(p, "INSERT INTO temp.doomed_keys(key) SELECT key FROM renditions"
	    " WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM renditions WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM tags WHERE clip IN (SELECT n FROM temp.doomed);"
	    " DELETE FROM clips WHERE n IN (SELECT n FROM temp.doomed)") < 0 ||
	    metastore_set_generation(p->ms, p->gen + 1, p->now) < 0)
		goto fail;
	crash_point();
	if (metastore_commit(p->ms) < 0)
		goto fail;
	crash_point();
	p->gen++;
	p->pruned = doomed;
	/* rows are gone and committed: now their files */
	if (remove_listed(p, "doomed_keys") < 0)
		return -1;
	if (p->workdir)
		clean_workdir(p);
	return collect_garbage(p);
fail:
	metastore_rollback(p->ms);
	return -1;
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"prune", no_argument, NULL, 'p'},
		{"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"batch", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pub p = {.batch = 500, .prune_ok = 1};
	const char *dir = NULL, *storage = NULL, *mspath = NULL, *base = NULL, *where = NULL;
	int env = 0, c;
	while ((c = getopt_long(argc, argv, "b:C:Efhm:pqs:u:w:W:", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100000)
				mdie(EXIT_USAGE, "-b %s: a batch is 1 to 100000 records", optarg);
			p.batch = (size_t)v;
			break;
		}
		case 'C': dir = optarg; break;
		case 'E': env = 1; break;
		case 'f': p.force = 1; break;
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
	p.where = rule_open(where, have_cfg ? &cfg : NULL);
	if (env) {
		print_env("MEDUSA_ROOT", cfg.root);
		print_env("MEDUSA_FRONTYARD", cfg.frontyard_dir);
		print_env("MEDUSA_STORAGE", storage);
		print_env("MEDUSA_METASTORE", mspath);
		print_env("MEDUSA_WORKDIR", cfg.workdir);
		print_env("MEDUSA_URL", base);
		print_env("MEDUSA_WHERE", where ? where : cfg.where);
		rule_free(p.where);
		config_free(&cfg);
		return close_stdout() < 0 ? EXIT_SOME : EXIT_ALLOK;
	}
	if (strstr(mspath, "://"))
		mdie(EXIT_USAGE, "%s: medusa-publish writes a local metastore file "
		    "(medusa-sync copies it to the cloud)", mspath);
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "cannot initialise libsodium");
	char why[1024];
	if (!(p.st = store_open(storage, why, sizeof why)))
		mdie(EXIT_USAGE, "%s", why);
	{
		char *msdir = path_dirname(mspath);
		if (access(msdir, F_OK) < 0 && mkdir(msdir, 0755) < 0 && errno != EEXIST)
			mwarnerr("%s", msdir);
		free(msdir);
	}
	if (!(p.ms = metastore_open(mspath, 0, why, sizeof why)))
		mdie(EXIT_USAGE, "%s", why);
	/* after the open, so that a path that is no metastore gets no lock
	 * file beside it; the open itself is safe beside a running publish */
	int lockfd = lock_metastore(mspath);
	if (lockfd < 0)
		return EXIT_USAGE;
	p.db = metastore_db(p.ms);
	p.base = base;
	p.now = (long long)time(NULL);
	if (metastore_generation(p.ms, &p.gen, NULL) < 0 ||
	    sql(&p, "CREATE TEMP TABLE seen(id TEXT PRIMARY KEY, video TEXT, ok INTEGER) WITHOUT ROWID;"
	    " CREATE TEMP TABLE keep_video(video TEXT PRIMARY KEY) WITHOUT ROWID;"
	    " CREATE TEMP TABLE doomed(n INTEGER PRIMARY KEY);"
	    " CREATE TEMP TABLE doomed_keys(key TEXT);"
	    " CREATE TEMP TABLE orphans(key TEXT PRIMARY KEY) WITHOUT ROWID") < 0)
		mdie(EXIT_USAGE, "%s: cannot use the metastore", mspath);
	p.items = xcalloc(p.batch, sizeof *p.items);
	long long gen0 = p.gen;

	struct ndjson_reader *rd = ndjson_open(stdin, "stdin");
	json_object *rec;
	int r;
	while (!p.fatal && (r = ndjson_next(rd, &rec)) != NDJSON_EOF) {
		if (r == NDJSON_IOERR) {
			p.fatal = 1;
			break;
		}
		if (r == NDJSON_BAD) {
			/* a line we cannot read may have been any clip */
			p.prune_ok = 0;
			p.failed++;
			continue;
		}
		add_record(&p, rec);
	}
	ndjson_close(rd);
	if (!p.fatal)
		flush(&p);
	if (p.prune && prune(&p) < 0)
		p.fatal = 1;

	json_object *sum = p.summary ? p.summary : json_object_new_object();
	json_object *s = json_object_object_get(sum, "summary");
	if (!s) {
		s = json_object_new_object();
		json_object_object_add(sum, "summary", s);
	}
	json_object *ps = json_object_new_object();
	json_object_object_add(ps, "clips", json_object_new_int64(p.clips));
	json_object_object_add(ps, "changed", json_object_new_int64(p.changed));
	json_object_object_add(ps, "unchanged", json_object_new_int64(p.unchanged));
	json_object_object_add(ps, "failed", json_object_new_int64(p.failed));
	json_object_object_add(ps, "errors", json_object_new_int64(p.errors));
	json_object_object_add(ps, "pruned", json_object_new_int64(p.pruned));
	json_object_object_add(ps, "excluded", json_object_new_int64(p.excluded));
	json_object_object_add(ps, "removed", json_object_new_int64(p.removed));
	json_object_object_add(ps, "generation", json_object_new_int64(p.gen));
	json_object_object_add(s, "publish", ps);
	if (ndjson_write(stdout, sum) < 0)
		p.fatal = 1;
	json_object_put(sum);
	if (!p.quiet)
		mwarn("%lld clips published (%lld changed, %lld unchanged), %lld failed, "
		    "%lld error records passed, %lld pruned; generation %lld%s",
		    p.clips, p.changed, p.unchanged, p.failed, p.errors, p.pruned, p.gen,
		    p.gen == gen0 ? " (unchanged)" : "");

	free(p.items);
	rule_free(p.where);
	sqlite3_finalize(p.q_seen);
	sqlite3_finalize(p.q_keep);
	metastore_close(p.ms);
	store_close(p.st);
	close(lockfd);
	if (have_cfg)
		config_free(&cfg);
	if (close_stdout() < 0)
		p.fatal = 1;
	return p.fatal || p.failed ? EXIT_SOME : EXIT_ALLOK;
}
