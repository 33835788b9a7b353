/* medusa-serve: answer HTTP for the backyard or the frontyard, one
 * connection on stdin/stdout (inetd, tcpserver, systemd sockets) or one CGI
 * request. */
#include "config.h"
#include "dirs.h"
#include "hash.h"
#include "http.h"
#include "metastore.h"
#include "rule.h"
#include "sandbox.h"
#include "serve.h"
#include "serve_request.h"
#include "sign.h"
#include "util.h"
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MEDUSA_SHAREDIR
#define MEDUSA_SHAREDIR "/usr/local/share/medusa"
#endif

static noreturn void usage(void)
{
	fprintf(stderr, "usage: medusa-serve backyard|frontyard [-v] [-C backyard] [-w webdir]\n"
	    "           [-a tokenfile] [-H host]... [-m metastore] [-s storage] [-c cachedir]\n"
	    "           [-k pubkey] [-u baseurl] [-r refresh] [-b maxbody] [-i idle]\n"
	    "           [-t timeout] [-l per-source] [-W rule]\n");
	exit(EXIT_USAGE);
}

static int seconds_ms(const char *s, const char *what)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		mdie(EXIT_USAGE, "%s: %s: want seconds (0 < n <= 86400)", what, s);
	return (int)(v * 1000 + 0.5);
}

/* After setup (serve_frontyard_setup included), least privilege
 * (sandbox.h): writes only to the sidecar tree (backyard) and the cache
 * directory (both modes); no exec, ptrace or new sockets. -v says once
 * what applies and what the kernel lacks. */
static void enter_sandbox(struct serve *s, int verbose, struct metastore **held)
{
	const char *w[5] = {NULL};
	char *wal = NULL, *shm = NULL;
	size_t n = 0;
	if (s->mode == SERVE_BACKYARD)
		w[n++] = s->cfg->root;
	char *md = s->mode == SERVE_FRONTYARD && !s->remote ? path_dirname(s->metastore) : NULL;
	if (md && access(md, W_OK) == 0) {
		/* A reader of a WAL database writes its -wal and -shm files,
		 * making them when missing, which the sandbox would refuse in
		 * the metastore's folder: open it now, so that they are there,
		 * and hold it, so that a publisher closing does not remove
		 * them; only those two files become writable. */
		char why[512];
		*held = metastore_open(s->metastore, MS_READONLY, why, sizeof why);
		if (!*held && verbose)
			/* not fatal: each request opens it again and says why */
			mwarn("sandbox: the metastore's -wal and -shm stay read-only: %s", why);
		wal = xasprintf("%s-wal", s->metastore);
		shm = xasprintf("%s-shm", s->metastore);
		w[n++] = wal;
		w[n++] = shm;
	}
	free(md);
	if (s->cachedir) {
		/* a rule needs the directory; the cache would make it anyway */
		(void)path_mkdir_p(s->cachedir);
		w[n++] = s->cachedir;
		/* temporary files (SQLite's for a large sort, a replica's
		 * download) go where it may write */
		setenv("TMPDIR", s->cachedir, 1);
	}
	/* a replica's fetch runs in the helper serve_frontyard_setup forked
	 * before this: the server itself needs no socket */
	struct sandbox_report r;
	int rc = sandbox_apply(w, 0, &r);
	if (verbose)
		mwarn("sandbox%s: %s", rc ? " (partly)" : "", r.text);
	free(wal);
	free(shm);
}

/* -H: a host name the backyard answers to (no port; "host." is "host"). */
static void add_host(struct serve *s, const char *arg)
{
	char name[256];
	size_t k = strlen(arg);
	if (k > 0 && arg[k - 1] == '.')
		k--;
	if (!k || http_host_name(arg, name, sizeof name) < 0 || strlen(name) != k ||
	    strncmp(name, arg, k) != 0)
		mdie(EXIT_USAGE, "-H: %s: want a host name (no port)", arg);
	s->hosts = xrealloc(s->hosts, (s->nhosts + 1) * sizeof *s->hosts);
	s->hosts[s->nhosts++] = xstrdup(name);
}

static int connections(const char *arg, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > 100000)
		mdie(EXIT_USAGE, "%s: %s: want connections (1 to 100000)", what, arg);
	return (int)v;
}

static char *read_token(const char *file)
{
	char *buf = NULL;
	size_t len;
	if (atomic_read_file(file, 4096, &buf, &len) < 0)
		mdie(EXIT_USAGE, "%s: token file: %s", file, strerror(errno));
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) < 16)
		mdie(EXIT_USAGE, "%s: token file: a token needs at least 16 characters", file);
	return buf;
}

/* What the options name that setup reads, besides struct serve. */
struct opts {
	const char *dir, *tokfile, *pubkey, *storage, *where;
	int verbose;
};

static size_t max_body(const char *arg)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || *end || v == 0 || v > (1ull << 30))
		mdie(EXIT_USAGE, "-b: %s: want bytes (1 to 1073741824)", arg);
	return (size_t)v;
}

/* The options into s, lim and o; the mode's name. */
static const char *parse_options(int argc, char *argv[], struct serve *s,
    struct http_limits *lim, struct opts *o)
{
	int ch;
	while ((ch = getopt(argc, argv, "C:w:a:m:s:c:k:r:b:i:t:u:W:H:l:v")) != -1) {
		switch (ch) {
		case 'v': o->verbose = 1; break;
		case 'H': add_host(s, optarg); break;
		case 'l': lim->per_source = connections(optarg, "-l"); break;
		case 'C': o->dir = optarg; break;
		case 'w': s->webdir = xstrdup(optarg); break;
		case 'a': o->tokfile = optarg; break;
		case 'm': s->metastore = xstrdup(optarg); break;
		case 's': o->storage = optarg; break;
		case 'c': s->cachedir = xstrdup(optarg); break;
		case 'k': o->pubkey = optarg; break;
		case 'u': s->base_url = xstrdup(optarg); break;
		case 'W': o->where = optarg; break;
		case 'r': s->refresh = seconds_ms(optarg, "-r") / 1000; break;
		case 'b': lim->max_body = max_body(optarg); break;
		case 'i': lim->idle_ms = seconds_ms(optarg, "-i"); break;
		case 't': lim->read_ms = lim->write_ms = seconds_ms(optarg, "-t"); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	const char *mode = argv[optind];
	if (strcmp(mode, "backyard") == 0)
		s->mode = SERVE_BACKYARD;
	else if (strcmp(mode, "frontyard") == 0)
		s->mode = SERVE_FRONTYARD;
	else
		usage();
	return mode;
}

/* inetd hands us the socket as stderr too: a message there would land in
 * the middle of an answer */
static void quiet_socket_stderr(void)
{
	struct stat st;
	if (fstat(2, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 2);
			close(null);
		}
	}
}

/* dirs_cache under the frontyard directory's cache/ (none without cfg). */
static char *frontyard_cache(const struct config *cfg)
{
	char *fy = cfg ? path_join(cfg->frontyard_dir, "cache") : NULL;
	char *dir = dirs_cache(fy);
	free(fy);
	return dir;
}

static void setup_backyard(struct serve *s, const struct opts *o)
{
	const char *t = getenv("MEDUSA_TOKEN");
	if (o->tokfile)
		s->token = read_token(o->tokfile);
	else if (t && *t) {
		if (strlen(t) < 16)
			mdie(EXIT_USAGE, "MEDUSA_TOKEN: a token needs at least 16 characters");
		s->token = xstrdup(t);
	}
	/* the editor's filmstrips, waveforms and scene changes */
	if (!s->cachedir)
		s->cachedir = frontyard_cache(s->cfg);
}

/* Where the listing cache goes: a replica keeps a local copy of the
 * remote metastore in the cache. */
static void frontyard_cachedir(struct serve *s)
{
	if (strstr(s->metastore, "://")) {
		if (!s->cachedir)
			s->cachedir = frontyard_cache(s->cfg);
		if (!s->cachedir)
			mdie(EXIT_USAGE, "%s: a remote metastore needs a cache directory "
			    "(-c, CACHE_DIRECTORY, XDG_CACHE_HOME or HOME)", s->metastore);
		s->remote = s->metastore;
		s->metastore = path_join(s->cachedir, "metastore.sqlite");
	}
	if (!s->cachedir) {
		char *md = path_dirname(s->metastore), *beside = path_join(md, "cache");
		s->cachedir = dirs_cache(beside);
		free(md);
		free(beside);
	}
}

/* -k, or the frontyard directory's public key when there is one. */
static void frontyard_pubkey(struct serve *s, const char *pubkey)
{
	char *def = NULL;
	if (!pubkey && s->cfg) {
		def = path_join(s->cfg->frontyard_dir, SIGN_PUBLIC_FILE);
		if (access(def, F_OK) == 0)
			pubkey = def;
	}
	if (pubkey) {
		char why[512];
		if (sign_load_public(pubkey, s->pk, why, sizeof why) < 0)
			mdie(EXIT_USAGE, "%s", why);
		s->have_pk = 1;
	}
	free(def);
}

static void setup_frontyard(struct serve *s, const struct opts *o)
{
	const char *storage = o->storage;
	if (!s->metastore)
		s->metastore = xstrdup(s->cfg->metastore);
	if (!storage && s->cfg)
		storage = s->cfg->storage;
	if (storage && strncmp(storage, "s3:", 3) != 0) {
		const char *p = strncmp(storage, "file:", 5) == 0 ? storage + 5 : storage;
		s->files_root = realpath(p, NULL);
		if (!s->files_root && errno != ENOENT)
			mdie(EXIT_USAGE, "%s: storage: %s", p, strerror(errno));
	}
	frontyard_cachedir(s);
	frontyard_pubkey(s, o->pubkey);
	s->where = rule_open(o->where, s->cfg);
}

static void setup_webdir(struct serve *s, const char *mode)
{
	if (!s->webdir) {  /* wherever the tree was installed or built */
		char *sub = xasprintf("web/%s", mode);
		s->webdir = dirs_share(sub, MEDUSA_SHAREDIR);
		free(sub);
	} else if (!path_is_dir(s->webdir)) {
		mdie(EXIT_USAGE, "%s: web directory: not a directory", s->webdir);
	}
}

/* The requests of the connection (or the CGI request), in the sandbox. */
static void serve_connection(struct serve *s, const struct http_limits *lim, int verbose)
{
	struct http_conn c;
	http_conn_init(&c, 0, 1, lim);
	serve_begin(s, &c);
	struct metastore *held = NULL;
	enter_sandbox(s, verbose, &held);
	for (;;) {
		int st = http_next(&c);
		if (st == 0)
			break;
		if (st > 1) {
			(void)http_error(&c, st, http_reason(st));
			break;
		}
		if (serve_request(s, &c) < 0 || !c.keep || c.cgi)
			break;
	}
	http_conn_close(&c);
	http_conn_free(&c);
	metastore_close(held);
}

static void serve_free(struct serve *s)
{
	serve_frontyard_free(s);
	rule_free(s->where);
	if (s->token)
		sodium_memzero(s->token, strlen(s->token));
	free(s->token);
	for (size_t i = 0; i < s->nhosts; i++)
		free(s->hosts[i]);
	free(s->hosts);
	free(s->webdir);
	free(s->metastore);
	free(s->remote);
	free(s->files_root);
	free(s->cachedir);
	free(s->base_url);
	if (s->cfg)
		config_free(s->cfg);
}

int main(int argc, char *argv[])
{
	struct serve s = {.api_max_age = 10, .refresh = 30};
	struct http_limits lim;
	struct opts o = {0};
	http_limits_default(&lim);
	const char *mode = parse_options(argc, argv, &s, &lim, &o);
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "libsodium failed to initialise");
	signal(SIGPIPE, SIG_IGN);
	quiet_socket_stderr();

	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	if (s.mode == SERVE_BACKYARD || !s.metastore || o.dir) {
		config_open(o.dir, &cfg);
		s.cfg = &cfg;
	}
	if (s.mode == SERVE_BACKYARD)
		setup_backyard(&s, &o);
	else
		setup_frontyard(&s, &o);
	setup_webdir(&s, mode);

	/* what must exec or open sockets happens here, before anything
	 * restricts this process */
	if (s.mode == SERVE_FRONTYARD && serve_frontyard_setup(&s) < 0)
		return EXIT_USAGE;
	serve_connection(&s, &lim, o.verbose);
	serve_free(&s);
	return EXIT_ALLOK;
}
