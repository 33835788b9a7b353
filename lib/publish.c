/* publish.c: one publish run (publish.h): the metastore and storage
 * opened, each record line into the transaction, the prune, the commit,
 * and what follows it. */
#include "publish_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* METASTORE.lock: one publish at a time. The fd, or -1 after a message. */
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

/* The store and the metastore (locked). 0 or -1 after a message. */
static int open_both(struct publish *p, const char *storage, const char *mspath)
{
	char err[1024];
	if (!(p->st = store_open(storage, err, sizeof err))) {
		mwarn("%s", err);
		return -1;
	}
	char *msdir = path_dirname(mspath);
	if (access(msdir, F_OK) < 0 && mkdir(msdir, 0755) < 0 && errno != EEXIST)
		mwarnerr("%s", msdir);
	free(msdir);
	if (!(p->ms = metastore_open(mspath, 0, err, sizeof err))) {
		mwarn("%s", err);
		return -1;
	}
	/* after the open, so that a path that is no metastore gets no lock
	 * file beside it; the open itself is safe beside a running publish */
	return (p->lock = lock_metastore(mspath)) < 0 ? -1 : 0;
}

struct publish *publish_open(const struct publish_opts *o)
{
	struct publish *p = xcalloc(1, sizeof *p);
	p->prune_ok = 1;
	p->lock = -1;
	p->base = o->base;
	p->prune = o->prune;
	p->force = o->force;
	p->quiet = o->quiet;
	p->grace = o->grace;
	p->workdir = o->workdir;
	p->where = o->where;
	p->where_text = o->where_text;
	if (open_both(p, o->storage, o->metastore) < 0)
		goto fail;
	p->now = (long long)time(NULL);
	p->dirty = xasprintf("%s.dirty", o->metastore);
	p->was_dirty = access(p->dirty, F_OK) == 0;
	if (p->workdir)
		p->workreal = realpath(p->workdir, NULL);
	json_object *b = json_object_new_string(p->base);
	const char *bj = json_object_to_json_string_ext(b,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	p->base_json = strndup(bj + 1, strlen(bj) - 2);
	json_object_put(b);
	if (!(p->spool = publish_spool_file())) {
		mwarn("cannot make a temporary file for the records in %s: %s",
		    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
		goto fail;
	}
	if (metastore_generation(p->ms, &p->gen, NULL) < 0 || metastore_begin(p->ms) < 0 ||
	    !(p->run = metastore_run_open(p->ms))) {
		mwarn("%s: cannot use the metastore", o->metastore);
		goto fail;
	}
	p->gen0 = p->gen;
	return p;
fail:
	publish_close(p);
	return NULL;
}

/* An error record: prune keeps what it names, and it passes through. */
static int error_record(struct publish *p, json_object *rec)
{
	const char *clip = jstr(rec, "clip"), *video = jstr(rec, "video");
	p->errors++;
	if (!clip && !video) {
		if (p->prune_ok && p->prune)
			mwarn("an error record names no video: not pruning");
		p->prune_ok = 0;
	}
	int r = metastore_seen_error(p->run, clip, video) < 0 ? -1 : 0;
	if (r == 0)
		publish_emit(p, rec, 0);
	json_object_put(rec);
	return r;
}

/* One record (parsed), which the call takes. -1: fatal. */
static int add_record(struct publish *p, json_object *rec, const unsigned char *rechash)
{
	if (ndjson_is_summary(rec)) {
		json_object *s = json_object_object_get(rec, "summary"), *c;
		p->complete = json_object_object_get_ex(s, "complete", &c) &&
		    json_object_get_boolean(c);
		json_object_put(p->summary);
		p->summary = rec;
		return 0;
	}
	if (ndjson_is_error(rec))
		return error_record(p, rec);
	return publish_clip_record(p, rec, rechash);
}

int publish_line(struct publish *p, struct ndjson_reader *rd, const char *line, size_t len)
{
	unsigned char h[RECHASH_LEN];
	json_object *rec;
	publish_record_hash(p, line, len, h);
	int k = publish_known_line(p, line, len, h);
	if (k != 0) {
		p->fatal |= k < 0;
	} else if (ndjson_parse_line(rd, line, len, &rec) != NDJSON_RECORD) {
		/* a line we cannot read may have been any clip */
		p->prune_ok = 0;
		p->failed++;
	} else if (add_record(p, rec, h) < 0) {
		p->fatal = 1;
	}
	return p->fatal ? -1 : 0;
}

/* Inside the run's transaction: the clips gone from a complete scan. Their
 * files go into the garbage table. -1: fatal. */
static int prune(struct publish *p)
{
	if (!p->complete) {
		mwarn("not pruning: the input did not end with a complete scan summary");
		return 0;
	}
	if (!p->prune_ok || p->fatal) {
		mwarn("not pruning: this input was not read whole");
		return 0;
	}
	long long doomed = metastore_prune_pick(p->run);
	if (doomed < 0)
		return -1;
	long long total = metastore_count(p->ms);
	if (total < 0)
		return -1;
	if (doomed == 0)
		return 0;
	if (doomed * 2 > total && !p->force) {
		if (metastore_seen_count(p->run) == 0)
			mwarn("the input holds no clips: refusing to prune all %lld clips "
			    "(an empty or unmounted backyard?); --force does it", total);
		else
			mwarn("refusing to prune %lld of %lld clips (more than half: an unmounted "
			    "folder?); --force does it", doomed, total);
		p->failed++;
		return 0;
	}
	if (metastore_prune(p->run, p->now) < 0)
		return -1;
	p->pruned += doomed;
	return 0;
}

/* The run's one commit: the generation moves when a row changed. */
static int commit(struct publish *p)
{
	int moved = p->changed || p->pruned;
	if (moved && (metastore_garbage_unref(p->ms) < 0 ||
	    metastore_set_generation(p->ms, p->gen + 1, p->now) < 0))
		return -1;
	publish_crash_point();
	if (metastore_commit(p->ms) < 0)
		return -1;
	publish_crash_point();
	if (moved)
		p->gen++;
	return 0;
}

/* The input's summary record (or a new one) with the run's counts. */
static json_object *summary_record(struct publish *p)
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

/* After the commit: the files whose grace ran out, the work folders, a
 * sweep of storage when a killed run may have left files, the records. */
static void finish(struct publish *p)
{
	if (publish_remove_due(p) < 0)
		p->fatal = 1;
	if (p->workdir)
		publish_clean_workdir(p);
	if (p->was_dirty && publish_sweep(p) < 0)
		p->leftovers = 1;
	/* nothing this run put is unnamed now, and what a killed one put is
	 * gone: the mark goes */
	if ((p->was_dirty || p->made_dirty) && !p->leftovers && unlink(p->dirty) < 0 && errno != ENOENT)
		mwarnerr("%s", p->dirty);
	int out_ok = !p->out_failed && publish_print_spool(p) == 0;
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
		    p->gen == p->gen0 ? " (unchanged)" : "");
}

int publish_end(struct publish *p, int whole)
{
	if (!whole)
		p->fatal = 1;
	if (!p->fatal && p->prune && prune(p) < 0)
		p->fatal = 1;
	if (p->fatal || commit(p) < 0) {
		metastore_rollback(p->ms);
		mwarn("%s: publishing failed: nothing of this run was committed (generation %lld "
		    "stays)", metastore_path(p->ms), p->gen0);
		p->fatal = 1;
	} else {
		finish(p);
	}
	return p->fatal || p->failed ? -1 : 0;
}

void publish_close(struct publish *p)
{
	if (!p)
		return;
	if (p->spool)
		fclose(p->spool);
	json_object_put(p->summary);
	metastore_run_close(p->run);
	metastore_close(p->ms);
	store_close(p->st);
	if (p->lock >= 0)
		close(p->lock);
	free(p->dirty);
	free(p->workreal);
	free(p->base_json);
	free(p);
}
