/* The pure parts of the S3 client: Content-MD5 (DeleteObjects needs it, and
 * s3rver does not check it) and URI encoding (what SigV4 signs). */
#include "tap.h"
#include "s3.h"

#include <stdlib.h>
#include <string.h>

static void md5_is(const char *msg, size_t n, const char *want, const char *what)
{
	char out[25];
	s3_content_md5(msg, n, out);
	is_str(out, want, "%s", what);
}

int main(void)
{
	char a[1000];
	memset(a, 'a', sizeof a);
	md5_is("", 0, "1B2M2Y8AsgTpgAmY7PhCfg==", "MD5 of nothing (RFC 1321)");
	md5_is("abc", 3, "kAFQmDzST7DWlj99KOF/cg==", "MD5 of abc");
	md5_is("message digest", 14, "+WtpfXy3k41SWi8xqvFh0A==", "MD5 of 'message digest'");
	md5_is(a, 55, "7xdytt/5oSI1hVKVStDfZQ==", "55 bytes: one block with the length");
	md5_is(a, 56, "OwyKxwP4KLBMbBlwBtFyGA==", "56 bytes: the length spills into a second block");
	md5_is(a, 63, "sGUh85FT1hhVBga+KXRm1Q==", "63 bytes");
	md5_is(a, 64, "AUhC1IC1cUlaSgNjeT9zZw==", "64 bytes");
	md5_is(a, 65, "x0OkXg0uapXLhZra4CSENQ==", "65 bytes");
	md5_is(a, 1000, "yr5F3MmuW2a6hmAMymuLqA==", "1000 bytes");

	char *e = s3_uri_encode("clips/a b+c/ü~_.-/x.mp4", 1);
	is_str(e, "clips/a%20b%2Bc/%C3%BC~_.-/x.mp4", "a key: slashes kept, the rest encoded");
	free(e);
	e = s3_uri_encode("gallery/x=y&z", 0);
	is_str(e, "gallery%2Fx%3Dy%26z", "a query value: slashes encoded too");
	free(e);
	return tap_done();
}
