/* http: reads and writes on the connection that never block past a
 * deadline (poll(2) on non-blocking descriptors). */
#include "http_int.h"

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

long long http_io_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd until the deadline. 1 ready, 0 timeout, -1 error. */
int http_io_wait(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - http_io_now();
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
ssize_t http_io_fill(struct http_conn *c, long long deadline)
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
		int w = http_io_wait(c->in, POLLIN, deadline);
		if (w == 0)
			return -2;
		if (w < 0)
			return -1;
	}
}

int http_io_again(int fd, short ev, long long deadline)
{
	if (errno == EINTR)
		return 1;
	return (errno == EAGAIN || errno == EWOULDBLOCK) && http_io_wait(fd, ev, deadline) == 1;
}

int http_io_write(struct http_conn *c, struct iovec *iov, int n)
{
	long long deadline = http_io_now() + c->lim.write_ms;
	while (n > 0) {
		ssize_t w = writev(c->out, iov, n);
		if (w < 0) {
			if (http_io_again(c->out, POLLOUT, deadline))
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
