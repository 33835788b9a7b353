/* medusa-publish: rendition records in; their files into frontyard storage,
 * their clips into the metastore, the records out with each rendition's url
 * (the run: lib/publish.h). With --prune, clips gone from a complete scan
 * leave the frontyard. */
#include "config.h"
#include "hash.h"
#include "metastore.h"
#include "ndjson.h"
#include "publish.h"
#include "rule.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GRACE_DEFAULT 600       /* seconds: longer than a server's refresh (30 s) and
                                   the API's max-age (10 s), with room for a slow one */

static void usage(void)
{
	fprintf(stderr, "usage: medusa-publish [-fpq] [-C backyard] [-s storage] [-m metastore] "
	    "[-u base-url] [-w workdir] [-W rule] [-g grace] [< renditions]\n"
	    "       medusa-publish -E [-C backyard] [-s storage] [-m metastore] [-u base-url] [-W rule]\n");
	exit(EXIT_USAGE);
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

/* The settings, as shell assignments for medusa-reconcile and -sync, with
 * the metastore's generation (empty when there is none yet). */
static int print_settings(const struct config *cfg, const char *storage, const char *ms,
    const char *base, const char *where)
{
	long long gen = -1;
	char err[1024], g[32] = "";
	if (access(ms, F_OK) == 0 && !strstr(ms, "://")) {
		if (metastore_peek_generation(ms, &gen, err, sizeof err) < 0) {
			mwarn("%s", err);
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
	struct publish_opts o = {.grace = GRACE_DEFAULT};
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
		case 'f': o.force = 1; break;
		case 'g': o.grace = grace_arg(optarg); break;
		case 'm': mspath = optarg; break;
		case 'p': o.prune = 1; break;
		case 'q': o.quiet = 1; break;
		case 's': storage = optarg; break;
		case 'u': base = optarg; break;
		case 'w': o.workdir = optarg; break;
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
	struct rule *rule = rule_open(where, have_cfg ? &cfg : NULL);
	if (env) {
		int rc = print_settings(&cfg, storage, mspath, base, where ? where : cfg.where);
		rule_free(rule);
		config_free(&cfg);
		return rc;
	}
	if (strstr(mspath, "://"))
		mdie(EXIT_USAGE, "%s: medusa-publish writes a local metastore file "
		    "(medusa-sync copies it to the cloud)", mspath);
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "cannot initialise libsodium");
	o.base = base;
	o.storage = storage;
	o.metastore = mspath;
	o.where = rule;
	char *where_text = rule ? rule_canonical(rule) : xstrdup("");
	o.where_text = where_text;
	struct publish *p = publish_open(&o);
	if (!p)
		exit(EXIT_USAGE);
	/* the record loop */
	struct ndjson_reader *rd = ndjson_open(stdin, "stdin");
	const char *line;
	size_t len;
	int st, whole = 1;
	while ((st = ndjson_next_line(rd, &line, &len)) != NDJSON_EOF)
		if (st == NDJSON_IOERR || publish_line(p, rd, line, len) < 0) {
			whole = st != NDJSON_IOERR;
			break;
		}
	ndjson_close(rd);
	int rc = publish_end(p, whole) < 0 ? EXIT_SOME : EXIT_ALLOK;
	publish_close(p);
	free(where_text);
	rule_free(rule);
	if (have_cfg)
		config_free(&cfg);
	if (close_stdout() < 0)
		rc = EXIT_SOME;
	return rc;
}
