/* HTTP/1.1 on one connection, and CGI: the connection, its limits and
 * its load, and the request loop; the parser is http_parse.c, the answers
 * http_reply.c, the deadline I/O http_io.c. Limits first, parsing second. */
#include "http_int.h"
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

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
	long long deadline = http_io_now() + c->linger_ms;
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
		if (errno != EINTR && http_io_wait(c->in, POLLIN, deadline) != 1)
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
	long long now = http_io_now(), waited = now - since;
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
		int st = http_parse_cgi(c, r);
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
	long long since = http_io_now(), deadline = since + c->lim.idle_ms, body_deadline = 0;
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
				since = http_io_now();
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
		if (c->load.ok && until - http_io_now() > LOAD_SLICE_MS)
			until = http_io_now() + LOAD_SLICE_MS;
		ssize_t got = http_io_fill(c, until);
		if (got == -2 && http_io_now() < deadline && !hurry(c, begun, since))
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
	int st = http_parse_head(c, r);
	if (st)
		return st;
	if ((st = http_parse_body(c, r, body_deadline)))
		return st;
	const char *conn = http_header(r, "Connection");
	c->keep = r->minor == 1 ? !http_has_token(conn, "close") : http_has_token(conn, "keep-alive");
	if (c->nreq >= c->lim.max_requests)
		c->keep = 0;
	return 1;
}

