/* http: the answers: status line and common headers, errors as JSON,
 * JSON with ETag and 304, and files with conditional requests, one byte
 * Range and sendfile(2). */
#include "http_int.h"
#include "hash.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

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
	int rc = http_io_write(c, iov, n);
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
	hash_etag(text, len, tag);
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
	long long deadline = http_io_now() + c->lim.write_ms;
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
			if (http_io_write(c, &iov, 1) < 0)
				return -1;
			w = r;
			o += r;
		}
		if (w < 0) {
			if (http_io_again(c->out, POLLOUT, deadline))
				continue;
			return -1;
		}
		if (w == 0)
			return -1;   /* the file shrank under us */
		len -= w;
		deadline = http_io_now() + c->lim.write_ms;
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
	rc = http_io_write(c, &iov, 1);
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
