/* medusa-cut: clip records in, the same records with their renditions out;
 * each clip into each profile, one decode per clip (medusa-cut(1)). */
#include "atomic.h"
#include "backyard.h"
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
	int quiet, tty;
	mode_t mode;                  /* of renditions: 0666 less the umask */
	pthread_mutex_t mu;           /* stdout, stderr lines, the queue, counters */
	pthread_cond_t cv;
	struct job *head, *tail;
	size_t queued, maxq;
	int eof;
	unsigned long clips, failed;
	int write_failed;
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

static void emit(json_object *rec)
{
	pthread_mutex_lock(&g.mu);
	if (ndjson_write(stdout, rec) < 0 || fflush(stdout) == EOF)
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

static int mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int r = 0;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			r = -1;
			break;
		}
		if (!(*s = c))
			break;
	}
	int e = errno;
	free(p);
	errno = e;
	return r;
}

/* The record of a rendition made earlier, when its file is still whole. */
static json_object *load_done(const char *file, const char *meta)
{
	struct stat st;
	char *buf;
	size_t len;
	long long bytes;
	if (stat(file, &st) < 0 || read_file(meta, 1 << 16, &buf, &len) < 0)
		return NULL;
	json_object *o = json_tokener_parse(buf);
	free(buf);
	if (!o || !json_object_is_type(o, json_type_object) || jint64(o, "bytes", &bytes) < 0 ||
	    bytes != (long long)st.st_size || strcmp(jstr(o, "file") ? jstr(o, "file") : "", file)) {
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

static const char *kind_name(enum profile_kind k)
{
	return k == PROFILE_VIDEO ? "video" : k == PROFILE_IMAGE ? "image" :
	    k == PROFILE_COPY ? "copy" : "preview";
}

/* Makes the missing renditions of one clip; NULL on success, else a new
 * error message for the whole clip. renditions gets one object per
 * profile made, failed one per profile that could not be (its error). */
static char *cut_clip(json_object *rec, unsigned long n, json_object *renditions,
    json_object *failed)
{
	const char *clip = jstr(rec, "clip"), *video = jstr(rec, "video");
	json_object *js, *je;
	long long s, e;
	const char *why;
	if (!video)
		video = jstr(rec, "path");
	if (!clip || !video || !json_object_object_get_ex(rec, "start", &js) ||
	    !json_object_object_get_ex(rec, "end", &je))
		return xstrdup("not a clip record (needs clip, video, start and end)");
	if (!clip_id_valid(clip))
		return xasprintf("clip id \"%s\" is not 1-64 of [A-Za-z0-9_-]", clip);
	if (time_parse_json(js, &s, &why) < 0)
		return xasprintf("start: %s", why);
	if (time_parse_json(je, &e, &why) < 0)
		return xasprintf("end: %s", why);
	if (e <= s)
		return xasprintf("the clip is empty (end %.3f is not after start %.3f)", e / 1000.0, s / 1000.0);
	char *src = video[0] == '/' ? xstrdup(video) : path_join(g.cfg.root, video);
	char fp[HASH_HEX_LEN + 1], *msg = NULL, *clipdir = NULL;
	int lockfd = -1;
	size_t np = g.nprofiles, nmake = 0;
	char **files = xcalloc(np, sizeof *files), **metas = xcalloc(np, sizeof *metas),
	     **tmps = xcalloc(np, sizeof *tmps), **dirs = xcalloc(np, sizeof *dirs),
	     (*versions)[17] = xcalloc(np, sizeof *versions);
	json_object **done = xcalloc(np, sizeof *done);
	const struct profile **tp = xcalloc(np, sizeof *tp);
	const char **touts = xcalloc(np, sizeof *touts);
	size_t *tidx = xcalloc(np, sizeof *tidx);
	struct media_result *res = xcalloc(np, sizeof *res);
	if (media_fingerprint(src, fp) < 0) {
		msg = errno == EINVAL ? xstrdup("cannot read the video: not a regular file") :
		    xasprintf("cannot read the video: %s", strerror(errno));
		goto out;
	}
	/* one run at a time on a clip: another medusa-cut (or a duplicate
	 * record under -j) waits, then finds the renditions made */
	clipdir = path_join(g.workdir, clip);
	if (mkdirs(clipdir) < 0 || (lockfd = dir_lock(clipdir)) < 0) {
		msg = xasprintf("%s: %s", clipdir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		const struct profile *p = g.profiles[i];
		version_of(fp, s, e, p, versions[i]);
		char *rel = xasprintf("%s/%s", clip, versions[i]);
		dirs[i] = path_join(g.workdir, rel);
		free(rel);
		char *base = xasprintf("%s.%s", p->name, p->ext);
		files[i] = path_join(dirs[i], base);
		free(base);
		base = xasprintf(".%s.%s.json", p->name, p->ext);
		metas[i] = path_join(dirs[i], base);
		free(base);
		if ((done[i] = load_done(files[i], metas[i])))
			continue;
		if (mkdirs(dirs[i]) < 0) {
			msg = xasprintf("%s: %s", dirs[i], strerror(errno));
			goto out;
		}
		remove_stale(dirs[i], files[i]);
		int fd = tmpfile_beside(files[i], &tmps[i]);
		if (fd >= 0 && fchmod(fd, g.mode) < 0) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			msg = xasprintf("%s: %s", files[i], strerror(errno));
			goto out;
		}
		close(fd);
		tp[nmake] = p;
		touts[nmake] = tmps[i];
		tidx[nmake++] = i;
	}
	if (nmake) {
		char err[512], names[256] = "";
		struct media_result *tres = xcalloc(nmake, sizeof *tres);
		for (size_t i = 0; i < nmake; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
			    i ? "," : "", tp[i]->name);
		struct progress pr = {.n = n, .clip = clip, .names = names};
		int r = media_cut(src, s, e, nmake, tp, touts, tres,
		    g.tty && !g.quiet ? on_progress : NULL, &pr, err, sizeof err);
		if (g.tty && !g.quiet)
			progress_end();
		for (size_t i = 0; i < nmake; i++)
			res[tidx[i]] = tres[i];
		free(tres);
		if (r < 0) {
			msg = xstrdup(err);
			goto out;
		}
	}
	for (size_t i = 0; i < np; i++) {
		const struct profile *p = g.profiles[i];
		if (done[i]) {
			json_object_array_add(renditions, done[i]);
			done[i] = NULL;
			continue;
		}
		if (res[i].error[0]) {
			/* this profile alone fails: the clip's record says so,
			 * and goes out with the renditions that were made */
			json_object *o = json_object_new_object();
			json_object_object_add(o, "profile", json_object_new_string(p->name));
			json_object_object_add(o, "kind", json_object_new_string(kind_name(p->kind)));
			json_object_object_add(o, "error", json_object_new_string(res[i].error));
			json_object_array_add(failed, o);
			continue;
		}
		char hex[HASH_HEX_LEN + 1];
		struct stat st;
		int fd = open(tmps[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || hash_file_hex(tmps[i], hex) < 0) {
			free(msg);
			msg = xasprintf("%s: %s", tmps[i], strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		if (commit_tmpfile(fd, tmps[i], files[i]) < 0) {
			free(msg);
			msg = xasprintf("%s: %s", files[i], strerror(errno));
			goto out;
		}
		free(tmps[i]);
		tmps[i] = NULL;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "profile", json_object_new_string(p->name));
		json_object_object_add(o, "kind", json_object_new_string(kind_name(p->kind)));
		json_object_object_add(o, "file", json_object_new_string(files[i]));
		json_object_object_add(o, "version", json_object_new_string(versions[i]));
		char *key = xasprintf("clips/%s/%s/%s.%s", clip, versions[i], p->name, p->ext);
		json_object_object_add(o, "key", json_object_new_string(key));
		free(key);
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)st.st_size));
		json_object_object_add(o, "hash", json_object_new_string(hex));
		json_object_object_add(o, "mime", json_object_new_string(p->mime));
		json_object_object_add(o, "width", json_object_new_int(res[i].width));
		json_object_object_add(o, "height", json_object_new_int(res[i].height));
		if (p->kind != PROFILE_IMAGE)
			json_object_object_add(o, "duration", time_to_json(res[i].duration_ms));
		if (p->kind == PROFILE_COPY)
			json_object_object_add(o, "start", time_to_json(res[i].start_ms));
		/* the record beside the file spares a later run the decode; if it
		 * cannot be written, a later run makes the rendition again */
		size_t len;
		const char *txt = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (atomic_write(metas[i], txt, len, 0666) < 0)
			mwarnerr("%s", metas[i]);
		json_object_array_add(renditions, o);
	}
out:
	for (size_t i = 0; i < np; i++) {
		if (tmps[i])
			unlink(tmps[i]);
		free(tmps[i]);
		free(files[i]);
		free(metas[i]);
		free(dirs[i]);
		json_object_put(done[i]);
	}
	free(tmps);
	free(files);
	free(metas);
	free(dirs);
	free(versions);
	free(done);
	free(tp);
	free(touts);
	free(tidx);
	free(res);
	free(src);
	dir_unlock(lockfd);
	free(clipdir);
	return msg;
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
		emit(er);
		json_object_put(er);
		json_object_put(ren);
		free(msg);
	} else {
		json_object_object_add(j->rec, "renditions", ren);
		if (json_object_array_length(failed)) {
			report_failed(j->rec, failed);
			json_object_object_add(j->rec, "failed", json_object_get(failed));
		}
		emit(j->rec);
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
			pthread_cond_broadcast(&g.cv);
		}
		pthread_mutex_unlock(&g.mu);
		if (!j)
			return NULL;
		process(j);
	}
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
	int fd = tmpfile_beside(out, &tmp);
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
	if (r < 0) {
		mwarn("%s: %s", argv[0], err);
		unlink(tmp);
		free(tmp);
		return EXIT_SOME;
	}
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || commit_tmpfile(fd, tmp, out) < 0) {
		mwarnerr("%s", out);
		if (fd >= 0)
			unlink(tmp);
		free(tmp);
		return EXIT_SOME;
	}
	free(tmp);
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
		case 'v': verbose = 1; break;
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
	profile_check_encoders = 1;
	config_open(dir, &g.cfg);
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
			emit(rec);
			json_object_put(rec);
		} else {
			enqueue(rec);
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
		emit(summary);
		json_object_put(summary);
	}
	config_free(&g.cfg);
	free(g.profiles);
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
