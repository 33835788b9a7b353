/* http.h: one HTTP/1.1 connection on a pair of file descriptors (inetd,
 * tcpserver, systemd sockets: stdin/stdout), or one CGI request from the
 * environment. Every input from the wire is bounded before it is parsed:
 * request line, header block, header count, body size, and the time a
 * client may take. */
#ifndef MEDUSA_HTTP_H
#define MEDUSA_HTTP_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "connload.h"

struct http_limits {
	size_t max_line;        /* request line, bytes (414 beyond) */
	size_t max_head;        /* request line + headers, bytes (431 beyond) */
	size_t max_headers;     /* header fields (431 beyond) */
	size_t max_body;        /* request body, bytes (413 beyond) */
	int idle_ms;            /* waiting for the first byte of a request */
	int head_ms;            /* the request head, once its first byte came (408) */
	int read_ms;            /* a whole request, once its first byte came (408) */
	int write_ms;           /* a client that stops reading */
	int max_requests;       /* requests on one connection */
	/* Under load (connload.h: clients wait in the listen queue, or more
	 * than a few connections are open) an idle connection closes early
	 * and a head slower than busy_ms is cut, so that a few clients cannot
	 * hold every process of the launcher. */
	int busy_ms;
	int per_source;         /* connections from one address at once (0: any) */
};

/* 8 KiB line, 16 KiB head, 100 fields, 1 MiB body, 15 s idle, 2 s for the
 * head, 10 s read, 30 s write, 1000 requests, 0.5 s busy, no per-source
 * limit. */
void http_limits_default(struct http_limits *l);

struct http_header {
	const char *name;
	const char *value;
};

struct http_req {
	const char *method;
	const char *target;     /* as sent (path and query, raw) */
	char *path;             /* percent-decoded path, starts with '/' */
	const char *query;      /* raw query without '?', "" when none */
	int minor;              /* HTTP/1.minor */
	struct http_header *hdr;
	size_t nhdr;
	char *body;             /* NUL-terminated; body_len bytes */
	size_t body_len;
	int head;               /* HEAD: answer without a body */
	/* private */
	char *raw;
};

struct http_conn {
	int in, out;
	int cgi;                /* one request from the CGI environment */
	int sock;               /* out is a socket */
	struct http_limits lim;
	char *buf;              /* bytes read and not yet used: buf[off..len) */
	size_t cap, len, off;
	int nreq;
	int keep;               /* the current answer may keep the connection */
	int status;             /* status of the last answer */
	int broken;             /* the last request was refused unread */
	char peer[64];          /* client address, "local" for a pipe */
	int peer_loopback;
	const char *always;     /* header lines ("...\r\n") on every answer, or NULL */
	struct connload load;   /* a TCP connection: how busy the server is */
	long long load_at;      /* when the open connections were last counted */
	int load_total;         /* how many there were */
	int load_others;        /* how many clients of other addresses waited */
	int load_queue;         /* the listen queue at the last look */
	int linger_ms;          /* how long http_conn_close drains a refused request */
	struct http_req req;
};

/* in and out are the connection (0 and 1 under inetd). When the environment
 * has GATEWAY_INTERFACE, the connection is a CGI request instead. Sets
 * TCP_NODELAY on a socket: a header and a body in two writes would
 * otherwise wait for a delayed ACK. */
void http_conn_init(struct http_conn *c, int in, int out, const struct http_limits *l);
void http_conn_free(struct http_conn *c);
/* Ends the connection. After a refused request, politely: no more writes,
 * then the client's unread bytes are drained for up to a second, so that
 * it reads our answer instead of a reset. */
void http_conn_close(struct http_conn *c);

/* Reads the next request into c->req. Returns 1 for a request, 0 when the
 * connection ended quietly (EOF, the idle timeout between requests, an
 * idle connection closed because others wait, or a client over the
 * per-source limit, which got a 503 first), or
 * an HTTP status >= 400 for a request that cannot be served (400, 408, 411,
 * 413, 414, 431, 501, 505): answer it with http_error; the connection then
 * closes. */
int http_next(struct http_conn *c);

/* The value of a header (case-insensitive name), or NULL. */
const char *http_header(const struct http_req *r, const char *name);

/* Decodes %XX (and '+' as space when form). Refuses bad escapes and NUL
 * bytes: -1. Otherwise a new string in *out with its length. */
int http_unescape(const char *s, size_t n, int form, char **out, size_t *outlen);

/* Walks a query string: *q advances; *key and *val are new decoded strings
 * (val "" for "k" alone). 1 for a pair, 0 at the end, -1 on a bad escape. */
int http_query_next(const char **q, char **key, char **val);

/* The answers. extra is NULL or more header lines, each ending in "\r\n".
 * They return 0, or -1 when the client went away (the connection ends). */
int http_send(struct http_conn *c, int status, const char *type, const char *extra,
    const void *body, size_t len);
/* {"error": msg}; 405 callers put "Allow: ...\r\n" in extra. */
int http_error(struct http_conn *c, int status, const char *msg);
int http_error_hdr(struct http_conn *c, int status, const char *extra, const char *msg);
/* A JSON answer with a strong ETag of its bytes and 304 on If-None-Match.
 * max_age: Cache-Control max-age in seconds (0: no-cache). */
int http_json(struct http_conn *c, int status, json_object *o, int max_age, const char *extra);
/* A JSON answer carrying the ETag of something else (a file it shows),
 * quoted; no 304. */
int http_json_tagged(struct http_conn *c, int status, json_object *o, const char *etag);
/* Same as http_json for a ready JSON text. */
int http_json_text(struct http_conn *c, int status, const char *text, size_t len, int max_age,
    const char *extra);

/* Sends a regular file with ETag, Last-Modified, 304 (If-None-Match,
 * If-Modified-Since), Range (one range: 206; unsatisfiable: 416) and
 * If-Range, by sendfile(2). fd is an open file (taken over and closed).
 * cache: the Cache-Control value. */
int http_send_fd(struct http_conn *c, int fd, const char *type, const char *cache,
    const char *extra);

/* The strong ETag of an open file (size, mtime in ns, inode), quoted. */
void http_file_etag(const struct stat *st, char *out, size_t n);

/* The reason phrase of a status. */
const char *http_reason(int status);

/* A content type from a file name's extension (application/octet-stream
 * when unknown). */
const char *http_mime_of(const char *name);

/* Whether an If-Match / If-None-Match header value holds etag (quoted, as
 * in the ETag header), "*" matching any. */
int http_etag_match(const char *header, const char *etag);

/* True for a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
int http_addr_loopback(const char *addr);

/* The host of a Host header value ("[::1]:8080" -> "::1", "a.b:80" ->
 * "a.b", a trailing dot dropped) into out. -1 when it does not fit. */
int http_host_name(const char *host, char *out, size_t n);

#endif
