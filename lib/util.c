#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes all n bytes of s to fd; an error leaves nothing to tell it to. */
static void write_whole(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* fmt formatted into buf (size bytes), or into a new string when longer
 * (free it when it is not buf); without memory for that, its first
 * bytes in buf. */
static char *vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(buf, size, fmt, ap);
	char *s = buf;
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= size && (s = malloc((size_t)n + 1)))
		vsnprintf(s, (size_t)n + 1, fmt, again);
	va_end(again);
	return s ? s : buf;
}

static char *format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(buf, size, fmt, ap);
	va_end(ap);
	return s;
}

/* One message is one write(2) of the whole line, so that the lines of
 * threads (and of processes sharing stderr) never interleave. */
static void vmessage(const char *fmt, va_list ap, int errnum)
{
	char mbuf[1024], lbuf[1280];
	char *msg = vformat(mbuf, sizeof mbuf, fmt, ap);
	const char *err = errnum ? strerror(errnum) : NULL;
	char *line = format(lbuf, sizeof lbuf, "%s: %s%s%s\n", program_invocation_short_name, msg,
	    err ? ": " : "", err ? err : "");
	write_whole(2, line, strlen(line));
	if (line != lbuf)
		free(line);
	if (msg != mbuf)
		free(msg);
}

void mwarn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
}

void mwarnerr(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, e);
	va_end(ap);
	errno = e;
}

void mdie(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

static void *checked(void *p)
{
	if (!p)
		mdie(EXIT_USAGE, "out of memory");
	return p;
}

void *xmalloc(size_t n) { return checked(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return checked(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return checked(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return checked(strdup(s)); }

char *xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		mdie(EXIT_USAGE, "out of memory");
	return s;
}

void xgrow_zeroed(unsigned char **p, size_t *cap, size_t i, size_t first)
{
	if (i < *cap)
		return;
	size_t n = *cap ? *cap : first;
	while (n <= i)
		n *= 2;
	*p = xrealloc(*p, n);
	memset(*p + *cap, 0, n - *cap);
	*cap = n;
}

int close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		mwarnerr("write error on standard output");
		fclose(stdout);
		return -1;
	}
	if (fclose(stdout) != 0) {
		mwarnerr("write error on standard output");
		return -1;
	}
	return 0;
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n == 0)
		return xstrdup(name);
	if (*name == '\0')
		return xstrdup(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	char *d = xmalloc((size_t)(slash - path) + 1);
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return d;
}

int str_endswith(const char *s, const char *suffix, int ci)
{
	size_t n = strlen(s), m = strlen(suffix);
	if (m > n)
		return 0;
	return ci ? strcasecmp(s + n - m, suffix) == 0 : strcmp(s + n - m, suffix) == 0;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

char *utf8_sanitize(const char *s)
{
	char *out = xstrdup(s);
	unsigned char *p = (unsigned char *)out;
	while (*p) {
		size_t n = utf8_seq(p);
		if (!n) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
	return out;
}

int path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int path_mkdir_p(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || (errno == EEXIST && path_is_dir(dir)))
		return 0;
	if (errno != ENOENT)
		return -1;
	char *up = path_dirname(dir);
	int r = strcmp(up, dir) != 0 && path_mkdir_p(up) == 0 ? 0 : -1;
	free(up);
	return r < 0 || (mkdir(dir, 0755) < 0 && errno != EEXIST) ? -1 : 0;
}
