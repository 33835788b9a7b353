/* libFuzzer target: Range and If-Range on http_send_fd. The input is
 * "SIZE\nRANGE[\nIF-RANGE]": a file of SIZE % 200 bytes is sent with those
 * headers, and the answer is read back. It must be 200 with the whole
 * file, 206 with a Content-Range inside the file and exactly those bytes,
 * or 416 with "bytes * / SIZE"; a well-formed single range that starts
 * inside the file must get 206. */
#include "http.h"
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int devnull = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("GATEWAY_INTERFACE");
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0)
		abort();
	return 0;
}

static long long header_num(const char *head, const char *name)
{
	const char *h = strcasestr(head, name);
	if (!h)
		return -1;
	return strtoll(h + strlen(name), NULL, 10);
}

/* "bytes=A-B" or "bytes=A-" with plain digits: the range it asks for */
static int simple_range(const char *v, long long *a, long long *b)
{
	if (strncmp(v, "bytes=", 6) != 0)
		return 0;
	v += 6;
	if (!isdigit((unsigned char)*v) || strlen(v) > 15)
		return 0;
	char *end;
	*a = strtoll(v, &end, 10);
	if (*end != '-')
		return 0;
	v = end + 1;
	*b = -1;
	if (*v) {
		if (!isdigit((unsigned char)*v))
			return 0;
		*b = strtoll(v, &end, 10);
		if (*end || *b < *a)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || memchr(data, '\0', size))
		return 0;
	char *in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	char *range = strchr(in, '\n');
	if (!range) {
		free(in);
		return 0;
	}
	*range++ = '\0';
	char *ifr = strchr(range, '\n');
	if (ifr)
		*ifr++ = '\0';
	if (strpbrk(range, "\r") || (ifr && strpbrk(ifr, "\r\n"))) {
		free(in);
		return 0;
	}
	long long fsize = strtoll(in, NULL, 10) % 200;
	if (fsize < 0)
		fsize = -fsize;

	int file = memfd_create("file", 0), out = memfd_create("out", 0);
	if (file < 0 || out < 0)
		abort();
	unsigned char fb[200];
	for (int i = 0; i < 200; i++)
		fb[i] = (unsigned char)(i * 7 + 3);
	if (fsize && write(file, fb, (size_t)fsize) != fsize)
		abort();

	struct http_limits lim;
	http_limits_default(&lim);
	struct http_conn c;
	http_conn_init(&c, devnull, out, &lim);
	c.keep = 1;
	struct http_req *r = &c.req;
	r->raw = xstrdup("GET");
	r->method = r->raw;
	r->path = xstrdup("/f");
	r->target = r->path;
	r->query = "";
	r->minor = 1;
	r->body = xstrdup("");
	r->hdr = xcalloc(2, sizeof *r->hdr);
	r->hdr[0].name = "Range";
	r->hdr[0].value = range;
	r->nhdr = 1;
	if (ifr) {
		r->hdr[1].name = "If-Range";
		r->hdr[1].value = ifr;
		r->nhdr = 2;
	}
	if (http_send_fd(&c, file, "application/octet-stream", "no-cache", NULL) < 0)
		abort();

	/* the answer */
	off_t len = lseek(out, 0, SEEK_END);
	char *ans = xmalloc((size_t)len + 1);
	if (pread(out, ans, (size_t)len, 0) != len)
		abort();
	ans[len] = '\0';
	char *sep = memmem(ans, (size_t)len, "\r\n\r\n", 4);
	if (!sep)
		abort();
	*sep = '\0';
	const char *body = sep + 4;
	long long blen = ans + len - body;
	int status = atoi(ans + 9);
	long long cl = header_num(ans, "\r\nContent-Length: ");
	if (cl != blen)
		abort();
	if (status == 200) {
		if (blen != fsize || memcmp(body, fb, (size_t)blen))
			abort();
	} else if (status == 206) {
		const char *cr = strcasestr(ans, "\r\nContent-Range: bytes ");
		long long a, b, total;
		if (!cr || sscanf(cr + 23, "%lld-%lld/%lld", &a, &b, &total) != 3)
			abort();
		if (total != fsize || a < 0 || b < a || b >= fsize || blen != b - a + 1 ||
		    memcmp(body, fb + a, (size_t)blen))
			abort();
	} else if (status == 416) {
		const char *cr = strcasestr(ans, "\r\nContent-Range: bytes */");
		if (!cr || strtoll(cr + 25, NULL, 10) != fsize)
			abort();
	} else {
		abort();
	}
	long long a, b;
	if (!ifr && simple_range(range, &a, &b)) {
		if (a < fsize && status != 206)
			abort();
		if (a >= fsize && status != 416)
			abort();
	}
	free(ans);
	http_conn_free(&c);
	close(out);
	free(in);
	return 0;
}
