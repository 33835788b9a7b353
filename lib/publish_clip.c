/* publish_clip.c: one clip record into the run's transaction
 * (publish_int.h): read and checked, its files put into storage, its row
 * made, kept or withdrawn, then the record out. */
#include "publish_int.h"
#include "atomic.h"
#include "hash.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct item {
	json_object *rec;               /* printed (or spooled) once the clip is done */
	int changed;                    /* its row changes in this run: spooled */
	struct ms_clip c;
	struct ms_rendition *r;
	char **urls;
};

/* Turns item into an error record for its clip, keeping that clip's row. */
static void fail_item(struct publish *p, struct item *it, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_item(struct publish *p, struct item *it, const char *fmt, ...)
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

static char *url_of(const char *base, const char *key)
{
	size_t n = strlen(base);
	return xasprintf("%s%s%s", base, n && base[n - 1] != '/' ? "/" : "", key);
}

/* One rendition of a record into r; NULL, or what is wrong with it. */
static const char *parse_rendition(struct publish *p, struct item *it, size_t i, char *err,
    size_t errlen)
{
	json_object *o = json_object_array_get_idx(json_object_object_get(it->rec, "renditions"), i);
	struct ms_rendition *r = &it->r[i];
	const char *id = it->c.id, *bad = NULL;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "renditions[%zu]: not an object", i);
		return err;
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
	else if (!publish_valid_hex(r->version, 1, 64))
		bad = "no valid \"version\" (hex)";
	else if (!publish_valid_hex(r->hash, HASH_HEX_LEN, HASH_HEX_LEN))
		bad = "no valid \"hash\" (BLAKE2b-256, hex)";
	else if (!r->mime || !*r->mime)
		bad = "no \"mime\"";
	else if (!file || !*file)
		bad = "no \"file\"";
	else if (jint64(o, "bytes", &r->bytes) < 0 || r->bytes < 0)
		bad = "no valid \"bytes\"";
	if (bad) {
		snprintf(err, errlen, "renditions[%zu]: %s", i, bad);
		return err;
	}
	/* the key is immutable and names the clip, version and profile */
	size_t pl = strlen(id) + strlen(r->version) + strlen(r->profile) + 9;
	char *want = xasprintf("clips/%s/%s/%s.", id, r->version, r->profile);
	int keyok = r->key && store_key_valid(r->key) && strncmp(r->key, want, pl) == 0 &&
	    valid_name(r->key + pl) && !strchr(r->key + pl, '-') && !strchr(r->key + pl, '_');
	free(want);
	if (!keyok) {
		snprintf(err, errlen, "renditions[%zu]: \"key\" must be clips/%s/%s/%s.EXT", i, id,
		    r->version, r->profile);
		return err;
	}
	for (size_t j = 0; j < i; j++)
		if (strcmp(it->r[j].profile, r->profile) == 0) {
			snprintf(err, errlen, "renditions[%zu]: profile %s appears twice", i, r->profile);
			return err;
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
static const char *parse_clip(struct publish *p, struct item *it, char *err, size_t errlen)
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
		const char *bad = parse_rendition(p, it, i, err, errlen);
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

/* Before the first file goes into storage: a mark that says files may be
 * there that no committed row names, until this run commits (a kill in
 * between leaves it, and the next run sweeps storage). */
static int mark_dirty(struct publish *p)
{
	if (p->made_dirty || p->was_dirty)
		return 0;
	int fd = open(p->dirty, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	char *dir = path_dirname(p->dirty);
	int r = fd < 0 || fsync(fd) < 0 || atomic_fsync_dir(dir) < 0 ? -1 : 0;
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
static int drop_damaged(struct publish *p, const char *file)
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
static int put_files(struct publish *p, struct item *it, int unchanged)
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
		publish_crash_point();
	}
	free(added);
	return r;
}

struct oldkeys {
	struct publish *p;
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
static int drop_row(struct publish *p, const char *id, long long since)
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
static int unpublish(struct publish *p, const char *id)
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
static int withdraw(struct publish *p, const char *id)
{
	int r = drop_row(p, id, 0);
	if (r > 0) {
		p->pruned++;
		if (publish_touch(p, id) < 0)
			return -1;
	}
	p->excluded++;
	return r < 0 ? -1 : 0;
}

/* Publishes one clip record into the open transaction. -1: fatal. */
static int publish_clip(struct publish *p, struct item *it, const unsigned char *rechash)
{
	char fp[HASH_HEX_LEN + 1], old[HASH_HEX_LEN + 1];
	long long row = 0;
	int had = metastore_clip_row(p->ms, it->c.id, &row, old, sizeof old);
	if (had < 0)
		return -1;
	/* a row this run published already: the same id twice */
	if (had == 1 && !metastore_seen_row(p->run, row)) {
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
	if (publish_touch(p, it->c.id) < 0)
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
	metastore_seen_row(p->run, n);
	p->changed++;
	it->changed = 1;
	return 0;
}

int publish_clip_record(struct publish *p, json_object *rec, const unsigned char *rechash)
{
	struct item it = {.rec = rec};
	char err[512];
	const char *bad, *id = jstr(rec, "clip");
	int r = 0;
	if (p->where && id && clip_id_valid(id) &&
	    !rule_match(p->where, json_object_object_get(rec, "tags")))
		r = withdraw(p, id);
	else if ((bad = parse_clip(p, &it, err, sizeof err)))
		fail_item(p, &it, "%s", bad);
	else
		r = publish_clip(p, &it, rechash);
	if (r == 0)
		publish_emit(p, it.rec, it.changed);
	item_free(&it);
	return r;
}
