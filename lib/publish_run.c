/* publish_run.c: what every part of a publish run uses (publish_int.h):
 * the records out (at once, or spooled until the commit), the tests'
 * crash points, the work folders to tidy. */
#include "publish_int.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

void publish_crash_point(void)
{
	static long n, at = -1;
	if (at < 0) {
		const char *e = getenv("MEDUSA_TEST_CRASH_AT");
		at = e && *e ? strtol(e, NULL, 10) : 0;
	}
	if (at > 0 && ++n == at) {
		fflush(NULL);
		kill(0, SIGKILL);
		raise(SIGKILL);
	}
}

/* (the frontyard is what the run is for: it goes on) */
void publish_out_failed(struct publish *p)
{
	if (!p->out_failed)
		mwarnerr("write error on standard output: the records are not written, "
		    "the clips still are published");
	p->out_failed = 1;
}

/* A record that names a row this run changes waits for the commit
 * (spooled); any other is true already and goes out at once (an unchanged
 * clip is published in the generation there is, an error record claims
 * nothing). */
void publish_emit(struct publish *p, json_object *rec, int changed)
{
	if (changed) {
		if (ndjson_write(p->spool, rec) < 0) {
			mwarnerr("cannot keep the records until the commit (TMPDIR full?)");
			p->fatal = 1;
		}
	} else if (!p->out_failed && ndjson_write(stdout, rec) < 0) {
		publish_out_failed(p);
	}
}

/* The kernel copies them (sendfile) where it can. */
int publish_print_spool(struct publish *p)
{
	char buf[1 << 16];
	size_t n;
	if (fflush(p->spool) == EOF || fflush(stdout) == EOF) {
		mwarnerr("the records kept until the commit");
		return -1;
	}
	int fd = fileno(p->spool);
	off_t off = 0, size = lseek(fd, 0, SEEK_END);
	while (size > 0 && off < size) {
		ssize_t w = sendfile(STDOUT_FILENO, fd, &off, (size_t)(size - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w < 0 && errno != EINVAL && errno != ENOSYS)
				return -1;
			break; /* not this kind of output: copy */
		}
	}
	if (fseeko(p->spool, off, SEEK_SET) < 0) {
		mwarnerr("the records kept until the commit");
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, p->spool)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			return -1;
	return ferror(p->spool) ? -1 : 0;
}

/* (tmpfile(3) ignores TMPDIR) */
FILE *publish_spool_file(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xstrdup(t && *t ? t : "/tmp");
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char *tmpl = xasprintf("%s/medusa-publish.XXXXXX", dir);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	free(dir);
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

int publish_touch(struct publish *p, const char *clip)
{
	return p->workdir ? metastore_touch(p->run, clip) : 0;
}

int publish_valid_hex(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < min || n > max)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return 0;
	return 1;
}
