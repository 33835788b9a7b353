/* libFuzzer target: s3_uri_encode, which every key and query value goes
 * through before it is signed. Its output holds only unreserved bytes,
 * "%XX" with upper-case hex and, for a path, '/'; decoding it gives the
 * input back. (The XML readers of lib/s3.c are static: not reached here.) */
#include "http.h"
#include "s3.h"
#include "urlenc.h"
#include "util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size))
		return 0;
	char *in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	for (int slash = 0; slash < 2; slash++) {
		char *e = s3_uri_encode(in, slash);
		for (const char *p = e; *p; p++) {
			if (*p == '%') {
				if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]) ||
				    islower((unsigned char)p[1]) || islower((unsigned char)p[2]))
					abort();
				p += 2;
			} else if (!(isalnum((unsigned char)*p) || strchr("-._~", *p) || (slash && *p == '/'))) {
				abort();
			}
		}
		char *d;
		size_t dn;
		if (urlenc_unescape(e, strlen(e), 0, &d, &dn) < 0 || dn != size || memcmp(d, in, size))
			abort();
		free(d);
		free(e);
	}
	char md5[25];
	s3_content_md5(data, size, md5);
	if (strlen(md5) != 24 || strcmp(md5 + 22, "=="))
		abort();
	free(in);
	return 0;
}
