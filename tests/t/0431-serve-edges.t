#!/bin/sh
# HTTP edges of medusa-serve: Range numbers past any file (RFC 9110 14.1.1:
# a first byte there is 416, a last byte there means the end), JSON errors
# in valid UTF-8 whatever bytes the request had, a directory redirect that
# keeps the CGI prefix and the query (lighttpd and CGI by hand), symlinks
# that stay inside their root served (and checked under both names).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
. "$MEDUSA_SRC/tests/t/0800-hostile.sh"
hostile_fixture
S="backyard -C $T/by -w $T/web -t 2"
H='Host: localhost\r\n'
body() { sed '1,/^\r$/d' "$T/ans.$1"; }
header() { grep -a -i "^$2:" "$T/ans.$1" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'; }
p() { req "$1" "GET $2 HTTP/1.1\r\n${H}\r\n"; }
rng() { req "$1" "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=$2\r\n\r\n"; }

# --- Range ---
rng r1 99999999999999999999999-
expect r1 416 "a first byte past 2^63: 416" $S
is "$(header r1 Content-Range)" "bytes */100000" "naming the size"
rng r2 0-99999999999999999999999
expect r2 206 "bytes=0-HUGE: 206" $S
is "$(header r2 Content-Range)" "bytes 0-99999/100000" "of the whole file"
ok "every byte" sh -c "sed '1,/^\r\$/d' '$T/ans.r2' | cmp - '$T/by/a/v.mp4'"
rng r3 99990-18446744073709551616
expect r3 206 "a last byte past 2^64: to the end" $S
is "$(header r3 Content-Range)" "bytes 99990-99999/100000" "the last ten bytes"
rng r4 -99999999999999999999999
expect r4 206 "a suffix longer than any file: the whole file" $S
is "$(header r4 Content-Range)" "bytes 0-99999/100000" "from the first byte"
rng r5 9223372036854775807-
expect r5 416 "LLONG_MAX as the first byte: 416" $S
rng r6 100000-100000
expect r6 416 "the first byte just past the end: 416" $S
rng r7 99999-
expect r7 206 "the last byte alone" $S
is "$(body r7 | wc -c)" 1 "one byte"

# --- JSON errors are UTF-8 ---
clip k1 a/v.mp4 0 1 '{"kind":"travel"}' > "$T/recs"
medusa-publish -C "$T/by" -q < "$T/recs" > /dev/null
F="frontyard -C $T/by -t 2"
req u1 "GET /api/clips?%%ff=1 HTTP/1.1\r\n${H}\r\n"
expect u1 400 "?%%ff=1: 400" $F
body u1 > "$T/u1.json"
ok "the error is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$T/u1.json"
like "$(jq -se -r '.[0].error' "$T/u1.json")" "no such tag" "valid JSON that says what is wrong"
req u2 "GET /api/clips?sort=%%c3%%28%%80 HTTP/1.1\r\n${H}\r\n"
expect u2 400 "a sort field of broken UTF-8: 400" $F
ok "its error is valid UTF-8" sh -c "sed '1,/^\r\$/d' '$T/ans.u2' | iconv -f UTF-8 -t UTF-8"
out=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/api/tags REMOTE_ADDR=127.0.0.1 \
  HTTP_HOST="$(printf 'ev\377il')" "$MEDUSA_BIN/medusa-serve" $S < /dev/null)
like "$out" "^Status: 421" "CGI: a Host of raw bytes: 421"
ok "its error is valid UTF-8" sh -c "printf '%s' \"\$1\" | sed '1,/^\r\$/d' | iconv -f UTF-8 -t UTF-8" - "$out"

# --- redirects keep the prefix and the query ---
mkdir -p "$T/web/sub"
echo '<!doctype html><title>sub</title>' > "$T/web/sub/index.html"
req d1 "GET /sub?x=1&y=%%20 HTTP/1.1\r\n${H}\r\n"
expect d1 301 "a directory without its slash" $S
is "$(header d1 Location)" "/sub/?x=1&y=%20" "Location keeps the query"
cgi() {  # cgi VAR=VALUE...: one CGI request for a directory
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET REMOTE_ADDR=127.0.0.1 \
	  HTTP_HOST=localhost "$@" "$MEDUSA_BIN/medusa-serve" $S < /dev/null | tr -d '\r'
}
is "$(cgi SCRIPT_NAME=/cgi-bin/medusa PATH_INFO=/sub QUERY_STRING='a=1&b=%2F' | sed -n 's/^Location: //p')" \
  "/cgi-bin/medusa/sub/?a=1&b=%2F" "CGI: SCRIPT_NAME and the query kept"
is "$(cgi SCRIPT_NAME=/m.cgi PATH_INFO=/sub REQUEST_URI='/photos/sub?q=a%20b' QUERY_STRING='q=a%20b' | sed -n 's/^Location: //p')" \
  "/photos/sub/?q=a%20b" "CGI: REQUEST_URI (the URL before a rewrite) wins"
is "$(cgi SCRIPT_NAME="$(printf '/x\ry')" PATH_INFO=/sub QUERY_STRING="$(printf 'a\nb')" | sed -n 's/^Location: //p')" \
  "/x%0Dy/sub/?a%0Ab" "CGI: no raw line break in Location"
# lighttpd mounting the backyard below /medusa/
P=$(free_port)
start_lighttpd "$P" backyard -C "$T/by" -w "$T/web" -t 2
sed -i 's|^url.rewrite-once = .*|url.rewrite-once = ("^/medusa/(.*)$" => "/medusa.cgi/$1")|' "$T/lighttpd.conf"
kill "$_lpid"; wait "$_lpid" 2>/dev/null || true
lighttpd -D -f "$T/lighttpd.conf" 2>"$T/lighttpd.stderr" &
_lpid=$!
at_exit "kill $_lpid 2>/dev/null || true; wait $_lpid 2>/dev/null || true"
wait_port "$P"
is "$(code "http://127.0.0.1:$P/medusa/sub?x=1")" 301 "lighttpd below /medusa/: the directory redirects"
is "$(hdr Location)" "/medusa/sub/?x=1" "to its URL under the prefix, with the query"
is "$(code -L "http://127.0.0.1:$P/medusa/sub?x=1")" 200 "and that URL is the page"
like "$(cat "$T/body")" "<title>sub" "the directory's index"

# --- symlinks inside a root ---
mkdir -p "$T/by/b"
ln -s ../a/v.mp4 "$T/by/b/rel.mp4"
ln -s "$T/by/a/v.mp4" "$T/by/b/abs.mp4"
ln -s ../a/v.mp4.medusa.json "$T/by/b/sidecar.mp4"
ln -s ../backyard.medusa.json "$T/by/b/config.mp4"
ln -s sub/index.html "$T/web/alias.html"
ln -s "$T/web/sub/index.html" "$T/web/abs.html"
mkdir -p "$T/web/.hidden"
echo 'HIDDEN' > "$T/web/.hidden/x.html"
ln -s .hidden/x.html "$T/web/shown.html"
for l in rel abs; do
	p "s$l" "/media/b/$l.mp4"
	expect "s$l" 200 "a $l symlink to a video inside the backyard: served" $S
	ok "its bytes" sh -c "sed '1,/^\r\$/d' '$T/ans.s$l' | cmp - '$T/by/a/v.mp4'"
done
p s3 /media/b/sidecar.mp4; expect s3 404 "a link named .mp4 to a sidecar: 404" $S
ok "the sidecar does not leak" sh -c "! grep -q k3v9q2 '$T/ans.s3'"
p s4 /media/b/config.mp4; expect s4 404 "a link named .mp4 to the config: 404" $S
p s5 /alias.html;          expect s5 200 "a relative link among the web pages: served" $S
p s6 /abs.html;            expect s6 200 "an absolute link inside the web directory: served" $S
p s7 /shown.html;          expect s7 404 "a link to a hidden file: 404" $S
ok "the hidden file does not leak" sh -c "! grep -q HIDDEN '$T/ans.s7'"
p s8 /media/a/link.mp4;    expect s8 "403 404" "a link out of the backyard: still refused" $S
ok "no byte of the secret in any answer" no_secret
ok "no sanitizer report" sh -c "! cat '$T'/err.* | grep -q -e AddressSanitizer -e 'runtime error'"
done_testing
