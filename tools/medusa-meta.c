/* medusa-meta: read and write sidecars and folder files; as a filter, turn
 * video records into clip records (medusa-meta(1)). */
#include "atomic.h"
#include "config.h"
#include "hash.h"
#include "metafile.h"
#include "ndjson.h"
#include "safepath.h"
#include "sidecar.h"
#include "tags.h"
#include "timefmt.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct config cfg;
static const char *root_dir; /* -C */

static noreturn void usage(void)
{
	fprintf(stderr,
	    "usage: medusa-meta [-C dir] get [-d] path\n"
	    "       medusa-meta [-C dir] set [-d] [-e etag] path < document\n"
	    "       medusa-meta [-C dir] add path start end [tag=value ...]\n"
	    "       medusa-meta [-C dir] rm path id\n"
	    "       medusa-meta [-C dir] tag [-d | -c id] path tag=value ...\n"
	    "       medusa-meta [-C dir] untag [-d | -c id] path tag ...\n"
	    "       medusa-meta [-C dir] clips < videos\n"
	    "       medusa-meta init [dir]\n");
	exit(EXIT_USAGE);
}

/* A video or folder named on the command line, and its metadata file. */
struct target {
	int folder;
	char *rel;      /* clean, relative to the root ("" for the root folder) */
	char *abs;
	char *file_rel; /* the sidecar or folder file */
	char *file_abs;
};

static void target_free(struct target *t)
{
	free(t->rel);
	free(t->abs);
	free(t->file_rel);
	free(t->file_abs);
}

/* Resolves arg strictly inside the backyard; -1 after a message. */
static int target_open(const char *arg, int folder, struct target *t)
{
	memset(t, 0, sizeof *t);
	t->folder = folder;
	const char *why;
	int r = safepath_resolve(cfg.root, arg, strlen(arg), 1, &t->abs, &t->rel, &why);
	if (r != SAFEPATH_OK) {
		if (r == SAFEPATH_MISSING)
			why = folder ? "no such folder in the backyard" : "no such video in the backyard";
		mwarn("%s: %s", arg, why);
		return -1;
	}
	struct stat st;
	if (stat(t->abs, &st) < 0) {
		mwarnerr("%s", arg);
		return -1;
	}
	if (folder && !S_ISDIR(st.st_mode)) {
		mwarn("%s: not a folder", arg);
		return -1;
	}
	if (!folder && (!S_ISREG(st.st_mode) || !config_is_video(&cfg, t->rel))) {
		mwarn("%s: not a video (%s)", arg, S_ISDIR(st.st_mode) ? "a folder; use -d" :
		    "its extension is not among the video extensions of " BACKYARD_CONFIG);
		return -1;
	}
	if (folder)
		t->file_rel = *t->rel ? xasprintf("%s/%s", t->rel, FOLDER_META) : xstrdup(FOLDER_META);
	else
		t->file_rel = xasprintf("%s%s", t->rel, SIDECAR_SUFFIX);
	/* the metadata file itself must not be a symlink out */
	char *fabs, *fclean;
	r = safepath_resolve(cfg.root, t->file_rel, strlen(t->file_rel), 0, &fabs, &fclean, &why);
	if (r != SAFEPATH_OK) {
		mwarn("%s: %s", t->file_rel, why);
		return -1;
	}
	free(fclean);
	t->file_abs = fabs;
	return 0;
}

static struct metafile target_file(const struct target *t)
{
	struct metafile f = {t->folder, t->rel, t->abs, t->file_abs};
	return f;
}

static int print_record(json_object *rec)
{
	int r = ndjson_write(stdout, rec);
	json_object_put(rec);
	return r;
}

static json_object *result_record(struct target *t, const char *etag, json_object *doc)
{
	json_object *rec = json_object_new_object();
	json_object_object_add(rec, "path", json_object_new_string(t->rel));
	json_object_object_add(rec, "file", json_object_new_string(t->file_rel));
	json_object_object_add(rec, "etag", json_object_new_string(etag));
	if (doc)
		json_object_object_add(rec, "meta", json_object_get(doc));
	return rec;
}

/* The precondition of a save: the view still has the etag it was read
 * with (none: unconditional). */
static int etag_is(void *arg, const char *etag, int exists)
{
	(void)exists;
	return !arg || strcmp(arg, etag) == 0;
}

/* Saves doc through the one save routine; a message for each clip that
 * cannot be published. METAFILE_* after a message for a failure (none for
 * a stale etag when quiet_stale). */
static enum metafile_status target_save(struct target *t, json_object *doc, int random_ids,
    const char *etag, int quiet_stale, struct metafile_result *res)
{
	struct metafile f = target_file(t);
	enum metafile_status r = metafile_save(&cfg, &f, doc, random_ids, etag_is, (void *)etag, res);
	switch (r) {
	case METAFILE_SAVED:
		for (size_t i = 0; i < json_object_array_length(res->warnings); i++) {
			json_object *w = json_object_array_get_idx(res->warnings, i);
			mwarn("%s: clip %s: %s", t->file_rel, jstr(w, "clip") ? jstr(w, "clip") : "?",
			    jstr(w, "message"));
		}
		break;
	case METAFILE_STALE:
		if (!quiet_stale)
			mwarn("%s: changed since it was read (etag %s is stale); nothing written",
			    t->file_rel, etag);
		break;
	case METAFILE_INVALID:
	case METAFILE_ERROR:
		mwarn("%s: %s", t->file_rel, res->why);
		break;
	}
	return r;
}

/* The record of a save: path, file, etag, and the warnings when any. */
static json_object *saved_record(struct target *t, struct metafile_result *res, json_object *doc)
{
	json_object *rec = result_record(t, res->etag, doc);
	if (json_object_array_length(res->warnings))
		json_object_object_add(rec, "warnings", json_object_get(res->warnings));
	return rec;
}

static int cmd_get(int argc, char **argv)
{
	int folder = 0, c;
	while ((c = getopt(argc, argv, "d")) != -1) {
		if (c != 'd')
			usage();
		folder = 1;
	}
	if (argc - optind != 1)
		usage();
	struct target t;
	int rc = EXIT_SOME, exists;
	if (target_open(argv[optind], folder, &t) < 0)
		goto out;
	struct metafile f = target_file(&t);
	json_object *v = metafile_view(&cfg, &f, &exists), *meta = json_object_object_get(v, "meta");
	json_object *rec = result_record(&t, jstr(v, "etag"), NULL);
	json_object_object_add(rec, "meta", json_object_get(meta));
	json_object_object_add(rec, "exists", json_object_new_boolean(exists));
	json_object_object_add(rec, "inherited", json_object_get(json_object_object_get(v, "inherited")));
	static const char *const extra[] = {"error", "inherited_error", NULL};
	for (const char *const *k = extra; *k; k++)
		if (jstr(v, *k))
			json_object_object_add(rec, *k, json_object_new_string(jstr(v, *k)));
	char why[512];
	int valid = !meta ? -1 : folder ? sidecar_folder_validate(&cfg, meta, why, sizeof why)
	    : sidecar_validate(&cfg, meta, -1, why, sizeof why);
	/* printed anyway, so that it can be fixed and set back */
	int printed = print_record(rec);
	if (jstr(v, "error"))
		mwarn("%s: %s", t.file_rel, jstr(v, "error"));
	else if (valid < 0)
		mwarn("%s: %s", t.file_rel, why);
	if (jstr(v, "inherited_error"))
		mwarn("%s", jstr(v, "inherited_error"));
	if (printed == 0 && valid == 0 && !jstr(v, "inherited_error"))
		rc = EXIT_ALLOK;
	json_object_put(v);
out:
	target_free(&t);
	return rc;
}

/* Reads the whole of stdin as one JSON document. */
static json_object *read_stdin_doc(void)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		/* the same limit as every reader of the file: a document that
		 * could be written but never read back is refused here */
		if (n > META_MAX_BYTES) {
			mwarn("stdin: larger than %u bytes", META_MAX_BYTES);
			free(buf);
			return NULL;
		}
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, stdin);
		n += r;
		if (r == 0) {
			if (ferror(stdin)) {
				mwarnerr("stdin: read error");
				free(buf);
				return NULL;
			}
			break;
		}
	}
	char why[256];
	json_object *doc = json_parse_strict(buf, n, why, sizeof why);
	free(buf);
	if (!doc)
		mwarn("stdin: malformed JSON: %s", why);
	return doc;
}

static int cmd_set(int argc, char **argv)
{
	int folder = 0, c;
	const char *etag = NULL;
	while ((c = getopt(argc, argv, "de:")) != -1) {
		switch (c) {
		case 'd': folder = 1; break;
		case 'e': etag = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 1)
		usage();
	struct target t;
	if (target_open(argv[optind], folder, &t) < 0) {
		target_free(&t);
		return EXIT_SOME;
	}
	int rc = EXIT_SOME;
	json_object *in = read_stdin_doc(), *doc = in;
	if (!in)
		goto out;
	/* the output of get, edited, can come back as it is */
	json_object *meta;
	if (json_object_is_type(in, json_type_object) &&
	    json_object_object_get_ex(in, "meta", &meta) &&
	    json_object_object_get_ex(in, "etag", NULL) &&
	    !json_object_object_get_ex(in, "clips", NULL)) {
		doc = meta;
		if (!etag)
			etag = jstr(in, "etag");
	}
	if (doc == in && json_object_is_type(in, json_type_object) && !jstr(in, "etag") &&
	    json_object_object_get_ex(in, "meta", NULL) && json_object_object_get_ex(in, "inherited", NULL)) {
		mwarn("stdin: a view without its etag (the output of get has one)");
		goto out;
	}
	struct metafile_result res;
	/* a document from stdin is written by hand: id-less clips get
	 * derived ids, as medusa-meta clips derives them */
	if (target_save(&t, doc, 0, etag, 0, &res) == METAFILE_SAVED)
		rc = print_record(saved_record(&t, &res, doc)) < 0 ? EXIT_SOME : EXIT_ALLOK;
	json_object_put(res.warnings);
out:
	json_object_put(in);
	target_free(&t);
	return rc;
}

/* A time as the user typed it: seconds stay a number, the rest a string. */
static json_object *time_arg(const char *s, const char *what)
{
	long long ms;
	const char *why;
	if (time_parse(s, &ms, &why) < 0) {
		mwarn("%s \"%s\": %s", what, s, why);
		return NULL;
	}
	if (!strchr(s, ':'))
		return time_to_json(ms);
	return json_object_new_string(s);
}

/* Applies tag=value (or, when unset, tag) arguments to a tags object. */
static int apply_tags(json_object *tags, char **args, int n, int unset)
{
	for (int i = 0; i < n; i++) {
		char *eq = strchr(args[i], '=');
		if (unset ? eq != NULL : eq == NULL) {
			mwarn("\"%s\": expected %s", args[i], unset ? "a tag name" : "tag=value");
			return -1;
		}
		char *name = xstrdup(args[i]);
		if (!unset)
			name[eq - args[i]] = '\0';
		const struct tagdef *td = config_tag(&cfg, name);
		if (!td) {
			mwarn("%s: unknown tag \"%s\" (not in %s)", args[i], name, BACKYARD_CONFIG);
			free(name);
			return -1;
		}
		if (unset) {
			json_object_object_del(tags, name);
		} else {
			char why[256];
			json_object *v = tag_value_from_string(td, eq + 1, why, sizeof why);
			if (!v) {
				mwarn("%s: tag \"%s\": %s", args[i], name, why);
				free(name);
				return -1;
			}
			json_object_object_add(tags, name, v);
		}
		free(name);
	}
	return 0;
}

/* The "tags" object of o, created when missing. */
static json_object *tags_of(json_object *o)
{
	json_object *tags;
	if (json_object_object_get_ex(o, "tags", &tags) && json_object_is_type(tags, json_type_object))
		return tags;
	tags = json_object_new_object();
	json_object_object_add(o, "tags", tags);
	return tags;
}

static json_object *clips_of(json_object *doc)
{
	json_object *clips;
	if (json_object_object_get_ex(doc, "clips", &clips) && json_object_is_type(clips, json_type_array))
		return clips;
	clips = json_object_new_array();
	json_object_object_add(doc, "clips", clips);
	return clips;
}

/* The index of the clip with id in clips, or -1 after a message naming file. */
static int find_clip(json_object *clips, const char *id, const char *file, size_t *at)
{
	size_t n = json_object_array_length(clips);
	for (size_t i = 0; i < n; i++) {
		const char *cid = jstr(json_object_array_get_idx(clips, i), "id");
		if (cid && strcmp(cid, id) == 0) {
			*at = i;
			return 0;
		}
	}
	mwarn("%s: no clip with id \"%s\"", file, id);
	return -1;
}

/* Read, change, validate, write: add, rm, tag and untag. */
enum edit { EDIT_ADD, EDIT_RM, EDIT_TAG, EDIT_UNTAG };

#define EDIT_STALE (-1)

static int edit_once(enum edit what, int folder, const char *path, const char *clip_id,
    char **args, int nargs, int quiet_stale)
{
	struct target t;
	json_object *view = NULL;
	struct metafile_result res = {0};
	int rc = EXIT_SOME;
	char id[CLIP_ID_LEN + 1] = "";
	if (target_open(path, folder, &t) < 0)
		goto out;
	struct metafile f = target_file(&t);
	view = metafile_view(&cfg, &f, NULL);
	/* the document as the view shows it: every clip with its id */
	json_object *doc = json_object_object_get(view, "meta");
	if (!doc) {
		mwarn("%s: %s", t.file_rel, jstr(view, "error"));
		goto out;
	}
	switch (what) {
	case EDIT_ADD: {
		json_object *start = time_arg(args[0], "start"), *end = time_arg(args[1], "end");
		if (!start || !end) {
			json_object_put(start);
			json_object_put(end);
			goto out;
		}
		json_object *clip = json_object_new_object();
		json_object *clips = clips_of(doc);
		clip_id_random(id);
		json_object_object_add(clip, "id", json_object_new_string(id));
		json_object_object_add(clip, "start", start);
		json_object_object_add(clip, "end", end);
		json_object_array_add(clips, clip);
		if (nargs > 2) {
			json_object *tags = json_object_new_object();
			json_object_object_add(clip, "tags", tags);
			if (apply_tags(tags, args + 2, nargs - 2, 0) < 0)
				goto out;
		}
		break;
	}
	case EDIT_RM: {
		json_object *clips = clips_of(doc);
		size_t i;
		if (find_clip(clips, clip_id, t.file_rel, &i) < 0)
			goto out;
		json_object_array_del_idx(clips, i, 1);
		break;
	}
	case EDIT_TAG:
	case EDIT_UNTAG: {
		json_object *owner = doc;
		if (clip_id) {
			json_object *clips = clips_of(doc);
			size_t i;
			if (find_clip(clips, clip_id, t.file_rel, &i) < 0)
				goto out;
			owner = json_object_array_get_idx(clips, i);
		}
		if (apply_tags(tags_of(owner), args, nargs, what == EDIT_UNTAG) < 0)
			goto out;
		break;
	}
	}
	enum metafile_status w = target_save(&t, doc, 1, jstr(view, "etag"), quiet_stale, &res);
	if (w != METAFILE_SAVED) {
		if (w == METAFILE_STALE && quiet_stale)
			rc = EDIT_STALE;
		goto out;
	}
	json_object *rec = saved_record(&t, &res, NULL);
	if (*id)
		json_object_object_add(rec, "clip", json_object_new_string(id));
	rc = print_record(rec) < 0 ? EXIT_SOME : EXIT_ALLOK;
out:
	json_object_put(res.warnings);
	json_object_put(view);
	target_free(&t);
	return rc;
}

/* A read-change-write that lost a race with another writer (the etag
 * changed under it) is done again on the new file. */
static int edit(enum edit what, int folder, const char *path, const char *clip_id,
    char **args, int nargs)
{
	for (int attempt = 1;; attempt++) {
		int r = edit_once(what, folder, path, clip_id, args, nargs, attempt < 20);
		if (r != EDIT_STALE)
			return r;
	}
}

static int cmd_add(int argc, char **argv)
{
	if (getopt(argc, argv, "") != -1 || argc - optind < 3)
		usage();
	return edit(EDIT_ADD, 0, argv[optind], NULL, argv + optind + 1, argc - optind - 1);
}

static int cmd_rm(int argc, char **argv)
{
	if (getopt(argc, argv, "") != -1 || argc - optind != 2)
		usage();
	return edit(EDIT_RM, 0, argv[optind], argv[optind + 1], NULL, 0);
}

static int cmd_tag(int argc, char **argv, enum edit what)
{
	int folder = 0, c;
	const char *clip = NULL;
	while ((c = getopt(argc, argv, "dc:")) != -1) {
		switch (c) {
		case 'd': folder = 1; break;
		case 'c': clip = optarg; break;
		default: usage();
		}
	}
	if ((folder && clip) || argc - optind < 2)
		usage();
	return edit(what, folder, argv[optind], clip, argv + optind + 1, argc - optind - 1);
}

/* The filter: video records in, clip records out. */
static int clips_of_video(json_object *rec, int *failed)
{
	const char *path = jstr(rec, "path");
	char why[1024], w[512];
	json_object *err = NULL;
	char *abs = NULL, *rel = NULL, *scpath = NULL;
	struct sidecar_file m = {0};
	struct tag_layer *layers = NULL;
	json_object *owned = NULL;
	int r = 0;
	const char *pwhy, *video = path;
	if (!path) {
		mwarn("stdin: a record without \"path\"");
		err = ndjson_error_record(NULL, NULL, "a record without \"path\"");
		goto out;
	}
	if (safepath_resolve(cfg.root, path, strlen(path), 1, &abs, &rel, &pwhy) != SAFEPATH_OK) {
		snprintf(why, sizeof why, "%s", pwhy);
		goto fail;
	}
	/* records name the video as the clean path ("a.mp4" for "./a.mp4"), so
	 * that publish matches an error record to the clips it must keep */
	video = rel;
	struct stat st;
	if (stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, sizeof why, "%s", !*rel ? "the backyard root is not a video" :
		    S_ISDIR(st.st_mode) ? "a folder, not a video file" : "not a video file");
		goto fail;
	}
	char *screl = xasprintf("%s%s", rel, SIDECAR_SUFFIX);
	/* a sidecar that is a symlink out of the backyard is not read */
	if (safepath_resolve(cfg.root, screl, strlen(screl), 0, &scpath, NULL, &pwhy) != SAFEPATH_OK) {
		snprintf(why, sizeof why, "%s: %s", screl, pwhy);
		free(screl);
		goto fail;
	}
	if (sidecar_read(scpath, &m, w, sizeof w) < 0) {
		snprintf(why, sizeof why, "%s: %s", screl, w);
		free(screl);
		goto fail;
	}
	double dsec;
	long long dur = jdouble(rec, "duration", &dsec) == 0 && dsec >= 0 ? (long long)(dsec * 1000 + 0.5) : -1;
	if (sidecar_validate(&cfg, m.doc, dur, w, sizeof w) < 0) {
		snprintf(why, sizeof why, "%s: %s", screl, w);
		free(screl);
		goto fail;
	}
	free(screl);
	sidecar_assign_ids(m.doc, rel, 1);
	size_t nl;
	if (sidecar_video_layers(&cfg, rel, m.doc, &layers, &nl, &owned, why, sizeof why) < 0)
		goto fail;
	json_object *clips = json_object_object_get(m.doc, "clips");
	size_t n = clips ? json_object_array_length(clips) : 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		json_object *c = json_object_array_get_idx(clips, i);
		const char *id = jstr(c, "id");
		layers[nl].source = "clip";
		layers[nl].tags = json_object_object_get(c, "tags");
		json_object *eff = tags_effective(&cfg, layers, nl + 1, NULL);
		if (tags_check_complete(&cfg, eff, w, sizeof w) < 0) {
			json_object_put(eff);
			mwarn("%s: clip %s: %s", path, id, w);
			*failed = 1;
			r = print_record(ndjson_error_record(video, id, w));
			continue;
		}
		long long start = 0, end = 0;
		time_parse_json(json_object_object_get(c, "start"), &start, NULL);
		time_parse_json(json_object_object_get(c, "end"), &end, NULL);
		json_object *out = json_object_new_object();
		json_object_object_foreach(rec, k, v)
			json_object_object_add(out, k, json_object_get(v));
		json_object_object_add(out, "video", json_object_new_string(video));
		json_object_object_add(out, "clip", json_object_new_string(id));
		json_object_object_add(out, "start", time_to_json(start));
		json_object_object_add(out, "end", time_to_json(end));
		json_object_object_add(out, "tags", eff);
		r = print_record(out);
	}
	goto out;
fail:
	mwarn("%s: %s", *path ? path : "\"\"", why);
	err = ndjson_error_record(video, NULL, why);
out:
	if (err) {
		*failed = 1;
		r = print_record(err);
	}
	free(layers);
	json_object_put(owned);
	sidecar_file_free(&m);
	free(scpath);
	free(abs);
	free(rel);
	return r;
}

static int cmd_clips(int argc, char **argv)
{
	if (getopt(argc, argv, "") != -1 || argc != optind)
		usage();
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
		int r;
		if (ndjson_is_error(rec) || ndjson_is_summary(rec))
			r = ndjson_write(stdout, rec);
		else
			r = clips_of_video(rec, &failed);
		json_object_put(rec);
		if (r < 0) {
			failed = 1;
			break;
		}
	}
	ndjson_close(rd);
	return failed ? EXIT_SOME : EXIT_ALLOK;
}

static int cmd_init(int argc, char **argv)
{
	if (getopt(argc, argv, "") != -1 || argc - optind > 1)
		usage();
	const char *dir = optind < argc ? argv[optind] : ".";
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (errno == 0)
			errno = ENOTDIR;
		mwarnerr("%s", dir);
		return EXIT_SOME;
	}
	char *p = path_join(dir, BACKYARD_CONFIG);
	int rc = EXIT_ALLOK;
	if (lstat(p, &st) == 0) {
		mwarn("%s: already there; not overwritten", p);
		rc = EXIT_SOME;
	} else if (atomic_write(p, config_example, strlen(config_example), 0644) < 0) {
		mwarnerr("%s: cannot write", p);
		rc = EXIT_SOME;
	}
	free(p);
	return rc;
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "+C:h")) != -1) {
		if (c != 'C')
			usage();
		root_dir = optarg;
	}
	if (optind >= argc)
		usage();
	/* a file size limit makes write(2) fail with EFBIG, not kill us */
	signal(SIGXFSZ, SIG_IGN);
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "cannot initialise libsodium");
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: start over, argv[0] is the command */
	/* getopt names argv[0] in its messages: "medusa-meta: invalid option",
	 * not "add: invalid option" */
	argv[0] = program_invocation_short_name;
	int rc;
	if (strcmp(cmd, "init") == 0) {
		rc = cmd_init(argc, argv);
		return close_stdout() < 0 ? EXIT_SOME : rc;
	}
	static const char *const cmds[] = {"get", "set", "add", "rm", "tag", "untag", "clips", NULL};
	const char *const *k;
	for (k = cmds; *k; k++)
		if (strcmp(cmd, *k) == 0)
			break;
	if (!*k) {
		mwarn("unknown command \"%s\"", cmd);
		usage();
	}
	config_open(root_dir, &cfg);
	if (strcmp(cmd, "get") == 0)
		rc = cmd_get(argc, argv);
	else if (strcmp(cmd, "set") == 0)
		rc = cmd_set(argc, argv);
	else if (strcmp(cmd, "add") == 0)
		rc = cmd_add(argc, argv);
	else if (strcmp(cmd, "rm") == 0)
		rc = cmd_rm(argc, argv);
	else if (strcmp(cmd, "tag") == 0)
		rc = cmd_tag(argc, argv, EDIT_TAG);
	else if (strcmp(cmd, "untag") == 0)
		rc = cmd_tag(argc, argv, EDIT_UNTAG);
	else
		rc = cmd_clips(argc, argv);
	config_free(&cfg);
	if (close_stdout() < 0)
		rc = EXIT_SOME;
	return rc;
}
