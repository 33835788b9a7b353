#!/bin/sh
# medusa-serve backyard under tcpserver (ucspi-tcp): the HTTP suite, raw
# hostile clients, and the token.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
serve_fixture
P=$(free_port)
start_tcpserver "$P" backyard -C "$T/by" -w "$T/web" -b 65536 -t 1 -i 2
serve_suite "http://127.0.0.1:$P" tcpserver
serve_hostile_raw "$P" tcpserver

# with a token every request needs it, from loopback too
echo 'a-token-of-some-length-0123456789' > "$T/token"
P2=$(free_port)
start_tcpserver "$P2" backyard -C "$T/by" -w "$T/web" -a "$T/token" -t 1
is "$(code "http://127.0.0.1:$P2/api/tags")" 401 "token required"
like "$(hdr WWW-Authenticate)" Bearer "401 names the scheme"
is "$(code -H 'Authorization: Bearer a-token-of-some-length-0123456789' "http://127.0.0.1:$P2/api/tags")" 200 "token accepted"
is "$(code -H 'Authorization: Bearer a-token-of-some-length-012345678' "http://127.0.0.1:$P2/api/tags")" 401 "a wrong token: 401"
is "$(code -H 'Authorization: Bearer a-token-of-some-length-0123456789' "http://127.0.0.1:$P2/media/a/v.mp4" -r 0-0)" 206 "token on /media/"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
