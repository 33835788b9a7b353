/* Resolving user paths strictly inside a root. The lexical checks come
 * first (NUL, absolute, ".."); then the kernel resolves the path with
 * openat2(RESOLVE_BENEATH), which refuses any escape, and where the kernel
 * lacks openat2 (or refuses an absolute symlink that lands back inside the
 * root) realpath(3) resolves it and the result must lie under the root's
 * own real path. */
#include "safepath.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int safepath_no_openat2;

/* Folds "." and empty components; refuses "..". Returns a new string or
 * NULL with *why set. */
static char *clean_rel(const char *rel, size_t len, const char **why)
{
	if (memchr(rel, '\0', len)) {
		*why = "NUL byte in path";
		return NULL;
	}
	if (len > 0 && rel[0] == '/') {
		*why = "absolute path";
		return NULL;
	}
	if (len >= PATH_MAX) {
		*why = "path too long";
		return NULL;
	}
	char *out = xmalloc(len + 1);
	size_t o = 0, i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && rel[j] != '/')
			j++;
		size_t clen = j - i;
		if (clen == 2 && rel[i] == '.' && rel[i + 1] == '.') {
			free(out);
			*why = "\"..\" in path";
			return NULL;
		}
		if (clen > NAME_MAX) {
			free(out);
			*why = "path component too long";
			return NULL;
		}
		if (clen > 0 && !(clen == 1 && rel[i] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, rel + i, clen);
			o += clen;
		}
		i = j + 1;
	}
	out[o] = '\0';
	return out;
}

static int inside(const char *realroot, const char *p)
{
	size_t n = strlen(realroot);
	if (strcmp(realroot, "/") == 0)
		return 1;
	return strncmp(p, realroot, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* realpath(3) walk: 0 inside, SAFEPATH_OUTSIDE, or SAFEPATH_MISSING /
 * SAFEPATH_BAD with errno. */
static int check_realpath(const char *realroot, const char *abs)
{
	char *r = realpath(abs, NULL);
	if (!r)
		return errno == ENOENT || errno == ENOTDIR ? SAFEPATH_MISSING : SAFEPATH_BAD;
	int in = inside(realroot, r);
	free(r);
	return in ? 0 : SAFEPATH_OUTSIDE;
}

/* 0 inside, SAFEPATH_OUTSIDE, SAFEPATH_MISSING (errno ENOENT/ENOTDIR), or
 * SAFEPATH_BAD (other errno: ELOOP, EACCES, ...). */
static int check_beneath(const char *realroot, const char *clean)
{
	if (!safepath_no_openat2) {
		int rootfd = open(realroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return errno == ENOENT ? SAFEPATH_MISSING : SAFEPATH_BAD;
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, rootfd, *clean ? clean : ".", &how, sizeof how);
		int e = errno;
		close(rootfd);
		if (fd >= 0) {
			close((int)fd);
			return 0;
		}
		if (e == ENOENT || e == ENOTDIR) {
			errno = e;
			return SAFEPATH_MISSING;
		}
		/* EXDEV: an escape, or an absolute symlink (which RESOLVE_BENEATH
		 * refuses even when it points back inside): let realpath decide.
		 * ENOSYS/EPERM: no openat2 here (old kernel, seccomp). */
		if (e != EXDEV && e != ENOSYS && e != EPERM) {
			errno = e;
			return SAFEPATH_BAD;
		}
	}
	char *abs = path_join(realroot, clean);
	int r = check_realpath(realroot, abs);
	int e = errno;
	free(abs);
	errno = e;
	return r;
}

int safepath_resolve(const char *root, const char *rel, size_t len, int must_exist,
    char **abs, char **clean, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*abs = NULL;
	if (clean)
		*clean = NULL;
	char *c = clean_rel(rel, len, why);
	if (!c)
		return SAFEPATH_BAD;
	char *realroot = realpath(root, NULL);
	if (!realroot) {
		*why = "the root directory is missing";
		free(c);
		return SAFEPATH_MISSING;
	}
	int r = check_beneath(realroot, c), dangling = 0;
	if (r == SAFEPATH_MISSING && !must_exist && *c) {
		/* the last component may be missing, but not a symlink that
		 * leads nowhere (writing through it would create its target) */
		char *dir = path_dirname(c);
		if (strcmp(dir, ".") == 0)
			dir[0] = '\0';
		r = check_beneath(realroot, dir);
		if (r == 0) {
			char *p = path_join(realroot, c);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
				r = SAFEPATH_OUTSIDE;
				dangling = 1;
			}
			else if (lstat(p, &st) < 0 && errno != ENOENT)
				r = errno == ENOTDIR ? SAFEPATH_MISSING : SAFEPATH_BAD;
			free(p);
		}
		free(dir);
	}
	int e = errno;
	switch (r) {
	case 0:
		break;
	case SAFEPATH_OUTSIDE:
		*why = dangling ? "a symbolic link that leads nowhere" :
		    "a symbolic link leads out of the backyard";
		break;
	case SAFEPATH_MISSING:
		*why = must_exist ? "no such file or directory" : "no such directory";
		break;
	default:
		*why = e == ELOOP ? "too many levels of symbolic links" :
		    e == EACCES ? "permission denied" : "cannot resolve the path";
		break;
	}
	if (r == 0) {
		*abs = path_join(realroot, c);
		if (clean) {
			*clean = c;
			c = NULL;
		}
	}
	free(c);
	free(realroot);
	errno = e;
	return r;
}
