/* The sandbox (lib/sandbox.c) in child processes, since it is for good:
 * what it must stop (exec, sockets, ptrace, io_uring, writes and removals
 * outside the writable tree, signals out of it) and what it must leave
 * (reads, writes inside); sockets kept on request; and a kernel without
 * Landlock and seccomp (simulated by a filter that makes them ENOSYS):
 * the program goes on, says so once at -v, and still answers; and a
 * launcher whose filter refuses them with EPERM, as systemd's
 * SystemCallFilter=@system-service with SystemCallErrorNumber=EPERM does
 * (a new process under it, as the service would be): the seccomp filter
 * still applies, Landlock is named as missing. */
#include "tap.h"
#include "sandbox.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *base, *inside, *outside;

/* "name=ok" or "name=ERRNONAME" for the result of a call. */
static void result(FILE *f, const char *name, long rc)
{
	fprintf(f, " %s=%s", name, rc >= 0 ? "ok" : errno == EPERM ? "EPERM" :
	    errno == EACCES ? "EACCES" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
}

static long try_open(const char *dir, const char *name, int flags)
{
	char *p = path_join(dir, name);
	int fd = open(p, flags | O_CLOEXEC, 0644);
	free(p);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* What a process inside the sandbox can and cannot do, as one line. */
static void probe(FILE *f)
{
	char *const argv[] = {"true", NULL};
	result(f, "exec", execv("/bin/true", argv));
	result(f, "socket", socket(AF_INET, SOCK_STREAM, 0));
	int sv[2];
	result(f, "socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	result(f, "write_out", try_open(outside, "new", O_WRONLY | O_CREAT));
	result(f, "write_in", try_open(inside, "new", O_WRONLY | O_CREAT));
	result(f, "read_out", try_open(outside, "old", O_RDONLY));
	result(f, "trunc_out", try_open(outside, "old", O_WRONLY | O_TRUNC));
	char *old = path_join(outside, "old"), *in_old = path_join(inside, "new");
	char *in_new = path_join(inside, "renamed");
	result(f, "unlink_out", unlink(old));
	result(f, "rename_in", rename(in_old, in_new));
	char *md = path_join(outside, "dir");
	result(f, "mkdir_out", mkdir(md, 0755));
	free(md);
	free(old);
	free(in_old);
	free(in_new);
	/* SEIZE, not ATTACH: where ptrace is allowed (a sanitizer build
	 * under no Landlock) an ATTACH would leave the parent stopped */
	result(f, "ptrace", ptrace(PTRACE_SEIZE, getppid(), NULL, NULL));
	char params[120] = {0};   /* struct io_uring_params */
	result(f, "io_uring", syscall(SYS_io_uring_setup, 1, params));
	result(f, "signal_out", kill(getppid(), 0));
	fputc('\n', f);
}

/* Runs fn in a child; its line in out. */
static void in_child(void (*fn)(FILE *), char *out, size_t n)
{
	int p[2];
	if (pipe(p) < 0)
		mdie(2, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		FILE *f = fdopen(p[1], "w");
		fn(f);
		fclose(f);
		_exit(0);
	}
	close(p[1]);
	ssize_t k = read(p[0], out, n - 1), m;
	while (k >= 0 && (size_t)k < n - 1 && (m = read(p[0], out + k, n - 1 - (size_t)k)) > 0)
		k += m;
	out[k > 0 ? k : 0] = '\0';
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void sandboxed(FILE *f)
{
	const char *w[] = {inside, NULL};
	struct sandbox_report r;
	int rc = sandbox_apply(w, 0, &r);
	fprintf(f, "rc=%d landlock=%d seccomp=%d", rc, r.landlock, r.seccomp);
	probe(f);
	fprintf(f, "report=%s\n", r.text);
}

static void with_sockets(FILE *f)
{
	const char *w[] = {inside, NULL};
	struct sandbox_report r;
	sandbox_apply(w, SANDBOX_SOCKETS, &r);
	result(f, "socket", socket(AF_INET, SOCK_STREAM, 0));
	result(f, "exec", execl("/bin/true", "true", (char *)NULL));
	fprintf(f, " report=%s\n", r.text);
}

/* A kernel without Landlock or seccomp, as far as this process can tell. */
static int pretend_old_kernel(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = !ctx ? -1 :
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(landlock_create_ruleset), 0) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(seccomp), 0) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
		SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP, 0)) ||
	    seccomp_load(ctx) ? -1 : 0;
	seccomp_release(ctx);
	return rc;
}

static void old_kernel(FILE *f)
{
	if (pretend_old_kernel() < 0) {
		fprintf(f, "setup=failed\n");
		return;
	}
	const char *w[] = {inside, NULL};
	struct sandbox_report r;
	int rc = sandbox_apply(w, 0, &r);
	fprintf(f, "rc=%d landlock=%d seccomp=%d", rc, r.landlock, r.seccomp);
	result(f, "write_out", try_open(outside, "new2", O_WRONLY | O_CREAT));
	fprintf(f, " report=%s\n", r.text);
}

/* What systemd's SystemCallFilter=@system-service with
 * SystemCallErrorNumber=EPERM does to the sandbox's calls: its list has
 * prctl but neither seccomp nor the landlock calls. */
static int pretend_systemd(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = !ctx ? -1 :
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(landlock_create_ruleset), 0) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(landlock_add_rule), 0) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(landlock_restrict_self), 0) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(seccomp), 0) ||
	    seccomp_load(ctx) ? -1 : 0;
	seccomp_release(ctx);
	return rc;
}

static char *self_exe;

/* This program again under such a filter, as a service starts: it runs
 * sandboxed() (main's "sandboxed BASE") with the line on f. */
static void under_systemd(FILE *f)
{
	fflush(f);
	if (pretend_systemd() < 0 || dup2(fileno(f), 1) < 0) {
		fprintf(f, "setup=failed\n");
		return;
	}
	execl(self_exe, "test-sandbox", "sandboxed", base, (char *)NULL);
	_exit(127);
}

/* medusa-serve -v under a filter that pretend() loads: one request on a
 * pipe, its answer on f, its stderr in BASE/err. */
static void serve_under(FILE *f, int (*pretend)(void))
{
	const char *bin = getenv("MEDUSA_BIN");
	char *exe = xasprintf("%s/medusa-serve", bin), *req = path_join(base, "req");
	char *err = path_join(base, "err"), *by = path_join(base, "by");
	int in = open(req, O_RDONLY), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (pretend() < 0 || in < 0 || e < 0) {
		fprintf(f, "setup=failed\n");
		return;
	}
	fflush(f);
	dup2(in, 0);
	dup2(fileno(f), 1);
	dup2(e, 2);
	execl(exe, "medusa-serve", "backyard", "-v", "-C", by, (char *)NULL);
	_exit(127);
}

static void old_kernel_serve(FILE *f)
{
	serve_under(f, pretend_old_kernel);
}

static void systemd_serve(FILE *f)
{
	serve_under(f, pretend_systemd);
}

/* What medusa-serve wrote to stderr (BASE/err): a new string, or NULL. */
static char *serve_stderr(void)
{
	char *err = path_join(base, "err"), *text = NULL;
	FILE *f = fopen(err, "r");
	size_t cap = 0;
	ssize_t n = f ? getdelim(&text, &cap, '\0', f) : -1;
	if (f)
		fclose(f);
	free(err);
	if (n <= 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int has(const char *line, const char *kv)
{
	return strstr(line, kv) != NULL;
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		mdie(2, "%s: cannot write", p);
	free(p);
}

static void rm_rf(const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "sandboxed") == 0) {
		base = argv[2];
		inside = path_join(base, "in");
		outside = path_join(base, "out");
		sandboxed(stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	self_exe = realpath("/proc/self/exe", NULL);
	char tmpl[] = "/tmp/medusa-sandbox.XXXXXX";
	if (!mkdtemp(tmpl))
		mdie(2, "mkdtemp");
	base = tmpl;
	inside = path_join(base, "in");
	outside = path_join(base, "out");
	if (mkdir(inside, 0755) < 0 || mkdir(outside, 0755) < 0)
		mdie(2, "mkdir");
	write_file(outside, "old", "keep me\n");

	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int have_seccomp = prctl(PR_GET_SECCOMP) >= 0;
	char line[4096];
	in_child(sandboxed, line, sizeof line);
	printf("# %s", line);
	if (abi < 0) {
		for (int i = 0; i < 8; i++)
			printf("ok %d # skip this kernel has no Landlock\n", ++tap_n);
	} else {
		ok(has(line, "landlock=1"), "Landlock applies (ABI %ld)", abi);
		ok(has(line, "write_out=EACCES"), "no new file outside the writable tree");
		ok(has(line, "trunc_out=EACCES"), "no truncating a file outside it");
		ok(has(line, "unlink_out=EACCES"), "no removing a file outside it");
		ok(has(line, "mkdir_out=EACCES"), "no folder outside it");
		ok(has(line, "write_in=ok") && has(line, "rename_in=ok"), "inside, files are made and renamed");
		ok(has(line, "read_out=ok"), "reading stays allowed everywhere");
		if (abi >= 6)
			ok(has(line, "signal_out=EPERM"), "no signal to a process outside the sandbox (ABI 6)");
		else
			printf("ok %d # skip signal scoping needs Landlock ABI 6 (this kernel: %ld)\n", ++tap_n, abi);
	}
	if (!have_seccomp) {
		for (int i = 0; i < 5; i++)
			printf("ok %d # skip this kernel has no seccomp\n", ++tap_n);
	} else {
		ok(has(line, "seccomp=1"), "the seccomp filter applies");
		ok(has(line, "exec=EPERM"), "no exec");
		ok(has(line, "socket=EPERM") && has(line, "socketpair=EPERM"), "no new socket");
		ok(has(line, "io_uring=EPERM"), "no io_uring (its operations would bypass the filter)");
		if (sandbox_keeps_ptrace())
			printf("ok %d # skip ptrace stays allowed in a sanitizer build (LeakSanitizer uses it)\n", ++tap_n);
		else
			ok(has(line, "ptrace=EPERM"), "no ptrace");
	}
	ok(has(line, abi >= 0 && have_seccomp ? "rc=0" : "rc=1"), "the result says whether all of it applies");
	struct stat st;
	char *kept = path_join(outside, "old"), *made = path_join(outside, "new");
	ok(abi < 0 || (stat(kept, &st) == 0 && st.st_size == 8 && stat(made, &st) < 0),
	    "the file outside is as it was, and nothing new is beside it");

	in_child(with_sockets, line, sizeof line);
	printf("# %s", line);
	ok(has(line, "socket=ok"), "SANDBOX_SOCKETS keeps socket(2)");
	ok(!have_seccomp || has(line, "exec=EPERM"), "but not exec");

	in_child(old_kernel, line, sizeof line);
	printf("# %s", line);
	ok(has(line, "rc=1 landlock=0 seccomp=0"), "a kernel without either: nothing applies, and it says so");
	ok(has(line, "no Landlock") && has(line, "no seccomp"), "the report names both");
	ok(has(line, "write_out=ok"), "and the process goes on unrestricted");

	in_child(under_systemd, line, sizeof line);
	printf("# %s", line);
	if (!have_seccomp) {
		for (int i = 0; i < 3; i++)
			printf("ok %d # skip this kernel has no seccomp\n", ++tap_n);
	} else {
		ok(has(line, "rc=1 landlock=0 seccomp=1"),
		    "under systemd's EPERM filter: seccomp applies, Landlock cannot");
		ok(has(line, "exec=EPERM") && has(line, "socket=EPERM") && has(line, "io_uring=EPERM"),
		    "and exec, sockets and io_uring are still refused");
		ok(has(line, "refused by the launcher's system call filter") && has(line, "prctl(2)"),
		    "the report says why Landlock is missing and how seccomp was loaded");
	}

	const char *bin = getenv("MEDUSA_BIN");
	if (!bin) {
		for (int i = 0; i < 4; i++)
			printf("ok %d # skip MEDUSA_BIN is not set\n", ++tap_n);
	} else {
		char *by = path_join(base, "by");
		mkdir(by, 0755);
		write_file(by, "backyard.medusa.json", "{\"tags\":{},\"profiles\":{}}\n");
		write_file(base, "req", "GET /api/tags HTTP/1.0\r\n\r\n");
		in_child(old_kernel_serve, line, sizeof line);
		ok(has(line, "HTTP/1.0 200 OK"), "medusa-serve answers on such a kernel");
		char *text = serve_stderr();
		ok(text && count(text, "sandbox (partly)") == 1 && has(text, "no Landlock") &&
		    has(text, "no seccomp"), "and -v says once what it lacks");
		printf("# %s", text ? text : "(no stderr)\n");
		free(text);
		in_child(systemd_serve, line, sizeof line);
		ok(has(line, "HTTP/1.0 200 OK"), "medusa-serve answers under systemd's EPERM filter");
		text = serve_stderr();
		ok(text && count(text, "sandbox (partly)") == 1 && has(text, "no Landlock") &&
		    has(text, "seccomp: no exec") && !has(text, "no seccomp"),
		    "and -v says once: seccomp applies, Landlock does not");
		printf("# %s", text ? text : "(no stderr)\n");
		free(text);
		free(by);
	}
	free(kept);
	free(made);
	free(self_exe);
	rm_rf(base);
	free(inside);
	free(outside);
	return tap_done();
}
