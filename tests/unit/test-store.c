/* store.h: key validation, URL dispatch and the directory backend. */
#include "tap.h"
#include "atomic.h"
#include "hash.h"
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_each(void *arg, const char *key, long long size)
{
	int *n = arg;
	(*n)++;
	return 0;
}

static int stop_each(void *arg, const char *key, long long size)
{
	return 7;
}

int main(void)
{
	ok(hash_init() == 0, "libsodium");
	ok(store_key_valid("clips/a/0123/360p.mp4"), "a normal key");
	ok(store_key_valid("a"), "one part");
	ok(!store_key_valid(""), "empty");
	ok(!store_key_valid("/clips/a"), "absolute");
	ok(!store_key_valid("clips//a"), "empty part");
	ok(!store_key_valid("clips/a/"), "trailing slash");
	ok(!store_key_valid("clips/../etc"), "dot-dot");
	ok(!store_key_valid(".."), "dot-dot alone");
	ok(!store_key_valid("clips/./a"), "dot part");
	ok(!store_key_valid("clips/a\nb"), "control character");
	ok(!store_key_valid("clips\\a"), "backslash");
	ok(store_key_valid("clips/..a/b..c"), "dots inside a name are fine");

	char tmpl[] = "/tmp/medusa-store.XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "work dir");
	char why[512];
	ok(store_open("ftp://x/y", why, sizeof why) == NULL && strstr(why, "unknown storage scheme"),
	    "unknown scheme refused: %s", why);
	ok(store_open("", why, sizeof why) == NULL, "empty URL refused");
	ok(store_open("file://otherhost/x", why, sizeof why) == NULL, "a file URL with a host refused");
	struct store *s3 = store_open("s3://bucket/p", why, sizeof why);
	ok(s3 == NULL || s3->ops == &store_s3_ops, "s3:// goes to the S3 backend");
	store_close(s3);

	char *root = xasprintf("file://%s/store", dir);
	struct store *s = store_open(root, why, sizeof why);
	ok(s != NULL, "file:// URL opens (and creates) a directory store");
	if (!s)
		return tap_done();
	ok(s->ops == &store_dir_ops, "directory backend");

	char *src = path_join(dir, "src.bin");
	ok(atomic_write(src, "hello", 5, 0600) == 0, "a source file");
	char hex[HASH_HEX_LEN + 1];
	hash_file_hex(src, hex);
	ok(store_put_file(s, "clips/x/v/a.mp4", src, "video/mp4", hex, 0) == 1, "put by copy: a new key");
	long long size = -1;
	ok(store_stat(s, "clips/x/v/a.mp4", &size, NULL, 0) == 1 && size == 5, "stat finds it");
	char *dst = path_join(s->root, "clips/x/v/a.mp4");
	struct stat a, b;
	ok(stat(src, &a) == 0 && stat(dst, &b) == 0 && a.st_ino != b.st_ino, "a copy is its own file");
	ok((b.st_mode & 0777) == 0644, "copies are world-readable");
	ok(store_put_file(s, "clips/x/v/a.mp4", src, "video/mp4", hex, 0) == 0, "put again: no-op");
	struct stat c;
	ok(stat(dst, &c) == 0 && c.st_ino == b.st_ino, "the same file is kept");
	ok(store_put_file(s, "clips/x/v/b.mp4", src, "video/mp4", hex, 1) == 1, "put by link: a new key");
	char *dst2 = path_join(s->root, "clips/x/v/b.mp4");
	ok(stat(dst2, &c) == 0 && c.st_ino == a.st_ino, "a link on the same filesystem");
	ok((c.st_mode & 0444) == 0444, "made readable");
	ok(store_put_file(s, "clips/x/v/c.mp4", src, "video/mp4",
	    "0000000000000000000000000000000000000000000000000000000000000000", 1) < 0,
	    "a hash mismatch is refused");
	ok(store_stat(s, "clips/x/v/c.mp4", NULL, NULL, 0) == 0, "and leaves no key");
	ok(store_put_file(s, "../escape", src, "video/mp4", hex, 1) < 0, "a bad key is refused");
	ok(store_stat(s, "clips/none", NULL, NULL, 0) == 0, "stat of a missing key");

	/* a changed file under an existing key is replaced whole */
	ok(atomic_write(src, "world!", 6, 0644) == 0, "new bytes");
	hash_file_hex(src, hex);
	ok(store_put_file(s, "clips/x/v/a.mp4", src, "video/mp4", hex, 0) == 0, "replace: the key was there");
	ok(store_stat(s, "clips/x/v/a.mp4", &size, NULL, 0) == 1 && size == 6, "new size");

	char *back = path_join(dir, "back.bin");
	ok(store_get_file(s, "clips/x/v/a.mp4", back) == 0, "get");
	char *buf = NULL;
	size_t len = 0;
	ok(atomic_read_file(back, 100, &buf, &len) == 0 && len == 6 && memcmp(buf, "world!", 6) == 0,
	    "get gives the bytes");
	free(buf);

	int n = 0;
	ok(store_list(s, "clips/", count_each, &n) == 0 && n == 2, "list finds two keys (%d)", n);
	n = 0;
	ok(store_list(s, "clips/x/v/a", count_each, &n) == 0 && n == 1, "a prefix inside a name");
	n = 0;
	ok(store_list(s, "nothing/", count_each, &n) == 0 && n == 0, "an empty prefix");
	ok(store_list(s, "", stop_each, NULL) == 7, "a non-zero return stops the walk");
	const char *keys[] = {"clips/x/v/a.mp4", "clips/x/v/b.mp4", "clips/x/v/none"};
	ok(store_remove(s, keys, 3) == 0, "remove (a missing key is fine)");
	char *cl = path_join(s->root, "clips");
	ok(access(cl, F_OK) < 0, "empty folders go too");
	ok(access(s->root, F_OK) == 0, "the root stays");

	char *cmd = xasprintf("rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	free(cmd);
	free(cl);
	free(back);
	free(dst);
	free(dst2);
	free(src);
	free(root);
	store_close(s);
	return tap_done();
}
