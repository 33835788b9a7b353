/* sandbox.h: least privilege for a server once it is set up, after
 * kcgi's seccomp sandbox and OpenBSD's unveil/pledge. Landlock makes the
 * file system read-only except a few directories, and a seccomp filter
 * (libseccomp) refuses exec, ptrace, io_uring and the making of sockets.
 * Whatever the kernel lacks is left out: the caller goes on, and the
 * report says what was applied and what not. */
#ifndef MEDUSA_SANDBOX_H
#define MEDUSA_SANDBOX_H

#include <stddef.h>

enum {
	/* keep socket(2) and TCP connect, for a caller that must make
	 * sockets later (medusa-serve does not: a replica's fetch runs in a
	 * helper started before the sandbox) */
	SANDBOX_SOCKETS = 1,
};

struct sandbox_report {
	int landlock_abi;       /* the kernel's Landlock ABI, 0 when it has none */
	int landlock;           /* the file system rules apply */
	int seccomp;            /* the system call filter applies */
	char text[768];         /* one line for people: what applies, what is missing, why */
};

/* Restricts the calling process, its threads and children, for good:
 * reading stays allowed everywhere, writing only below the directories
 * of writable, and to its files (NULL-terminated; a file can be written,
 * not replaced; one that does not exist is left out and named in the
 * report); no exec, ptrace, process_vm_*, io_uring; no
 * socket or socketpair unless flags has SANDBOX_SOCKETS. Files and
 * sockets opened before keep working. 0 when both Landlock and seccomp
 * apply, 1 when the kernel lacks a part (the report says which and why). */
int sandbox_apply(const char *const *writable, int flags, struct sandbox_report *rep);

/* Whether this process may write below path: access(2) W_OK, and under
 * Landlock also inside one of the writable directories (access(2) does
 * not see Landlock). */
int sandbox_may_write(const char *path);

/* Whether ptrace stays allowed in this build: LeakSanitizer stops the
 * threads with it at exit, so a sanitizer build keeps it. */
int sandbox_keeps_ptrace(void);

#endif
