/* libFuzzer target: the HTTP request reader of medusa-serve (lib/http.c,
 * the serve engineer's) on a connection whose bytes are the input, and the
 * answers that parse what a client sends: a file with Range, If-Range and
 * If-None-Match, and the query walker. Nothing may crash, hang or leak;
 * a request it accepts has a path that starts with '/' and holds no NUL. */
#include "http.h"
#include "urlenc.h"
#include "util.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int devnull, file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsetenv("GATEWAY_INTERFACE");
	devnull = open("/dev/null", O_WRONLY);
	file = memfd_create("medusa-fuzz-file", 0);
	char body[1000];
	memset(body, 'x', sizeof body);
	if (devnull < 0 || file < 0 || write(file, body, sizeof body) != (ssize_t)sizeof body)
		abort();
	if (!getenv("FUZZ_VERBOSE")) {
		FILE *null = fopen("/dev/null", "w");
		if (null)
			stderr = null;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int in = memfd_create("medusa-fuzz-req", 0);
	if (in < 0)
		return 0;
	if (size && write(in, data, size) != (ssize_t)size) {
		close(in);
		return 0;
	}
	lseek(in, 0, SEEK_SET);
	struct http_limits lim;
	http_limits_default(&lim);
	lim.idle_ms = lim.read_ms = lim.write_ms = 50;
	lim.max_body = 4096;
	struct http_conn c;
	http_conn_init(&c, in, devnull, &lim);
	for (int i = 0; i < 8; i++) {
		int st = http_next(&c);
		if (st == 0)
			break;
		if (st != 1) {
			if (st < 400 || st > 599)
				abort();
			http_error(&c, st, "fuzz");
			break;
		}
		if (!c.req.path || c.req.path[0] != '/' || !c.req.method || !c.req.query)
			abort();
		const char *q = c.req.query;
		char *k, *v;
		int r;
		while ((r = urlenc_query_next(&q, &k, &v)) == 1) {
			free(k);
			free(v);
		}
		const char *inm = http_header(&c.req, "If-None-Match");
		if (inm)
			(void)http_etag_match(inm, "\"abc\"");
		int fd = dup(file);
		if (fd < 0 || http_send_fd(&c, fd, "video/mp4", "no-cache", NULL) < 0)
			break;
	}
	http_conn_free(&c);
	close(in);
	return 0;
}
