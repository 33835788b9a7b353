/* medusa-serve backyard: GET /api/publish. The last medusa-reconcile left
 * every record it published in WORKDIR/reconcile.ndjson, the summary last;
 * a clip saved since is "pending" until a run publishes it with the same
 * times and effective tags. The editor shows this with the command to run:
 * the server itself runs nothing. */
#include "serve_publish.h"
#include "hash.h"
#include "ndjson.h"
#include "sidecar.h"
#include "tags.h"
#include "timefmt.h"
#include "util.h"
#include "walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_NAME "reconcile.ndjson"
#define DIGEST 16

struct published {
	char (*d)[DIGEST + 1];  /* digests of what was published, sorted */
	size_t n, cap;
	json_object *summary;   /* the "publish" object of the summary, or NULL */
};

struct tally {
	const struct config *cfg;
	struct published *pub;
	long long saved, pending, invalid, broken;
};

/* One published clip as text: id, times and effective tags in canonical
 * JSON, so that key order never makes a clip look changed. */
static void digest_of(const char *id, long long start, long long end, json_object *tags,
    char out[DIGEST + 1])
{
	char *canon = json_canonical(tags);
	char *text = xasprintf("%s %lld %lld %s", id, start, end, canon ? canon : "{}");
	char hex[HASH_HEX_LEN + 1];
	hash_buffer_hex(text, strlen(text), hex);
	memcpy(out, hex, DIGEST);
	out[DIGEST] = '\0';
	free(text);
	free(canon);
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST);
}

static void add_published(struct published *p, json_object *rec)
{
	const char *id = jstr(rec, "clip");
	long long start, end;
	if (!id || ndjson_is_error(rec) ||
	    time_parse_json(json_object_object_get(rec, "start"), &start, NULL) < 0 ||
	    time_parse_json(json_object_object_get(rec, "end"), &end, NULL) < 0)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->d = xrealloc(p->d, p->cap * sizeof *p->d);
	}
	digest_of(id, start, end, json_object_object_get(rec, "tags"), p->d[p->n++]);
}

/* Reads the log; 0 when there is none (no reconcile yet), 1 when read. */
static int read_log(const char *file, struct published *p)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	struct ndjson_reader *rd = ndjson_open(f, file);
	json_object *rec;
	int r;
	while ((r = ndjson_next(rd, &rec)) != NDJSON_EOF && r != NDJSON_IOERR) {
		if (r != NDJSON_RECORD)
			continue;
		json_object *sum, *pub;
		if (json_object_object_get_ex(rec, "summary", &sum) &&
		    json_object_object_get_ex(sum, "publish", &pub)) {
			json_object_put(p->summary);
			p->summary = json_object_get(pub);
		} else {
			add_published(p, rec);
		}
		json_object_put(rec);
	}
	ndjson_close(rd);
	fclose(f);
	if (p->n)
		qsort(p->d, p->n, sizeof *p->d, cmp_digest);
	return 1;
}

/* Each clip of a video's sidecar as medusa-meta clips makes it (derived
 * ids for clips without one, effective tags), counted against the log. */
static void tally_clips(struct tally *t, const char *rel, json_object *doc)
{
	struct tag_layer *layers = NULL;
	json_object *owned = NULL;
	size_t nl;
	char why[512];
	sidecar_assign_ids(doc, rel, 1);
	json_object *clips = json_object_object_get(doc, "clips");
	size_t n = clips ? json_object_array_length(clips) : 0;
	if (sidecar_video_layers(t->cfg, rel, doc, &layers, &nl, &owned, why, sizeof why) < 0) {
		t->invalid += (long long)n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(clips, i);
		layers[nl] = (struct tag_layer){"clip", json_object_object_get(c, "tags")};
		json_object *eff = tags_effective(t->cfg, layers, nl + 1, NULL);
		long long start = 0, end = 0;
		time_parse_json(json_object_object_get(c, "start"), &start, NULL);
		time_parse_json(json_object_object_get(c, "end"), &end, NULL);
		char d[DIGEST + 1];
		digest_of(jstr(c, "id"), start, end, eff, d);
		if (tags_check_complete(t->cfg, eff, why, sizeof why) < 0)
			t->invalid++;
		else if (t->saved++, !t->pub->n || !bsearch(d, t->pub->d, t->pub->n, sizeof *t->pub->d, cmp_digest))
			t->pending++;
		json_object_put(eff);
	}
	free(layers);
	json_object_put(owned);
}

static int tally_video(const struct walk_item *it, void *arg)
{
	struct tally *t = arg;
	if (!it->st || !it->sidecar)
		return 0;
	char *abs = path_join(t->cfg->root, it->sidecar);
	struct sidecar_file m;
	char why[512];
	if (sidecar_read(abs, &m, why, sizeof why) < 0 ||
	    sidecar_validate(t->cfg, m.doc, -1, why, sizeof why) < 0)
		t->broken++;
	else
		tally_clips(t, it->path, m.doc);
	sidecar_file_free(&m);
	free(abs);
	return 0;
}

/* The command line a user pastes: the root in single quotes when needed. */
static json_object *command_of(const char *root)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@";
	char *q;
	if (root[strspn(root, plain)] == '\0') {
		q = xstrdup(root);
	} else {
		q = xmalloc(4 * strlen(root) + 3);
		char *o = q;
		*o++ = '\'';
		for (const char *r = root; *r; r++) {
			if (*r == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *r;
			}
		}
		*o++ = '\'';
		*o = '\0';
	}
	char *cmd = xasprintf("medusa-reconcile -C %s", q);
	json_object *j = json_object_new_string(cmd);
	free(cmd);
	free(q);
	return j;
}

static json_object *reconcile_json(const char *log, const struct published *p)
{
	struct stat st;
	if (!p->summary || stat(log, &st) < 0)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_int64(st.st_mtim.tv_sec));
	static const char *const keys[] = {"generation", "clips", "changed", "failed", "pruned"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_object *v = json_object_object_get(p->summary, keys[i]);
		json_object_object_add(o, keys[i], v ? json_object_get(v) : json_object_new_int(0));
	}
	return o;
}

int serve_publish_status(struct serve *s, struct http_conn *c)
{
	if (strcmp(c->req.method, "GET") && strcmp(c->req.method, "HEAD"))
		return serve_405(c, "GET, HEAD");
	struct published p = {0};
	char *log = path_join(s->cfg->workdir, LOG_NAME);
	if (read_log(log, &p) < 0)
		mwarnerr("%s", log);
	struct tally t = {s->cfg, &p, 0, 0, 0, 0};
	int complete = walk_backyard(s->cfg, tally_video, &t) == 0;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "reconcile", reconcile_json(log, &p));
	json_object_object_add(o, "saved", json_object_new_int64(t.saved));
	json_object_object_add(o, "pending", json_object_new_int64(t.pending));
	json_object_object_add(o, "invalid", json_object_new_int64(t.invalid));
	json_object_object_add(o, "broken", json_object_new_int64(t.broken));
	json_object_object_add(o, "complete", json_object_new_boolean(complete));
	json_object_object_add(o, "command", command_of(s->cfg->root));
	int rc = http_json(c, 200, o, 0, NULL);
	json_object_put(o);
	json_object_put(p.summary);
	free(p.d);
	free(log);
	return rc;
}
