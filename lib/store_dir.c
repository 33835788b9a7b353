/* store_dir.c: directory storage. A key is a file under the root. A put
 * costs no copy on the same filesystem (a hard link: the caller's file,
 * typically medusa-cut's work file, keeps its name so that a later cut still
 * finds it); across filesystems it copies to a temporary name, fsyncs and
 * renames. Either way a key appears only whole. */
#include "store.h"
#include "atomic.h"
#include "hash.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void drop_empty_parents(struct store *s, char *p);

/* The root, open: keys are looked up relative to it (a short path walk). */
static int root_fd(struct store *s)
{
	return *(int *)s->priv;
}

static char *key_path(struct store *s, const char *key)
{
	return path_join(s->root, key);
}

/* The folders of key below the root (path_mkdir_p tries the deepest
 * first: the renditions of a clip share their folder, so the usual case is
 * one mkdir that finds it there). */
static int make_parents(struct store *s, const char *key)
{
	char *p = key_path(s, key);
	char *dir = path_dirname(p);
	int r = path_mkdir_p(dir);
	if (r < 0)
		mwarnerr("%s", dir);
	free(dir);
	free(p);
	return r;
}

static int dir_open(struct store *s, const char *rest, char *err, size_t errlen)
{
	char *abs;
	if (rest[0] == '/') {
		abs = xstrdup(rest);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (!cwd) {
			snprintf(err, errlen, "cannot resolve the working directory: %s", strerror(errno));
			return -1;
		}
		abs = path_join(cwd, rest);
		free(cwd);
	}
	size_t len = strlen(abs);
	while (len > 1 && abs[len - 1] == '/')
		abs[--len] = '\0';
	struct stat st;
	if (stat(abs, &st) < 0) {
		if (errno != ENOENT || path_mkdir_p(abs) < 0 || stat(abs, &st) < 0) {
			snprintf(err, errlen, "%s: storage directory: %s", abs, strerror(errno));
			free(abs);
			return -1;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: storage: not a directory", abs);
		free(abs);
		return -1;
	}
	int fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: storage directory: %s", abs, strerror(errno));
		free(abs);
		return -1;
	}
	s->priv = xmalloc(sizeof fd);
	*(int *)s->priv = fd;
	s->root = abs;
	return 0;
}

static void dir_close(struct store *s)
{
	if (s->priv)
		close(root_fd(s));
	free(s->priv);
	s->priv = NULL;
}

/* Copies src to a temporary file beside dst, hashing on the way; renames
 * it to dst only when the hash matches (when one is given). */
static int copy_in(const char *src, const char *dst, const char *want, const char *key)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		mwarnerr("%s: %s", key, src);
		return -1;
	}
	char *tmp = NULL;
	int out = atomic_tmpfile_beside(dst, &tmp);
	if (out < 0) {
		mwarnerr("%s: %s", key, dst);
		close(in);
		return -1;
	}
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	static unsigned char buf[1 << 16];
	const char *failed = NULL;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			failed = src;
			break;
		}
		if (r == 0)
			break;
		crypto_generichash_update(&st, buf, (size_t)r);
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				failed = tmp;
				break;
			}
			off += w;
		}
		if (failed)
			break;
	}
	int e = errno;
	close(in);
	if (!failed && fchmod(out, 0644) < 0) {
		e = errno;
		failed = tmp;
	}
	if (failed) {
		close(out);
		unlink(tmp);
		errno = e;
		mwarnerr("%s: %s", key, failed);
		free(tmp);
		return -1;
	}
	unsigned char bin[32];
	char hex[HASH_HEX_LEN + 1];
	crypto_generichash_final(&st, bin, sizeof bin);
	hash_to_hex(bin, sizeof bin, hex);
	if (want && *want && strcmp(hex, want) != 0) {
		close(out);
		unlink(tmp);
		free(tmp);
		mwarn("%s: %s does not match its recorded hash (changed since it was made?)",
		    key, src);
		errno = EBADMSG;
		return -1;
	}
	if (atomic_commit_tmpfile(out, tmp, dst) < 0) {
		mwarnerr("%s: %s", key, dst);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* Hard-links src to dst: straight to its name when dst is new (link(2) is
 * atomic), else to a fresh name beside it and renamed over it, so that an
 * existing key is replaced whole. 1 done, 0 when a link cannot be made here
 * (another filesystem: copy instead), -1 on error. */
static int link_in(const char *src, const char *dst, const char *key, int exists)
{
	if (!exists) {
		if (link(src, dst) == 0)
			return 1;
		if (errno != EEXIST) {
			int e = errno;
			if (e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP || e == EOPNOTSUPP)
				return 0;
			errno = e;
			mwarnerr("%s: cannot link %s", key, src);
			return -1;
		}
	}
	char *tmp = NULL;
	for (int tries = 0;; tries++) {
		const char *slash = strrchr(dst, '/');
		unsigned char rnd[6];
		char hex[13];
		randombytes_buf(rnd, sizeof rnd);
		hash_to_hex(rnd, sizeof rnd, hex);
		free(tmp);
		tmp = xasprintf("%.*s.%s.tmp.%s", (int)(slash - dst + 1), dst, slash + 1, hex);
		if (link(src, tmp) == 0)
			break;
		if (errno == EEXIST && tries < 8)
			continue;
		int e = errno;
		free(tmp);
		if (e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP || e == EOPNOTSUPP)
			return 0;
		errno = e;
		mwarnerr("%s: cannot link %s", key, src);
		return -1;
	}
	if (rename(tmp, dst) < 0) {
		mwarnerr("%s: %s", key, dst);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 1;
}

/* BLAKE2b of an open file, as hex, from its start. 0 or -1 with errno. */
static int hash_fd_hex(int fd, char hex[HASH_HEX_LEN + 1])
{
	crypto_generichash_state st;
	static unsigned char buf[1 << 16];
	unsigned char bin[32];
	off_t off = 0;
	ssize_t r;
	crypto_generichash_init(&st, NULL, 0, sizeof bin);
	while ((r = pread(fd, buf, sizeof buf, off)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		crypto_generichash_update(&st, buf, (size_t)r);
		off += r;
	}
	crypto_generichash_final(&st, bin, sizeof bin);
	hash_to_hex(bin, sizeof bin, hex);
	return 0;
}

/* Whether the key at dst already holds the file src (the same inode, or
 * the same size and hash). */
static int holds(struct store *s, const char *key, const struct stat *src, const char *hash)
{
	struct stat cur;
	if (fstatat(root_fd(s), key, &cur, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(cur.st_mode))
		return 0;
	if (cur.st_dev == src->st_dev && cur.st_ino == src->st_ino)
		return 1;
	if (cur.st_size != src->st_size || !hash || !*hash)
		return 0;
	char have[HASH_HEX_LEN + 1];
	int fd = openat(root_fd(s), key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int same = fd >= 0 && hash_fd_hex(fd, have) == 0 && strcmp(have, hash) == 0;
	if (fd >= 0)
		close(fd);
	return same;
}

/* The hard-link put: the file checked against its hash through the very
 * descriptor that is then linked (no stat of a path that could change in
 * between). 1 put, 0 the key held it already, -1 error, -2 no link can be
 * made here (another filesystem: copy). */
static int put_link(struct store *s, const char *key, const char *path, int fd,
    const struct stat *src, const char *hash)
{
	char *dst = key_path(s, key);
	int r = -1;
	if (hash && *hash) {
		char have[HASH_HEX_LEN + 1];
		if (hash_fd_hex(fd, have) < 0) {
			mwarnerr("%s: %s", key, path);
			goto out;
		}
		if (strcmp(have, hash) != 0) {
			mwarn("%s: %s does not match its recorded hash (changed since it was made?)",
			    key, path);
			errno = EBADMSG;
			goto out;
		}
	}
	/* Durability of the new name is not forced here: the data was made
	 * durable by its writer, and a publish checks every key it relies on,
	 * so a link lost in a power cut is made again by the next run. */
	if (linkat(AT_FDCWD, path, root_fd(s), key, 0) == 0) {
		r = 1;
	} else if (errno == ENOENT && make_parents(s, key) == 0 &&
	    linkat(AT_FDCWD, path, root_fd(s), key, 0) == 0) {
		r = 1;
	} else if (errno == EEXIST) {
		if (holds(s, key, src, hash)) {
			r = 0;
			goto out;
		}
		int l = link_in(path, dst, key, 1);
		r = l == 1 ? 1 : l == 0 ? -2 : -1;
	} else if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP ||
	    errno == EOPNOTSUPP) {
		r = -2;
	} else {
		mwarnerr("%s: cannot link %s", key, path);
	}
	/* readable by the web server, as a copy would be */
	if (r == 1 && (src->st_mode & 0444) != 0444 &&
	    fchmodat(root_fd(s), key, (src->st_mode & 07777) | 0444, 0) < 0)
		mwarnerr("%s: chmod %s", key, dst);
out:
	free(dst);
	return r;
}

static int dir_put_file(struct store *s, const char *key, const char *path, const char *mime,
    const char *hash, int may_move)
{
	struct stat src;
	(void)mime;
	/* a symlink would be linked itself: its target is copied instead */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP) {
		may_move = 0;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &src) < 0) {
		mwarnerr("%s: %s", key, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(src.st_mode)) {
		mwarn("%s: %s: not a regular file", key, path);
		close(fd);
		return -1;
	}
	int r = may_move ? put_link(s, key, path, fd, &src, hash) : -2;
	close(fd);
	if (r != -2)
		return r;
	if (holds(s, key, &src, hash))
		return 0;
	char *dst = key_path(s, key);
	int existed = faccessat(root_fd(s), key, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	r = make_parents(s, key) < 0 ? -1 : copy_in(path, dst, hash, key);
	if (r < 0)
		drop_empty_parents(s, dst);
	free(dst);
	return r < 0 ? -1 : !existed;
}

static int dir_stat(struct store *s, const char *key, long long *size, char *hash, size_t hashlen)
{
	struct stat st;
	int r = fstatat(root_fd(s), key, &st, AT_SYMLINK_NOFOLLOW);
	if (r < 0 && errno != ENOENT && errno != ENOTDIR) {
		mwarnerr("%s/%s", s->root, key);
		return -1;
	}
	if (r < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (size)
		*size = (long long)st.st_size;
	return 1;
}

static int dir_get_file(struct store *s, const char *key, const char *path)
{
	char *src = key_path(s, key);
	int r = copy_in(src, path, NULL, key);
	free(src);
	return r;
}

/* Drops the directories that path's removal left empty, up to the root. */
static void drop_empty_parents(struct store *s, char *p)
{
	size_t rootlen = strlen(s->root);
	for (char *slash; (slash = strrchr(p, '/')) && (size_t)(slash - p) > rootlen;) {
		*slash = '\0';
		if (rmdir(p) < 0)
			break;
	}
}

static int dir_remove(struct store *s, const char *const *keys, size_t nkeys)
{
	int r = 0;
	for (size_t i = 0; i < nkeys; i++) {
		char *p = key_path(s, keys[i]);
		if (unlink(p) < 0 && errno != ENOENT) {
			mwarnerr("%s", p);
			r = -1;
		}
		drop_empty_parents(s, p);
		free(p);
	}
	return r;
}

struct walk {
	struct store *s;
	const char *prefix;
	int (*each)(void *arg, const char *key, long long size);
	void *arg;
};

static int walk_dir(struct walk *w, const char *rel)
{
	char *dir = *rel ? path_join(w->s->root, rel) : xstrdup(w->s->root);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		int ok = errno == ENOENT || errno == ENOTDIR;
		if (!ok)
			mwarnerr("%s", dir);
		free(dir);
		return ok ? 0 : -1;
	}
	int r = 0;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (r || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		char *key = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		size_t kl = strlen(key), pl = strlen(w->prefix);
		/* descend only where the prefix can still match */
		int can = strncmp(key, w->prefix, kl < pl ? kl : pl) == 0;
		if (can) {
			char *full = path_join(dir, name);
			struct stat st;
			if (lstat(full, &st) < 0) {
				if (errno != ENOENT) {
					mwarnerr("%s", full);
					r = -1;
				}
			} else if (S_ISDIR(st.st_mode)) {
				r = walk_dir(w, key);
			} else if (S_ISREG(st.st_mode) && kl >= pl) {
				r = w->each(w->arg, key, (long long)st.st_size);
			}
			free(full);
		}
		free(key);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(dir);
	return r;
}

static int dir_list(struct store *s, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	struct walk w = {s, prefix, each, arg};
	return walk_dir(&w, "");
}

const struct store_ops store_dir_ops = {
	.scheme = "file",
	.open = dir_open,
	.put_file = dir_put_file,
	.stat = dir_stat,
	.get_file = dir_get_file,
	.remove = dir_remove,
	.list = dir_list,
	.close = dir_close,
};
