/* store.c: TEMPORARY dispatch so the S3 backend can be built and tested
 * before the publish branch (which owns this file and store_dir.c) lands.
 * On merge, take main's version of this file. */
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct store *store_open(const char *url, char *why, size_t n)
{
	struct store *s;
	if (strncmp(url, "s3://", 5)) {
		snprintf(why, n, "%s: only s3:// storage in this build", url);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->ops = &store_s3_ops;
	s->url = xstrdup(url);
	if (s->ops->open(s, url + 5, why, n) < 0) {
		free(s->url);
		free(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s->url);
	free(s->root);
	free(s);
}

int store_put_file(struct store *s, const char *key, const char *path, const char *mime,
    const char *hash, int may_move)
{
	if (!store_key_valid(key)) {
		mwarn("%s: not a valid key", key);
		return -1;
	}
	return s->ops->put_file(s, key, path, mime, hash, may_move);
}

int store_stat(struct store *s, const char *key, long long *size, char *hash, size_t hashlen)
{
	return s->ops->stat(s, key, size, hash, hashlen);
}

int store_get_file(struct store *s, const char *key, const char *path)
{
	return s->ops->get_file(s, key, path);
}

int store_remove(struct store *s, const char *const *keys, size_t nkeys)
{
	return s->ops->remove(s, keys, nkeys);
}

int store_list(struct store *s, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	return s->ops->list(s, prefix, each, arg);
}

int store_key_valid(const char *key)
{
	const char *p = key;
	if (!*key || *key == '/')
		return 0;
	for (const unsigned char *c = (const unsigned char *)key; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return 0;
	while (*p) {
		size_t l = strcspn(p, "/");
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += l;
		if (*p == '/')
			p++;
	}
	return p[-1] != '/';
}
