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

# odd file names: spaces, quotes, '#', '%', '?', '+', UTF-8, a leading dash
odd="-x y 'q' #1 %41 ?+ ü.mp4"
mkdir -p "$T/by/d d"
head -c 5000 /dev/urandom > "$T/by/d d/$odd"
enc=$(printf '%s' "d d/$odd" | jq -sRr 'split("/") | map(@uri) | join("/")')
is "$(code "http://127.0.0.1:$P/media/$enc")" 200 "odd name: /media/"
ok "odd name: the bytes" cmp "$T/body" "$T/by/d d/$odd"
code "http://127.0.0.1:$P/api/videos" >/dev/null
is "$(jq -r --arg p "d d/$odd" '.videos[] | select(.path == $p) | .state' "$T/body")" none "odd name: listed"
is "$(code "http://127.0.0.1:$P/api/videos/$enc/meta")" 200 "odd name: GET meta"
oet=$(hdr ETag)
is "$(code -X PUT -H "If-Match: $oet" --data-binary '{"clips":[{"start":0,"end":1}]}' \
  "http://127.0.0.1:$P/api/videos/$enc/meta")" 200 "odd name: PUT meta"
ok "odd name: the sidecar is beside it" test -s "$T/by/d d/$odd.medusa.json"
is "$(code "http://127.0.0.1:$P/api/folders/d%20d/meta")" 200 "odd name: a folder with a space"

# with a token every request needs it, from loopback too
echo 'a-token-of-some-length-0123456789' > "$T/token"
P2=$(free_port)
start_tcpserver "$P2" backyard -C "$T/by" -w "$T/web" -a "$T/token" -t 1
is "$(code "http://127.0.0.1:$P2/api/tags")" 401 "token required"
like "$(hdr WWW-Authenticate)" Bearer "401 names the scheme"
is "$(code -H 'Authorization: Bearer a-token-of-some-length-0123456789' "http://127.0.0.1:$P2/api/tags")" 200 "token accepted"
is "$(code -H 'Authorization: Bearer a-token-of-some-length-012345678' "http://127.0.0.1:$P2/api/tags")" 401 "a wrong token: 401"
is "$(code -H 'Authorization: Bearer a-token-of-some-length-0123456789' "http://127.0.0.1:$P2/media/a/v.mp4" -r 0-0)" 206 "token on /media/"
# a browser cannot send Bearer on a page load or <video src>: HTTP Basic
# with the token as the password, any user name
is "$(code "http://127.0.0.1:$P2/")" 401 "a page load without credentials: 401"
like "$(grep -i '^WWW-Authenticate:' "$T/hdr" | tr -d '\r')" 'Basic realm="medusa backyard"' "401 asks a browser for Basic"
is "$(code -u 'anyone:a-token-of-some-length-0123456789' "http://127.0.0.1:$P2/api/tags")" 200 "Basic with the token as the password"
is "$(code -u ':a-token-of-some-length-0123456789' "http://127.0.0.1:$P2/media/a/v.mp4" -r 0-0)" 206 "Basic, empty user name, on /media/"
is "$(code -u 'a-token-of-some-length-0123456789:x' "http://127.0.0.1:$P2/api/tags")" 401 "the token as the user name: 401"
is "$(code -u 'anyone:a-token-of-some-length-012345678' "http://127.0.0.1:$P2/api/tags")" 401 "Basic with a wrong password: 401"
is "$(code -u 'anyone:a-token-of-some-length-0123456789x' "http://127.0.0.1:$P2/api/tags")" 401 "Basic with a longer password: 401"
is "$(code -H 'Authorization: Basic !!not-base64!!' "http://127.0.0.1:$P2/api/tags")" 401 "Basic with bad base64: 401"
is "$(code -H "Authorization: Basic $(printf 'a-token-of-some-length-0123456789' | base64 -w0)" "http://127.0.0.1:$P2/api/tags")" 401 "Basic without a colon: 401"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
