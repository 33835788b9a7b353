#include "tap.h"
#include "safepath.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char *root, *outside;

static int res(const char *rel, size_t len, int must_exist, char **clean, const char **why)
{
	char *abs = NULL;
	int r = safepath_resolve(root, rel, len, must_exist, &abs, clean, why);
	if (r == 0) {
		char *want = path_join(root, clean && *clean ? *clean : "");
		if (clean && strcmp(abs, want) != 0)
			printf("# abs %s, want %s\n", abs, want);
		free(want);
	}
	free(abs);
	return r;
}

static int r1(const char *rel, int must_exist)
{
	return res(rel, strlen(rel), must_exist, NULL, NULL);
}

static void checks(const char *mode)
{
	char *clean;
	const char *why = NULL;
	ok(res("a/b.mp4", 7, 1, &clean, &why) == SAFEPATH_OK, "%s: plain path", mode);
	is_str(clean, "a/b.mp4", "%s: clean path", mode);
	free(clean);
	ok(res("./a//./b.mp4", 12, 1, &clean, NULL) == SAFEPATH_OK, "%s: dots and slashes folded", mode);
	is_str(clean, "a/b.mp4", "%s: folded path", mode);
	free(clean);
	ok(res("", 0, 1, &clean, NULL) == SAFEPATH_OK, "%s: empty is the root", mode);
	is_str(clean, "", "%s: root is \"\"", mode);
	free(clean);
	ok(res("a/../a/b.mp4", 12, 1, NULL, &why) == SAFEPATH_BAD, "%s: .. refused", mode);
	is_str(why, "\"..\" in path", "%s: .. reason", mode);
	ok(r1("..", 0) == SAFEPATH_BAD, "%s: bare .. refused", mode);
	ok(r1("a/..", 0) == SAFEPATH_BAD, "%s: trailing .. refused", mode);
	ok(r1("a/..b", 0) == SAFEPATH_OK, "%s: ..b is a name", mode);
	ok(res("/etc/passwd", 11, 1, NULL, &why) == SAFEPATH_BAD, "%s: absolute refused", mode);
	is_str(why, "absolute path", "%s: absolute reason", mode);
	ok(res("a/b.mp4\0x", 9, 1, NULL, &why) == SAFEPATH_BAD, "%s: NUL refused", mode);
	is_str(why, "NUL byte in path", "%s: NUL reason", mode);
	ok(res("out/x", 5, 0, NULL, &why) == SAFEPATH_OUTSIDE, "%s: symlink dir out refused", mode);
	ok(r1("out", 1) == SAFEPATH_OUTSIDE, "%s: symlink out refused", mode);
	ok(r1("outfile", 1) == SAFEPATH_OUTSIDE, "%s: symlink to a file out refused", mode);
	ok(r1("outfile", 0) == SAFEPATH_OUTSIDE, "%s: ... also when it need not exist", mode);
	ok(r1("a/up", 1) == SAFEPATH_OUTSIDE, "%s: relative symlink ../.. refused", mode);
	ok(r1("in/b.mp4", 1) == SAFEPATH_OK, "%s: relative symlink inside allowed", mode);
	ok(r1("absin/b.mp4", 1) == SAFEPATH_OK, "%s: absolute symlink inside allowed", mode);
	ok(res("a/new.json", 10, 1, NULL, &why) == SAFEPATH_MISSING, "%s: missing with must_exist", mode);
	ok(r1("a/new.json", 0) == SAFEPATH_OK, "%s: missing last component allowed", mode);
	ok(res("nodir/new.json", 14, 0, NULL, &why) == SAFEPATH_MISSING, "%s: missing directory", mode);
	ok(res("a/dangling", 10, 0, NULL, &why) == SAFEPATH_OUTSIDE, "%s: dangling symlink refused", mode);
	ok(r1("a/b.mp4/x", 0) == SAFEPATH_MISSING, "%s: file as directory", mode);
	ok(r1("loop/x", 0) != SAFEPATH_OK, "%s: symlink loop refused", mode);
}

int main(void)
{
	char tmpl[] = "/tmp/medusa-safepath.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	char *real = realpath(tmpl, NULL); /* /tmp may be a symlink */
	root = path_join(real, "root");
	outside = path_join(real, "outside");
	free(real);
	char *a = path_join(root, "a"), *f = path_join(a, "b.mp4");
	mkdir(root, 0755);
	mkdir(outside, 0755);
	mkdir(a, 0755);
	FILE *fp = fopen(f, "w");
	fclose(fp);
	char *secret = path_join(outside, "secret");
	fp = fopen(secret, "w");
	fclose(fp);
	char *l;
	int bad = 0;
	bad |= symlink(outside, l = path_join(root, "out")); free(l);
	bad |= symlink(secret, l = path_join(root, "outfile")); free(l);
	bad |= symlink("../../outside", l = path_join(a, "up")); free(l);
	bad |= symlink("a", l = path_join(root, "in")); free(l);
	bad |= symlink(a, l = path_join(root, "absin")); free(l);
	bad |= symlink("/nonexistent/x", l = path_join(a, "dangling")); free(l);
	bad |= symlink("loop", l = path_join(root, "loop")); free(l);
	ok(!bad, "fixture");

	checks("openat2");
	safepath_no_openat2 = 1;
	checks("realpath walk");

	char *cmd = xasprintf("rm -rf '%s'", tmpl);
	ok(system(cmd) == 0, "cleanup");
	free(cmd);
	free(root); free(outside); free(a); free(f); free(secret);
	return tap_done();
}
