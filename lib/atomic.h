/* atomic.h: replace a file so that readers see the old bytes or the new
 * ones, never a mix, and a crash leaves one of the two whole. */
#ifndef MEDUSA_ATOMIC_H
#define MEDUSA_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/* Writes buf to a temporary file in path's directory, fsyncs it, renames it
 * over path and fsyncs the directory. On failure the temporary is removed,
 * path is untouched, errno is set and -1 returned. 0 means path holds the
 * new bytes (a failed fsync of the directory after the rename is only
 * warned about: the old bytes are gone by then). */
int atomic_write(const char *path, const void *buf, size_t len, mode_t mode);

/* Reads a whole (small) file: *buf is NUL-terminated, free it. -1 with errno
 * (ENOENT for a missing file, EISDIR for a directory, ENODEV for a FIFO,
 * socket or device: never blocks on one); files over max bytes fail with
 * EFBIG. */
int atomic_read_file(const char *path, size_t max, char **buf, size_t *len);

/* An exclusive lock on a directory (flock on its fd), held until
 * atomic_dir_unlock; serializes check-then-replace of files inside it. -1 or fd. */
int atomic_dir_lock(const char *dir);
void atomic_dir_unlock(int fd);

/* fsync a directory by path. 0 or -1. */
int atomic_fsync_dir(const char *dir);

/* Creates a unique temporary file next to path (".name.tmp.XXXXXX"), open
 * for writing; *tmp_path receives its name (free it). fd or -1. */
int atomic_tmpfile_beside(const char *path, char **tmp_path);

/* fsync fd, close it and rename tmp to path, fsync the directory. On failure
 * unlinks tmp, path is untouched: -1 with errno. 0 once the rename is done,
 * even when the directory fsync after it fails (that gets a warning). */
int atomic_commit_tmpfile(int fd, const char *tmp, const char *path);

#endif
