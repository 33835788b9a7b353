#!/bin/sh
# Hostile requests, handcrafted, to medusa-serve backyard on a pipe: odd
# Range sets, request smuggling (Content-Length and Transfer-Encoding),
# broken header syntax, other HTTP versions, encoded escapes out of the
# backyard, symlink loops, FIFOs and devices inside it, a file that
# shrinks or grows while it is sent. Every request gets a sane status,
# never a byte outside the roots, never a hang, crash or sanitizer report.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0800-hostile.sh"
hostile_fixture
S="backyard -C $T/by -w $T/web -t 2 -i 2 -b 65536"
H='Host: localhost\r\n'

# --- Range ---
req r1 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=0-9\r\n\r\n"
expect r1 206 "Range: first ten bytes" $S
is "$(grep -c '^Content-Range: bytes 0-9/100000' "$T/ans.r1")" 1 "with its Content-Range"
body() { sed '1,/^\r$/d' "$T/ans.$1"; }
is "$(body r1 | od -An -tx1 | tr -d ' \n')" "$(head -c 10 "$T/by/a/v.mp4" | od -An -tx1 | tr -d ' \n')" "and exactly those bytes"
req r2 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=-0\r\n\r\n"
expect r2 416 "Range: bytes=-0 is unsatisfiable" $S
req r3 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=100000-\r\n\r\n"
expect r3 416 "Range: from the end of the file" $S
ranges=$(i=0; while [ $i -lt 600 ]; do printf '0-,%d-%d,' $i $((i * 2)); i=$((i + 1)); done)
req r4 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=${ranges}5-\r\n\r\n"
expect r4 "200 206 416 431" "1200 overlapping ranges (range attack): no amplification" $S
ok "the answer is not larger than the file and its head" test "$(wc -c < "$T/ans.r4")" -lt 101500
req r5 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=99999999999999999999999-\r\n\r\n"
expect r5 "200 416" "an overflowing first byte" $S
req r6 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=9-3\r\n\r\n"
expect r6 "200 416" "a reversed range" $S
req r7 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=--5\r\n\r\n"
expect r7 "200 416" "a doubled minus" $S
req r8 "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=0-0\r\nIf-Range: \"nope\"\r\n\r\n"
expect r8 200 "If-Range with another etag: the whole file" $S
req r9 "HEAD /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=0-0\r\n\r\n"
expect r9 "200 206" "HEAD with a Range" $S
is "$(body r9 | wc -c)" 0 "HEAD has no body"

# --- request smuggling and body framing ---
req s1 "POST /api/tags HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/tags HTTP/1.1\r\n${H}\r\n"
expect s1 400 "Content-Length and Transfer-Encoding together" $S
is "$(grep -c '^HTTP/1' "$T/ans.s1")" 1 "and the connection ends: the smuggled request gets no answer"
req s2 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}"
expect s2 400 "two Content-Length fields" $S
req s3 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n"
expect s3 400 "a negative Content-Length" $S
req s4 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Content-Length: +2\r\n\r\n{}"
expect s4 400 "a signed Content-Length" $S
req s5 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Content-Length: 184467440737095516160\r\n\r\n{}"
expect s5 413 "a Content-Length past 2^64" $S
req s6 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n{}"
expect s6 400 "a hex Content-Length" $S
req s7 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n"
expect s7 413 "a chunk size past 2^64" $S
req s8 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n"
expect s8 400 "a negative chunk size" $S
req s9 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
expect s9 "400 501" "a coding we do not know" $S
req s10 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n"
expect s10 400 "chunk data longer than its size" $S
req s11 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
expect s11 "400 408" "a chunked body cut short" $S
req s12 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Content-Length: 70000\r\n\r\n{}"
expect s12 413 "a body over the cap (-b 65536)" $S
req s13 "PUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\nGET /api/tags HTTP/1.1\r\n${H}\r\n"
expect s13 "400 501" "two Transfer-Encoding fields (chunked, then identity)" $S
like "$(cat "$T/ans.s13")" "Connection: close" "and the connection ends (no smuggled second request)"
req s14 "PUT /api/videos/a/v.mp4/meta HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect s14 "400 501" "Transfer-Encoding in an HTTP/1.0 request" $S

# --- header syntax ---
req h1 "GET /api/tags HTTP/1.1\r\n${H}X-A: b\r\n folded\r\n\r\n"
expect h1 400 "an obs-fold continuation line" $S
req h2 "GET /api/tags HTTP/1.1\r\n${H}NoColonHere\r\n\r\n"
expect h2 400 "a header without a colon" $S
req h3 "GET /api/tags HTTP/1.1\r\nHost : x\r\n\r\n"
expect h3 400 "a space before the colon" $S
req h4 "GET /api/tags HTTP/1.1\n${H%\\r\\n}\n\n"
expect h4 200 "bare LF line ends are taken" $S
req h5 "GET /api/tags HTTP/1.1\r\n${H}X: a\rb\r\n\r\n"
expect h5 400 "a bare CR inside a value" $S
req h6 "GET /api/tags HTTP/1.1\r\n${H}X: a\000b\r\n\r\n"
expect h6 400 "a NUL inside a value" $S
req h7 "GET /api/tags HTTP/1.1\r\n\r\n"
expect h7 400 "HTTP/1.1 without Host" $S
req h10 "GET /api/tags HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
expect h10 400 "two Host fields" $S
req h11 "GET /api/tags HTTP/1.1\r\nHost: a b\r\n\r\n"
expect h11 400 "a Host value that is no host (a space)" $S
req h12 "GET /api/tags HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"
expect h12 200 "an IPv6 Host with a port" $S
i=0; : > "$T/many"; while [ $i -lt 150 ]; do printf 'X-%d: y\r\n' $i >> "$T/many"; i=$((i + 1)); done
req h8 "GET /api/tags HTTP/1.1\r\n${H}$(cat "$T/many")\r\n\r\n"
expect h8 431 "150 header fields" $S
req h9 "GET /api/tags HTTP/1.1\r\n${H}X: $(head -c 20000 /dev/zero | tr '\0' a)\r\n\r\n"
expect h9 431 "a 20 KB header" $S

# --- request lines ---
req l1 "GET /api/tags\r\n\r\n"
expect l1 "400 505" "HTTP/0.9" $S
req l2 "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
expect l2 "400 505" "the HTTP/2 preface" $S
req l3 "GET /api/tags HTTP/1.10\r\n${H}\r\n"
expect l3 "400 505" "HTTP/1.10" $S
req l4 "GET  /api/tags HTTP/1.1\r\n${H}\r\n"
expect l4 400 "two spaces" $S
req l5 "GET http://elsewhere/media/a/v.mp4 HTTP/1.1\r\n${H}\r\n"
expect l5 200 "absolute-form: the path counts" $S
req l6 "GET http://elsewhere HTTP/1.1\r\n${H}\r\n"
expect l6 400 "absolute-form without a path" $S
req l7 "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\n${H}\r\n"
expect l7 414 "a 9000-byte path" $S
req l8 "TRACE / HTTP/1.1\r\n${H}\r\n"
expect l8 "405 501" "TRACE" $S
req l9 "G@T / HTTP/1.1\r\n${H}\r\n"
expect l9 "400 501" "a method with a non-token byte" $S
req l10 "\r\n\r\n\r\nGET /api/tags HTTP/1.1\r\n${H}\r\n"
expect l10 200 "empty lines before a request" $S

# --- paths ---
p() { req "$1" "GET $2 HTTP/1.1\r\n${H}\r\n"; }
p p1 '/media/a/v%%00.mp4';                  expect p1 400 "%%00 in the path" $S
p p2 '/media/a%%2f..%%2f..%%2fsecret.mp4';   expect p2 "400 403 404" "%%2f..%%2f out of the backyard" $S
p p3 '/media/%%2e%%2e/secret.mp4';           expect p3 "400 403 404" "%%2e%%2e" $S
p p4 '/media/a/../../secret.mp4';            expect p4 "400 403 404" "plain .." $S
p p5 '/media/%%c0%%ae%%c0%%ae/secret.mp4';   expect p5 "400 403 404" "overlong UTF-8 dots" $S
p p6 '/media/a\\..\\..\\secret.mp4';         expect p6 "400 403 404" "backslashes" $S
p p7 '/media/a/link.mp4';                    expect p7 "403 404" "a symlink out of the backyard" $S
p p8 '/media/etc/passwd';                    expect p8 "403 404" "a symlink to /etc" $S
p p9 '/media//etc/passwd';                   expect p9 "400 403 404" "an absolute path" $S
p p10 '/media/loop1/x.mp4';                  expect p10 "400 403 404" "a symlink loop" $S
p p11 '/media/self.mp4';                     expect p11 "400 403 404" "a symlink to itself" $S
p p12 '/media/a/v.mp4%%';                    expect p12 400 "a cut escape" $S
p p13 '/media/a/v.mp4%%g0';                  expect p13 400 "a bad escape" $S
p p14 '/media/backyard.medusa.json';         expect p14 "403 404" "the config is not media" $S
p p15 '/media/a/v.mp4.medusa.json';          expect p15 "403 404" "a sidecar is not media" $S
p p16 '/api/videos/..%%2f..%%2fsecret.mp4/meta'; expect p16 "400 403 404" "meta out of the backyard" $S
p p17 '/%%2e%%2e/%%2e%%2e/etc/passwd';       expect p17 "400 403 404" "web pages: %%2e%%2e" $S
p p18 '/media/a/v.mp4%%0d%%0aX-Injected:%%201'; expect p18 "400 403 404" "CR LF in a decoded path" $S
ok "no header injected" sh -c "! grep -qi '^X-Injected' '$T/ans.p18'"
ok "no byte of the secret in any answer" no_secret

# --- odd files inside the backyard ---
if mkfifo "$T/by/a/fifo.mp4" 2>/dev/null && mkfifo "$T/web/fifo.html" && mkfifo "$T/by/a/w.mp4.medusa.json"; then
	cp "$T/by/a/v.mp4" "$T/by/a/w.mp4"
	p f1 '/media/a/fifo.mp4'
	HOSTILE_TIMEOUT=$HANG_TIMEOUT expect f1 "403 404" "a FIFO named like a video" $S
	p f2 '/fifo.html'
	HOSTILE_TIMEOUT=$HANG_TIMEOUT expect f2 "403 404" "a FIFO among the web pages" $S
	p f3 '/api/videos/a/w.mp4/meta'
	HOSTILE_TIMEOUT=$HANG_TIMEOUT expect f3 "200 403 404 500" "a FIFO as a sidecar is refused, not waited on" $S
	rm -f "$T/by/a/fifo.mp4" "$T/web/fifo.html" "$T/by/a/w.mp4.medusa.json"
else
	for i in 1 2 3; do echo "ok $((_n + 1)) # skip cannot make a FIFO"; _n=$((_n + 1)); done
fi
if [ "$(id -u)" -eq 0 ] && mknod "$T/by/a/dev.mp4" c 1 3 2>/dev/null; then
	p d1 '/media/a/dev.mp4'; expect d1 "403 404" "a device node (/dev/null) named like a video" $S
	rm -f "$T/by/a/dev.mp4"
else
	echo "ok $((_n + 1)) # skip mknod needs root"; _n=$((_n + 1))
fi

# a file name that is not UTF-8 (medusa-scan reports it as an error)
if : > "$T/by/a/bad$(printf '\377\376').mp4" 2>/dev/null; then
	req u1 "GET /api/videos HTTP/1.1\r\n${H}\r\n"
	expect u1 200 "GET /api/videos with a file name that is not UTF-8" $S
	body u1 > "$T/u1.json"
	ok "the JSON is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$T/u1.json"
	like "$(jq -r '.errors[] | select(.error == "the file name is not valid UTF-8") | .path' "$T/u1.json")" '^a/bad' \
	  "the name is among the errors, as medusa-scan reports it"
	rm -f "$T/by/a/bad$(printf '\377\376').mp4"
else
	_n=$((_n + 3)); echo "ok $((_n - 2)) # skip"; echo "ok $((_n - 1)) # skip"; echo "ok $_n # skip"
fi

# a sidecar that is a hard link to a file outside: the write replaces the
# link, the outside file keeps its bytes; a symlinked one is refused
mkdir -p "$T/by/h"
cp "$T/by/a/v.mp4" "$T/by/h/v.mp4"
echo '{"clips":[]}' > "$T/outside.json"
ln "$T/outside.json" "$T/by/h/v.mp4.medusa.json"
req e1 "GET /api/videos/h/v.mp4/meta HTTP/1.1\r\n${H}\r\n"
expect e1 200 "GET the meta of a hard-linked sidecar" $S
et=$(grep -a -i '^etag:' "$T/ans.e1" | tr -d '\r' | cut -d' ' -f2)
b='{"clips":[{"start":0,"end":0.5}]}'
req e2 "PUT /api/videos/h/v.mp4/meta HTTP/1.1\r\n${H}If-Match: $et\r\nContent-Length: ${#b}\r\n\r\n$b"
expect e2 200 "PUT it" $S
is "$(cat "$T/outside.json")" '{"clips":[]}' "the file outside the backyard is unchanged"
rm "$T/by/h/v.mp4.medusa.json"
ln -s ../../outside.json "$T/by/h/v.mp4.medusa.json"
req e3 "PUT /api/videos/h/v.mp4/meta HTTP/1.1\r\n${H}If-Match: $et\r\nContent-Length: ${#b}\r\n\r\n$b"
expect e3 "403 404" "PUT through a sidecar symlinked out of the backyard" $S
is "$(cat "$T/outside.json")" '{"clips":[]}' "the file outside is still unchanged"

# --- a file that shrinks or grows while it is sent ---
head -c 2000000 /dev/urandom > "$T/by/a/big.mp4"
req g1 "GET /media/a/big.mp4 HTTP/1.1\r\n${H}\r\n"
# the pipe fills (64 KiB) and the server waits in sendfile; then the file
# is cut to 100 KB under it
set +e
timeout -s KILL "$HOSTILE_TIMEOUT" "$MEDUSA_BIN/medusa-serve" $S < "$T/req.g1" 2> "$T/err.g1" |
  { head -c 1000 > "$T/ans.g1"; truncate -s 100000 "$T/by/a/big.mp4"; cat >> "$T/ans.g1"; }
st=$?
set -e
is "$st" 0 "a file that shrinks while it is sent: no hang"
ok "no sanitizer report" sh -c "! grep -q -e AddressSanitizer -e 'runtime error' '$T/err.g1'"
ok "the answer is not longer than promised" test "$(wc -c < "$T/ans.g1")" -lt 2001000
head -c 100000 /dev/urandom > "$T/by/a/grow.mp4"
req g2 "GET /media/a/grow.mp4 HTTP/1.1\r\n${H}\r\n"
set +e
timeout -s KILL "$HOSTILE_TIMEOUT" "$MEDUSA_BIN/medusa-serve" $S < "$T/req.g2" 2> "$T/err.g2" |
  { head -c 1000 > "$T/ans.g2"; head -c 3000000 /dev/zero >> "$T/by/a/grow.mp4"; cat >> "$T/ans.g2"; }
set -e
cl=$(grep -a -m1 '^Content-Length:' "$T/ans.g2" | tr -dc 0-9)
is "$(body g2 | wc -c)" "$cl" "a file that grows while it is sent: exactly Content-Length bytes"
ok "no byte of the secret in any answer" no_secret
done_testing
