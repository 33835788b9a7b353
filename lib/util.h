/* util.h: messages, exit codes and allocation shared by every tool. */
#ifndef MEDUSA_UTIL_H
#define MEDUSA_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdnoreturn.h>

/* Exit codes of every tool (medusa(7)). */
enum {
	EXIT_ALLOK = 0,   /* every record succeeded */
	EXIT_SOME = 1,    /* some records failed, the others went through */
	EXIT_USAGE = 2,   /* bad usage or configuration */
};

/* Messages go to stderr as "progname: ...". progname comes from
 * program_invocation_short_name, as err(3) does. */
void mwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like mwarn, with ": strerror(errno)" appended. */
void mwarnerr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void mdie(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail: out of memory ends the program (exit 2). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows the zero-filled bytes *p (*cap of them) until index i is inside,
 * doubling from at least first bytes; the new bytes are zero. */
void xgrow_zeroed(unsigned char **p, size_t *cap, size_t i, size_t first);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flush and close stdout, reporting a write error (a full disk, a closed
 * pipe) that printf alone would hide. Returns 0 or -1. */
int close_stdout(void);

/* Path helpers returning new strings. */
char *path_join(const char *dir, const char *name);
char *path_dirname(const char *path);
/* Whether path names a directory (after symbolic links). */
int path_is_dir(const char *path);
/* mkdir -p with mode 0755: 0 when dir is a directory now, -1 with errno. */
int path_mkdir_p(const char *dir);

/* True when s ends with suffix (case-insensitive when ci). */
int str_endswith(const char *s, const char *suffix, int ci);

/* True when s is valid UTF-8 (JSON strings must be). */
int utf8_valid(const char *s);
/* A copy of s with each byte that is not part of valid UTF-8 replaced by
 * '?', for messages and records about names that are not UTF-8. */
char *utf8_sanitize(const char *s);

#endif
