/* Unit tests of the HTTP core: requests written into one end of a socket
 * pair, parsed from the other; answers read back. */
#include "hash.h"
#include "http.h"
#include "sign.h"
#include "tap.h"
#include "urlenc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2];
static struct http_conn c;

/* A connection whose client has sent req (and then closed its side). */
static void conn(const char *req, size_t n, size_t max_body)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	if (write(sv[0], req, n) != (ssize_t)n)
		exit(2);
	shutdown(sv[0], SHUT_WR);
	struct http_limits l;
	http_limits_default(&l);
	l.max_line = 64;
	l.max_head = 256;
	l.max_headers = 5;
	l.max_body = max_body;
	l.idle_ms = l.read_ms = l.write_ms = 500;
	http_conn_init(&c, sv[1], sv[1], &l);
}

static void done(void)
{
	http_conn_free(&c);
	close(sv[0]);
	close(sv[1]);
}

static int next_of(const char *req, size_t max_body)
{
	conn(req, strlen(req), max_body);
	return http_next(&c);
}

/* What the client got: the answer so far (read after closing our side). */
static char *answer(void)
{
	static char buf[8192];
	shutdown(sv[1], SHUT_WR);
	ssize_t n = read(sv[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	if (hash_init() < 0)
		return 2;
	char *s;
	size_t n;

	/* percent-decoding */
	ok(urlenc_unescape("a%20b+c", 7, 0, &s, &n) == 0 && strcmp(s, "a b+c") == 0, "path: %%20, + kept");
	free(s);
	ok(urlenc_unescape("a%20b+c", 7, 1, &s, &n) == 0 && strcmp(s, "a b c") == 0, "form: + is space");
	free(s);
	ok(urlenc_unescape("%2e%2E", 6, 0, &s, &n) == 0 && strcmp(s, "..") == 0, "%%2e%%2E decodes to ..");
	free(s);
	ok(urlenc_unescape("a%00b", 5, 0, &s, &n) < 0, "%%00 refused");
	ok(urlenc_unescape("a%2", 3, 0, &s, &n) < 0, "a cut escape refused");
	ok(urlenc_unescape("a%zz", 4, 0, &s, &n) < 0, "a bad escape refused");

	const char *q = "a=1&b=x%20y&&c&d=";
	char *k, *v;
	int r = urlenc_query_next(&q, &k, &v);
	ok(r == 1 && !strcmp(k, "a") && !strcmp(v, "1"), "query: a=1");
	free(k); free(v);
	r = urlenc_query_next(&q, &k, &v);
	ok(r == 1 && !strcmp(k, "b") && !strcmp(v, "x y"), "query: decoded value");
	free(k); free(v);
	r = urlenc_query_next(&q, &k, &v);
	ok(r == 1 && !strcmp(k, "c") && !strcmp(v, ""), "query: key alone");
	free(k); free(v);
	r = urlenc_query_next(&q, &k, &v);
	ok(r == 1 && !strcmp(k, "d") && !strcmp(v, ""), "query: empty value");
	free(k); free(v);
	ok(urlenc_query_next(&q, &k, &v) == 0, "query: end");
	q = "x=%zz";
	ok(urlenc_query_next(&q, &k, &v) == -1, "query: bad escape");

	ok(http_addr_loopback("127.0.0.1") && http_addr_loopback("127.9.8.7"), "127/8 is loopback");
	ok(http_addr_loopback("::1") && http_addr_loopback("::ffff:127.0.0.1"), "::1 and mapped v4");
	ok(!http_addr_loopback("10.0.0.1") && !http_addr_loopback("::2") && !http_addr_loopback("x"),
	    "others are not");
	ok(http_etag_match("\"a\", W/\"b\"", "\"b\"") && http_etag_match("*", "\"z\""), "etag lists");
	ok(!http_etag_match("\"ab\"", "\"a\""), "etag prefix does not match");

	/* requests */
	r = next_of("GET /a%20b/c?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-A:  v  \r\n\r\n", 100);
	ok(r == 1, "a GET");
	is_str(c.req.path, "/a b/c", "decoded path");
	is_str(c.req.query, "x=1&y=2", "raw query");
	is_str(http_header(&c.req, "x-a"), "v", "header value trimmed, name case-insensitive");
	ok(c.keep, "HTTP/1.1 keeps the connection");
	ok(http_next(&c) == 0, "then EOF ends quietly");
	done();

	ok(next_of("\r\nGET / HTTP/1.0\r\n\r\n", 100) == 1 && !c.keep, "HTTP/1.0 closes; empty lines skipped");
	done();
	ok(next_of("GET / HTTP/1.0\nConnection: keep-alive\n\n", 100) == 1 && c.keep, "bare LF; 1.0 keep-alive");
	done();
	ok(next_of("GET /x HTTP/1.1\r\nHost: h\r\n\r\nHEAD /y HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 100) == 1,
	    "pipelined: first");
	ok(http_next(&c) == 1 && c.req.head && !c.keep && !strcmp(c.req.path, "/y"), "pipelined: second, HEAD, close");
	done();

	ok(next_of("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", 100) == 414,
	    "a long request line: 414");
	done();
	ok(next_of("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100) == 414,
	    "a request line that never ends: 414");
	done();
	char big[600];
	snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX: %0400d\r\n\r\n", 0);
	ok(next_of(big, 100) == 431, "a large header block: 431");
	done();
	ok(next_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n", 100) == 431,
	    "too many fields: 431");
	done();
	conn("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", 29, 100);
	ok(http_next(&c) == 400, "a raw NUL: 400");
	done();
	ok(next_of("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", 100) == 400, "an encoded NUL: 400");
	done();
	ok(next_of("GET / HTTP/1.1\r\n\r\n", 100) == 400, "1.1 without Host: 400");
	done();
	ok(next_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 100) == 505, "HTTP/2.0: 505");
	done();
	ok(next_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 100) == 400, "two spaces: 400");
	done();
	ok(next_of("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 100) == 400, "a bad method token: 400");
	done();
	ok(next_of("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 100) == 400, "obsolete folding: 400");
	done();
	ok(next_of("GET / HTTP/1.1\r\nHo st: h\r\n\r\n", 100) == 400, "a space in a field name: 400");
	done();
	ok(next_of("GET x HTTP/1.1\r\nHost: h\r\n\r\n", 100) == 400, "a target without /: 400");
	done();
	ok(next_of("GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n", 100) == 1 && !strcmp(c.req.path, "/p"),
	    "absolute-form target");
	done();
	ok(next_of("GET / HTTP/1.1\r\nHost: h\r\n", 100) == 400, "EOF inside the head: 400");
	done();

	/* bodies */
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET", 100) == 1 &&
	    c.req.body_len == 5 && !strcmp(c.req.body, "hello"), "Content-Length body");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\nx", 100) == 413, "body over the cap: 413");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 100) == 413,
	    "a huge Content-Length: 413");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", 100) == 400, "a signed length: 400");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 100) == 400,
	    "two lengths: 400");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nhello", 100) == 400, "a short body: 400");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n", 100) == 1 &&
	    !strcmp(c.req.body, "hello world"), "chunked body with an extension and a trailer");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", 100) == 413,
	    "chunked over the cap: 413");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n", 100) == 413,
	    "a huge chunk size: 413");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 100) == 400,
	    "a bad chunk size: 400");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 100) == 400,
	    "chunked and a length: 400");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 100) == 501, "gzip coding: 501");
	done();
	ok(next_of("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", 100) == 1,
	    "Expect: 100-continue");
	ok(strstr(answer(), "HTTP/1.1 100 Continue\r\n\r\n") != NULL, "gets 100 Continue");
	done();

	/* answers: ranges of a file */
	char tmpl[] = "/tmp/medusa-test-http.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0 || write(fd, "0123456789", 10) != 10)
		return 2;
	struct { const char *range, *status, *body; } rt[] = {
		{"bytes=0-3", "206", "\r\n\r\n0123"},
		{"bytes=4-", "206", "\r\n\r\n456789"},
		{"bytes=-2", "206", "\r\n\r\n89"},
		{"bytes=8-100", "206", "Content-Range: bytes 8-9/10"},
		{"bytes=10-", "416", "Content-Range: bytes */10"},
		{"bytes=-0", "416", "bytes */10"},
		{"bytes=0-1,4-5", "200", "\r\n\r\n0123456789"},
		{"bytes=5-2", "200", "\r\n\r\n0123456789"},
		{"items=0-1", "200", "\r\n\r\n0123456789"},
	};
	for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++) {
		char req[256];
		snprintf(req, sizeof req, "GET /f HTTP/1.1\r\nHost: h\r\nRange: %s\r\n\r\n", rt[i].range);
		next_of(req, 100);
		http_send_fd(&c, open(tmpl, O_RDONLY), "text/plain", NULL, NULL);
		char *a = answer();
		char want[32];
		snprintf(want, sizeof want, "HTTP/1.1 %s ", rt[i].status);
		ok(strncmp(a, want, strlen(want)) == 0 && strstr(a, rt[i].body), "Range %s: %s", rt[i].range, rt[i].status);
		done();
	}
	next_of("HEAD /f HTTP/1.1\r\nHost: h\r\n\r\n", 100);
	http_send_fd(&c, open(tmpl, O_RDONLY), "text/plain", NULL, NULL);
	s = answer();
	ok(strstr(s, "Content-Length: 10\r\n") && strstr(s, "\r\n\r\n")[4] == '\0', "HEAD: the length, no body");
	done();
	unlink(tmpl);
	close(fd);

	/* the signed re-cache */
	unsigned char pk[SIGN_PK_BYTES], sk[SIGN_SK_BYTES], pk2[SIGN_PK_BYTES], sk2[SIGN_SK_BYTES];
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	char sig[SIGN_SIG_B64], why[256];
	long long gen;
	char *body = sign_recache(sk, 7, 1000000, sig);
	ok(sign_check_recache(pk, body, strlen(body), sig, 1000000, &gen, why, sizeof why) == 0 && gen == 7,
	    "a good re-cache");
	ok(sign_check_recache(pk, body, strlen(body), sig, 1000000 + SIGN_SKEW + 1, &gen, why, sizeof why) == 403,
	    "too old: 403");
	ok(sign_check_recache(pk, body, strlen(body), sig, 1000000 - SIGN_SKEW - 1, &gen, why, sizeof why) == 403,
	    "from the future: 403");
	ok(sign_check_recache(pk2, body, strlen(body), sig, 1000000, &gen, why, sizeof why) == 403, "another key: 403");
	body[2] ^= 1;
	ok(sign_check_recache(pk, body, strlen(body), sig, 1000000, &gen, why, sizeof why) == 403, "tampered: 403");
	ok(sign_check_recache(pk, body, strlen(body), NULL, 1000000, &gen, why, sizeof why) == 401, "unsigned: 401");
	ok(sign_check_recache(pk, body, strlen(body), "!!", 1000000, &gen, why, sizeof why) == 401, "garbage: 401");
	free(body);
	const char *notjson = "hello";
	unsigned char s64[64];
	crypto_sign_detached(s64, NULL, (const unsigned char *)notjson, 5, sk);
	sodium_bin2base64(sig, sizeof sig, s64, sizeof s64, sodium_base64_VARIANT_ORIGINAL);
	ok(sign_check_recache(pk, notjson, 5, sig, 1000000, &gen, why, sizeof why) == 400, "signed but not a re-cache: 400");
	return tap_done();
}
