/* The backyard walk. Each directory is read whole (names only, in one
 * arena), sorted, and walked in order; only videos are stat'ed, so the walk
 * costs little more than find(1) listing the names. */
#include "walk.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 128

enum kind { K_DIR = 1, K_VIDEO, K_SIDECAR };

struct ent {
	size_t off;             /* into the level's arena; dirs end in '/' */
	unsigned char kind;
	unsigned char link;     /* a symlink (to be followed for videos) */
};

struct walker {
	const struct config *cfg;
	walk_fn fn;
	void *arg;
	char *realroot;
	char *path;             /* root + "/" + rel, grown as needed */
	size_t cap, rootlen;    /* path + rootlen + 1 is rel */
	char **excluded;        /* rel paths of frontyard dirs inside the root */
	size_t nexcluded;
	int incomplete;
};

static void path_set(struct walker *w, size_t rellen, const char *name, size_t n)
{
	size_t need = w->rootlen + 1 + rellen + 1 + n + 1;
	if (need > w->cap) {
		w->cap = need * 2;
		w->path = xrealloc(w->path, w->cap);
	}
	char *rel = w->path + w->rootlen + 1;
	if (rellen)
		rel[rellen++] = '/';
	memcpy(rel + rellen, name, n);
	rel[rellen + n] = '\0';
}

static int report(struct walker *w, const char *msg, int incomplete)
{
	struct walk_item it = {
		.path = w->path + w->rootlen + 1,
		.abs = w->path,
		.error = msg,
		.incomplete = incomplete,
	};
	if (incomplete)
		w->incomplete = 1;
	return w->fn(&it, w->arg);
}

static int cmp_ent(const void *a, const void *b, void *arena)
{
	return strcmp((const char *)arena + ((const struct ent *)a)->off,
	    (const char *)arena + ((const struct ent *)b)->off);
}

/* index of name (not a directory) among the sorted entries, or -1 */
static long find(const char *arena, const struct ent *e, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(arena + e[mid].off, name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int is_sidecar_name(const char *name, size_t len)
{
	size_t sl = strlen(SIDECAR_SUFFIX);
	return len > sl && strcmp(name + len - sl, SIDECAR_SUFFIX) == 0 &&
	    strcmp(name, FOLDER_META) != 0 && strcmp(name, BACKYARD_CONFIG) != 0;
}

static int walk_dir(struct walker *w, int dfd, size_t rellen, int depth);

static int visit(struct walker *w, int dfd, size_t rellen, int depth,
    const char *arena, const struct ent *e, size_t n, size_t i)
{
	const char *name = arena + e[i].off;
	size_t len = strlen(name);
	const char *rel;
	switch (e[i].kind) {
	case K_DIR: {
		path_set(w, rellen, name, len - 1); /* without the '/' */
		rel = w->path + w->rootlen + 1;
		for (size_t x = 0; x < w->nexcluded; x++)
			if (strcmp(rel, w->excluded[x]) == 0)
				return 0;
		if (depth >= MAX_DEPTH)
			return report(w, "folder: too deeply nested, not walked", 1);
		char *sub = xstrdup(name);
		sub[len - 1] = '\0';
		int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		free(sub);
		if (fd < 0) {
			char msg[256];
			snprintf(msg, sizeof msg, "cannot read the folder: %s", strerror(errno));
			return report(w, msg, 1);
		}
		return walk_dir(w, fd, strlen(rel), depth + 1);
	}
	case K_VIDEO: {
		path_set(w, rellen, name, len);
		rel = w->path + w->rootlen + 1;
		struct stat st;
		if (fstatat(dfd, name, &st, 0) < 0) {
			char msg[256];
			snprintf(msg, sizeof msg, "cannot stat: %s", strerror(errno));
			return report(w, msg, 0);
		}
		if (!S_ISREG(st.st_mode))
			return 0;
		if (e[i].link) {
			char *real = realpath(w->path, NULL);
			size_t rl = strlen(w->realroot);
			int in = real && strncmp(real, w->realroot, rl) == 0 && real[rl] == '/';
			free(real);
			if (!in)
				return report(w, "a symbolic link leads out of the backyard", 0);
		}
		char *sc = xasprintf("%s%s", name, SIDECAR_SUFFIX);
		long j = find(arena, e, n, sc);
		free(sc);
		char *screl = NULL;
		if (j >= 0 && e[j].kind == K_SIDECAR)
			screl = xasprintf("%s%s", rel, SIDECAR_SUFFIX);
		struct walk_item it = {
			.path = rel, .abs = w->path, .st = &st, .sidecar = screl,
		};
		int r = w->fn(&it, w->arg);
		free(screl);
		return r;
	}
	case K_SIDECAR: {
		size_t bl = len - strlen(SIDECAR_SUFFIX);
		char *base = xmalloc(bl + 1);
		memcpy(base, name, bl);
		base[bl] = '\0';
		long j = find(arena, e, n, base);
		int r = 0;
		if (j < 0 || e[j].kind != K_VIDEO) {
			path_set(w, rellen, base, bl);
			char *msg = xasprintf(config_is_video(w->cfg, base) ?
			    "sidecar without a video: %s has no %s beside it" :
			    "sidecar of a file that is not a video: %s (its extension is not "
			    "among the video extensions) or that is missing", name, base);
			r = report(w, msg, 0);
			free(msg);
		}
		free(base);
		return r;
	}
	}
	return 0;
}

static int walk_dir(struct walker *w, int dfd, size_t rellen, int depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		char msg[256];
		snprintf(msg, sizeof msg, "cannot read the folder: %s", strerror(errno));
		return report(w, msg, 1);
	}
	char *arena = NULL;
	size_t alen = 0, acap = 0, n = 0, cap = 0;
	struct ent *e = NULL;
	struct dirent *de;
	int r = 0;
	for (;;) {
		errno = 0;
		if (!(de = readdir(d)))
			break;
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;
		size_t len = strlen(name);
		unsigned char type = de->d_type, link = 0;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue; /* gone since readdir */
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG :
			    S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
		}
		unsigned char kind;
		if (type == DT_DIR)
			kind = K_DIR;
		else if (type != DT_REG && type != DT_LNK)
			continue;
		else if (config_is_video(w->cfg, name))
			kind = K_VIDEO;
		else if (is_sidecar_name(name, len))
			kind = K_SIDECAR;
		else
			continue;
		link = type == DT_LNK;
		if (alen + len + 2 > acap) {
			acap = (alen + len + 2) * 2;
			arena = xrealloc(arena, acap);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			e = xrealloc(e, cap * sizeof *e);
		}
		e[n].off = alen;
		e[n].kind = kind;
		e[n].link = link;
		n++;
		memcpy(arena + alen, name, len);
		alen += len;
		if (kind == K_DIR)
			arena[alen++] = '/'; /* sorts "a/x" after "a.b" and "a b" */
		arena[alen++] = '\0';
	}
	if (errno) {
		char msg[256];
		snprintf(msg, sizeof msg, "cannot read the folder: %s", strerror(errno));
		w->path[w->rootlen + 1 + rellen] = '\0';
		r = report(w, msg, 1);
	}
	if (r == 0 && n) {
		qsort_r(e, n, sizeof *e, cmp_ent, arena);
		for (size_t i = 0; i < n && r == 0; i++)
			r = visit(w, dirfd(d), rellen, depth, arena, e, n, i);
	}
	free(arena);
	free(e);
	closedir(d);
	return r;
}

static void exclude(struct walker *w, const char *dir)
{
	if (!dir || strstr(dir, "://"))
		return;
	size_t rl = strlen(w->cfg->root);
	if (strncmp(dir, w->cfg->root, rl) != 0 || dir[rl] != '/')
		return;
	/* fold "." and "..", as a config may say "./frontyard/" */
	const char *p = dir + rl + 1;
	char *rel = xmalloc(strlen(p) + 1);
	size_t o = 0;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0) {
				free(rel); /* it leaves the root */
				return;
			}
			while (o > 0 && rel[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o)
				rel[o++] = '/';
			memcpy(rel + o, p, n);
			o += n;
		}
		p += n + (p[n] == '/');
	}
	rel[o] = '\0';
	if (!o) {
		free(rel); /* the root itself: nothing to skip */
		return;
	}
	w->excluded = xrealloc(w->excluded, (w->nexcluded + 1) * sizeof *w->excluded);
	w->excluded[w->nexcluded++] = rel;
}

int walk_backyard(const struct config *cfg, walk_fn fn, void *arg)
{
	struct walker w = {.cfg = cfg, .fn = fn, .arg = arg};
	w.realroot = realpath(cfg->root, NULL);
	w.rootlen = strlen(cfg->root);
	w.cap = w.rootlen + 256;
	w.path = xmalloc(w.cap);
	memcpy(w.path, cfg->root, w.rootlen);
	w.path[w.rootlen] = '/';
	w.path[w.rootlen + 1] = '\0';
	exclude(&w, cfg->frontyard_dir);
	exclude(&w, cfg->workdir);
	exclude(&w, cfg->storage);
	int r;
	int fd = w.realroot ? open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd < 0) {
		char msg[256];
		snprintf(msg, sizeof msg, "cannot read the backyard root: %s", strerror(errno));
		r = report(&w, msg, 1);
	} else {
		r = walk_dir(&w, fd, 0, 0);
	}
	for (size_t i = 0; i < w.nexcluded; i++)
		free(w.excluded[i]);
	free(w.excluded);
	free(w.path);
	free(w.realroot);
	return r ? r : w.incomplete;
}
