/* Unit tests for lib/atomic.c. fsync is replaced below (the static library
 * links against this definition) so that a failing disk can be simulated:
 * a failed fsync of the file must leave the old bytes, a failed fsync of the
 * folder after the rename must not claim the old bytes are still there. */
#include "atomic.h"
#include "util.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail_file_fsync, fail_dir_fsync;

int fsync(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0) {
		if ((S_ISDIR(st.st_mode) && fail_dir_fsync) || (S_ISREG(st.st_mode) && fail_file_fsync)) {
			errno = EIO;
			return -1;
		}
	}
	return (int)syscall(SYS_fsync, fd);
}

static char *slurp(const char *path)
{
	char *buf;
	if (atomic_read_file(path, 1 << 20, &buf, NULL) < 0)
		return NULL;
	return buf;
}

/* Number of entries in dir besides . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char tmpl[] = "/tmp/medusa-atomic.XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "work directory");
	if (!dir)
		return tap_done();
	char *f = path_join(dir, "file name 'q'.json");

	ok(atomic_write(f, "one\n", 4, 0640) == 0, "atomic_write creates a file");
	char *s = slurp(f);
	is_str(s, "one\n", "with the bytes");
	free(s);
	struct stat st;
	ok(stat(f, &st) == 0 && (st.st_mode & 0777) == 0640, "with the mode asked");
	ok(entries(dir) == 1, "and no temporary beside it");

	fail_file_fsync = 1;
	errno = 0;
	ok(atomic_write(f, "two\n", 4, 0640) < 0 && errno == EIO, "a failed fsync of the file is an error");
	s = slurp(f);
	is_str(s, "one\n", "the old bytes stay");
	free(s);
	ok(entries(dir) == 1, "the temporary is gone");
	fail_file_fsync = 0;

	fail_dir_fsync = 1;
	fprintf(stderr, "(a warning about syncing a folder is expected next)\n");
	ok(atomic_write(f, "three\n", 6, 0640) == 0,
	    "a failed fsync of the folder after the rename is not reported as failure");
	s = slurp(f);
	is_str(s, "three\n", "the file holds the new bytes");
	free(s);
	ok(entries(dir) == 1, "no temporary left");
	fail_dir_fsync = 0;

	/* atomic_commit_tmpfile directly, as medusa-cut and the directory store use it */
	char *tmp;
	int fd = atomic_tmpfile_beside(f, &tmp);
	ok(fd >= 0, "atomic_tmpfile_beside");
	ok(tmp && strstr(tmp, "/.file name 'q'.json.tmp.") != NULL, "the temporary is a dot name beside: %s", tmp);
	ok(write(fd, "four\n", 5) == 5, "write the temporary");
	ok(atomic_commit_tmpfile(fd, tmp, f) == 0, "atomic_commit_tmpfile");
	s = slurp(f);
	is_str(s, "four\n", "committed");
	free(s);
	free(tmp);

	char *missing = path_join(dir, "no/such/dir/x.json");
	errno = 0;
	ok(atomic_write(missing, "x", 1, 0644) < 0 && errno == ENOENT, "a missing folder: ENOENT");
	free(missing);

	/* atomic_read_file limits */
	char *big = xmalloc(5000);
	memset(big, 'x', 5000);
	char *bf = path_join(dir, "big");
	ok(atomic_write(bf, big, 5000, 0644) == 0, "a 5000-byte file");
	char *buf = NULL;
	size_t len = 0;
	errno = 0;
	ok(atomic_read_file(bf, 4999, &buf, &len) < 0 && errno == EFBIG, "over the limit: EFBIG");
	ok(atomic_read_file(bf, 5000, &buf, &len) == 0 && len == 5000, "at the limit: read whole");
	free(buf);
	errno = 0;
	ok(atomic_read_file(dir, 100, &buf, &len) < 0 && errno == EISDIR, "a folder: EISDIR");
	char *empty = path_join(dir, "empty");
	ok(atomic_write(empty, "", 0, 0644) == 0, "an empty file");
	ok(atomic_read_file(empty, 10, &buf, &len) == 0 && len == 0 && buf[0] == '\0', "reads as empty");
	free(buf);

	unlink(empty);
	unlink(bf);
	unlink(f);
	free(empty);
	free(bf);
	free(big);
	free(f);
	ok(rmdir(dir) == 0, "nothing else was left behind");
	return tap_done();
}
