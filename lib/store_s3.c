/* The S3 backend of store.h: "s3://bucket/prefix" over the client in s3.h.
 * Store keys live under the prefix; renditions and snapshots are immutable
 * (Cache-Control says so), the objects of meta/ outside meta/snapshots/ are
 * not. */
#include "atomic.h"
#include "hash.h"
#include "s3.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_MUTABLE "no-cache"

struct s3store {
	struct s3 *c;
	char *prefix; /* "" or "some/prefix/" */
	int check;    /* HEAD before a PUT (MEDUSA_S3_CHECK=0: the caller listed) */
};

static int s3s_open(struct store *s, const char *rest, char *err, size_t errlen)
{
	struct s3store *p;
	const char *slash;
	char *bucket;
	size_t l;
	/* accept the whole URL, "//bucket/prefix" or "bucket/prefix" */
	if (!strncmp(rest, "s3://", 5))
		rest += 5;
	else if (!strncmp(rest, "s3:", 3))
		rest += 3;
	while (*rest == '/')
		rest++;
	slash = strchr(rest, '/');
	bucket = slash ? strndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	if (!bucket)
		mdie(EXIT_USAGE, "out of memory");
	p = xcalloc(1, sizeof *p);
	p->c = s3_new(bucket, err, errlen);
	free(bucket);
	if (!p->c) {
		free(p);
		return -1;
	}
	{
		const char *ck = getenv("MEDUSA_S3_CHECK");
		p->check = !(ck && !strcmp(ck, "0"));
	}
	rest = slash ? slash + 1 : "";
	while (*rest == '/')
		rest++;
	l = strlen(rest);
	while (l > 0 && rest[l - 1] == '/')
		l--;
	if (l > 0) {
		char *pre = strndup(rest, l);
		if (!pre)
			mdie(EXIT_USAGE, "out of memory");
		if (!store_key_valid(pre)) {
			snprintf(err, errlen, "%s: not a valid prefix: %s", s->url, pre);
			free(pre);
			s3_free(p->c);
			free(p);
			return -1;
		}
		p->prefix = xasprintf("%s/", pre);
		free(pre);
	} else {
		p->prefix = xstrdup("");
	}
	s->priv = p;
	return 0;
}

static char *full_key(struct s3store *p, const char *key)
{
	return xasprintf("%s%s", p->prefix, key);
}

static int s3s_stat(struct store *s, const char *key, long long *size, char *hash, size_t hashlen)
{
	struct s3store *p = s->priv;
	char *k = full_key(p, key);
	int rc = s3_head(p->c, k, size, hash, hashlen);
	free(k);
	return rc;
}

/* Keys are immutable (renditions, snapshots) but for the small state
 * objects under meta/ (the generation object) that are rewritten. */
static int mutable_key(const char *key)
{
	return !strncmp(key, "meta/", 5) && strncmp(key, "meta/snapshots/", 15);
}

static int s3s_put_file(struct store *s, const char *key, const char *path, const char *mime,
    const char *hash, int may_move)
{
	struct s3store *p = s->priv;
	char have[HASH_HEX_LEN + 1], mine[HASH_HEX_LEN + 1], *k;
	long long size;
	int rc, existed = 0;
	/* the hash is what makes a second put of the same bytes free; a file
	 * given away (publish) is checked against the hash its record claims */
	if (!hash || may_move) {
		if (hash_file_hex(path, mine) < 0) {
			mwarnerr("%s", path);
			return -1;
		}
		if (hash && strcmp(hash, mine)) {
			mwarn("%s: %s does not match its recorded hash (changed since it was made?)",
			    key, path);
			errno = EBADMSG;
			return -1;
		}
		hash = mine;
	}
	k = full_key(p, key);
	if (p->check) {
		rc = s3_head(p->c, k, &size, have, sizeof have);
		if (rc < 0) {
			free(k);
			return -1;
		}
		if (rc == 1 && !strcmp(have, hash)) {
			free(k);
			return 0;
		}
		existed = rc == 1;
	}
	rc = s3_put_file(p->c, k, path, mime, mutable_key(key) ? CACHE_MUTABLE : CACHE_IMMUTABLE, hash);
	free(k);
	return rc < 0 ? -1 : !existed;
}

static int s3s_get_file(struct store *s, const char *key, const char *path)
{
	struct s3store *p = s->priv;
	char *tmp, *k;
	int fd, rc;
	fd = atomic_tmpfile_beside(path, &tmp);
	if (fd < 0) {
		mwarnerr("%s", path);
		return -1;
	}
	k = full_key(p, key);
	rc = s3_get_fd(p->c, k, fd);
	if (rc == 0)
		mwarn("s3://%s/%s: no such key", s3_bucket(p->c), k);
	free(k);
	if (rc != 1) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (atomic_commit_tmpfile(fd, tmp, path) < 0) {
		mwarnerr("%s", path);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static int s3s_remove(struct store *s, const char *const *keys, size_t nkeys)
{
	struct s3store *p = s->priv;
	char **full = xcalloc(nkeys ? nkeys : 1, sizeof *full);
	int rc;
	for (size_t i = 0; i < nkeys; i++)
		full[i] = full_key(p, keys[i]);
	rc = s3_delete(p->c, (const char *const *)full, nkeys);
	for (size_t i = 0; i < nkeys; i++)
		free(full[i]);
	free(full);
	return rc;
}

struct strip {
	size_t skip;
	int (*each)(void *arg, const char *key, long long size);
	void *arg;
};

static int strip_each(void *arg, const char *key, long long size)
{
	struct strip *st = arg;
	if (strlen(key) <= st->skip)
		return 0;
	return st->each(st->arg, key + st->skip, size);
}

static int s3s_list(struct store *s, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	struct s3store *p = s->priv;
	struct strip st = {strlen(p->prefix), each, arg};
	char *k = full_key(p, prefix ? prefix : "");
	int rc = s3_list(p->c, k, strip_each, &st);
	free(k);
	return rc;
}

static void s3s_close(struct store *s)
{
	struct s3store *p = s->priv;
	if (!p)
		return;
	s3_free(p->c);
	free(p->prefix);
	free(p);
	s->priv = NULL;
}

const struct store_ops store_s3_ops = {
	.scheme = "s3",
	.open = s3s_open,
	.put_file = s3s_put_file,
	.stat = s3s_stat,
	.get_file = s3s_get_file,
	.remove = s3s_remove,
	.list = s3s_list,
	.close = s3s_close,
};
