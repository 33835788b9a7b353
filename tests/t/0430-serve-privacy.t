#!/bin/sh
# A backyard only its own pages reach: requests that a page of another site
# can make (DNS rebinding: Host and Origin of another name; Sec-Fetch-Site
# cross-site or same-site) read nothing and write nothing; the headers that
# keep others from framing, embedding and sniffing; the same under CGI; a
# peer on a Unix socket or a pipe is local only when no launcher variable
# names a remote address. The frontyard stays public.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
serve_fixture
P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" backyard -C "$T/by" -w "$T/web" -t 2 -H medusa.test -H Editor.Home.
code "$B/api/videos/a/v.mp4/meta" > /dev/null
et=$(hdr ETag)
snapshot "$T/by" > "$T/before"
unchanged() { snapshot "$T/by" > "$T/after"; cmp "$T/before" "$T/after"; }

# --- DNS rebinding: another name for 127.0.0.1 ---
for h in evil.example "evil.example:$P" 0.0.0.0 "127.0.0.1.evil.example" localhost.evil.example "[::2]"; do
	is "$(code -H "Host: $h" "$B/api/videos")" 421 "Host: $h is not ours: 421"
done
ok "nothing of the backyard in the answer" sh -c "! grep -q v.mp4 '$T/body'"
like "$(cat "$T/body")" 'loopback address, localhost and its -H names' "the 421 says which names are ours"
is "$(code -H "Host: evil.example:$P" -H "Origin: http://evil.example:$P" -X PUT -H "If-Match: $et" \
  --data-binary '{"clips":[]}' "$B/api/videos/a/v.mp4/meta")" 421 "a rebinding PUT: 421"
is "$(code -H "Host: evil.example" "$B/media/a/v.mp4")" 421 "a rebinding /media/: 421"
ok "the sidecar is unchanged (and nothing else in the backyard)" unchanged
for h in "127.0.0.1:$P" "localhost:$P" "LocalHost" "[::1]:$P" "127.9.8.7" medusa.test "medusa.test:$P" editor.home "editor.home.:$P"; do
	is "$(code -H "Host: $h" "$B/api/tags")" 200 "Host: $h is ours"
done
# HTTP/1.0 without Host comes from no browser
out=$(printf 'GET /api/tags HTTP/1.0\r\n\r\n' | raw 127.0.0.1 "$P")
like "$out" "HTTP/1.0 200" "HTTP/1.0 without Host is served"

# --- a page of another origin: Origin and fetch metadata ---
put() { code -X PUT -H "If-Match: $et" --data-binary '{"tags":{"place":"Evil"},"clips":[]}' "$@" "$B/api/videos/a/v.mp4/meta"; }
is "$(put -H 'Origin: http://evil.example')" 403 "a PUT with a foreign Origin: 403"
like "$(cat "$T/body")" "Origin: another origin" "and says why"
is "$(put -H 'Origin: null')" 403 "Origin: null (a sandboxed frame, a file: page): 403"
is "$(put -H "Origin: http://127.0.0.1:$((P + 1))")" 403 "another port of 127.0.0.1 is another origin: 403"
is "$(put -H "Origin: http://localhost:$P")" 403 "localhost is another origin than 127.0.0.1: 403"
is "$(put -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: cors')" 403 "a cross-site PUT: 403"
is "$(put -H 'Sec-Fetch-Site: same-site' -H 'Sec-Fetch-Mode: cors')" 403 "a same-site PUT (another local server's page): 403"
ok "none of them changed the sidecar" unchanged
is "$(code -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: no-cors' -H 'Sec-Fetch-Dest: video' "$B/media/a/v.mp4")" 403 \
  "a cross-site <video>: 403"
ok "with no byte of the video" sh -c "! cmp -s '$T/body' '$T/by/a/v.mp4'"
is "$(code -H 'Sec-Fetch-Site: same-site' -H 'Sec-Fetch-Mode: cors' -H 'Sec-Fetch-Dest: empty' "$B/api/videos")" 403 \
  "a same-site fetch of /api/videos: 403"
is "$(code -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: navigate' -H 'Sec-Fetch-Dest: iframe' "$B/")" 403 \
  "a cross-site frame: 403"
is "$(code -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: navigate' -H 'Sec-Fetch-Dest: document' "$B/")" 200 \
  "a link from another site to the editor: served"
is "$(put -H "Origin: http://127.0.0.1:$P" -H 'Sec-Fetch-Site: same-origin' -H 'Sec-Fetch-Mode: cors')" 200 \
  "the editor's own PUT: 200"
like "$(cat "$T/by/a/v.mp4.medusa.json")" Evil "and it was written"
code "$B/api/videos/a/v.mp4/meta" > /dev/null
et=$(hdr ETag)
is "$(code -H 'Sec-Fetch-Site: none' -H 'Sec-Fetch-Mode: navigate' "$B/api/tags")" 200 "Sec-Fetch-Site: none (typed in): served"

# --- the headers ---
for u in / /api/tags /media/a/v.mp4 /api/nope /sub; do
	code "$B$u" > /dev/null
	is "$(hdr Cross-Origin-Resource-Policy)" same-origin "$u: Cross-Origin-Resource-Policy: same-origin"
done
code "$B/" > /dev/null
is "$(hdr X-Frame-Options)" DENY "the page: X-Frame-Options: DENY"
csp=$(hdr Content-Security-Policy)
like "$csp" "frame-ancestors 'none'" "the page: CSP frame-ancestors 'none'"
like "$csp" "default-src 'self'" "the page: CSP default-src 'self'"
ok "no inline script allowed" sh -c "! printf '%s' \"$csp\" | grep -q -e unsafe-eval -e \"script-src[^;]*unsafe-inline\""
is "$(hdr X-Content-Type-Options)" nosniff "nosniff"

# --- with a token, Host is not checked, the rest is ---
echo 'a-token-of-some-length-0123456789' > "$T/token"
P2=$(free_port)
start_tcpserver "$P2" backyard -C "$T/by" -w "$T/web" -a "$T/token" -t 2
is "$(code -u ":$(cat "$T/token")" -H 'Host: medusa.example.org' "http://127.0.0.1:$P2/api/tags")" 200 \
  "with a token any Host is served (a proxy's name)"
is "$(code -u ":$(cat "$T/token")" -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: cors' "http://127.0.0.1:$P2/api/tags")" 403 \
  "and a cross-site request is still refused"

# --- CGI: HTTP_HOST and REMOTE_ADDR from the web server ---
cgi() {
	_p=$1; shift
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO="$_p" QUERY_STRING= \
	  SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 "$@" "$MEDUSA_BIN/medusa-serve" backyard -C "$T/by" -w "$T/web" < /dev/null
}
like "$(cgi /api/videos HTTP_HOST=evil.example)" "^Status: 421" "CGI: HTTP_HOST of another name: 421"
like "$(cgi /api/videos HTTP_HOST=localhost:8082)" "^Status: 200" "CGI: HTTP_HOST localhost: 200"
like "$(cgi / HTTP_HOST=localhost)" "X-Frame-Options: DENY" "CGI: the page cannot be framed"
like "$(cgi /api/videos HTTP_HOST=localhost HTTP_SEC_FETCH_SITE=cross-site HTTP_SEC_FETCH_MODE=cors)" "^Status: 403" \
  "CGI: a cross-site fetch: 403"

# --- the peer on a Unix socket or a pipe ---
# unix_ask VAR=VALUE...: one request over a Unix socket pair, the variables
# in the server's environment; prints the status line
unix_ask() {
	python3 - "$MEDUSA_BIN/medusa-serve" "$T/by" "$T/web" "$@" <<'PY'
import os, socket, subprocess, sys
exe, by, web = sys.argv[1:4]
env = {"PATH": os.environ["PATH"]}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    env[k] = v
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
p = subprocess.Popen([exe, "backyard", "-C", by, "-w", web], stdin=b, stdout=b, env=env)
b.close()
a.sendall(b"GET /api/tags HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
out = b""
while True:
    d = a.recv(65536)
    if not d:
        break
    out += d
p.wait()
print(out.split(b"\r\n")[0].decode())
PY
}
like "$(unix_ask)" "HTTP/1.1 200" "a Unix socket peer, no launcher variable: local"
like "$(unix_ask TCPREMOTEIP=10.0.0.5)" "HTTP/1.1 403" "a Unix socket peer with TCPREMOTEIP=10.0.0.5: remote, 403"
like "$(unix_ask REMOTE_ADDR=192.0.2.1)" "HTTP/1.1 403" "REMOTE_ADDR of another host: 403"
like "$(unix_ask REMOTE_HOST=198.51.100.7)" "HTTP/1.1 403" "REMOTE_HOST of another host (xinetd): 403"
like "$(unix_ask TCPREMOTEIP=127.0.0.1)" "HTTP/1.1 200" "TCPREMOTEIP naming loopback: local"
like "$(unix_ask TCPREMOTEIP=::1 REMOTE_HOST=localhost)" "HTTP/1.1 200" "::1 and localhost: local"
like "$(unix_ask TCPREMOTEIP=127.0.0.1 REMOTE_ADDR=203.0.113.9)" "HTTP/1.1 403" "any variable naming a remote address: remote"
printf 'GET /api/tags HTTP/1.1\r\nHost: localhost\r\n\r\n' > "$T/req"
like "$(env TCPREMOTEIP=10.0.0.5 "$MEDUSA_BIN/medusa-serve" backyard -C "$T/by" -w "$T/web" < "$T/req" | head -n 1)" \
  "HTTP/1.1 403" "a pipe with TCPREMOTEIP=10.0.0.5: remote"
like "$("$MEDUSA_BIN/medusa-serve" backyard -C "$T/by" -w "$T/web" < "$T/req" | head -n 1)" "HTTP/1.1 200" \
  "a pipe without: local"

# --- the frontyard is public: any Host, no framing rules ---
mkdir -p "$T/fy"
clip k1 a/v.mp4 0 1 '{"kind":"travel"}' > "$T/recs"
medusa-publish -C "$T/by" -q < "$T/recs" > /dev/null
P3=$(free_port)
start_tcpserver "$P3" frontyard -C "$T/by" -t 2
is "$(code -H 'Host: gallery.example.org' "http://127.0.0.1:$P3/api/clips")" 200 "frontyard: any Host"
is "$(hdr Cross-Origin-Resource-Policy)" "" "frontyard: files may be embedded elsewhere"

# --- -H takes a host name only ---
fails "-H with a port: usage" 2 "$MEDUSA_BIN/medusa-serve" backyard -C "$T/by" -H a.example:80
like "$(lasterr)" "medusa-serve: -H: a.example:80: want a host name" "and says why"
fails "-H empty: usage" 2 "$MEDUSA_BIN/medusa-serve" backyard -C "$T/by" -H ''
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
