/* http_int.h: what the files of the HTTP module (http*.c) share and no
 * other file calls: the deadline I/O (http_io.c) and the request parser
 * (http_parse.c). */
#ifndef MEDUSA_HTTP_INT_H
#define MEDUSA_HTTP_INT_H

#include "http.h"

#include <sys/uio.h>

/* The monotonic clock in milliseconds: what every deadline counts in. */
long long http_io_now(void);

/* Waits for fd until the deadline. 1 ready, 0 timeout, -1 error. */
int http_io_wait(int fd, short ev, long long deadline);

/* Reads more bytes into c->buf (compacting it first). >0 bytes, 0 EOF,
 * -1 error, -2 timeout. */
ssize_t http_io_fill(struct http_conn *c, long long deadline);

/* After a read or write on fd failed (errno): 1 to try again (EINTR, or
 * EAGAIN and fd ready again before the deadline), 0 to give up. */
int http_io_again(int fd, short ev, long long deadline);

/* Writes the n buffers of iov whole to c->out within the write limit;
 * iov is consumed. 0, or -1 (error, or a client that stopped reading). */
int http_io_write(struct http_conn *c, struct iovec *iov, int n);

/* Parses the head in r->raw into r (method, target, headers). 0, or the
 * HTTP status to refuse it with. */
int http_parse_head(struct http_conn *c, struct http_req *r);

/* Reads the body the head announces (Content-Length or chunked, with
 * 100-continue) by the deadline into r->body. 0, or a status. */
int http_parse_body(struct http_conn *c, struct http_req *r, long long deadline);

/* Reads the one CGI request from the environment and stdin into r. 0,
 * or a status. */
int http_parse_cgi(struct http_conn *c, struct http_req *r);

/* Whether a comma-separated header value h (may be NULL) holds token,
 * case-insensitive. */
int http_has_token(const char *h, const char *token);

#endif
