/* store.c: opens a store by the scheme of its URL and forwards each call to
 * the backend; the tools never name a backend. */
#include "store.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct store_ops *backend_of(const char *url, const char **rest)
{
	if (strncmp(url, "s3://", 5) == 0) {
		*rest = url + 5;
		return &store_s3_ops;
	}
	if (strncmp(url, "file://", 7) == 0) {
		/* file:///srv/x names /srv/x; a host part other than
		 * localhost is not ours to reach */
		const char *p = url + 7;
		if (strncmp(p, "localhost/", 10) == 0)
			p += 9;
		*rest = p;
		return *p == '/' ? &store_dir_ops : NULL;
	}
	if (strncmp(url, "file:", 5) == 0) {
		*rest = url + 5;
		return &store_dir_ops;
	}
	if (strstr(url, "://"))
		return NULL;
	*rest = url;
	return &store_dir_ops;
}

struct store *store_open(const char *url, char *err, size_t errlen)
{
	const char *rest = NULL;
	if (!url || !*url) {
		snprintf(err, errlen, "empty storage URL");
		return NULL;
	}
	const struct store_ops *ops = backend_of(url, &rest);
	if (!ops) {
		snprintf(err, errlen, "%s: unknown storage scheme (use file:DIR, a directory, "
		    "or s3://bucket/prefix)", url);
		return NULL;
	}
	if (!*rest) {
		snprintf(err, errlen, "%s: no directory or bucket in the storage URL", url);
		return NULL;
	}
	struct store *s = xcalloc(1, sizeof *s);
	s->ops = ops;
	s->url = xstrdup(url);
	if (!ops->open || ops->open(s, rest, err, errlen) < 0) {
		if (!ops->open)
			snprintf(err, errlen, "%s: %s storage is not available", url, ops->scheme);
		free(s->url);
		free(s->root);
		free(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->ops->close)
		s->ops->close(s);
	free(s->url);
	free(s->root);
	free(s);
}

static int unsupported(struct store *s, const char *what)
{
	mwarn("%s: %s storage cannot %s", s->url, s->ops->scheme, what);
	errno = ENOTSUP;
	return -1;
}

int store_put_file(struct store *s, const char *key, const char *path, const char *mime,
    const char *hash, int may_move)
{
	if (!store_key_valid(key)) {
		mwarn("%s: not a valid storage key", key);
		return -1;
	}
	if (!s->ops->put_file)
		return unsupported(s, "put files");
	return s->ops->put_file(s, key, path, mime, hash, may_move);
}

int store_stat(struct store *s, const char *key, long long *size, char *hash, size_t hashlen)
{
	if (hash && hashlen)
		hash[0] = '\0';
	if (!store_key_valid(key)) {
		mwarn("%s: not a valid storage key", key);
		return -1;
	}
	if (!s->ops->stat)
		return unsupported(s, "stat keys");
	return s->ops->stat(s, key, size, hash, hashlen);
}

int store_get_file(struct store *s, const char *key, const char *path)
{
	if (!store_key_valid(key)) {
		mwarn("%s: not a valid storage key", key);
		return -1;
	}
	if (!s->ops->get_file)
		return unsupported(s, "get files");
	return s->ops->get_file(s, key, path);
}

int store_remove(struct store *s, const char *const *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++)
		if (!store_key_removable(keys[i])) {
			mwarn("%s: not a valid storage key", keys[i]);
			return -1;
		}
	if (nkeys == 0)
		return 0;
	if (!s->ops->remove)
		return unsupported(s, "remove keys");
	return s->ops->remove(s, keys, nkeys);
}

int store_list(struct store *s, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	if (!s->ops->list)
		return unsupported(s, "list keys");
	return s->ops->list(s, prefix ? prefix : "", each, arg);
}
