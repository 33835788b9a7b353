/* walk.h: the walk of the backyard that medusa-scan and the backyard
 * server's GET /api/videos share: every video below the root, in path
 * order, with its sidecar. */
#ifndef MEDUSA_WALK_H
#define MEDUSA_WALK_H

#include <sys/stat.h>
#include "config.h"

struct walk_item {
	const char *path;        /* relative to the root ("a/b.mp4") */
	const char *abs;         /* root + "/" + path */
	/* a video: */
	const struct stat *st;   /* of the file (a symlink inside the root is followed) */
	const char *sidecar;     /* relative path of its sidecar, or NULL */
	/* or a problem (st is NULL): a sidecar without a video, a symlink out
	 * of the root, a directory that cannot be read. path is then the
	 * video (or folder) the problem is about. */
	const char *error;
	int incomplete;          /* the problem left part of the tree unwalked */
};

/* Called once per item in order of path (byte order, as strcmp sorts whole
 * paths: "a b.mp4" < "a.mp4" < "a/x.mp4"). Non-zero stops the walk. */
typedef int (*walk_fn)(const struct walk_item *it, void *arg);

/* Walks cfg->root, skipping names that start with '.', and the frontyard
 * directories when they lie inside the root. Symlinks to directories are not
 * followed. Memory holds one directory listing per level, never the tree.
 * Returns 0 when the whole tree was walked, 1 when some of it could not be
 * read (items with incomplete set were reported), or the callback's non-zero
 * value. */
int walk_backyard(const struct config *cfg, walk_fn fn, void *arg);

#endif
