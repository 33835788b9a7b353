/* http: the request parser, bounded before it parses: request line,
 * header block, header count, body (Content-Length or chunked), and the
 * CGI request read from the environment. */
#include "http_int.h"
#include "urlenc.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHUNK_LINE 1024

const char *http_header(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

static int tchar(int ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Splits the target into path (decoded) and query. A status or 0. */
static int parse_target(struct http_req *r)
{
	const char *t = r->target;
	/* absolute-form: drop scheme and authority */
	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		t = strstr(t, "//") + 2;
		t += strcspn(t, "/?");
		if (!*t || *t == '?')
			return 400;
	}
	if (*t != '/')
		return 400;
	size_t pn = strcspn(t, "?#");
	const char *q = t[pn] == '?' ? t + pn + 1 : "";
	size_t plen;
	if (urlenc_unescape(t, pn, 0, &r->path, &plen) < 0)
		return 400;
	if (strlen(r->path) != plen)
		return 400;
	/* a fragment never reaches a server; drop it from the query too */
	char *hash = strchr(q, '#');
	if (hash)
		*hash = '\0';
	r->query = q;
	return 0;
}

/* Cuts the line at s (ending in "\n" or "\r\n") off the rest: the next
 * line, or NULL when the line has no end. */
static char *line_cut(char *s)
{
	char *eol = strchr(s, '\n');
	if (!eol)
		return NULL;
	*eol = '\0';
	if (eol > s && eol[-1] == '\r')
		eol[-1] = '\0';
	return eol + 1;
}

static int all_tchar(const char *s)
{
	for (; *s; s++)
		if (!tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* METHOD SP TARGET SP HTTP/1.x, cut off already. A status or 0. */
static int parse_request_line(struct http_req *r, char *p)
{
	char *sp1 = strchr(p, ' ');
	if (!sp1 || sp1 == p)
		return 400;
	*sp1 = '\0';
	if (!all_tchar(p))
		return 400;
	char *tgt = sp1 + 1;
	char *sp2 = strchr(tgt, ' ');
	if (!sp2 || sp2 == tgt)
		return 400;
	*sp2 = '\0';
	const char *ver = sp2 + 1;
	if (strncmp(ver, "HTTP/", 5) != 0)
		return 400;
	if (strcmp(ver, "HTTP/1.1") == 0)
		r->minor = 1;
	else if (strcmp(ver, "HTTP/1.0") == 0)
		r->minor = 0;
	else
		return 505;
	for (const char *s = tgt; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 400;
	r->method = p;
	r->target = tgt;
	r->head = strcmp(p, "HEAD") == 0;
	return 0;
}

/* The header fields from line on, up to the empty line, into r->hdr. A
 * status or 0. */
static int parse_fields(struct http_conn *c, struct http_req *r, char *line)
{
	size_t cap = 16;
	r->hdr = xmalloc(cap * sizeof *r->hdr);
	for (;;) {
		char *next = line_cut(line);
		if (!next)
			return 400;
		if (!*line)
			return 0;
		if (*line == ' ' || *line == '\t')
			return 400;     /* obsolete line folding */
		char *colon = strchr(line, ':');
		if (!colon || colon == line)
			return 400;
		*colon = '\0';
		if (!all_tchar(line))
			return 400;
		char *v = colon + 1;
		v += strspn(v, " \t");
		char *e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		for (char *s = v; *s; s++)
			if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
				return 400;
		if (r->nhdr >= c->lim.max_headers)
			return 431;
		if (r->nhdr == cap) {
			cap *= 2;
			r->hdr = xrealloc(r->hdr, cap * sizeof *r->hdr);
		}
		r->hdr[r->nhdr].name = line;
		r->hdr[r->nhdr].value = v;
		r->nhdr++;
		line = next;
	}
}

/* One Host, and a host[:port] at that (RFC 9112 3.2: else 400). */
static int check_host(const struct http_req *r)
{
	size_t hosts = 0;
	for (size_t i = 0; i < r->nhdr; i++) {
		if (strcasecmp(r->hdr[i].name, "Host") != 0)
			continue;
		if (++hosts > 1)
			return 400;
		for (const char *h = r->hdr[i].value; *h; h++)
			if (!isalnum((unsigned char)*h) && !strchr("-._~%!$&'()*+,;=:[]", *h))
				return 400;
	}
	return r->minor == 1 && !hosts ? 400 : 0;
}

/* Parses the head (NUL-terminated copy in r->raw, lines ending in "\n" or
 * "\r\n"). A status or 0. */
int http_parse_head(struct http_conn *c, struct http_req *r)
{
	char *p = r->raw;
	char *rest = line_cut(p);
	int st;
	if (!rest)
		return 400;
	if ((st = parse_request_line(r, p)) || (st = parse_fields(c, r, rest)) ||
	    (st = check_host(r)))
		return st;
	return parse_target(r);
}

/* Does a comma-separated header hold token (case-insensitive)? */
int http_has_token(const char *h, const char *token)
{
	size_t n = strlen(token);
	while (h && *h) {
		h += strspn(h, " \t,");
		size_t m = strcspn(h, ",");
		size_t k = m;
		while (k > 0 && (h[k - 1] == ' ' || h[k - 1] == '\t'))
			k--;
		if (k == n && strncasecmp(h, token, n) == 0)
			return 1;
		h += m;
	}
	return 0;
}

static int send_continue(struct http_conn *c)
{
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec iov = {(void *)msg, sizeof msg - 1};
	return http_io_write(c, &iov, 1);
}

/* Reads exactly n body bytes into dst. 0, or a status. */
static int read_exact(struct http_conn *c, char *dst, size_t n, long long deadline)
{
	while (n > 0) {
		size_t have = c->len - c->off;
		if (have > 0) {
			size_t k = have < n ? have : n;
			memcpy(dst, c->buf + c->off, k);
			c->off += k;
			dst += k;
			n -= k;
			continue;
		}
		ssize_t got = http_io_fill(c, deadline);
		if (got == -2)
			return 408;
		if (got <= 0)
			return 400;
	}
	return 0;
}

/* Reads a line of the chunked encoding (CRLF or LF), at most max bytes.
 * *line points into buf until the next fill. 0 or a status. */
static int read_line(struct http_conn *c, char **line, size_t max, long long deadline)
{
	for (;;) {
		char *s = c->buf + c->off;
		size_t have = c->len - c->off;
		char *nl = memchr(s, '\n', have);
		if (nl) {
			*nl = '\0';
			if (nl > s && nl[-1] == '\r')
				nl[-1] = '\0';
			c->off += (size_t)(nl - s) + 1;
			*line = s;
			return 0;
		}
		if (have > max)
			return 400;
		ssize_t got = http_io_fill(c, deadline);
		if (got == -2)
			return 408;
		if (got <= 0)
			return 400;
	}
}

static int read_chunked(struct http_conn *c, struct http_req *r, long long deadline)
{
	size_t cap = 4096, len = 0;
	char *body = xmalloc(cap + 1);
	int st;
	for (;;) {
		char *line;
		if ((st = read_line(c, &line, MAX_CHUNK_LINE, deadline)))
			goto fail;
		size_t size = 0;
		const char *s = line;
		if (urlenc_hexval((unsigned char)*s) < 0) {
			st = 400;
			goto fail;
		}
		for (; urlenc_hexval((unsigned char)*s) >= 0; s++) {
			if (size > (SIZE_MAX >> 4) || size > c->lim.max_body) {
				st = 413;
				goto fail;
			}
			size = size * 16 + (size_t)urlenc_hexval((unsigned char)*s);
		}
		s += strspn(s, " \t");
		if (*s && *s != ';') {
			st = 400;
			goto fail;
		}
		if (size == 0)
			break;
		if (size > c->lim.max_body - len) {
			st = 413;
			goto fail;
		}
		if (len + size > cap) {
			while (len + size > cap)
				cap *= 2;
			body = xrealloc(body, cap + 1);
		}
		if ((st = read_exact(c, body + len, size, deadline)))
			goto fail;
		len += size;
		if ((st = read_line(c, &line, 2, deadline)))
			goto fail;
		if (*line) {
			st = 400;
			goto fail;
		}
	}
	/* trailer fields, ignored, up to the empty line */
	for (size_t total = 0;;) {
		char *line;
		if ((st = read_line(c, &line, MAX_CHUNK_LINE, deadline)))
			goto fail;
		if (!*line)
			break;
		total += strlen(line);
		if (total > c->lim.max_head) {
			st = 431;
			goto fail;
		}
	}
	body[len] = '\0';
	r->body = body;
	r->body_len = len;
	return 0;
fail:
	free(body);
	return st;
}

/* A Content-Length value: digits only, at most the body cap (checked while
 * reading, so no overflow). 0, 400 or 413. */
static int parse_length(const struct http_conn *c, const char *cl, unsigned long long *out)
{
	unsigned long long len = 0;
	if (!*cl)
		return 400;
	for (const char *s = cl; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return 400;
		if (len > c->lim.max_body)
			return 413;
		len = len * 10 + (unsigned)(*s - '0');
	}
	if (len > c->lim.max_body)
		return 413;
	*out = len;
	return 0;
}

int http_parse_body(struct http_conn *c, struct http_req *r, long long deadline)
{
	const char *te = http_header(r, "Transfer-Encoding");
	const char *cl = http_header(r, "Content-Length");
	int cont = r->minor == 1 && http_header(r, "Expect") &&
	    strcasecmp(http_header(r, "Expect"), "100-continue") == 0;
	if (te) {
		/* both would let a proxy and us disagree on where it ends; so
		 * would a second field (the codings combine into a list, and only
		 * a lone "chunked" is understood) or chunked from HTTP/1.0
		 * (RFC 9112 6.1) */
		if (cl || r->minor == 0)
			return 400;
		size_t n = 0;
		for (size_t i = 0; i < r->nhdr; i++)
			if (strcasecmp(r->hdr[i].name, "Transfer-Encoding") == 0 && ++n > 1)
				return 400;
		if (strcasecmp(te, "chunked") != 0)
			return 501;
		if (cont && send_continue(c) < 0)
			return 400;
		return read_chunked(c, r, deadline);
	}
	if (!cl) {
		r->body = xstrdup("");
		return 0;
	}
	/* a single Content-Length of digits only */
	size_t n = 0;
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, "Content-Length") == 0 && ++n > 1)
			return 400;
	unsigned long long len;
	int st = parse_length(c, cl, &len);
	if (st)
		return st;
	if (cont && len > 0 && send_continue(c) < 0)
		return 400;
	r->body = xmalloc((size_t)len + 1);
	r->body_len = (size_t)len;
	r->body[len] = '\0';
	return read_exact(c, r->body, (size_t)len, deadline);
}

int http_parse_cgi(struct http_conn *c, struct http_req *r)
{
	const char *m = getenv("REQUEST_METHOD");
	const char *pi = getenv("PATH_INFO");
	const char *qs = getenv("QUERY_STRING");
	const char *proto = getenv("SERVER_PROTOCOL");
	if (!m || !*m)
		return 400;
	/* raw holds method\0path\0query\0 then the header names and values */
	size_t n = strlen(m) + 3 + (pi ? strlen(pi) : 1) + (qs ? strlen(qs) : 0);
	extern char **environ;
	size_t cap = 16;
	r->hdr = xmalloc(cap * sizeof *r->hdr);
	for (char **e = environ; *e; e++)
		n += strlen(*e) + 2;
	char *raw = r->raw = xmalloc(n);
	char *p = raw;
	r->method = p;
	p = stpcpy(p, m) + 1;
	char *path = p;
	p = stpcpy(p, pi && *pi ? pi : "/") + 1;
	r->query = p;
	p = stpcpy(p, qs ? qs : "") + 1;
	r->target = path;
	r->minor = proto && strcmp(proto, "HTTP/1.0") == 0 ? 0 : 1;
	r->head = strcmp(m, "HEAD") == 0;
	for (char **e = environ; *e; e++) {
		const char *name = NULL, *eq = strchr(*e, '=');
		if (!eq)
			continue;
		if (strncmp(*e, "HTTP_", 5) == 0)
			name = *e + 5;
		else if (strncmp(*e, "CONTENT_TYPE=", 13) == 0 || strncmp(*e, "CONTENT_LENGTH=", 15) == 0)
			name = *e;
		else
			continue;
		if (r->nhdr >= c->lim.max_headers)
			return 431;
		if (r->nhdr == cap) {
			cap *= 2;
			r->hdr = xrealloc(r->hdr, cap * sizeof *r->hdr);
		}
		/* HTTP_IF_NONE_MATCH -> If-None-Match */
		char *hn = p;
		int up = 1;
		for (const char *s = name; s < eq; s++) {
			if (*s == '_') {
				*p++ = '-';
				up = 1;
				continue;
			}
			*p++ = (char)(up ? toupper((unsigned char)*s) : tolower((unsigned char)*s));
			up = 0;
		}
		*p++ = '\0';
		r->hdr[r->nhdr].name = hn;
		r->hdr[r->nhdr].value = p;
		p = stpcpy(p, eq + 1) + 1;
		r->nhdr++;
	}
	/* PATH_INFO comes decoded from the web server */
	if (*path != '/')
		return 400;
	r->path = xstrdup(path);
	const char *cl = http_header(r, "Content-Length");
	if (cl && *cl) {
		unsigned long long len;
		int st = parse_length(c, cl, &len);
		if (st)
			return st;
		r->body = xmalloc((size_t)len + 1);
		r->body[len] = '\0';
		r->body_len = (size_t)len;
		return read_exact(c, r->body, (size_t)len, http_io_now() + c->lim.read_ms);
	}
	r->body = xstrdup("");
	return 0;
}
