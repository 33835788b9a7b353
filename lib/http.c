/* HTTP/1.1 on one connection, and CGI. Limits first, parsing second. */
#include "http.h"
#include "hash.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHUNK_LINE 1024

void http_limits_default(struct http_limits *l)
{
	l->max_line = 8192;
	l->max_head = 16384;
	l->max_headers = 100;
	l->max_body = 1u << 20;
	l->idle_ms = 15000;
	l->head_ms = 2000;
	l->read_ms = 10000;
	l->write_ms = 30000;
	l->max_requests = 1000;
	l->busy_ms = 500;
	l->per_source = 0;
}

static int wait_fd(int fd, short ev, long long deadline);

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_addr_loopback(const char *a)
{
	if (!a)
		return 0;
	if (strncasecmp(a, "::ffff:", 7) == 0)
		a += 7;
	struct in_addr v4;
	if (inet_pton(AF_INET, a, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	struct in6_addr v6;
	if (inet_pton(AF_INET6, a, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return 0;
}

int http_host_name(const char *h, char *out, size_t n)
{
	size_t k;
	if (*h == '[') {
		h++;
		k = strcspn(h, "]");
		if (h[k] != ']')
			return -1;
	} else {
		k = strcspn(h, ":");
	}
	if (k > 0 && h[k - 1] == '.')
		k--;
	if (k >= n)
		return -1;
	memcpy(out, h, k);
	out[k] = '\0';
	return 0;
}

/* The remote address a launcher names, when it is not a loopback one:
 * tcpserver's TCPREMOTEIP, REMOTE_ADDR (systemd's Accept=yes, CGI-like
 * launchers), xinetd's REMOTE_HOST. NULL when none does. */
static const char *launcher_remote(void)
{
	static const char *const vars[] = {"TCPREMOTEIP", "REMOTE_ADDR", "REMOTE_HOST"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v && !http_addr_loopback(v) && strcasecmp(v, "localhost") != 0)
			return v;
	}
	return NULL;
}

static void find_peer(struct http_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	const char *env;
	if (c->cgi) {
		env = getenv("REMOTE_ADDR");
		snprintf(c->peer, sizeof c->peer, "%s", env ? env : "");
	} else if (getpeername(c->in, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->peer, sizeof c->peer);
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->peer, sizeof c->peer);
	} else if ((env = launcher_remote())) {
		/* a Unix socket or a pipe from something that relays a remote
		 * client (a proxy, a TLS wrapper) and says so */
		snprintf(c->peer, sizeof c->peer, "%s", env);
	} else {
		/* a Unix socket or a pipe: the peer is a local process */
		snprintf(c->peer, sizeof c->peer, "local");
	}
	c->peer_loopback = strcmp(c->peer, "local") == 0 || http_addr_loopback(c->peer);
}

void http_conn_init(struct http_conn *c, int in, int out, const struct http_limits *l)
{
	memset(c, 0, sizeof *c);
	c->in = in;
	c->out = out;
	c->lim = *l;
	const char *gw = getenv("GATEWAY_INTERFACE");
	c->cgi = gw && *gw;
	struct stat st;
	c->sock = !c->cgi && fstat(out, &st) == 0 && S_ISSOCK(st.st_mode);
	if (c->sock) {
		int one = 1;
		/* header and body go out in separate writes (sendfile): without
		 * NODELAY the second waits for the client's delayed ACK */
		(void)setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (!c->cgi) {
		/* timeouts come from poll(2); reads and writes must not block */
		if (fstat(in, &st) == 0 && (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))) {
			int fl = fcntl(in, F_GETFL);
			if (fl >= 0)
				(void)fcntl(in, F_SETFL, fl | O_NONBLOCK);
		}
		if (c->sock) {
			int fl = fcntl(out, F_GETFL);
			if (fl >= 0)
				(void)fcntl(out, F_SETFL, fl | O_NONBLOCK);
		}
	}
	c->cap = l->max_head + 1024;
	c->buf = xmalloc(c->cap);
	c->linger_ms = 1000;
	find_peer(c);
	if (c->sock)
		(void)connload_init(&c->load, in);
}

static void req_clear(struct http_req *r)
{
	free(r->raw);
	free(r->path);
	free(r->hdr);
	free(r->body);
	memset(r, 0, sizeof *r);
	r->minor = 1;
	r->query = "";
	r->method = "";
}

void http_conn_close(struct http_conn *c)
{
	if (!c->sock || c->cgi || !c->broken)
		return;
	/* a lingering close: closing with unread bytes (a body we refused)
	 * would reset the connection and the client might lose our answer */
	if (shutdown(c->out, SHUT_WR) < 0)
		return;
	long long deadline = now_ms() + c->linger_ms;
	size_t drained = 0;
	char buf[4096];
	while (drained < (256u << 10)) {
		ssize_t n = read(c->in, buf, sizeof buf);
		if (n > 0) {
			drained += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			break;
		if (errno != EINTR && wait_fd(c->in, POLLIN, deadline) != 1)
			break;
	}
}

void http_conn_free(struct http_conn *c)
{
	connload_free(&c->load);
	req_clear(&c->req);
	free(c->buf);
	c->buf = NULL;
}

/* Waits for fd until the deadline. 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = ev};
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Reads more bytes into buf (compacting it first). >0 bytes, 0 EOF, -1
 * error, -2 timeout. */
static ssize_t fill(struct http_conn *c, long long deadline)
{
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len >= c->cap)
		return -1;
	for (;;) {
		ssize_t n = read(c->in, c->buf + c->len, c->cap - c->len);
		if (n >= 0) {
			c->len += (size_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int w = wait_fd(c->in, POLLIN, deadline);
		if (w == 0)
			return -2;
		if (w < 0)
			return -1;
	}
}

static int write_all(struct http_conn *c, struct iovec *iov, int n)
{
	long long deadline = now_ms() + c->lim.write_ms;
	while (n > 0) {
		ssize_t w = writev(c->out, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_fd(c->out, POLLOUT, deadline) == 1)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int http_unescape(const char *s, size_t n, int form, char **out, size_t *outlen)
{
	char *d = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (ch == '%') {
			int h, l;
			if (i + 2 >= n) {
				free(d);
				return -1;
			}
			if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0) {
				free(d);
				return -1;
			}
			ch = h * 16 + l;
			i += 2;
		} else if (ch == '+' && form) {
			ch = ' ';
		}
		if (ch == 0) {
			free(d);
			return -1;
		}
		d[j++] = (char)ch;
	}
	d[j] = '\0';
	*out = d;
	if (outlen)
		*outlen = j;
	return 0;
}

int http_query_next(const char **q, char **key, char **val)
{
	const char *s = *q;
	while (*s == '&')
		s++;
	if (!*s) {
		*q = s;
		return 0;
	}
	size_t n = strcspn(s, "&");
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n;
	*key = *val = NULL;
	if (http_unescape(s, kn, 1, key, NULL) < 0)
		return -1;
	if (http_unescape(eq ? eq + 1 : "", eq ? n - kn - 1 : 0, 1, val, NULL) < 0) {
		free(*key);
		*key = NULL;
		return -1;
	}
	*q = s + n;
	return 1;
}

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
	if (http_unescape(t, pn, 0, &r->path, &plen) < 0)
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

/* Parses the head (NUL-terminated copy in r->raw, lines ending in "\n" or
 * "\r\n"). A status or 0. */
static int parse_head(struct http_conn *c, struct http_req *r)
{
	char *p = r->raw;
	char *eol = strchr(p, '\n');
	if (!eol)
		return 400;
	*eol = '\0';
	if (eol > p && eol[-1] == '\r')
		eol[-1] = '\0';
	/* request line: METHOD SP TARGET SP HTTP/1.x */
	char *sp1 = strchr(p, ' ');
	if (!sp1 || sp1 == p)
		return 400;
	*sp1 = '\0';
	for (char *m = p; *m; m++)
		if (!tchar((unsigned char)*m))
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

	/* header fields */
	size_t cap = 16;
	r->hdr = xmalloc(cap * sizeof *r->hdr);
	char *line = eol + 1;
	for (;;) {
		eol = strchr(line, '\n');
		if (!eol)
			return 400;
		*eol = '\0';
		if (eol > line && eol[-1] == '\r')
			eol[-1] = '\0';
		if (!*line)
			break;
		if (*line == ' ' || *line == '\t')
			return 400;     /* obsolete line folding */
		char *colon = strchr(line, ':');
		if (!colon || colon == line)
			return 400;
		*colon = '\0';
		for (char *s = line; *s; s++)
			if (!tchar((unsigned char)*s))
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
		line = eol + 1;
	}
	/* one Host, and a host[:port] at that (RFC 9112 3.2: else 400) */
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
	if (r->minor == 1 && !hosts)
		return 400;
	return parse_target(r);
}

/* Does a comma-separated header hold token (case-insensitive)? */
static int has_token(const char *h, const char *token)
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
	return write_all(c, &iov, 1);
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
		ssize_t got = fill(c, deadline);
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
		ssize_t got = fill(c, deadline);
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
		if (hexval((unsigned char)*s) < 0) {
			st = 400;
			goto fail;
		}
		for (; hexval((unsigned char)*s) >= 0; s++) {
			if (size > (SIZE_MAX >> 4) || size > c->lim.max_body) {
				st = 413;
				goto fail;
			}
			size = size * 16 + (size_t)hexval((unsigned char)*s);
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

static int read_body(struct http_conn *c, struct http_req *r, long long deadline)
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

static int cgi_request(struct http_conn *c, struct http_req *r)
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
		return read_exact(c, r->body, (size_t)len, now_ms() + c->lim.read_ms);
	}
	r->body = xstrdup("");
	return 0;
}

static int next_request(struct http_conn *c, struct http_req *r);

/* How often a waiting process looks at the listen queue, how often at
 * most it counts the open connections (a walk of the kernel's table),
 * and how many a server holds before it hurries idle ones. */
#define LOAD_SLICE_MS 250
#define LOAD_TOTAL_MS 2000
#define LOAD_CALM 16

/* Counts the open connections and who waits, into c. */
static void load_refresh(struct http_conn *c, long long now)
{
	struct connload_counts n;
	int ok = connload_count(&c->load, CONNLOAD_ALL, &n) == 0;
	c->load_at = now;
	c->load_total = ok ? n.total : 0;
	c->load_others = ok ? n.waiting_others : 0;
}

/* Whether to stop waiting for this client because others need the
 * process. Clients of other addresses wait in the listen queue: an idle
 * connection goes at once, a head slower than busy_ms is cut. (When only
 * this client's own extra connections wait, making room would only swap
 * one of its connections for another.) Many connections open: the idle
 * time shrinks in proportion. The cheap look at the queue comes first;
 * who waits is counted again when the queue grew, or after a while.
 * since: when the current wait (idle, or for the head) began. */
static int hurry(struct http_conn *c, int begun, long long since)
{
	struct connload_counts n;
	if (connload_count(&c->load, CONNLOAD_QUEUE, &n) < 0)
		return 0;
	long long now = now_ms(), waited = now - since;
	int grew = n.waiting > c->load_queue;
	c->load_queue = n.waiting;
	if (n.waiting > 0 && (grew || !c->load_at || now - c->load_at >= LOAD_TOTAL_MS))
		load_refresh(c, now);
	if (n.waiting > 0 && c->load_others > 0)
		return !begun || waited >= c->lim.busy_ms;
	if (begun)
		return 0;
	if (!c->load_at || now - c->load_at >= LOAD_TOTAL_MS)
		load_refresh(c, now);
	return c->load_total > LOAD_CALM &&
	    waited >= (long long)c->lim.idle_ms * LOAD_CALM / c->load_total;
}

/* A client with more connections open than the per-source limit gets a
 * 503 before its request is read, and the connection ends. 1 when so. */
static int over_source_limit(struct http_conn *c)
{
	struct connload_counts n;
	if (c->lim.per_source <= 0 || connload_count(&c->load, CONNLOAD_ALL, &n) < 0 ||
	    n.same_source <= c->lim.per_source)
		return 0;
	char msg[128];
	snprintf(msg, sizeof msg, "too many connections from %s (at most %d at once)", c->peer,
	    c->lim.per_source);
	(void)http_error_hdr(c, 503, "Retry-After: 1\r\n", msg);
	/* unread bytes at close would reset the connection before the
	 * client reads the 503: take what is there, without waiting */
	c->broken = 1;
	c->linger_ms = 0;
	return 1;
}

int http_next(struct http_conn *c)
{
	struct http_req *r = &c->req;
	req_clear(r);
	c->keep = 0;
	if (c->cgi) {
		if (c->nreq++ > 0)
			return 0;
		int st = cgi_request(c, r);
		return st ? st : 1;
	}
	if (c->nreq >= c->lim.max_requests)
		return 0;
	if (c->nreq == 0 && over_source_limit(c))
		return 0;
	int st = next_request(c, r);
	/* the rest of a refused request may still be on its way */
	c->broken = st > 1;
	return st;
}

static int next_request(struct http_conn *c, struct http_req *r)
{
	long long since = now_ms(), deadline = since + c->lim.idle_ms, body_deadline = 0;
	int begun = 0;
	size_t scanned = 0, head_len = 0;
	for (;;) {
		char *s = c->buf + c->off;
		size_t have = c->len - c->off;
		/* empty lines before a request are allowed (RFC 9112 2.2) */
		if (!begun) {
			size_t k = 0;
			while (k < have && (s[k] == '\r' || s[k] == '\n'))
				k++;
			c->off += k;
			s += k;
			have -= k;
			if (have > 0) {
				begun = 1;
				since = now_ms();
				body_deadline = since + c->lim.read_ms;
				deadline = since + (c->lim.head_ms < c->lim.read_ms ? c->lim.head_ms :
				    c->lim.read_ms);
			}
		}
		if (begun) {
			for (size_t i = scanned; i < have; i++) {
				if (s[i] == '\0')
					return 400;
				if (s[i] != '\n')
					continue;
				if (head_len == 0 && i + 1 > c->lim.max_line + 2)
					return 414;
				if (head_len == 0)
					head_len = 1;   /* the request line is whole */
				if ((i >= 1 && s[i - 1] == '\n') || (i >= 2 && s[i - 1] == '\r' && s[i - 2] == '\n')) {
					head_len = i + 1;
					goto head;
				}
			}
			scanned = have;
			if (head_len == 0 && have > c->lim.max_line + 2)
				return 414;
			if (have > c->lim.max_head)
				return 431;
		}
		/* a TCP connection wakes now and then to see whether others
		 * need the process */
		long long until = deadline;
		if (c->load.ok && until - now_ms() > LOAD_SLICE_MS)
			until = now_ms() + LOAD_SLICE_MS;
		ssize_t got = fill(c, until);
		if (got == -2 && now_ms() < deadline && !hurry(c, begun, since))
			continue;
		if (got == -2)
			return begun ? 408 : 0;
		if (got < 0)
			return begun ? 400 : 0;
		if (got == 0)
			return begun ? 400 : 0;
	}
head:
	if (head_len > c->lim.max_head)
		return 431;
	c->nreq++;
	r->raw = xmalloc(head_len + 1);
	memcpy(r->raw, c->buf + c->off, head_len);
	r->raw[head_len] = '\0';
	c->off += head_len;
	int st = parse_head(c, r);
	if (st)
		return st;
	if ((st = read_body(c, r, body_deadline)))
		return st;
	const char *conn = http_header(r, "Connection");
	c->keep = r->minor == 1 ? !has_token(conn, "close") : has_token(conn, "keep-alive");
	if (c->nreq >= c->lim.max_requests)
		c->keep = 0;
	return 1;
}

const char *http_reason(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static void http_date(time_t t, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int parse_date(const char *s, time_t *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *e = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!e || *e)
		return -1;
	*t = timegm(&tm);
	return 0;
}

/* Status line and the common headers (c->always among them): a new
 * string. */
static char *status_head(struct http_conn *c, int status)
{
	char date[64];
	http_date(time(NULL), date, sizeof date);
	c->status = status;
	const char *always = c->always ? c->always : "";
	if (c->cgi)
		return xasprintf("Status: %d %s\r\n%s", status, http_reason(status), always);
	return xasprintf("HTTP/1.%d %d %s\r\nDate: %s\r\nServer: medusa\r\n%s%s",
	    c->req.minor == 0 ? 0 : 1, status, http_reason(status), date,
	    c->keep ? (c->req.minor == 0 ? "Connection: keep-alive\r\n" : "") : "Connection: close\r\n",
	    always);
}

int http_send(struct http_conn *c, int status, const char *type, const char *extra,
    const void *body, size_t len)
{
	char *head = status_head(c, status);
	char *h2 = xasprintf("%s%s%s%s%s%s", head,
	    type ? "Content-Type: " : "", type ? type : "", type ? "\r\n" : "",
	    extra ? extra : "",
	    status == 304 ? "\r\n" : "");
	free(head);
	char *h = status == 304 ? h2 : xasprintf("%sContent-Length: %zu\r\n\r\n", h2, len);
	if (h != h2)
		free(h2);
	struct iovec iov[2] = {{h, strlen(h)}, {(void *)body, len}};
	int n = (c->req.head || status == 304 || !body || !len) ? 1 : 2;
	int rc = write_all(c, iov, n);
	free(h);
	return rc;
}

int http_error_hdr(struct http_conn *c, int status, const char *extra, const char *msg)
{
	/* a message may quote the request ("?%ff=1": no such tag); JSON is
	 * UTF-8 whatever the client sent */
	if (!msg)
		msg = http_reason(status);
	char *clean = utf8_valid(msg) ? NULL : utf8_sanitize(msg);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(clean ? clean : msg));
	free(clean);
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	char *body = xasprintf("%s\n", txt);
	json_object_put(o);
	char *ex = xasprintf("Cache-Control: no-store\r\n%s", extra ? extra : "");
	int rc = http_send(c, status, "application/json", ex, body, strlen(body));
	free(ex);
	free(body);
	return rc;
}

int http_error(struct http_conn *c, int status, const char *msg)
{
	return http_error_hdr(c, status, NULL, msg);
}

int http_etag_match(const char *h, const char *etag)
{
	if (!h)
		return 0;
	size_t n = strlen(etag);
	while (*h) {
		h += strspn(h, " \t,");
		if (!*h)
			break;
		if (*h == '*')
			return 1;
		const char *t = h;
		if (strncmp(t, "W/", 2) == 0)
			t += 2;
		if (strncmp(t, etag, n) == 0 && (t[n] == '\0' || t[n] == ',' || t[n] == ' ' || t[n] == '\t'))
			return 1;
		h += strcspn(h, ",");
	}
	return 0;
}

int http_json_text(struct http_conn *c, int status, const char *text, size_t len, int max_age,
    const char *extra)
{
	char tag[ETAG_LEN + 1], etag[ETAG_LEN + 3];
	etag_of_buffer(text, len, tag);
	snprintf(etag, sizeof etag, "\"%s\"", tag);
	char *hdr = max_age > 0 ?
	    xasprintf("ETag: %s\r\nCache-Control: public, max-age=%d\r\n%s", etag, max_age,
		extra ? extra : "") :
	    xasprintf("ETag: %s\r\nCache-Control: no-cache\r\n%s", etag, extra ? extra : "");
	int rc;
	const char *inm = http_header(&c->req, "If-None-Match");
	if (status == 200 && inm && http_etag_match(inm, etag))
		rc = http_send(c, 304, NULL, hdr, NULL, 0);
	else
		rc = http_send(c, status, "application/json", hdr, text, len);
	free(hdr);
	return rc;
}

int http_json_tagged(struct http_conn *c, int status, json_object *o, const char *etag)
{
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	char *body = xasprintf("%s\n", txt);
	char *hdr = xasprintf("ETag: %s\r\nCache-Control: no-cache\r\n", etag);
	int rc = http_send(c, status, "application/json", hdr, body, strlen(body));
	free(hdr);
	free(body);
	return rc;
}

int http_json(struct http_conn *c, int status, json_object *o, int max_age, const char *extra)
{
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	char *body = xasprintf("%s\n", txt);
	int rc = http_json_text(c, status, body, strlen(body), max_age, extra);
	free(body);
	return rc;
}

void http_file_etag(const struct stat *st, char *out, size_t n)
{
	snprintf(out, n, "\"%llx-%llx-%llx\"", (unsigned long long)st->st_size,
	    (unsigned long long)st->st_mtim.tv_sec * 1000000000ull + (unsigned long long)st->st_mtim.tv_nsec,
	    (unsigned long long)st->st_ino);
}

enum { RANGE_NONE, RANGE_OK, RANGE_BAD };

/* The digits at *s (at least one) as a number that saturates at LLONG_MAX:
 * a position past any file is still a position (RFC 9110 14.1.1). *s
 * advances. -1 when there is no digit. */
static int range_num(const char **s, long long *v)
{
	const char *p = *s;
	if (!isdigit((unsigned char)*p))
		return -1;
	long long n = 0;
	for (; isdigit((unsigned char)*p); p++) {
		int d = *p - '0';
		n = n > (LLONG_MAX - d) / 10 ? LLONG_MAX : n * 10 + d;
	}
	*s = p;
	*v = n;
	return 0;
}

/* One byte range of a file of size bytes: RANGE_OK with [*from, *to]; a
 * range set we do not serve as a range (several ranges, bad syntax) is
 * RANGE_NONE, so the whole file goes out; RANGE_BAD is unsatisfiable: a
 * first byte at or past the end (however large the number), or an empty
 * suffix. A last byte past the end means the end. */
static int parse_range(const char *h, long long size, long long *from, long long *to)
{
	if (strncmp(h, "bytes=", 6) != 0)
		return RANGE_NONE;
	h += 6;
	h += strspn(h, " \t");
	if (strchr(h, ','))
		return RANGE_NONE;
	if (*h == '-') {
		long long n;
		h++;
		if (range_num(&h, &n) < 0 || *h)
			return RANGE_NONE;
		if (n == 0 || size == 0)
			return RANGE_BAD;
		*from = n >= size ? 0 : size - n;
		*to = size - 1;
		return RANGE_OK;
	}
	long long a, b = size - 1;
	if (range_num(&h, &a) < 0 || *h != '-')
		return RANGE_NONE;
	h++;
	if (*h && (range_num(&h, &b) < 0 || *h || b < a))
		return RANGE_NONE;
	if (a >= size)
		return RANGE_BAD;
	if (b >= size)
		b = size - 1;
	*from = a;
	*to = b;
	return RANGE_OK;
}

static int send_body_fd(struct http_conn *c, int fd, long long off, long long len)
{
	long long deadline = now_ms() + c->lim.write_ms;
	off_t o = (off_t)off;
	int use_sendfile = 1;
	char buf[65536];
	while (len > 0) {
		ssize_t w;
		if (use_sendfile) {
			w = sendfile(c->out, fd, &o, len > (1 << 30) ? (1 << 30) : (size_t)len);
			if (w < 0 && (errno == EINVAL || errno == ENOSYS)) {
				use_sendfile = 0;
				continue;
			}
		} else {
			ssize_t r = pread(fd, buf, len > (long long)sizeof buf ? sizeof buf : (size_t)len, o);
			if (r <= 0)
				return -1;   /* the file shrank under us */
			struct iovec iov = {buf, (size_t)r};
			if (write_all(c, &iov, 1) < 0)
				return -1;
			w = r;
			o += r;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_fd(c->out, POLLOUT, deadline) == 1)
				continue;
			return -1;
		}
		if (w == 0)
			return -1;   /* the file shrank under us */
		len -= w;
		deadline = now_ms() + c->lim.write_ms;
	}
	return 0;
}

int http_send_fd(struct http_conn *c, int fd, const char *type, const char *cache,
    const char *extra)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return http_error(c, 404, "not a file");
	}
	char etag[96], lm[64];
	http_file_etag(&st, etag, sizeof etag);
	http_date(st.st_mtim.tv_sec, lm, sizeof lm);
	long long size = st.st_size;
	const struct http_req *r = &c->req;
	char *hdr = xasprintf("ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n"
	    "Cache-Control: %s\r\n%s", etag, lm, cache ? cache : "no-cache", extra ? extra : "");
	int rc;
	const char *inm = http_header(r, "If-None-Match");
	const char *ims = http_header(r, "If-Modified-Since");
	time_t t;
	if (inm ? http_etag_match(inm, etag) :
	    (ims && parse_date(ims, &t) == 0 && st.st_mtim.tv_sec <= t)) {
		rc = http_send(c, 304, NULL, hdr, NULL, 0);
		goto out;
	}
	long long from = 0, to = size - 1;
	int range = RANGE_NONE;
	const char *rh = http_header(r, "Range");
	if (rh && strcmp(r->method, "GET") == 0) {
		range = parse_range(rh, size, &from, &to);
		const char *ir = http_header(r, "If-Range");
		if (ir && range != RANGE_NONE) {
			/* a changed file: the client's pieces would not fit, send it whole */
			int same = *ir == '"' ? strcmp(ir, etag) == 0 :
			    parse_date(ir, &t) == 0 && t == st.st_mtim.tv_sec;
			if (!same) {
				range = RANGE_NONE;
				from = 0;
				to = size - 1;
			}
		}
	}
	if (range == RANGE_BAD) {
		char *ex = xasprintf("Content-Range: bytes */%lld\r\n", size);
		rc = http_error_hdr(c, 416, ex, "range not satisfiable");
		free(ex);
		goto out;
	}
	int status = 200;
	char *full = hdr;
	if (range == RANGE_OK) {
		status = 206;
		full = xasprintf("%sContent-Range: bytes %lld-%lld/%lld\r\n", hdr, from, to, size);
	} else {
		from = 0;
		to = size - 1;
	}
	long long len = to - from + 1;
	char *head = status_head(c, status);
	char *h = xasprintf("%sContent-Type: %s\r\n%sContent-Length: %lld\r\n\r\n", head,
	    type, full, len);
	free(head);
	if (full != hdr)
		free(full);
	struct iovec iov = {h, strlen(h)};
	rc = write_all(c, &iov, 1);
	free(h);
	if (rc == 0 && !r->head && len > 0)
		rc = send_body_fd(c, fd, from, len);
	if (rc < 0)
		c->keep = 0;
out:
	free(hdr);
	close(fd);
	return rc;
}

const char *http_mime_of(const char *name)
{
	static const struct {
		const char *ext, *mime;
	} m[] = {
		{".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"}, {".json", "application/json"},
		{".svg", "image/svg+xml"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
		{".jpeg", "image/jpeg"}, {".gif", "image/gif"}, {".webp", "image/webp"},
		{".avif", "image/avif"}, {".ico", "image/vnd.microsoft.icon"},
		{".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"},
		{".webmanifest", "application/manifest+json"},
		{".mp4", "video/mp4"}, {".m4v", "video/mp4"}, {".mov", "video/quicktime"},
		{".webm", "video/webm"}, {".mkv", "video/x-matroska"}, {".ogv", "video/ogg"},
		{".avi", "video/x-msvideo"}, {".ts", "video/mp2t"}, {".mts", "video/mp2t"},
		{".m2ts", "video/mp2t"}, {".mpg", "video/mpeg"}, {".mpeg", "video/mpeg"},
		{".3gp", "video/3gpp"}, {".flv", "video/x-flv"}, {".wmv", "video/x-ms-wmv"},
		{".m4a", "audio/mp4"}, {".opus", "audio/ogg"}, {".vtt", "text/vtt"},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (str_endswith(name, m[i].ext, 1))
			return m[i].mime;
	return "application/octet-stream";
}
