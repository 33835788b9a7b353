/* medusa-cut: clip records in, the same records with their renditions out;
 * each clip into each profile, one decode per clip (medusa-cut(1)). */
#include "atomic.h"
#include "config.h"
#include "hash.h"
#include "media.h"
#include "profile.h"
#include "ndjson.h"
#include "timefmt.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct job {
	json_object *rec;
	unsigned long n;              /* clip number, from 1 */
	struct job *next;
};

static struct {
	struct config cfg;
	const char *workdir;
	const struct profile **profiles;
	size_t nprofiles;
	int quiet, tty, verbose;
	mode_t mode;                  /* of renditions: 0666 less the umask */
	pthread_mutex_t mu;           /* stdout, stderr lines, the queue, counters */
	pthread_cond_t cv;
	struct job *head, *tail;
	size_t queued, maxq, busy;   /* busy: jobs a worker has taken */
	int eof;
	unsigned long clips, failed;
	int write_failed;
	struct media_fpcache *fpcache;
	struct media_index *index;
	int workfd;                   /* the work directory, for *at(2) */
	int plain_workdir;            /* its name needs no escaping in JSON */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static volatile sig_atomic_t stop_signal;

/* SIGINT, SIGTERM: stop the clips under way (their temporary files are
 * removed), read no more, then die of the same signal. */
static void on_signal(int sig)
{
	stop_signal = sig;
	media_interrupt();
}

static noreturn void usage(void)
{
	fprintf(stderr,
	    "usage: medusa-cut [-qv] [-C dir] [-j jobs] [-p profile[,profile...]] [-w workdir]\n"
	    "       medusa-cut [-qv] [-C dir] -p profile -o file video start end\n");
	exit(EXIT_USAGE);
}

/* Writes a record; flush: at once (records that took time come out as
 * they are made; those of clips with nothing to do wait in the buffer). */
static void emit(json_object *rec, int flush)
{
	pthread_mutex_lock(&g.mu);
	if (ndjson_write(stdout, rec) < 0 || (flush && fflush(stdout) == EOF))
		g.write_failed = 1;
	pthread_mutex_unlock(&g.mu);
}

/* "clip 3/7 k3v9q2 360p,poster  45%  120 fps 2.1x" on one terminal line */
struct progress {
	unsigned long n;
	const char *clip, *names;
	struct timespec last;
};

static void on_progress(void *arg, double done, double fps, double speed)
{
	struct progress *p = arg;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < 1 && (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	pthread_mutex_lock(&g.mu);
	fprintf(stderr, "\r\033[Kmedusa-cut: clip %lu/%lu %s %s %3.0f%% %.0f fps %.1fx",
	    p->n, g.clips, p->clip, p->names, done * 100, fps, speed);
	pthread_mutex_unlock(&g.mu);
}

static void progress_end(void)
{
	pthread_mutex_lock(&g.mu);
	fputs("\r\033[K", stderr);
	pthread_mutex_unlock(&g.mu);
}

/* A rendition's version: the source, the clip's times, the profile. */
static void version_of(const char *fp, long long s, long long e, const struct profile *p, char v[17])
{
	char *in = xasprintf("%s\n%lld\n%lld\n%s", fp, s, e, p->canonical);
	char hex[HASH_HEX_LEN + 1];
	hash_buffer_hex(in, strlen(in), hex);
	free(in);
	memcpy(v, hex, 16);
	v[16] = 0;
}

/* mkdir -p, from the leaf up: one mkdir(2) when the parent is there. */
static int mkdirs(const char *path)
{
	if (mkdir(path, 0777) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	char *parent = xstrdup(path), *slash = strrchr(parent, '/');
	int r = 0;
	if (slash && slash != parent) {
		*slash = 0;
		r = mkdirs(parent);
	}
	free(parent);
	if (r < 0)
		return -1;
	return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* One rendition of a clip: where it goes, and its record once made. */
struct rend {
	const struct profile *p;
	char version[17];
	char *dir, *file, *meta, *tmp;
	json_object *done;
	struct media_result res;
};

/* One clip under way. */
struct cutjob {
	json_object *rec;
	const char *clip, *video;
	long long s, e;
	char *src;
	struct stat st;
	char fp[HASH_HEX_LEN + 1];
	struct rend *r;              /* one per profile */
};

static const char *kind_name(enum profile_kind k)
{
	return k == PROFILE_VIDEO ? "video" : k == PROFILE_IMAGE ? "image" :
	    k == PROFILE_COPY ? "copy" : "preview";
}

/* The record of a rendition as medusa-cut writes it beside the file
 * begins with these fields, in this order: when it does, and ends with a
 * brace, it is taken as it is, not parsed. */
static int record_is_ours(const char *buf, size_t n, const struct profile *p, const char *kind,
    const char *file, const char *version, const char *clip, long long bytes)
{
	char want[PATH_MAX + 512];
	int w = snprintf(want, sizeof want, "{\"profile\":\"%s\",\"kind\":\"%s\",\"file\":\"%s\","
	    "\"version\":\"%s\",\"key\":\"clips/%s/%s/%s.%s\",\"bytes\":%lld,\"hash\":\"",
	    p->name, kind, file, version, clip, version, p->name, p->ext, bytes);
	return g.plain_workdir && w > 0 && (size_t)w < sizeof want && n > (size_t)w &&
	    memcmp(buf, want, (size_t)w) == 0 && buf[n - 1] == '}';
}

/* A record that goes out as its bytes, not parsed nor printed again. */
static json_object *raw_record(char *text)
{
	json_object *o = json_object_new_object();
	json_object_set_serializer(o, json_object_userdata_to_json_string, text, json_object_free_userdata);
	return o;
}

/* The record of a rendition made earlier, when its file is still whole: a
 * stat of the file and the work directory's index (media_index); else the
 * record beside the file, read and checked (and then kept in the index).
 * Names relative to the work directory: a shorter walk for the kernel. */
static json_object *load_done(const struct cutjob *j, const struct rend *r)
{
	const char *rel = r->file + strlen(g.workdir) + 1;
	struct stat st;
	size_t len;
	if (fstatat(g.workfd, rel, &st, 0) < 0)
		return NULL;
	char *text = media_index_get(g.index, rel, &st, &len);
	if (text)
		return raw_record(text);
	char buf[8192];
	int fd = openat(g.workfd, r->meta + strlen(g.workdir) + 1, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0 || (size_t)n == sizeof buf)
		return NULL;
	if (record_is_ours(buf, (size_t)n, r->p, kind_name(r->p->kind), r->file, r->version, j->clip,
	    (long long)st.st_size)) {
		media_index_put(g.index, rel, &st, buf, (size_t)n);
		text = xmalloc((size_t)n + 1);
		memcpy(text, buf, (size_t)n);
		text[n] = 0;
		return raw_record(text);
	}
	long long bytes;
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, buf, (int)n);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object) || jint64(o, "bytes", &bytes) < 0 ||
	    bytes != (long long)st.st_size || strcmp(jstr(o, "file") ? jstr(o, "file") : "", r->file)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The temporary files that a killed run left for this rendition: nobody
 * else writes them while we hold the clip's lock. */
static void remove_stale(const char *dir, const char *file)
{
	char *prefix = xasprintf(".%s.tmp.", strrchr(file, '/') + 1);
	size_t n = strlen(prefix);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strncmp(de->d_name, prefix, n) == 0 && unlinkat(dirfd(d), de->d_name, 0) < 0)
				mwarnerr("%s/%s", dir, de->d_name);
		closedir(d);
	}
	free(prefix);
}

static char *parse_clip(struct cutjob *j)
{
	json_object *js, *je;
	const char *why;
	j->clip = jstr(j->rec, "clip");
	j->video = jstr(j->rec, "video") ? jstr(j->rec, "video") : jstr(j->rec, "path");
	if (!j->clip || !j->video || !json_object_object_get_ex(j->rec, "start", &js) ||
	    !json_object_object_get_ex(j->rec, "end", &je))
		return xstrdup("not a clip record (needs clip, video, start and end)");
	if (!clip_id_valid(j->clip))
		return xasprintf("clip id \"%s\" is not 1-64 of [A-Za-z0-9_-]", j->clip);
	if (time_parse_json(js, &j->s, &why) < 0)
		return xasprintf("start: %s", why);
	if (time_parse_json(je, &j->e, &why) < 0)
		return xasprintf("end: %s", why);
	if (j->e <= j->s)
		return xasprintf("the clip is empty (end %.3f is not after start %.3f)",
		    j->e / 1000.0, j->s / 1000.0);
	j->src = j->video[0] == '/' ? xstrdup(j->video) : path_join(g.cfg.root, j->video);
	return NULL;
}

/* A fingerprint the record carries (another stage or host made it) counts
 * when the record's size and mtime (whole seconds, as medusa-scan writes
 * them) are the file's. */
static int record_fingerprint(struct cutjob *j)
{
	const char *fp = jstr(j->rec, "fingerprint");
	long long size, mtime;
	if (!fp || strlen(fp) != HASH_HEX_LEN || strspn(fp, "0123456789abcdef") != HASH_HEX_LEN ||
	    jint64(j->rec, "size", &size) < 0 || jint64(j->rec, "mtime", &mtime) < 0 ||
	    size != (long long)j->st.st_size || mtime != (long long)j->st.st_mtim.tv_sec)
		return -1;
	memcpy(j->fp, fp, sizeof j->fp);
	return 0;
}

static char *stat_fingerprint(struct cutjob *j, int may_read);

/* The source's fingerprint: a stat, and the video is read only when the
 * cache does not know this inode as it is (and may_read: else "" and
 * j->fp empty). */
static char *source_fingerprint(struct cutjob *j, int may_read)
{
	/* the clips of a video come one after the other: its stat and
	 * fingerprint serve them all (in the reading thread only) */
	static char *last_src;
	static struct stat last_st;
	static char last_fp[HASH_HEX_LEN + 1];
	if (!may_read && last_src && strcmp(last_src, j->src) == 0) {
		j->st = last_st;
		memcpy(j->fp, last_fp, sizeof last_fp);
		return NULL;
	}
	char *msg = stat_fingerprint(j, may_read);
	if (!may_read && !msg) {
		free(last_src);
		last_src = xstrdup(j->src);
		last_st = j->st;
		memcpy(last_fp, j->fp, sizeof last_fp);
	}
	return msg;
}

static char *stat_fingerprint(struct cutjob *j, int may_read)
{
	if (stat(j->src, &j->st) < 0)
		return xasprintf("cannot read the video: %s", strerror(errno));
	if (S_ISDIR(j->st.st_mode))
		return xasprintf("cannot read the video: %s", strerror(EISDIR));
	if (!S_ISREG(j->st.st_mode))
		return xstrdup("cannot read the video: not a regular file");
	if (record_fingerprint(j) == 0)
		return NULL;
	int r = media_fpcache_get(g.fpcache, j->src, &j->st, may_read, j->fp);
	if (r < 0)
		return errno == EINVAL ? xstrdup("cannot read the video: not a regular file") :
		    xasprintf("cannot read the video: %s", strerror(errno));
	return r ? xstrdup("") : NULL;
}

/* Where each rendition goes; the ones made earlier are taken as they are.
 * Returns how many are missing. */
static size_t plan(struct cutjob *j)
{
	size_t missing = 0;
	j->r = xcalloc(g.nprofiles, sizeof *j->r);
	for (size_t i = 0; i < g.nprofiles; i++) {
		struct rend *r = &j->r[i];
		r->p = g.profiles[i];
		version_of(j->fp, j->s, j->e, r->p, r->version);
		r->dir = xasprintf("%s/%s/%s", g.workdir, j->clip, r->version);
		r->file = xasprintf("%s/%s.%s", r->dir, r->p->name, r->p->ext);
		r->meta = xasprintf("%s/.%s.%s.json", r->dir, r->p->name, r->p->ext);
		missing += !(r->done = load_done(j, r));
	}
	return missing;
}

static void free_job(struct cutjob *j)
{
	for (size_t i = 0; j->r && i < g.nprofiles; i++) {
		struct rend *r = &j->r[i];
		if (r->tmp)
			unlink(r->tmp);
		free(r->tmp);
		free(r->dir);
		free(r->file);
		free(r->meta);
		json_object_put(r->done);
	}
	free(j->r);
	free(j->src);
}

/* A temporary file for a missing rendition. NULL, or an error message. */
static char *prepare(struct rend *r)
{
	if (mkdirs(r->dir) < 0)
		return xasprintf("%s: %s", r->dir, strerror(errno));
	remove_stale(r->dir, r->file);
	int fd = atomic_tmpfile_beside(r->file, &r->tmp);
	if (fd >= 0 && fchmod(fd, g.mode) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return xasprintf("%s: %s", r->file, strerror(errno));
	close(fd);
	return NULL;
}

/* "re-encoded 0.700-2.000 s, copied 2.000-3.933 s": an accurate copy's
 * splice points, as -v prints them. */
static void splice_text(const struct media_result *m, char *line, size_t n)
{
	line[0] = '\0';
	for (int i = 0; i < m->nreenc; i++)
		snprintf(line + strlen(line), n - strlen(line), "%sre-encoded %.3f-%.3f s",
		    i ? ", " : "", m->reenc_ms[i][0] / 1000.0, m->reenc_ms[i][1] / 1000.0);
	if (m->copied_ms[1] > m->copied_ms[0])
		snprintf(line + strlen(line), n - strlen(line), "%scopied %.3f-%.3f s",
		    m->nreenc ? ", " : "", m->copied_ms[0] / 1000.0, m->copied_ms[1] / 1000.0);
	if (!line[0])
		snprintf(line, n, "nothing to splice");
}

/* An accurate copy's record names the ranges it re-encoded; -v prints its
 * splice points. */
static void add_splices(json_object *o, const struct cutjob *j, const struct rend *r)
{
	const struct media_result *m = &r->res;
	json_object *a = json_object_new_array();
	for (int i = 0; i < m->nreenc; i++) {
		json_object *pair = json_object_new_array();
		json_object_array_add(pair, time_to_json(m->reenc_ms[i][0]));
		json_object_array_add(pair, time_to_json(m->reenc_ms[i][1]));
		json_object_array_add(a, pair);
	}
	json_object_object_add(o, "reencoded", a);
	if (!g.verbose)
		return;
	char line[256];
	splice_text(m, line, sizeof line);
	pthread_mutex_lock(&g.mu);
	mwarn("%s: clip %s, %s: %s", j->src, j->clip, r->p->name, line);
	pthread_mutex_unlock(&g.mu);
}

/* Puts a made rendition under its name, with its record beside it. */
static char *commit(struct cutjob *j, struct rend *r)
{
	char hex[HASH_HEX_LEN + 1];
	struct stat st;
	int fd = open(r->tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || hash_file_hex(r->tmp, hex) < 0) {
		char *msg = xasprintf("%s: %s", r->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return msg;
	}
	if (atomic_commit_tmpfile(fd, r->tmp, r->file) < 0)
		return xasprintf("%s: %s", r->file, strerror(errno));
	free(r->tmp);
	r->tmp = NULL;
	const struct profile *p = r->p;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "profile", json_object_new_string(p->name));
	json_object_object_add(o, "kind", json_object_new_string(kind_name(p->kind)));
	json_object_object_add(o, "file", json_object_new_string(r->file));
	json_object_object_add(o, "version", json_object_new_string(r->version));
	char *key = xasprintf("clips/%s/%s/%s.%s", j->clip, r->version, p->name, p->ext);
	json_object_object_add(o, "key", json_object_new_string(key));
	free(key);
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)st.st_size));
	json_object_object_add(o, "hash", json_object_new_string(hex));
	json_object_object_add(o, "mime", json_object_new_string(p->mime));
	json_object_object_add(o, "width", json_object_new_int(r->res.width));
	json_object_object_add(o, "height", json_object_new_int(r->res.height));
	if (p->kind != PROFILE_IMAGE)
		json_object_object_add(o, "duration", time_to_json(r->res.duration_ms));
	if (p->kind == PROFILE_COPY)
		json_object_object_add(o, "start", time_to_json(r->res.start_ms));
	if (p->kind == PROFILE_COPY && profile_accurate(p))
		add_splices(o, j, r);
	/* the record beside the file spares a later run the decode; if it
	 * cannot be written, a later run makes the rendition again */
	size_t len;
	const char *txt = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (atomic_write(r->meta, txt, len, 0666) < 0)
		mwarnerr("%s", r->meta);
	else
		media_index_put(g.index, r->file + strlen(g.workdir) + 1, &st, txt, len);
	r->done = o;
	return NULL;
}

/* media_cut makes the copies of a clip alone the clip's failure: it cannot
 * tell a copy the container refuses from a source that fails. Here other
 * renditions of the same source version are already made from the range,
 * so the source reads: the copies fail alone, as on the run that made
 * those. 1 when so (each copy's error set). */
static int copies_fail_alone(const struct cutjob *j, struct rend **tr, size_t nmake,
    const char *err)
{
	size_t ndone = 0;
	for (size_t i = 0; i < g.nprofiles; i++)
		ndone += j->r[i].done != NULL;
	if (!ndone)
		return 0;
	for (size_t i = 0; i < nmake; i++)
		if (tr[i]->p->kind != PROFILE_COPY)
			return 0;
	for (size_t i = 0; i < nmake; i++) {
		char *e = tr[i]->res.error;
		size_t len = strnlen(err, sizeof tr[i]->res.error - 1);
		memcpy(e, err, len);
		e[len] = '\0';
	}
	return 1;
}

/* media_cut over the renditions to make (tr[0..nmake)): its arrays are
 * made from them, and each result goes back to its rendition. */
static int cut_renditions(const struct cutjob *j, unsigned long n, struct rend **tr, size_t nmake,
    char *err, size_t errlen)
{
	const struct profile **tp = xcalloc(nmake, sizeof *tp);
	const char **touts = xcalloc(nmake, sizeof *touts);
	struct media_result *res = xcalloc(nmake, sizeof *res);
	char names[256] = "";
	for (size_t i = 0; i < nmake; i++) {
		tp[i] = tr[i]->p;
		touts[i] = tr[i]->tmp;
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
		    i ? "," : "", tp[i]->name);
	}
	struct progress pr = {.n = n, .clip = j->clip, .names = names};
	int show = g.tty && !g.quiet;
	int r = media_cut(j->src, j->s, j->e, nmake, tp, touts, res,
	    show ? on_progress : NULL, &pr, err, errlen);
	if (show)
		progress_end();
	for (size_t i = 0; i < nmake; i++)
		tr[i]->res = res[i];
	free(res);
	free(touts);
	free(tp);
	return r;
}

/* Makes the missing renditions, under the clip's lock: another medusa-cut
 * (or a duplicate record under -j) waits, then finds them made. Each
 * rendition (j->r) owns its temporary file until commit; free_job
 * removes what is left. */
static char *make_missing(struct cutjob *j, unsigned long n)
{
	char *clipdir = path_join(g.workdir, j->clip), *msg = NULL;
	int lockfd = -1;
	size_t nmake = 0;
	struct rend **tr = xcalloc(g.nprofiles, sizeof *tr);   /* the ones to make */
	if (mkdirs(clipdir) < 0 || (lockfd = atomic_dir_lock(clipdir)) < 0) {
		msg = xasprintf("%s: %s", clipdir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < g.nprofiles && !msg; i++) {
		struct rend *r = &j->r[i];
		if (r->done || (r->done = load_done(j, r)))
			continue;
		if (!(msg = prepare(r)))
			tr[nmake++] = r;
	}
	if (msg || !nmake)
		goto out;
	char err[512];
	int r = cut_renditions(j, n, tr, nmake, err, sizeof err);
	if (r < 0 && copies_fail_alone(j, tr, nmake, err))
		r = 0;
	if (r < 0)
		msg = xstrdup(err);
	for (size_t i = 0; i < nmake && !msg; i++)
		if (!tr[i]->res.error[0])
			msg = commit(j, tr[i]);
out:
	free(tr);
	atomic_dir_unlock(lockfd);
	free(clipdir);
	return msg;
}

/* The clip's error when no profile could be made (a clip with no file is
 * nothing to publish): the profiles' error when they agree ("no video frame
 * in the clip"), else each profile's. */
static char *all_failed(json_object *failed)
{
	size_t n = json_object_array_length(failed);
	const char *first = jstr(json_object_array_get_idx(failed, 0), "error");
	int same = 1;
	for (size_t i = 1; i < n; i++)
		same &= strcmp(jstr(json_object_array_get_idx(failed, i), "error"), first) == 0;
	if (same)
		return xstrdup(first);
	char *msg = NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(failed, i);
		char *m = xasprintf("%s%s%s: %s", msg ? msg : "no profile could be made: ",
		    msg ? "; " : "", jstr(o, "profile"), jstr(o, "error"));
		free(msg);
		msg = m;
	}
	return msg;
}

/* Makes the missing renditions of one clip; NULL on success, else a new
 * error message for the whole clip. renditions gets one object per
 * profile made, failed one per profile that could not be (its error). A
 * clip whose renditions are all there costs a stat of the video and, per
 * profile, the read of a small record and a stat: no lock, no mkdir. */
static char *cut_clip(json_object *rec, unsigned long n, json_object *renditions,
    json_object *failed)
{
	struct cutjob j = {.rec = rec};
	char *msg = parse_clip(&j);
	if (!msg)
		msg = source_fingerprint(&j, 1);
	if (!msg && plan(&j))
		msg = make_missing(&j, n);
	for (size_t i = 0; !msg && i < g.nprofiles; i++) {
		struct rend *r = &j.r[i];
		if (r->done) {
			json_object_array_add(renditions, r->done);
			r->done = NULL;
		} else if (r->res.error[0]) {
			/* this profile alone fails: the clip's record says so,
			 * and goes out with the renditions that were made */
			json_object *o = json_object_new_object();
			json_object_object_add(o, "profile", json_object_new_string(r->p->name));
			json_object_object_add(o, "kind", json_object_new_string(kind_name(r->p->kind)));
			json_object_object_add(o, "error", json_object_new_string(r->res.error));
			json_object_array_add(failed, o);
		}
	}
	if (!msg && !json_object_array_length(renditions) && json_object_array_length(failed))
		msg = all_failed(failed);
	if (!msg)
		json_object_object_add(rec, "fingerprint", json_object_new_string(j.fp));
	free_job(&j);
	return msg;
}

/* A clip with nothing to do, seen to in the reading thread: no handing
 * over to a worker, no video read. 1 when its record went out, 0 when a
 * worker must see to it (something to make, an error, a fingerprint to
 * make). */
static int quick(json_object *rec)
{
	struct cutjob j = {.rec = rec};
	char *msg = parse_clip(&j);
	int r = 0;
	if (!msg)
		msg = source_fingerprint(&j, 0);
	if (!msg && !plan(&j)) {
		json_object *ren = json_object_new_array();
		for (size_t i = 0; i < g.nprofiles; i++) {
			json_object_array_add(ren, j.r[i].done);
			j.r[i].done = NULL;
		}
		json_object_object_add(rec, "fingerprint", json_object_new_string(j.fp));
		json_object_object_add(rec, "renditions", ren);
		pthread_mutex_lock(&g.mu);
		g.clips++;
		pthread_mutex_unlock(&g.mu);
		emit(rec, 0);
		r = 1;
	}
	free(msg);
	free_job(&j);
	return r;
}

/* "medusa-cut: a/b.mp4 clip k3: 360p: why" for each profile that failed. */
static void report_failed(json_object *rec, json_object *failed)
{
	const char *video = jstr(rec, "video"), *clip = jstr(rec, "clip");
	pthread_mutex_lock(&g.mu);
	for (size_t i = 0; i < json_object_array_length(failed); i++) {
		json_object *o = json_object_array_get_idx(failed, i);
		fprintf(stderr, "medusa-cut: %s clip %s: %s: %s\n", video ? video : "?", clip ? clip : "?",
		    jstr(o, "profile"), jstr(o, "error"));
	}
	g.failed++;
	pthread_mutex_unlock(&g.mu);
}

static void process(struct job *j)
{
	json_object *ren = json_object_new_array(), *failed = json_object_new_array();
	char *msg = cut_clip(j->rec, j->n, ren, failed);
	if (msg) {
		const char *video = jstr(j->rec, "video");
		const char *clip = jstr(j->rec, "clip");
		pthread_mutex_lock(&g.mu);
		fprintf(stderr, "medusa-cut: %s%s%s: %s\n", video ? video : "?",
		    clip ? " clip " : "", clip ? clip : "", msg);
		g.failed++;
		pthread_mutex_unlock(&g.mu);
		json_object *er = ndjson_error_record(video ? video : jstr(j->rec, "path"), clip, msg);
		emit(er, 1);
		json_object_put(er);
		json_object_put(ren);
		free(msg);
	} else {
		json_object_object_add(j->rec, "renditions", ren);
		if (json_object_array_length(failed)) {
			report_failed(j->rec, failed);
			json_object_object_add(j->rec, "failed", json_object_get(failed));
		}
		emit(j->rec, 1);
	}
	json_object_put(failed);
	json_object_put(j->rec);
	free(j);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&g.mu);
		while (!g.head && !g.eof)
			pthread_cond_wait(&g.cv, &g.mu);
		struct job *j = g.head;
		if (j) {
			g.head = j->next;
			if (!g.head)
				g.tail = NULL;
			g.queued--;
			g.busy++;
			pthread_cond_broadcast(&g.cv);
		}
		pthread_mutex_unlock(&g.mu);
		if (!j)
			return NULL;
		process(j);
		pthread_mutex_lock(&g.mu);
		g.busy--;
		pthread_mutex_unlock(&g.mu);
	}
}

/* No worker has a clip: a clip with nothing to do may go out at once,
 * in its place. */
static int idle(void)
{
	pthread_mutex_lock(&g.mu);
	int r = !g.queued && !g.busy;
	pthread_mutex_unlock(&g.mu);
	return r;
}

static void enqueue(json_object *rec)
{
	struct job *j = xcalloc(1, sizeof *j);
	j->rec = rec;
	pthread_mutex_lock(&g.mu);
	while (g.queued >= g.maxq)
		pthread_cond_wait(&g.cv, &g.mu);
	j->n = ++g.clips;
	if (g.tail)
		g.tail->next = j;
	else
		g.head = j;
	g.tail = j;
	g.queued++;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
}

static void select_profiles(const char *list)
{
	if (!list) {
		g.nprofiles = g.cfg.nprofiles;
		g.profiles = xcalloc(g.nprofiles, sizeof *g.profiles);
		for (size_t i = 0; i < g.nprofiles; i++)
			g.profiles[i] = &g.cfg.profiles[i];
		if (!g.nprofiles)
			mdie(EXIT_USAGE, "%s: no profiles", g.cfg.path);
		return;
	}
	char *copy = xstrdup(list), *save = NULL;
	g.profiles = xcalloc(strlen(list) + 1, sizeof *g.profiles);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct profile *p = config_profile(&g.cfg, t);
		if (!p) {
			char names[1024] = "";
			for (size_t i = 0; i < g.cfg.nprofiles; i++)
				snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				    i ? ", " : "", g.cfg.profiles[i].name);
			mdie(EXIT_USAGE, "unknown profile \"%s\" (%s has: %s)", t, g.cfg.path,
			    *names ? names : "none");
		}
		int dup = 0;
		for (size_t i = 0; i < g.nprofiles; i++)
			dup |= g.profiles[i] == p;
		if (!dup)
			g.profiles[g.nprofiles++] = p;
	}
	free(copy);
	if (!g.nprofiles)
		usage();
}

/* medusa-cut -p PROFILE -o FILE VIDEO START END */
static int single(const char *out, char **argv)
{
	long long s, e;
	const char *why;
	if (g.nprofiles != 1)
		mdie(EXIT_USAGE, "-o makes one file: give one profile with -p");
	if (time_parse(argv[1], &s, &why) < 0)
		mdie(EXIT_USAGE, "start \"%s\": %s", argv[1], why);
	if (time_parse(argv[2], &e, &why) < 0)
		mdie(EXIT_USAGE, "end \"%s\": %s", argv[2], why);
	char *tmp = NULL, err[512];
	int fd = atomic_tmpfile_beside(out, &tmp);
	if (fd < 0 || fchmod(fd, g.mode) < 0) {
		mwarnerr("%s", out);
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
			free(tmp);
		}
		return EXIT_SOME;
	}
	close(fd);
	struct media_result res;
	struct progress pr = {.n = 1, .clip = argv[0], .names = g.profiles[0]->name};
	g.clips = 1;
	int r = media_cut(argv[0], s, e, 1, g.profiles, (const char *const *)&tmp, &res,
	    g.tty && !g.quiet ? on_progress : NULL, &pr, err, sizeof err);
	if (g.tty && !g.quiet)
		progress_end();
	if (r < 0 || res.error[0]) {
		/* the one output failed alone: its file is garbage too */
		mwarn("%s: %s", argv[0], r < 0 ? err : res.error);
		unlink(tmp);
		free(tmp);
		return EXIT_SOME;
	}
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || atomic_commit_tmpfile(fd, tmp, out) < 0) {
		mwarnerr("%s", out);
		if (fd >= 0)
			unlink(tmp);
		free(tmp);
		return EXIT_SOME;
	}
	free(tmp);
	struct profile_settings ps;
	profile_settings(g.profiles[0], &ps);
	if (g.verbose && ps.kind == PROFILE_COPY && ps.accurate) {
		char line[256];
		splice_text(&res, line, sizeof line);
		mwarn("%s: %s: %s", argv[0], g.profiles[0]->name, line);
	}
	return EXIT_ALLOK;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *plist = NULL, *out = NULL, *wd = NULL;
	int c, jobs = 1, verbose = 0;
	while ((c = getopt(argc, argv, "C:j:o:p:qvw:")) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 64)
				mdie(EXIT_USAGE, "-j %s: give 1 to 64 clips at once", optarg);
			jobs = (int)v;
			break;
		}
		case 'o': out = optarg; break;
		case 'p': plist = optarg; break;
		case 'q': g.quiet = 1; break;
		case 'v': verbose = g.verbose = 1; break;
		case 'w': wd = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (out ? argc != 3 || !plist : argc != 0)
		usage();
	/* a full disk or a file size limit must fail a write, not kill us */
	signal(SIGXFSZ, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: reads stop */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "libsodium does not start");
	media_init(g.quiet ? -1 : verbose);
	g.tty = isatty(2);
	mode_t mask = umask(0);
	umask(mask);
	g.mode = 0666 & ~mask;
	config_open_flags(dir, CONFIG_ENCODERS, &g.cfg);
	select_profiles(plist);
	if (out) {
		int r = single(out, argv);
		config_free(&g.cfg);
		free(g.profiles);
		return r;
	}
	const char *w = wd ? wd : g.cfg.workdir;
	/* records name files by absolute paths */
	char *absw = NULL;
	if (mkdirs(w) < 0 || access(w, W_OK | X_OK) < 0 || !(absw = realpath(w, NULL)))
		mdie(EXIT_USAGE, "%s: work directory: %s", w, strerror(errno));
	g.workdir = absw;
	if ((g.workfd = open(absw, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		mdie(EXIT_USAGE, "%s: work directory: %s", absw, strerror(errno));
	g.fpcache = media_fpcache_open(absw);
	g.index = media_index_open(absw);
	g.plain_workdir = 1;
	for (const unsigned char *ch = (const unsigned char *)absw; *ch; ch++)
		g.plain_workdir &= *ch >= 0x20 && *ch != '"' && *ch != '\\' && *ch != 0x7f;

	g.maxq = (size_t)jobs;
	pthread_t *th = xcalloc((size_t)jobs, sizeof *th);
	for (int i = 0; i < jobs; i++)
		if ((errno = pthread_create(&th[i], NULL, worker, NULL)))
			mdie(EXIT_USAGE, "cannot start a thread: %s", strerror(errno));
	struct ndjson_reader *rd = ndjson_open(stdin, "stdin");
	json_object *rec, *summary = NULL;
	int st, ioerr = 0;
	while (!stop_signal && (st = ndjson_next(rd, &rec)) != NDJSON_EOF) {
		if (stop_signal) {
			if (st == NDJSON_RECORD)
				json_object_put(rec);
			break;
		}
		if (st == NDJSON_IOERR) {
			ioerr = 1;
			break;
		}
		if (st == NDJSON_BAD) {
			pthread_mutex_lock(&g.mu);
			g.failed++;
			pthread_mutex_unlock(&g.mu);
			continue;
		}
		if (ndjson_is_summary(rec)) {
			/* it ends the stream: it goes out after every clip */
			json_object_put(summary);
			summary = rec;
		} else if (ndjson_is_error(rec)) {
			emit(rec, 1);
			json_object_put(rec);
		} else if (!idle() || !quick(rec)) {
			enqueue(rec);
		} else {
			json_object_put(rec);
		}
	}
	ndjson_close(rd);
	pthread_mutex_lock(&g.mu);
	g.eof = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	for (int i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (summary) {
		emit(summary, 1);
		json_object_put(summary);
	}
	config_free(&g.cfg);
	free(g.profiles);
	media_fpcache_close(g.fpcache);
	media_index_close(g.index);
	close(g.workfd);
	free(absw);
	if (stop_signal) {
		fflush(stdout);
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	if (close_stdout() < 0 || g.write_failed) {
		mwarnerr("stdout");
		return EXIT_SOME;
	}
	return ioerr || g.failed ? EXIT_SOME : EXIT_ALLOK;
}
