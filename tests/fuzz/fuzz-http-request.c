/* libFuzzer target: http_next over whatever a client may send on one
 * connection (request line, headers, Content-Length and chunked bodies,
 * pipelined requests), then the query walker and the answers on each
 * request. Every request it accepts has a decoded path that starts with
 * '/' and holds no NUL, and a NUL-terminated body of the length it says;
 * every refusal is an error status. */
#include "http.h"
#include "urlenc.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static int devnull = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("GATEWAY_INTERFACE");
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a regular file as the connection: reads never block, EOF ends it */
	int fd = memfd_create("req", 0);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	struct http_limits lim;
	http_limits_default(&lim);
	lim.max_body = 4096;      /* small caps reach the 413/431 paths */
	lim.max_head = 2048;
	lim.max_line = 1024;
	lim.max_headers = 20;
	lim.idle_ms = lim.read_ms = lim.write_ms = 100;
	struct http_conn c;
	http_conn_init(&c, fd, devnull, &lim);
	for (int n = 0; n < 64; n++) {
		int st = http_next(&c);
		if (st == 0)
			break;
		if (st != 1) {
			if (st < 400 || st > 599)
				abort();
			(void)http_error(&c, st, http_reason(st));
			break;
		}
		const struct http_req *r = &c.req;
		if (!r->path || r->path[0] != '/' || !r->method || !*r->method || !r->query)
			abort();
		if (!r->body || r->body[r->body_len] != '\0' || r->body_len > lim.max_body)
			abort();
		for (size_t i = 0; i < r->nhdr; i++)
			if (!r->hdr[i].name || !*r->hdr[i].name || !r->hdr[i].value ||
			    strpbrk(r->hdr[i].value, "\r\n") || strpbrk(r->hdr[i].name, ": \t\r\n"))
				abort();
		const char *q = r->query;
		char *k, *v;
		int qr;
		while ((qr = urlenc_query_next(&q, &k, &v)) == 1) {
			free(k);
			free(v);
		}
		const char *inm = http_header(r, "If-None-Match");
		if (inm)
			(void)http_etag_match(inm, "\"abc\"");
		(void)http_mime_of(r->path);
		(void)http_error(&c, 404, r->path);
		if (!c.keep)
			break;
	}
	http_conn_free(&c);
	close(fd);
	return 0;
}
