/* rmeta_missing.c: what a sync must upload (rmeta.h): the keys a
 * metastore references against a listing of the remote. */
#include "rmeta.h"
#include "ndjson.h"
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys a metastore references, sorted, with what the remote holds. */
struct want {
	char **key, **hash, **mime;
	long long *bytes, *have;
	size_t n, cap;
};

static int want_add(void *arg, const char *key, long long bytes, const char *hash, const char *mime)
{
	struct want *w = arg;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->key = xrealloc(w->key, w->cap * sizeof *w->key);
		w->hash = xrealloc(w->hash, w->cap * sizeof *w->hash);
		w->mime = xrealloc(w->mime, w->cap * sizeof *w->mime);
		w->bytes = xrealloc(w->bytes, w->cap * sizeof *w->bytes);
		w->have = xrealloc(w->have, w->cap * sizeof *w->have);
	}
	w->key[w->n] = xstrdup(key);
	w->hash[w->n] = hash ? xstrdup(hash) : NULL;
	w->mime[w->n] = mime ? xstrdup(mime) : NULL;
	w->bytes[w->n] = bytes;
	w->have[w->n++] = -1;
	return 0;
}

static void want_free(struct want *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->key[i]);
		free(w->hash[i]);
		free(w->mime[i]);
	}
	free(w->key);
	free(w->hash);
	free(w->mime);
	free(w->bytes);
	free(w->have);
}

struct listwalk {
	struct want *w;
	FILE *listing;
};

static int list_each(void *arg, const char *key, long long size)
{
	struct listwalk *lw = arg;
	/* (no key wanted, e.g. every clip private: no array to search) */
	char **hit = lw->w->n ? bsearch(&key, lw->w->key, lw->w->n, sizeof *lw->w->key, cmpstr) : NULL;
	if (hit)
		lw->w->have[hit - lw->w->key] = size;
	if (!lw->listing)
		return 0;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "size", json_object_new_int64(size));
	int rc = ndjson_write(lw->listing, o);
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

int rmeta_missing(struct store *s, const char *metastore, const char *root, FILE *listing,
    FILE *out)
{
	struct want w = {0};
	struct listwalk lw = {&w, listing};
	int rc = -1;
	/* the manifest is in key order (rmeta_each_key sorts): bsearch works on it */
	if (rmeta_each_key(metastore, want_add, &w) < 0)
		goto done;
	if (store_list(s, "", list_each, &lw) != 0) {
		mwarn("%s: cannot list it", s->url);
		goto done;
	}
	if (listing && fflush(listing) == EOF) {
		mwarnerr("the listing");
		goto done;
	}
	rc = 0;
	for (size_t i = 0; i < w.n; i++) {
		if (w.have[i] == w.bytes[i])
			continue;
		char *file = path_join(root, w.key[i]);
		struct stat st;
		if (stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
			mwarn("%s: referenced by %s but missing from %s", file, metastore, root);
			rc = -1;
		} else {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "key", json_object_new_string(w.key[i]));
			json_object_object_add(o, "file", json_object_new_string(file));
			json_object_object_add(o, "mime", w.mime[i] ? json_object_new_string(w.mime[i]) : NULL);
			json_object_object_add(o, "hash", w.hash[i] ? json_object_new_string(w.hash[i]) : NULL);
			json_object_object_add(o, "bytes", json_object_new_int64(w.bytes[i]));
			if (ndjson_write(out, o) < 0)
				rc = -1;
			json_object_put(o);
		}
		free(file);
	}
done:
	want_free(&w);
	return rc;
}
