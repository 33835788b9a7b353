#include "atomic.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	/* some filesystems cannot fsync a directory; that is not an error */
	return r < 0 && errno != EINVAL && errno != EROFS ? -1 : 0;
}

int atomic_tmpfile_beside(const char *path, char **tmp_path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	char *tmp = xasprintf("%.*s.%s.tmp.XXXXXX", dirlen, path, base);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		errno = e;
		return -1;
	}
	*tmp_path = tmp;
	return fd;
}

int atomic_commit_tmpfile(int fd, const char *tmp, const char *path)
{
	int e;
	if (fsync(fd) < 0) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		goto fail;
	}
	/* The rename is done: path holds the new bytes, and the old ones are
	 * gone. A failed directory fsync only means the rename may not survive
	 * a crash; reporting -1 here would make callers claim the old file is
	 * unchanged, so warn and report success. */
	char *dir = path_dirname(path);
	if (atomic_fsync_dir(dir) < 0)
		mwarnerr("%s: replaced, but syncing its folder failed (the change may not "
		    "survive a crash)", path);
	free(dir);
	return 0;
fail:
	unlink(tmp);
	errno = e;
	return -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int atomic_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	char *tmp;
	int fd = atomic_tmpfile_beside(path, &tmp);
	if (fd < 0)
		return -1;
	int e;
	if (fchmod(fd, mode) < 0 || write_all(fd, buf, len) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		errno = e;
		return -1;
	}
	int r = atomic_commit_tmpfile(fd, tmp, path);
	e = errno;
	free(tmp);
	errno = e;
	return r;
}

int atomic_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	/* O_NONBLOCK: a FIFO put where a file should be must not hang us in
	 * open(2) waiting for a writer; it is refused below */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = ENODEV; /* "No such device": not a regular file */
		goto fail;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto fail;
	/* read up to max + 1 bytes (plus the NUL): getting max + 1 means the
	 * file is too large, getting max then end of file is fine */
	size_t limit = max + 1;
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 2 : 4096, n = 0;
	if (cap > limit + 1)
		cap = limit + 1;
	char *p = xmalloc(cap);
	for (;;) {
		if (n >= limit) {
			free(p);
			errno = EFBIG;
			goto fail;
		}
		if (n + 1 >= cap) {
			cap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
			p = xrealloc(p, cap);
		}
		ssize_t r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(p);
			errno = e;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	*buf = p;
	if (len)
		*len = n;
	return 0;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int atomic_dir_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

void atomic_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
