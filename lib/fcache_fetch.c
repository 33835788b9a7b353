/* fcache_fetch.c: a replica's fetch helper (fcache_fetch.h). */
#include "fcache_fetch.h"
#include "atomic.h"
#include "fcache.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fcache_fetch {
	int sock;
	pid_t pid;
	time_t checked;         /* when this process last looked at the stamp */
};

/* medusa-store beside this program (installed together), else on PATH. */
static char *store_program(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *dir = path_dirname(exe), *p = path_join(dir, "medusa-store");
		free(dir);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup("medusa-store");
}

/* One fetch: medusa-store's exit status (0 current or replaced). */
static int run_store(const char *prog, const char *remote, const char *local)
{
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execlp(prog, "medusa-store", "-s", remote, "fetch", local, (char *)NULL);
		mwarnerr("%s", prog);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* The helper: answers each byte on sock with a fetch's status, until
 * the server closes its end. It holds nothing of the connection. */
static noreturn void helper(int sock, const char *prog, const char *remote, const char *local)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		close(null);
	}
	signal(SIGPIPE, SIG_IGN);
	char c;
	for (;;) {
		ssize_t r = read(sock, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(0);
		c = run_store(prog, remote, local) == 0 ? '0' : '1';
		if (write(sock, &c, 1) != 1)
			_exit(0);
	}
}

struct fcache_fetch *fcache_fetch_start(const char *remote, const char *local)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		mwarnerr("cannot start the fetch helper");
		return NULL;
	}
	char *prog = store_program();
	pid_t pid = fork();
	if (pid < 0) {
		mwarnerr("cannot start the fetch helper");
		close(sv[0]);
		close(sv[1]);
		free(prog);
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		helper(sv[1], prog, remote, local);
	}
	free(prog);
	close(sv[1]);
	struct fcache_fetch *f = xcalloc(1, sizeof *f);
	f->sock = sv[0];
	f->pid = pid;
	return f;
}

void fcache_fetch_stop(struct fcache_fetch *f)
{
	if (!f)
		return;
	close(f->sock);
	while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(f);
}

static int ask(struct fcache_fetch *f)
{
	char c = 'f';
	ssize_t r;
	while ((r = write(f->sock, &c, 1)) < 0 && errno == EINTR)
		;
	if (r != 1)
		return -1;
	while ((r = read(f->sock, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 1 && c == '0' ? 1 : -1;
}

static int due(const char *stamp, int refresh, time_t now)
{
	struct stat st;
	return stat(stamp, &st) < 0 || now - st.st_mtime >= refresh || st.st_mtime > now;
}

int fcache_fetch_due(struct fcache_fetch *f, const char *cachedir, int refresh, int force)
{
	time_t now = time(NULL);
	if (!force && f->checked == now)
		return 0;       /* looked this second already */
	f->checked = now;
	char *stamp = path_join(cachedir, "fetched");
	int rc = 0;
	if (!force && !due(stamp, refresh, now))
		goto out;
	int lock = fcache_dir(cachedir) == 0 ? atomic_dir_lock(cachedir) : -1;
	/* another server may have fetched while this one waited */
	if (force || due(stamp, refresh, time(NULL))) {
		rc = ask(f);
		/* a failed fetch is tried again by the next request a second on */
		int fd = rc > 0 ? open(stamp, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644) : -1;
		if (fd >= 0) {
			(void)futimens(fd, NULL);
			close(fd);
		}
	}
	atomic_dir_unlock(lock);
out:
	free(stamp);
	return rc;
}
