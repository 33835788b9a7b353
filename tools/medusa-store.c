/* medusa-store: frontyard storage from the shell, over lib/store.h (so an
 * s3:// store goes through the same code as medusa-publish), plus the
 * remote metastore (lib/rmeta.h). medusa-sync is built on it. */
#include "atomic.h"
#include "hash.h"
#include "ndjson.h"
#include "rmeta.h"
#include "rule.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
	    "usage: medusa-store -s STORE [-j N] put KEY FILE [MIME] | put -\n"
	    "       medusa-store -s STORE get KEY FILE\n"
	    "       medusa-store -s STORE stat KEY...\n"
	    "       medusa-store -s STORE ls [PREFIX]\n"
	    "       medusa-store -s STORE rm KEY... | rm -\n"
	    "       medusa-store keys -m METASTORE\n"
	    "       medusa-store [-C backyard -W rule] snapshot -m METASTORE FILE\n"
	    "       medusa-store -s STORE [-n] [-f] [-k N] push -m METASTORE\n"
	    "       medusa-store -s STORE [-l LISTING] missing -m METASTORE ROOT\n"
	    "       medusa-store -s STORE generation\n"
	    "       medusa-store -s STORE [-cn] [-W rule] [-k N] [-x KEYFILE] [-l LISTING] gc\n"
	    "       medusa-store -s STORE fetch LOCAL-METASTORE\n");
	exit(EXIT_USAGE);
}

static const char *store_url;

static struct store *open_store(void)
{
	char why[512];
	struct store *s = store_open(store_url, why, sizeof why);
	if (!s)
		mwarn("%s", why);
	return s;
}

/* put -: records {"key","file","mime","hash"} from stdin, uploaded by N
 * workers, each with its own store (and so its own connection). */
struct job {
	char *key, *file, *mime, *hash;
	unsigned long line;
};

struct putq {
	struct job *jobs;
	size_t n, next;
	int failed;
	pthread_mutex_t mu;
};

static void print_done(const char *key)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "done", json_object_new_boolean(1));
	(void)ndjson_write(stdout, o); /* close_stdout reports a failed write */
	json_object_put(o);
}

static void *put_worker(void *arg)
{
	struct putq *q = arg;
	struct store *s = open_store();
	for (;;) {
		struct job *j;
		int rc;
		pthread_mutex_lock(&q->mu);
		j = q->next < q->n && s ? &q->jobs[q->next++] : NULL;
		if (!s)
			q->failed = 1;
		pthread_mutex_unlock(&q->mu);
		if (!j)
			break;
		rc = store_put_file(s, j->key, j->file, j->mime, j->hash, 0);
		pthread_mutex_lock(&q->mu);
		if (rc < 0)
			q->failed = 1;
		else
			print_done(j->key);
		pthread_mutex_unlock(&q->mu);
	}
	store_close(s);
	return NULL;
}

static int put_many(int jobs)
{
	struct ndjson_reader *r = ndjson_open(stdin, "stdin");
	struct putq q = {0};
	size_t cap = 0;
	json_object *rec;
	int st, bad = 0, nth = 0;
	pthread_t th[64];
	while ((st = ndjson_next(r, &rec)) != NDJSON_EOF) {
		const char *k, *f;
		if (st == NDJSON_IOERR) {
			bad = 1;
			break;
		}
		if (st == NDJSON_BAD) {
			bad = 1;
			continue;
		}
		k = jstr(rec, "key");
		f = jstr(rec, "file");
		if (!k || !f || !store_key_valid(k)) {
			mwarn("stdin:%lu: needs a valid \"key\" and a \"file\"", ndjson_lineno(r));
			bad = 1;
		} else {
			if (q.n == cap) {
				cap = cap ? cap * 2 : 64;
				q.jobs = xrealloc(q.jobs, cap * sizeof *q.jobs);
			}
			q.jobs[q.n].key = xstrdup(k);
			q.jobs[q.n].file = xstrdup(f);
			q.jobs[q.n].mime = jstr(rec, "mime") ? xstrdup(jstr(rec, "mime")) : NULL;
			q.jobs[q.n].hash = jstr(rec, "hash") ? xstrdup(jstr(rec, "hash")) : NULL;
			q.jobs[q.n].line = ndjson_lineno(r);
			q.n++;
		}
		json_object_put(rec);
	}
	ndjson_close(r);
	pthread_mutex_init(&q.mu, NULL);
	for (int i = 0; i < jobs && (size_t)i < q.n; i++) {
		if (pthread_create(&th[nth], NULL, put_worker, &q)) {
			mwarn("cannot start a thread");
			break;
		}
		nth++;
	}
	if (nth == 0 && q.n > 0)
		q.failed = 1;
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&q.mu);
	for (size_t i = 0; i < q.n; i++) {
		free(q.jobs[i].key);
		free(q.jobs[i].file);
		free(q.jobs[i].mime);
		free(q.jobs[i].hash);
	}
	free(q.jobs);
	return q.failed || bad ? EXIT_SOME : EXIT_ALLOK;
}

static int print_entry(void *arg, const char *key, long long size)
{
	json_object *o = json_object_new_object();
	int rc;
	(void)arg;
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "size", json_object_new_int64(size));
	rc = ndjson_write(stdout, o);
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

/* Keys from the arguments, or one a line from stdin when the only one is
 * "-". */
static char **read_keys(int argc, char **argv, size_t *n)
{
	char **keys = NULL, *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t len;
	*n = 0;
	if (!(argc == 1 && !strcmp(argv[0], "-"))) {
		keys = xcalloc((size_t)argc + 1, sizeof *keys);
		for (int i = 0; i < argc; i++)
			keys[(*n)++] = xstrdup(argv[i]);
		return keys;
	}
	while ((len = getline(&line, &lcap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			keys = xrealloc(keys, cap * sizeof *keys);
		}
		keys[(*n)++] = xstrdup(line);
	}
	free(line);
	return keys;
}

/* A whole number in [min, max], or exit 2: "--keep x" must not mean 0. */
static int number(const char *s, int min, int max, const char *what)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		mdie(EXIT_USAGE, "%s %s: want a number from %d to %d", what, s, min, max);
	return (int)v;
}

/* The options, as the commands read them. */
struct opts {
	int jobs, keep, dry, force, clean;
	const char *metastore, *keyfile, *listing, *where, *dir;
};

/* Each command returns its exit code; main closes the store and stdout. */
static int cmd_snapshot(struct store *s, const struct opts *o, int argc, char **argv)
{
	long long gen;
	int rc = EXIT_SOME;
	/* the rule's values are read by the tag set of the backyard */
	struct config cfg = {0};
	int with_cfg = o->where && o->dir;
	if (with_cfg)
		config_open(o->dir, &cfg);
	struct rule *r = rule_open(o->where, with_cfg ? &cfg : NULL);
	json_object *out = NULL;
	if (rmeta_snapshot(o->metastore, argv[0], &gen) == 0 &&
	    !(r && rule_keep_only(argv[0], r, &out) < 0)) {
		printf("{\"generation\":%lld,\"excluded\":%s}\n", gen,
		    out ? json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN) : "[]");
		rc = EXIT_ALLOK;
	}
	json_object_put(out);
	rule_free(r);
	if (with_cfg)
		config_free(&cfg);
	return rc;
}

static int cmd_keys(struct store *s, const struct opts *o, int argc, char **argv)
{
	return rmeta_keys(o->metastore, stdout) < 0 ? EXIT_SOME : EXIT_ALLOK;
}

/* put -: the store is checked once before the workers open theirs */
static int cmd_put_many(struct store *s, const struct opts *o, int argc, char **argv)
{
	if (!(s = open_store()))
		return EXIT_USAGE;
	store_close(s);
	return put_many(o->jobs);
}

static int cmd_put(struct store *s, const struct opts *o, int argc, char **argv)
{
	return store_put_file(s, argv[0], argv[1], argc == 3 ? argv[2] : NULL, NULL, 0) < 0 ?
	    EXIT_SOME : EXIT_ALLOK;
}

static int cmd_get(struct store *s, const struct opts *o, int argc, char **argv)
{
	return store_get_file(s, argv[0], argv[1]) < 0 ? EXIT_SOME : EXIT_ALLOK;
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* {"key","size","hash"} or {"key","missing":true} a key. */
static int stat_one(struct store *s, const char *key)
{
	char hash[HASH_HEX_LEN + 1] = "";
	long long size = 0;
	if (!store_key_valid(key)) {
		mwarn("%s: not a valid key", key);
		return EXIT_SOME;
	}
	int st = store_stat(s, key, &size, hash, sizeof hash), rc = EXIT_ALLOK;
	if (st < 0)
		return EXIT_SOME;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(key));
	if (st == 1) {
		json_object_object_add(o, "size", json_object_new_int64(size));
		json_object_object_add(o, "hash", hash[0] ? json_object_new_string(hash) : NULL);
	} else {
		json_object_object_add(o, "missing", json_object_new_boolean(1));
		rc = EXIT_SOME;
	}
	if (ndjson_write(stdout, o) < 0)
		rc = EXIT_SOME;
	json_object_put(o);
	return rc;
}

static int cmd_stat(struct store *s, const struct opts *o, int argc, char **argv)
{
	size_t n;
	char **keys = read_keys(argc, argv, &n);
	int rc = EXIT_ALLOK;
	for (size_t i = 0; i < n; i++)
		if (stat_one(s, keys[i]) != EXIT_ALLOK)
			rc = EXIT_SOME;
	free_keys(keys, n);
	return rc;
}

static int cmd_ls(struct store *s, const struct opts *o, int argc, char **argv)
{
	return store_list(s, argc ? argv[0] : "", print_entry, NULL) != 0 ? EXIT_SOME : EXIT_ALLOK;
}

/* Every key is checked before any is removed. */
static int cmd_rm(struct store *s, const struct opts *o, int argc, char **argv)
{
	size_t n;
	char **keys = read_keys(argc, argv, &n);
	int rc = EXIT_ALLOK;
	for (size_t i = 0; i < n; i++)
		if (!store_key_removable(keys[i])) {
			mwarn("%s: not a valid key", keys[i]);
			rc = EXIT_SOME;
		}
	if (rc == EXIT_ALLOK && store_remove(s, (const char *const *)keys, n) < 0)
		rc = EXIT_SOME;
	free_keys(keys, n);
	return rc;
}

static int cmd_push(struct store *s, const struct opts *o, int argc, char **argv)
{
	return rmeta_push(s, o->metastore, o->keep, o->force, o->dry) < 0 ? EXIT_SOME : EXIT_ALLOK;
}

/* -l LISTING: the store's listing is kept there, for the gc after */
static int cmd_missing(struct store *s, const struct opts *o, int argc, char **argv)
{
	FILE *l = o->listing ? fopen(o->listing, "w") : NULL;
	if (o->listing && !l) {
		mwarnerr("%s", o->listing);
		return EXIT_SOME;
	}
	int rc = rmeta_missing(s, o->metastore, argv[0], l, stdout) < 0 ? EXIT_SOME : EXIT_ALLOK;
	if (l && fclose(l) != 0) {
		mwarnerr("%s", o->listing);
		rc = EXIT_SOME;
	}
	return rc;
}

static int cmd_generation(struct store *s, const struct opts *o, int argc, char **argv)
{
	return rmeta_show(s) < 0 ? EXIT_SOME : EXIT_ALLOK;
}

static int cmd_gc(struct store *s, const struct opts *o, int argc, char **argv)
{
	const char *clean = o->clean ? (o->where ? o->where : "") : NULL;
	return rmeta_gc(s, o->keep, o->keyfile, o->listing, o->dry, clean) < 0 ?
	    EXIT_SOME : EXIT_ALLOK;
}

/* a store or a public URL: rmeta opens it */
static int cmd_fetch(struct store *s, const struct opts *o, int argc, char **argv)
{
	return rmeta_fetch_url(store_url, argv[0], NULL) < 0 ? EXIT_SOME : EXIT_ALLOK;
}

/* What a command needs before it runs. */
enum needs {
	LOCAL,          /* no store */
	STORE_URL,      /* -s, which the command opens itself */
	STORE,          /* a store opened from -s */
};

struct command {
	const char *name;
	int min, max;           /* how many arguments; max -1: any number */
	enum needs needs;
	int metastore;          /* -m is needed */
	int dash;               /* the one argument is "-" */
	int key;                /* the first argument is a key, checked first */
	int (*run)(struct store *s, const struct opts *o, int argc, char **argv);
};

static const struct command commands[] = {
	{"snapshot", 1, 1, LOCAL, 1, 0, 0, cmd_snapshot},
	{"keys", 0, 0, LOCAL, 1, 0, 0, cmd_keys},
	{"put", 1, 1, STORE_URL, 0, 1, 0, cmd_put_many},
	{"put", 2, 3, STORE, 0, 0, 1, cmd_put},
	{"get", 2, 2, STORE, 0, 0, 1, cmd_get},
	{"stat", 1, -1, STORE, 0, 0, 0, cmd_stat},
	{"ls", 0, 1, STORE, 0, 0, 0, cmd_ls},
	{"rm", 1, -1, STORE, 0, 0, 0, cmd_rm},
	{"push", 0, 0, STORE, 1, 0, 0, cmd_push},
	{"missing", 1, 1, STORE, 1, 0, 0, cmd_missing},
	{"generation", 0, 0, STORE, 0, 0, 0, cmd_generation},
	{"gc", 0, 0, STORE, 0, 0, 0, cmd_gc},
	{"fetch", 1, 1, STORE_URL, 0, 0, 0, cmd_fetch},
};

/* The command of that name that takes these arguments, or NULL. */
static const struct command *find_command(const char *name, int argc, char **argv,
    const struct opts *o)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		if (!strcmp(c->name, name) && argc >= c->min && (c->max < 0 || argc <= c->max) &&
		    (!c->metastore || o->metastore) && (!c->dash || !strcmp(argv[0], "-")) &&
		    (c->needs == LOCAL || store_url))
			return c;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int c;
	struct opts o = {.jobs = 8, .keep = 2};
	static const struct option longopts[] = {
		{"keep", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	while ((c = getopt_long(argc, argv, "+s:cj:k:l:m:nfx:C:W:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.clean = 1; break;
		case 's': store_url = optarg; break;
		case 'j': o.jobs = number(optarg, 1, 64, "-j"); break;
		case 'k': o.keep = number(optarg, 0, 1000, "--keep"); break;
		case 'l': o.listing = optarg; break;
		case 'm': o.metastore = optarg; break;
		case 'n': o.dry = 1; break;
		case 'f': o.force = 1; break;
		case 'x': o.keyfile = optarg; break;
		case 'W': o.where = optarg; break;
		case 'C': o.dir = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	const char *name = argv[0];
	argc--;
	argv++;
	/* subcommands may take -m after their name too */
	if (argc >= 2 && !strcmp(argv[0], "-m")) {
		o.metastore = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "cannot start libsodium");
	const struct command *cmd = find_command(name, argc, argv, &o);
	if (!cmd)
		usage();
	if (cmd->key && !store_key_valid(argv[0]))
		mdie(EXIT_USAGE, "%s: not a valid key", argv[0]);
	struct store *s = NULL;
	if (cmd->needs == STORE && !(s = open_store()))
		return EXIT_USAGE;
	int rc = cmd->run(s, &o, argc, argv);
	if (s)
		store_close(s);
	if (close_stdout() < 0)
		rc = EXIT_SOME;
	return rc;
}
