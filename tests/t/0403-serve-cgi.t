#!/bin/sh
# medusa-serve backyard as a CGI program under lighttpd (mod_cgi): the same
# HTTP suite; then CGI by hand for the loopback rule and the token.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
serve_fixture
P=$(free_port)
start_lighttpd "$P" backyard -C "$T/by" -w "$T/web" -b 65536 -t 1
serve_suite "http://127.0.0.1:$P" cgi

cgi() {  # cgi METHOD PATH [VAR=VALUE...]: one CGI request by hand
	_m=$1 _p=$2; shift 2
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$_m" PATH_INFO="$_p" \
	  QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 "$@" \
	  "$MEDUSA_BIN/medusa-serve" backyard -C "$T/by" -w "$T/web" < /dev/null
}
out=$(cgi GET /api/tags REMOTE_ADDR=192.0.2.7)
like "$out" "^Status: 403" "a non-loopback REMOTE_ADDR is refused"
like "$out" "loopback clients only" "and told why"
out=$(cgi GET /api/tags REMOTE_ADDR=127.0.0.1)
like "$out" "^Status: 200" "a loopback REMOTE_ADDR is served"
out=$(cgi GET /api/tags REMOTE_ADDR=::1)
like "$out" "^Status: 200" "IPv6 loopback is served"
out=$(cgi GET /api/tags REMOTE_ADDR=192.0.2.7 MEDUSA_TOKEN=a-token-of-some-length-0123456789)
like "$out" "^Status: 401" "with a token: required"
out=$(cgi GET /api/tags REMOTE_ADDR=192.0.2.7 MEDUSA_TOKEN=a-token-of-some-length-0123456789 \
  HTTP_AUTHORIZATION='Bearer a-token-of-some-length-0123456789')
like "$out" "^Status: 200" "with a token: accepted from anywhere"
out=$(cgi GET /api/tags REMOTE_ADDR=127.0.0.1 MEDUSA_TOKEN=a-token-of-some-length-0123456789 \
  HTTP_AUTHORIZATION='Bearer wrong-token-of-some-length-0123456')
like "$out" "^Status: 401" "with a token: a wrong one is refused"
out=$(cgi GET /api/tags REMOTE_ADDR=192.0.2.7 MEDUSA_TOKEN=a-token-of-some-length-0123456789 \
  HTTP_AUTHORIZATION="Basic $(printf 'me:a-token-of-some-length-0123456789' | base64 -w0)")
like "$out" "^Status: 200" "with a token: Basic with it as the password"
out=$(cgi GET /media/a/v.mp4 REMOTE_ADDR=127.0.0.1 HTTP_RANGE=bytes=0-3)
like "$out" "^Status: 206" "CGI Range"
like "$out" "Content-Range: bytes 0-3/100000" "CGI Content-Range"
ok "no sanitizer reports from the CGI runs" no_sanitizer_reports "$T/lighttpd.err"
done_testing
