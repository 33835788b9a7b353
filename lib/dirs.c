/* dirs.c: shared-file and cache directories (dirs.h). */
#include "dirs.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder of the running binary (symlinks resolved), or NULL. */
static char *exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return path_dirname(exe);
}

/* The real path of path (which it frees) when that is a directory, else NULL. */
static char *real_dir(char *path)
{
	char *r = path_is_dir(path) ? realpath(path, NULL) : NULL;
	free(path);
	return r;
}

char *dirs_share(const char *sub, const char *compiled_in)
{
	char *bin = exe_dir(), *d = NULL;
	if (bin) {
		d = real_dir(xasprintf("%s/../share/medusa/%s", bin, sub));
		if (!d)
			d = real_dir(xasprintf("%s/../%s", bin, sub));
		free(bin);
	}
	if (!d && compiled_in)
		d = real_dir(xasprintf("%s/%s", compiled_in, sub));
	return d;
}

/* An absolute value of the variable, else NULL. */
static const char *abs_env(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] == '/' ? v : NULL;
}

char *dirs_cache(const char *fallback)
{
	const char *v = abs_env("CACHE_DIRECTORY");
	if (v)  /* systemd may list several, separated by ':' */
		return xasprintf("%.*s", (int)strcspn(v, ":"), v);
	if (fallback)
		return xstrdup(fallback);
	if ((v = abs_env("XDG_CACHE_HOME")))
		return path_join(v, "medusa");
	if ((v = abs_env("HOME")))
		return xasprintf("%s/.cache/medusa", v);
	return NULL;
}
