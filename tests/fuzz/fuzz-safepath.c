/* libFuzzer target: safepath_resolve on a small tree with symlinks in and
 * out. Whatever it accepts lies under the root and its clean form has no
 * "..", "." or empty component; whatever it refuses says why. */
#include "safepath.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *root, *realroot, *top;

/* the tree goes when libFuzzer exits (at the end of its time, or -runs) */
static void cleanup(void)
{
	char *cmd = xasprintf("rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz-safepath: cannot remove %s\n", top);
	free(cmd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/medusa-fuzz-sp.XXXXXX";
	if (!mkdtemp(tmpl))
		abort();
	top = xstrdup(tmpl);
	atexit(cleanup);
	root = xasprintf("%s/root", tmpl);
	char *cmd = xasprintf("cd %s && mkdir -p root/a/b out && : > root/a/v.mp4 && "
	    "ln -s ../../out root/a/up && ln -s b root/a/in && ln -s /etc root/etc && "
	    "ln -s nowhere root/dangling && ln -s loop root/loop", tmpl);
	if (system(cmd) != 0)
		abort();
	free(cmd);
	realroot = realpath(root, NULL);
	if (!realroot)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int must = 0; must < 2; must++) {
		char *abs = NULL, *clean = NULL;
		const char *why = NULL;
		int r = safepath_resolve(root, (const char *)data, size, must, &abs, &clean, &why);
		if (r == 0) {
			size_t n = strlen(realroot);
			if (!abs || !clean || strncmp(abs, realroot, n) != 0 || (abs[n] != '/' && abs[n]))
				abort();
			if (clean[0] == '/' || strstr(clean, "//"))
				abort();
			for (const char *p = clean; *p;) {
				size_t c = strcspn(p, "/");
				if ((c == 2 && p[0] == '.' && p[1] == '.') || (c == 1 && p[0] == '.'))
					abort();
				p += c + (p[c] == '/');
			}
			if (memchr(data, '\0', size))
				abort();
		} else if (!why || !*why || abs || clean) {
			abort();
		}
		free(abs);
		free(clean);
	}
	return 0;
}
