/* The sandbox of a server: Landlock for the file system, then a seccomp
 * filter for the system calls that would get out of it. Both are best
 * effort against the running kernel: what it lacks is reported, not
 * fatal. */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Newer Landlock ABIs than the headers of this system may know. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)           /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)        /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)       /* ABI 5 */
#endif
#define LL_NET_BIND_TCP (1ULL << 0)                     /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)       /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 6; an older kernel takes it as
 * long as the fields it does not know are zero */
struct ll_ruleset {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* what a writable tree allows: files and folders, no devices, FIFOs,
 * sockets, symlinks or exec */
#define FS_WRITE (FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

/* The real paths of the writable directories once Landlock applies. */
static char **granted;
static size_t ngranted;
static int landlocked;

int sandbox_may_write(const char *path)
{
	if (access(path, W_OK) < 0)
		return 0;
	if (!landlocked)
		return 1;
	char *real = realpath(path, NULL);
	int ok = 0;
	for (size_t i = 0; real && !ok && i < ngranted; i++) {
		size_t n = strlen(granted[i]);
		ok = strncmp(real, granted[i], n) == 0 && (real[n] == '\0' || real[n] == '/' || n == 1);
	}
	free(real);
	return ok;
}

int sandbox_keeps_ptrace(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 1;
#else
	return 0;
#endif
#else
	return 0;
#endif
}

/* Appends to the report's line. */
__attribute__((format(printf, 2, 3)))
static void say(struct sandbox_report *r, const char *fmt, ...)
{
	size_t n = strlen(r->text);
	va_list ap;
	va_start(ap, fmt);
	if (n < sizeof r->text)
		vsnprintf(r->text + n, sizeof r->text - n, fmt, ap);
	va_end(ap);
}

/* The file system rights this ABI knows. */
static uint64_t fs_rights(int abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;    /* ABI 1 */
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

/* Allows rights below path (a directory), or on path (a file: only the
 * rights a file has). 0, or -1 with errno (ENOENT: no such path). */
static int allow_path(int ruleset, const char *path, uint64_t rights)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_TRUNCATE;
	struct landlock_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
	long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	int e = errno;
	close(fd);
	errno = e;
	return rc < 0 ? -1 : 0;
}

/* Read everywhere, write below writable; with no sockets, no TCP bind or
 * connect either (ABI 4), and no signals or abstract Unix sockets out of
 * the sandbox (ABI 6). 0 applied, -1 not (the report says why). */
static int apply_landlock(const char *const *writable, int flags, struct sandbox_report *r)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		say(r, "no Landlock (%s%s); ", strerror(errno),
		    errno == EOPNOTSUPP ? ": disabled at boot" :
		    errno == EPERM ? ": refused by the launcher's system call filter" : "");
		return -1;
	}
	r->landlock_abi = (int)abi;
	uint64_t all = fs_rights((int)abi);
	struct ll_ruleset attr = {.handled_access_fs = all};
	if (abi >= 4 && !(flags & SANDBOX_SOCKETS))
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0) {
		say(r, "no Landlock (creating the ruleset: %s); ", strerror(errno));
		return -1;
	}
	int ok = allow_path(rs, "/", FS_READ & all) == 0;
	for (const char *const *w = writable; ok && w && *w; w++) {
		if (allow_path(rs, *w, FS_WRITE & all) == 0) {
			char *real = realpath(*w, NULL);
			if (!real)
				continue;
			char **g = realloc(granted, (ngranted + 1) * sizeof *g);
			if (!g) {
				free(real);
				continue;   /* only sandbox_may_write says no more */
			}
			granted = g;
			granted[ngranted++] = real;
			continue;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			ok = 0;
		else
			say(r, "%s: not there, stays read-only; ", *w);
	}
	if (!ok || syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		say(r, "no Landlock (%s); ", strerror(errno));
		close(rs);
		return -1;
	}
	close(rs);
	landlocked = 1;
	return 0;
}

/* Whether this process has one thread only (/proc/self/task). */
static int single_threaded(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n == 1;
}

/* The filter must cover every thread: seccomp(2) with TSYNC does that.
 * A launcher's own filter may refuse seccomp(2) itself (systemd's
 * SystemCallFilter=@system-service answers EPERM: it lists prctl, not
 * seccomp), and then libseccomp can load only with prctl(2), for the
 * calling thread, and says it cannot sync: fine while this thread is the
 * only one, since threads started later inherit the filter. 0 (*prctl
 * set when so), or the error of libseccomp. */
static int sync_threads(scmp_filter_ctx ctx, int *prctl)
{
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	*prctl = rc == -EOPNOTSUPP && single_threaded();
	return *prctl ? 0 : rc;
}

/* The system calls that leave the sandbox: running another program,
 * looking into or driving another process, io_uring (whose operations
 * bypass this filter), and, unless kept, new sockets. They fail with
 * EPERM, so that the code reports it. */
static int apply_seccomp(int flags, struct sandbox_report *r)
{
	static const int always[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		say(r, "no seccomp (cannot make a filter); ");
		return -1;
	}
	int via_prctl;
	int rc = sync_threads(ctx, &via_prctl);
	for (size_t i = 0; rc == 0 && i < sizeof always / sizeof always[0]; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), always[i], 0);
	if (rc == 0 && !sandbox_keeps_ptrace())
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0);
	if (rc == 0 && !(flags & SANDBOX_SOCKETS))
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 0);
	if (rc == 0 && !(flags & SANDBOX_SOCKETS))
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		say(r, "no seccomp (%s); ", strerror(-rc));
		return -1;
	}
	if (via_prctl)
		say(r, "seccomp(2) refused, the filter loaded with prctl(2); ");
	return 0;
}

int sandbox_apply(const char *const *writable, int flags, struct sandbox_report *r)
{
	memset(r, 0, sizeof *r);
	/* both need it: no exec could gain privileges anyway, and a setuid
	 * program must not run under rules it did not ask for */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		say(r, "no_new_privs: %s; ", strerror(errno));
	r->landlock = apply_landlock(writable, flags, r) == 0;
	r->seccomp = apply_seccomp(flags, r) == 0;
	if (r->landlock) {
		say(r, "Landlock ABI %d: read-only but for%s", r->landlock_abi,
		    writable && *writable ? "" : " nothing");
		for (const char *const *w = writable; w && *w; w++)
			say(r, " %s%s", *w, w[1] ? "," : "");
		say(r, "; ");
	}
	if (r->seccomp)
		say(r, "seccomp: no exec, %s%s", sandbox_keeps_ptrace() ? "" : "ptrace, ",
		    flags & SANDBOX_SOCKETS ? "io_uring (sockets kept)" : "io_uring, sockets");
	size_t n = strlen(r->text);
	if (n >= 2 && strcmp(r->text + n - 2, "; ") == 0)
		r->text[n - 2] = '\0';
	return r->landlock && r->seccomp ? 0 : 1;
}
