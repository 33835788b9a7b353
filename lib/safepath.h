/* safepath.h: turning a user-supplied path (command line, URL) into a path
 * strictly inside a root directory. */
#ifndef MEDUSA_SAFEPATH_H
#define MEDUSA_SAFEPATH_H

#include <stddef.h>

enum {
	SAFEPATH_OK = 0,
	SAFEPATH_BAD = -1,      /* malformed: NUL, absolute, "..", empty component */
	SAFEPATH_OUTSIDE = -2,  /* a symlink leads out of the root */
	SAFEPATH_MISSING = -3,  /* must_exist and it does not (errno set) */
};

/* rel is len bytes (it may hold a NUL, which is refused). Refuses absolute
 * paths, ".." components, NUL bytes and paths that, following symlinks,
 * leave root. "." components and repeated slashes are folded. When
 * must_exist is 0 the last component may be missing (its directory must
 * exist). On success *abs is a new absolute path under root and *clean (if
 * not NULL) the normalized relative path ("" for the root itself). On
 * failure *why is a static reason. */
int safepath_resolve(const char *root, const char *rel, size_t len, int must_exist,
    char **abs, char **clean, const char **why);

/* Tests set this to exercise the realpath(3) walk used where the kernel
 * has no openat2(2). */
extern int safepath_no_openat2;

#endif
