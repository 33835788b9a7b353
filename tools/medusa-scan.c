/* medusa-scan: one NDJSON record per video of the backyard, in path order,
 * then a summary record (medusa-scan(1)). */
#include "config.h"
#include "ndjson.h"
#include "probe.h"
#include "timefmt.h"
#include "util.h"
#include "walk.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scan {
	int probe;
	unsigned long videos, errors;
	int write_failed;
};

static noreturn void usage(void)
{
	fprintf(stderr, "usage: medusa-scan [-p] [-C dir]\n");
	exit(EXIT_USAGE);
}

static int emit(struct scan *s, json_object *rec)
{
	int r = ndjson_write(stdout, rec);
	json_object_put(rec);
	if (r < 0)
		s->write_failed = 1;
	return r < 0 ? -1 : 0; /* a write error stops the walk */
}

static int error_record(struct scan *s, const char *path, int folder, const char *msg)
{
	char *p = utf8_sanitize(path);
	mwarn("%s: %s", *p ? p : ".", msg);
	json_object *rec;
	if (folder) {
		rec = ndjson_error_record(NULL, NULL, msg);
		json_object_object_add(rec, "folder", json_object_new_string(p));
	} else {
		rec = ndjson_error_record(p, NULL, msg);
	}
	free(p);
	s->errors++;
	return emit(s, rec);
}

static int on_item(const struct walk_item *it, void *arg)
{
	struct scan *s = arg;
	if (it->error)
		return error_record(s, it->path, it->incomplete, it->error);
	if (!utf8_valid(it->path))
		return error_record(s, it->path, 0, "the file name is not valid UTF-8");
	json_object *rec = json_object_new_object();
	json_object_object_add(rec, "path", json_object_new_string(it->path));
	json_object_object_add(rec, "size", json_object_new_int64((int64_t)it->st->st_size));
	json_object_object_add(rec, "mtime", json_object_new_int64((int64_t)it->st->st_mtim.tv_sec));
	json_object_object_add(rec, "sidecar", it->sidecar ? json_object_new_string(it->sidecar) : NULL);
	if (s->probe) {
		struct probe p;
		char why[256];
		if (probe_file(it->abs, &p, why, sizeof why) < 0) {
			json_object_put(rec);
			char *msg = xasprintf("cannot read the video: %s", why);
			int r = error_record(s, it->path, 0, msg);
			free(msg);
			return r;
		}
		json_object_object_add(rec, "duration", p.duration_ms >= 0 ? time_to_json(p.duration_ms) : NULL);
		json_object_object_add(rec, "width", json_object_new_int(p.width));
		json_object_object_add(rec, "height", json_object_new_int(p.height));
		json_object_object_add(rec, "vcodec", json_object_new_string(p.vcodec));
		json_object_object_add(rec, "acodec", *p.acodec ? json_object_new_string(p.acodec) : NULL);
		json_object_object_add(rec, "rotation", json_object_new_int(p.rotation));
	}
	s->videos++;
	return emit(s, rec);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	struct scan s = {0};
	int c;
	while ((c = getopt(argc, argv, "pC:h")) != -1) {
		switch (c) {
		case 'p': s.probe = 1; break;
		case 'C': dir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	struct config cfg;
	config_open(dir, &cfg);
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	int r = walk_backyard(&cfg, on_item, &s);
	if (!s.write_failed) {
		json_object *sum = json_object_new_object(), *rec = json_object_new_object();
		json_object_object_add(sum, "complete", json_object_new_boolean(r == 0));
		json_object_object_add(sum, "videos", json_object_new_int64((int64_t)s.videos));
		json_object_object_add(sum, "errors", json_object_new_int64((int64_t)s.errors));
		json_object_object_add(rec, "summary", sum);
		emit(&s, rec);
	}
	config_free(&cfg);
	if (close_stdout() < 0 || s.write_failed)
		return EXIT_SOME;
	return s.errors ? EXIT_SOME : EXIT_ALLOK;
}
