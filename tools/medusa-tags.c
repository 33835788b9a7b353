/* medusa-tags: print the tag set; check clip records against it
 * (medusa-tags(1)). */
#include "config.h"
#include "ndjson.h"
#include "tags.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static noreturn void usage(void)
{
	fprintf(stderr, "usage: medusa-tags [-C dir] [list]\n"
	    "       medusa-tags [-C dir] check < clips\n");
	exit(EXIT_USAGE);
}

static int list(const struct config *cfg)
{
	json_object *tags = json_object_object_get(cfg->json, "tags");
	for (size_t i = 0; i < cfg->ntags; i++) {
		const struct tagdef *t = &cfg->tags[i];
		json_object *rec = json_object_new_object();
		json_object_object_add(rec, "name", json_object_new_string(t->name));
		json_object_object_foreach(json_object_object_get(tags, t->name), k, v)
			json_object_object_add(rec, k, json_object_get(v));
		int r = ndjson_write(stdout, rec);
		json_object_put(rec);
		if (r < 0)
			return EXIT_SOME;
	}
	return EXIT_ALLOK;
}

static int check(const struct config *cfg)
{
	struct ndjson_reader *rd = ndjson_open(stdin, "stdin");
	json_object *rec;
	int failed = 0, st;
	while ((st = ndjson_next(rd, &rec)) != NDJSON_EOF) {
		if (st == NDJSON_IOERR) {
			failed = 1;
			break;
		}
		if (st == NDJSON_BAD) {
			failed = 1;
			continue;
		}
		json_object *out = json_object_get(rec), *tags;
		if (!ndjson_is_error(rec) && !ndjson_is_summary(rec)) {
			const char *video = jstr(rec, "video"), *clip = jstr(rec, "clip");
			if (!video)
				video = jstr(rec, "path");
			char why[512];
			if (!clip || !json_object_object_get_ex(rec, "tags", &tags)) {
				snprintf(why, sizeof why, "not a clip record (no \"clip\" and \"tags\")");
			} else if (tags_check_complete(cfg, tags, why, sizeof why) == 0) {
				why[0] = '\0';
			}
			if (why[0]) {
				mwarn("stdin:%lu: %s%s%s: %s", ndjson_lineno(rd), video ? video : "record",
				    clip ? " clip " : "", clip ? clip : "", why);
				json_object_put(out);
				out = ndjson_error_record(video, clip, why);
				failed = 1;
			}
		}
		int r = ndjson_write(stdout, out);
		json_object_put(out);
		json_object_put(rec);
		if (r < 0) {
			failed = 1;
			break;
		}
	}
	ndjson_close(rd);
	return failed ? EXIT_SOME : EXIT_ALLOK;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int c;
	while ((c = getopt(argc, argv, "C:h")) != -1) {
		if (c != 'C')
			usage();
		dir = optarg;
	}
	const char *cmd = optind < argc ? argv[optind++] : "list";
	if (optind != argc || (strcmp(cmd, "list") && strcmp(cmd, "check")))
		usage();
	struct config cfg;
	config_open(dir, &cfg);
	int rc = strcmp(cmd, "list") == 0 ? list(&cfg) : check(&cfg);
	config_free(&cfg);
	if (close_stdout() < 0)
		rc = EXIT_SOME;
	return rc;
}
