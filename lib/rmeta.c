/* rmeta.c: the remote metastore of rmeta.h. */
#include "rmeta.h"
#include "atomic.h"
#include "hash.h"
#include "metastore_file.h"
#include "ndjson.h"
#include "s3.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A key of the snapshot that is safe to fetch or keep, else skipped with a
 * warning: what each_key hands on. */
struct key_walk {
	const char *metastore;
	int (*each)(void *arg, const char *key, long long bytes, const char *hash, const char *mime);
	void *arg;
};

static int valid_key(void *arg, const char *key, long long bytes, const char *hash, const char *mime)
{
	struct key_walk *w = arg;
	if (!key || !store_key_valid(key)) {
		mwarn("%s: skipping an invalid storage key", w->metastore);
		return 0;
	}
	return w->each(w->arg, key, bytes, hash, mime);
}

int rmeta_each_key(const char *metastore,
    int (*each)(void *arg, const char *key, long long bytes, const char *hash, const char *mime),
    void *arg)
{
	struct key_walk w = {metastore, each, arg};
	return metastore_file_each_key(metastore, valid_key, &w);
}

static int print_key(void *arg, const char *key, long long bytes, const char *hash, const char *mime)
{
	json_object *o = json_object_new_object();
	int rc;
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "bytes", json_object_new_int64(bytes));
	json_object_object_add(o, "hash", hash ? json_object_new_string(hash) : NULL);
	json_object_object_add(o, "mime", mime ? json_object_new_string(mime) : NULL);
	rc = ndjson_write(arg, o);
	json_object_put(o);
	return rc;
}

int rmeta_keys(const char *metastore, FILE *out)
{
	return rmeta_each_key(metastore, print_key, out);
}

static int write_key_line(void *arg, const char *key, long long bytes, const char *hash, const char *mime)
{
	return fprintf(arg, "%s\n", key) < 0 ? -1 : 0;
}

/* A private work directory for snapshots and downloads. */
static char *work_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *d = xasprintf("%s/medusa-rmeta.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(d)) {
		mwarnerr("%s", d);
		free(d);
		return NULL;
	}
	return d;
}

static void work_dir_remove(char *d, const char *const *names)
{
	if (!d)
		return;
	for (int i = 0; names[i]; i++) {
		char *p = path_join(d, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(d);
	free(d);
}

static const char *const work_files[] = {"snapshot.sqlite", "snapshot.sqlite-journal", "keys",
    "generation", "manifest", NULL};

/* A consistent copy of the metastore (metastore_file_snapshot) and its
 * generation. */
int rmeta_snapshot(const char *metastore, const char *out, long long *generation)
{
	if (metastore_file_snapshot(metastore, out) < 0)
		return -1;
	return metastore_file_generation(out, generation);
}

/* Where generation objects and snapshots are read from: a store, or a
 * public base URL (a CDN in front of the bucket) read without signing. */
struct source {
	struct store *st;
	struct s3 *pub;
	const char *name;
};

/* Copies key to path: 1, 0 when there is no such key, -1 on error. */
static int src_get(struct source *src, const char *key, const char *path)
{
	char *tmp;
	int fd, rc;
	if (src->st) {
		long long size;
		rc = store_stat(src->st, key, &size, NULL, 0);
		if (rc == 1 && store_get_file(src->st, key, path) < 0)
			rc = -1;
		return rc;
	}
	fd = atomic_tmpfile_beside(path, &tmp);
	if (fd < 0) {
		mwarnerr("%s", path);
		return -1;
	}
	rc = s3_get_fd(src->pub, key, fd);
	if (rc == 1 && atomic_commit_tmpfile(fd, tmp, path) < 0) {
		mwarnerr("%s", path);
		rc = -1;
	} else if (rc != 1) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* Whether o is a generation object as rmeta_push writes it; NULL, or
 * what is wrong. */
static const char *genobj_invalid(json_object *o)
{
	long long g;
	const char *h = jstr(o, "hash"), *k = jstr(o, "keys");
	if (!json_object_is_type(o, json_type_object))
		return "not a JSON object";
	if (jint64(o, "generation", &g) < 0 || g < 0)
		return "no valid \"generation\"";
	if (!jstr(o, "snapshot") || !store_key_valid(jstr(o, "snapshot")))
		return "no valid \"snapshot\"";
	if (!h || !*h)
		return "no \"hash\"";
	if (json_object_object_get_ex(o, "keys", NULL) && (!k || !store_key_valid(k)))
		return "no valid \"keys\"";
	return NULL;
}

/* Reads the generation object: the parsed object; NULL with *missing set
 * when there is none; NULL with broken filled when there is one that is
 * empty, truncated or not a generation object (its generation is
 * unknown); NULL after a message when it cannot be read. */
static json_object *src_genobj(struct source *src, const char *dir, int *missing,
    char *broken, size_t bn)
{
	char *p, *buf = NULL, why[160];
	size_t len;
	json_object *o = NULL;
	const char *bad;
	int st;
	*missing = 0;
	broken[0] = '\0';
	p = path_join(dir, "generation");
	st = src_get(src, RMETA_GENERATION_KEY, p);
	if (st == 0)
		*missing = 1;
	if (st == 1) {
		if (atomic_read_file(p, 1 << 20, &buf, &len) < 0) {
			if (errno == EFBIG)
				snprintf(broken, bn, "larger than 1 MiB");
			else
				mwarnerr("%s", p);
		} else if (len == 0) {
			snprintf(broken, bn, "empty (0 bytes)");
		} else if (!(o = json_parse_strict(buf, len, why, sizeof why))) {
			snprintf(broken, bn, "truncated or not JSON (%zu bytes: %s)", len, why);
		} else if ((bad = genobj_invalid(o))) {
			snprintf(broken, bn, "not a generation object (%s)", bad);
			json_object_put(o);
			o = NULL;
		}
	}
	unlink(p);
	free(p);
	free(buf);
	return o;
}

static json_object *get_genobj(struct store *s, const char *dir, int *missing,
    char *broken, size_t bn)
{
	struct source src = {s, NULL, s->url};
	return src_genobj(&src, dir, missing, broken, bn);
}

static long long genobj_generation(json_object *o)
{
	long long g = -1;
	if (!o || jint64(o, "generation", &g) < 0)
		return -1;
	return g;
}

/* The snapshots under meta/snapshots/ that have both their database and
 * their manifest, by generation. */
struct snapfound {
	struct snapent {
		long long gen;
		char *name;             /* "G-HASH16" */
		int have;               /* 1 .sqlite, 2 .keys */
	} *e;
	size_t n;
};

static int snap_each(void *arg, const char *key, long long size)
{
	struct snapfound *f = arg;
	const char *name = key + strlen(RMETA_SNAPSHOT_DIR), *dash = strchr(name, '-'), *dot;
	char *end;
	long long g;
	int kind;
	(void)size;
	if (!dash || !(dot = strchr(dash, '.')) || dot - dash != 17)
		return 0;
	kind = !strcmp(dot, ".sqlite") ? 1 : !strcmp(dot, ".keys") ? 2 : 0;
	g = strtoll(name, &end, 10);
	if (!kind || end != dash || g < 0 || strspn(dash + 1, "0123456789abcdef") < 16)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (!strncmp(f->e[i].name, name, (size_t)(dot - name)) && !f->e[i].name[dot - name]) {
			f->e[i].have |= kind;
			return 0;
		}
	f->e = xrealloc(f->e, (f->n + 1) * sizeof *f->e);
	f->e[f->n].gen = g;
	f->e[f->n].name = strndup(name, (size_t)(dot - name));
	if (!f->e[f->n].name)
		mdie(EXIT_USAGE, "out of memory");
	f->e[f->n++].have = kind;
	return 0;
}

static int snap_newer_first(const void *a, const void *b)
{
	const struct snapent *x = a, *y = b;
	return x->gen < y->gen ? 1 : x->gen > y->gen ? -1 : strcmp(x->name, y->name);
}

static json_object *snap_entry(const struct snapent *e)
{
	json_object *o = json_object_new_object();
	char *k = xasprintf(RMETA_SNAPSHOT_DIR "%s.sqlite", e->name);
	json_object_object_add(o, "generation", json_object_new_int64(e->gen));
	json_object_object_add(o, "snapshot", json_object_new_string(k));
	free(k);
	k = xasprintf(RMETA_SNAPSHOT_DIR "%s.keys", e->name);
	json_object_object_add(o, "keys", json_object_new_string(k));
	free(k);
	return o;
}

/* A stand-in for an unreadable generation object, made from the whole
 * snapshots found: the newest as the current one, the others as its
 * history. NULL with *found = 0 when there is none, (size_t)-1 on error. */
static json_object *rebuild_genobj(struct store *s, size_t *found)
{
	struct snapfound f = {0};
	json_object *o = NULL, *hist;
	size_t k = 0;
	if (store_list(s, RMETA_SNAPSHOT_DIR, snap_each, &f) != 0) {
		mwarn("%s: cannot list %s", s->url, RMETA_SNAPSHOT_DIR);
		*found = (size_t)-1;
		goto out;
	}
	for (size_t i = 0; i < f.n; i++)
		if (f.e[i].have == 3)
			f.e[k++] = f.e[i];
		else
			free(f.e[i].name);
	f.n = k;
	*found = f.n;
	if (!f.n)
		goto out;
	qsort(f.e, f.n, sizeof *f.e, snap_newer_first);
	o = snap_entry(&f.e[0]);
	hist = json_object_new_array();
	for (size_t i = 1; i < f.n; i++)
		json_object_array_add(hist, snap_entry(&f.e[i]));
	json_object_object_add(o, "history", hist);
out:
	for (size_t i = 0; i < f.n; i++)
		free(f.e[i].name);
	free(f.e);
	return o;
}

/* What a push works with (push_free frees it). */
struct push {
	struct store *s;
	const char *metastore;
	char *dir, *snap, *manifest, *genfile, *skey, *mkey;
	char hash[HASH_HEX_LEN + 1];
	json_object *old;               /* the remote generation object, or NULL */
	long long gen, rgen, bytes;     /* local and remote generation, snapshot size */
};

static void push_free(struct push *P)
{
	json_object_put(P->old);
	free(P->skey);
	free(P->mkey);
	free(P->snap);
	free(P->manifest);
	free(P->genfile);
	work_dir_remove(P->dir, work_files);
}

/* The remote generation object into P->old: NULL when there is none,
 * rebuilt from the snapshots when it is unreadable. 1 when the remote has
 * this generation already and what it names is there (printed: nothing
 * to do), 0 to go on, -1 on error. */
static int push_remote(struct push *P, int force)
{
	char broken[256];
	int missing;
	P->old = get_genobj(P->s, P->dir, &missing, broken, sizeof broken);
	if (!P->old && !missing && !*broken)
		return -1;
	if (P->old && genobj_generation(P->old) == P->gen && !force) {
		/* already there: upload nothing, leave the switch alone, but
		 * only when what it names is there */
		long long size;
		int st = store_stat(P->s, jstr(P->old, "snapshot"), &size, NULL, 0);
		if (st < 0)
			return -1;
		if (st == 1)
			return ndjson_write(stdout, P->old) == 0 ? 1 : -1;
		snprintf(broken, sizeof broken, "it names %s, which is not there", jstr(P->old, "snapshot"));
		json_object_put(P->old);
		P->old = NULL;
	}
	if (*broken) {
		/* its generation is unknown: what the snapshots say instead */
		size_t found = 0;
		if (!(P->old = rebuild_genobj(P->s, &found)) && found == (size_t)-1)
			return -1;
		mwarn("%s: %s is unreadable (%s): rebuilding it from the %zu snapshot%s under %s",
		    P->s->url, RMETA_GENERATION_KEY, broken, found, found == 1 ? "" : "s", RMETA_SNAPSHOT_DIR);
	}
	return 0;
}

/* The snapshot that goes up in P->snap, with its generation, hash, size
 * and keys; never one older than the remote's (unless forced). 0 or -1. */
static int push_snapshot(struct push *P, int force)
{
	struct stat sb;
	/* a snapshot already (rollback journal, as rmeta_snapshot makes them)
	 * goes up as it is; a live metastore is copied consistently first */
	if (metastore_file_is_snapshot(P->metastore)) {
		free(P->snap);
		P->snap = xstrdup(P->metastore);
	} else if (rmeta_snapshot(P->metastore, P->snap, &P->gen) < 0) {
		return -1;
	}
	P->rgen = P->old ? genobj_generation(P->old) : 0;
	if (P->old && P->rgen > P->gen && !force) {
		mwarn("%s: the remote generation %lld is newer than %lld in %s: refusing to go back "
		    "(another publisher? -f to force)", P->s->url, P->rgen, P->gen, P->metastore);
		return -1;
	}
	if (hash_file_hex(P->snap, P->hash) < 0 || stat(P->snap, &sb) < 0) {
		mwarnerr("%s", P->snap);
		return -1;
	}
	P->bytes = (long long)sb.st_size;
	P->skey = xasprintf(RMETA_SNAPSHOT_DIR "%lld-%.16s.sqlite", P->gen, P->hash);
	P->mkey = xasprintf(RMETA_SNAPSHOT_DIR "%lld-%.16s.keys", P->gen, P->hash);
	return 0;
}

/* The previous generations the new object keeps (keep at most): the one
 * it replaces first, then its history. */
static json_object *push_history(const struct push *P, int keep)
{
	json_object *hist = json_object_new_array(), *oh, *old = P->old;
	if (!old || keep <= 0)
		return hist;
	/* a rebuilt one may name the snapshot going up now: not twice */
	if (strcmp(jstr(old, "snapshot"), P->skey)) {
		json_object *prev = json_object_new_object();
		json_object_object_add(prev, "generation", json_object_new_int64(P->rgen));
		json_object_object_add(prev, "snapshot", json_object_new_string(jstr(old, "snapshot")));
		if (jstr(old, "keys"))
			json_object_object_add(prev, "keys", json_object_new_string(jstr(old, "keys")));
		json_object_array_add(hist, prev);
	}
	if (json_object_object_get_ex(old, "history", &oh) && json_object_is_type(oh, json_type_array))
		for (size_t i = 0; i < json_object_array_length(oh) &&
		    json_object_array_length(hist) < (size_t)keep; i++) {
			json_object *h = json_object_array_get_idx(oh, i);
			if (!jstr(h, "snapshot") || strcmp(jstr(h, "snapshot"), P->skey))
				json_object_array_add(hist, json_object_get(h));
		}
	return hist;
}

/* The new generation object (RMETA_GENERATION_KEY in rmeta.h). */
static json_object *push_genobj(const struct push *P, int keep)
{
	json_object *obj = json_object_new_object();
	json_object_object_add(obj, "generation", json_object_new_int64(P->gen));
	json_object_object_add(obj, "snapshot", json_object_new_string(P->skey));
	json_object_object_add(obj, "hash", json_object_new_string(P->hash));
	json_object_object_add(obj, "bytes", json_object_new_int64(P->bytes));
	json_object_object_add(obj, "keys", json_object_new_string(P->mkey));
	json_object_object_add(obj, "time", json_object_new_int64((long long)time(NULL)));
	json_object_object_add(obj, "history", push_history(P, keep));
	return obj;
}

/* -n: what would go up, printed. */
static int push_plan(const struct push *P)
{
	json_object *plan = json_object_new_object();
	json_object_object_add(plan, "upload", json_object_new_string(P->skey));
	json_object_object_add(plan, "bytes", json_object_new_int64(P->bytes));
	json_object_object_add(plan, "generation", json_object_new_int64(P->gen));
	int rc = ndjson_write(stdout, plan);
	json_object_put(plan);
	return rc;
}

/* The manifest and snapshot first; the switch (obj) last, then printed. */
static int push_upload(struct push *P, json_object *obj)
{
	FILE *f = fopen(P->manifest, "w");
	if (!f) {
		mwarnerr("%s", P->manifest);
		return -1;
	}
	int k = rmeta_each_key(P->snap, write_key_line, f);
	if (fclose(f) != 0 || k < 0) {
		mwarn("%s: cannot write the key manifest", P->manifest);
		return -1;
	}
	if (store_put_file(P->s, P->mkey, P->manifest, "text/plain", NULL, 0) < 0 ||
	    store_put_file(P->s, P->skey, P->snap, "application/vnd.sqlite3", P->hash, 0) < 0)
		return -1;
	const char *text = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (atomic_write(P->genfile, text, strlen(text), 0644) < 0) {
		mwarnerr("%s", P->genfile);
		return -1;
	}
	if (store_put_file(P->s, RMETA_GENERATION_KEY, P->genfile, "application/json", NULL, 0) < 0)
		return -1;
	return ndjson_write(stdout, obj);
}

int rmeta_push(struct store *s, const char *metastore, int keep, int force, int dry)
{
	struct push P = {.s = s, .metastore = metastore};
	json_object *obj = NULL;
	int rc = -1, st;
	if (!(P.dir = work_dir()))
		return -1;
	P.snap = path_join(P.dir, "snapshot.sqlite");
	P.manifest = path_join(P.dir, "manifest");
	P.genfile = path_join(P.dir, "generation");
	/* the generation first: when the remote has it, nothing is copied */
	st = metastore_file_generation(metastore, &P.gen) < 0 ? -1 : push_remote(&P, force);
	if (st != 0) {
		rc = st > 0 ? 0 : -1;
	} else if (push_snapshot(&P, force) == 0) {
		obj = push_genobj(&P, keep);
		rc = dry ? push_plan(&P) : push_upload(&P, obj);
	}
	json_object_put(obj);
	push_free(&P);
	return rc;
}

int rmeta_show(struct store *s)
{
	char *dir = work_dir(), broken[256];
	json_object *o;
	int missing, rc = -1;
	if (!dir)
		return -1;
	o = get_genobj(s, dir, &missing, broken, sizeof broken);
	if (o) {
		rc = ndjson_write(stdout, o);
	} else if (missing) {
		rc = fputs("{\"generation\":0}\n", stdout) < 0 ? -1 : 0;
	} else if (*broken) {
		/* what is true: there is one, and nobody can tell its generation */
		json_object *u = json_object_new_object();
		json_object_object_add(u, "generation", NULL);
		json_object_object_add(u, "unreadable", json_object_new_string(broken));
		mwarn("%s: %s: %s", s->url, RMETA_GENERATION_KEY, broken);
		(void)ndjson_write(stdout, u);
		json_object_put(u);
	}
	json_object_put(o);
	work_dir_remove(dir, work_files);
	return rc;
}

/* A sorted set of keys. */
struct keyset {
	char **k;
	size_t n, cap;
};

static void keyset_add(struct keyset *ks, const char *key)
{
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 1024;
		ks->k = xrealloc(ks->k, ks->cap * sizeof *ks->k);
	}
	ks->k[ks->n++] = xstrdup(key);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int keyset_has(const struct keyset *ks, const char *key)
{
	return bsearch(&key, ks->k, ks->n, sizeof *ks->k, cmpstr) != NULL;
}

static void keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
}

/* Adds every line of a file to ks. */
static int keyset_load(struct keyset *ks, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	if (!f) {
		mwarnerr("%s", path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len)
			keyset_add(ks, line);
	}
	if (ferror(f)) {
		mwarnerr("%s", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* Adds a generation's snapshot, manifest and every key in the manifest. */
static int keep_generation(struct store *s, const char *dir, json_object *g, struct keyset *ks)
{
	const char *snap = jstr(g, "snapshot"), *keys = jstr(g, "keys");
	char *p;
	int rc;
	if (!snap || !keys || !store_key_valid(snap) || !store_key_valid(keys)) {
		mwarn("%s: %s: a generation without valid snapshot and keys", s->url, RMETA_GENERATION_KEY);
		return -1;
	}
	keyset_add(ks, snap);
	keyset_add(ks, keys);
	p = path_join(dir, "keys");
	/* a manifest that cannot be read stops gc: never delete what a live
	 * generation may reference */
	rc = store_get_file(s, keys, p);
	if (rc == 0)
		rc = keyset_load(ks, p);
	unlink(p);
	free(p);
	return rc;
}

struct gcwalk {
	struct keyset *keep;
	struct keyset del;
	int dry;
};

static int gc_each(void *arg, const char *key, long long size)
{
	struct gcwalk *w = arg;
	json_object *o;
	int rc;
	if (strncmp(key, "clips/", 6) && strncmp(key, RMETA_SNAPSHOT_DIR, strlen(RMETA_SNAPSHOT_DIR)))
		return 0;
	if (keyset_has(w->keep, key))
		return 0;
	keyset_add(&w->del, key);
	o = json_object_new_object();
	json_object_object_add(o, "delete", json_object_new_string(key));
	json_object_object_add(o, "size", json_object_new_int64(size));
	rc = ndjson_write(stdout, o);
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

/* Walks a listing that medusa-store ls wrote, as store_list would. */
static int walk_listing(const char *path, int (*each)(void *arg, const char *key, long long size),
    void *arg)
{
	FILE *f = fopen(path, "r");
	struct ndjson_reader *r;
	json_object *o;
	int st, rc = 0;
	if (!f) {
		mwarnerr("%s", path);
		return -1;
	}
	r = ndjson_open(f, path);
	while (rc == 0 && (st = ndjson_next(r, &o)) != NDJSON_EOF) {
		long long size = -1;
		const char *k;
		if (st < 0) {
			rc = -1;
			break;
		}
		k = jstr(o, "key");
		(void)jint64(o, "size", &size);
		if (!k || !store_key_removable(k)) {
			mwarn("%s:%lu: not a listing record", path, ndjson_lineno(r));
			rc = -1;
		} else {
			rc = each(arg, k, size);
		}
		json_object_put(o);
	}
	ndjson_close(r);
	fclose(f);
	return rc;
}

/* meta/clean = "G KEEP[ RULE]": a gc with this keep finished at
 * generation G of the copy made under this publication rule, so that a
 * sync that finds the same can stop early. Written only when it says
 * something else. */
static int write_clean(struct store *s, const char *dir, long long gen, int keep, const char *rule)
{
	char *p = path_join(dir, "generation"), *have = NULL;
	char *want = xasprintf("%lld %d%s%s\n", gen, keep, *rule ? " " : "", rule);
	size_t len = 0;
	long long size;
	int rc = 0;
	if (store_stat(s, RMETA_CLEAN_KEY, &size, NULL, 0) == 1 && size == (long long)strlen(want) &&
	    store_get_file(s, RMETA_CLEAN_KEY, p) == 0 && atomic_read_file(p, strlen(want) + 1, &have, &len) == 0 &&
	    len == strlen(want) && !memcmp(have, want, len))
		goto out;
	if (atomic_write(p, want, strlen(want), 0644) < 0) {
		mwarnerr("%s", p);
		rc = -1;
	} else if (store_put_file(s, RMETA_CLEAN_KEY, p, "text/plain", NULL, 0) < 0) {
		rc = -1;
	}
out:
	unlink(p);
	free(p);
	free(have);
	free(want);
	return rc;
}

int rmeta_gc(struct store *s, int keep, const char *keyfile, const char *listing, int dry,
    const char *clean)
{
	char *dir = work_dir(), broken[256];
	struct keyset ks = {0};
	struct gcwalk w = {&ks, {0}, dry};
	json_object *o, *h;
	int missing, rc = -1;
	if (!dir)
		return -1;
	o = get_genobj(s, dir, &missing, broken, sizeof broken);
	if (!o && *broken) {
		mwarn("%s: %s is unreadable (%s): which files are live is unknown, deleting nothing "
		    "(medusa-sync rebuilds it)", s->url, RMETA_GENERATION_KEY, broken);
		goto out;
	}
	if (!o && !missing)
		goto out;
	if (!o && !keyfile) {
		mwarn("%s: no %s and no list of keys to keep: deleting nothing", s->url, RMETA_GENERATION_KEY);
		goto out;
	}
	if (keyfile && keyset_load(&ks, keyfile) < 0)
		goto out;
	if (o) {
		/* the keyfile holds a generation about to be switched to: the
		 * current one is then the first of the `keep` older ones */
		size_t older = keyfile ? (size_t)keep : (size_t)keep + 1;
		if (older > 0 && keep_generation(s, dir, o, &ks) < 0)
			goto out;
		if (json_object_object_get_ex(o, "history", &h) && json_object_is_type(h, json_type_array))
			for (size_t i = 0; i < json_object_array_length(h) && i + 1 < older; i++)
				if (keep_generation(s, dir, json_object_array_get_idx(h, i), &ks) < 0)
					goto out;
	}
	qsort(ks.k, ks.n, sizeof *ks.k, cmpstr);
	if ((listing ? walk_listing(listing, gc_each, &w) : store_list(s, "", gc_each, &w)) != 0)
		goto out;
	rc = 0;
	if (!dry && w.del.n > 0 && store_remove(s, (const char *const *)w.del.k, w.del.n) < 0)
		rc = -1;
	if (rc == 0 && !dry && clean && o && write_clean(s, dir, genobj_generation(o), keep, clean) < 0)
		rc = -1;
out:
	json_object_put(o);
	keyset_free(&ks);
	keyset_free(&w.del);
	work_dir_remove(dir, work_files);
	return rc;
}

/* Beside a fetched copy: the snapshot key it came from. A generation can
 * be pushed again as another snapshot (medusa-sync after its publication
 * rule narrowed): the same generation, but not the same rows. */
static char *from_path(const char *local)
{
	return xasprintf("%s.from", local);
}

static int same_snapshot(const char *local, const char *skey)
{
	char *p = from_path(local), *buf = NULL;
	size_t len;
	/* no record (a copy from before records were kept): the generation decides */
	int same = atomic_read_file(p, 4096, &buf, &len) < 0 || strcmp(buf, skey) == 0;
	free(buf);
	free(p);
	return same;
}

/* The snapshot skey downloaded to dl and checked against its generation
 * object (hash want, generation rgen); local is kept otherwise. 0 or -1. */
static int fetch_check(struct source *src, const char *skey, const char *want, long long rgen,
    const char *dl, const char *local)
{
	char hash[HASH_HEX_LEN + 1];
	long long sgen = -1;
	switch (src_get(src, skey, dl)) {
	case 1: break;
	case 0: mwarn("%s/%s: no such key: keeping %s", src->name, skey, local); /* fall through */
	default: return -1;
	}
	if (hash_file_hex(dl, hash) < 0) {
		mwarnerr("%s", dl);
		return -1;
	}
	if (strcmp(hash, want)) {
		mwarn("%s: %s: hash mismatch (%.16s..., want %.16s...): keeping %s", src->name, skey, hash,
		    want, local);
		return -1;
	}
	if (metastore_file_generation(dl, &sgen) < 0 || sgen != rgen) {
		mwarn("%s: %s: holds generation %lld, not %lld: keeping %s", src->name, skey, sgen, rgen, local);
		return -1;
	}
	return 0;
}

/* The checked download dl becomes local, with the record of which
 * snapshot it is. 0 or -1. */
static int fetch_install(const char *dl, const char *local, const char *skey)
{
	/* the record goes first: a copy never claims a snapshot it is not */
	char *p = from_path(local), *d;
	unlink(p);
	if (rename(dl, local) < 0) {
		mwarnerr("%s", local);
		free(p);
		return -1;
	}
	if (atomic_write(p, skey, strlen(skey), 0644) < 0)
		mwarnerr("%s", p);
	free(p);
	d = path_dirname(local);
	if (atomic_fsync_dir(d) < 0)
		mwarnerr("%s", d);
	free(d);
	return 0;
}

static int fetch(struct source *src, const char *local, long long *generation)
{
	char *dir = work_dir(), *dl = NULL, broken[256];
	const char *want, *skey;
	json_object *o = NULL;
	long long lgen = -1, rgen;
	int missing, rc = -1;
	if (!dir)
		return -1;
	if (access(local, F_OK) == 0 && metastore_file_generation(local, &lgen) < 0)
		lgen = -1; /* an unreadable local copy is replaced */
	if (generation)
		*generation = lgen;
	o = src_genobj(src, dir, &missing, broken, sizeof broken);
	if (!o) {
		if (missing)
			mwarn("%s: no %s yet", src->name, RMETA_GENERATION_KEY);
		else if (*broken)
			mwarn("%s: %s: %s: keeping %s", src->name, RMETA_GENERATION_KEY, broken, local);
		goto out;
	}
	rgen = genobj_generation(o);
	want = jstr(o, "hash");
	skey = jstr(o, "snapshot");
	if (rgen < 0 || !store_key_valid(skey)) {
		mwarn("%s: %s: not a generation object", src->name, RMETA_GENERATION_KEY);
		goto out;
	}
	if (rgen == lgen && same_snapshot(local, skey)) {
		rc = 0;
		goto out;
	}
	if (rgen < lgen) {
		mwarn("%s: the generation went backwards (%lld, have %lld): keeping %s", src->name, rgen,
		    lgen, local);
		goto out;
	}
	dl = xasprintf("%s.download", local);
	if (fetch_check(src, skey, want, rgen, dl, local) < 0 || fetch_install(dl, local, skey) < 0)
		goto out;
	if (generation)
		*generation = rgen;
	rc = 1;
out:
	if (dl) {
		unlink(dl);
		free(dl);
	}
	json_object_put(o);
	work_dir_remove(dir, work_files);
	return rc;
}

int rmeta_fetch(struct store *s, const char *local, long long *generation)
{
	struct source src = {s, NULL, s->url};
	return fetch(&src, local, generation);
}

int rmeta_fetch_url(const char *remote, const char *local, long long *generation)
{
	struct source src = {NULL, NULL, remote};
	char why[512];
	int rc;
	if (!strncmp(remote, "http://", 7) || !strncmp(remote, "https://", 8)) {
		/* the URL of the prefix, or of its generation object */
		char *base = xstrdup(remote);
		size_t l = strlen(base);
		while (l > 0 && base[l - 1] == '/')
			base[--l] = '\0';
		if (l > strlen(RMETA_GENERATION_KEY) &&
		    !strcmp(base + l - strlen(RMETA_GENERATION_KEY), RMETA_GENERATION_KEY))
			base[l - strlen(RMETA_GENERATION_KEY)] = '\0';
		src.pub = s3_new_public(base, why, sizeof why);
		free(base);
		if (!src.pub) {
			mwarn("%s", why);
			return -1;
		}
		rc = fetch(&src, local, generation);
		s3_free(src.pub);
		return rc;
	}
	if (!(src.st = store_open(remote, why, sizeof why))) {
		mwarn("%s", why);
		return -1;
	}
	rc = fetch(&src, local, generation);
	store_close(src.st);
	return rc;
}
