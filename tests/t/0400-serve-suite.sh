# tests/t/0400-serve-suite.sh: sourced by the 04xx tests. Fixtures, the
# peers (tcpserver, inetd, lighttpd CGI) and the HTTP suite that each peer
# must pass with curl as the client.

# serve_fixture: a backyard $T/by with one "video" (random bytes; the server
# never decodes it), a sidecar, a folder file, web pages, a secret outside
# the backyard and a symlink that points at it.
serve_fixture() {
	mkbackyard "$T/by"
	mkdir -p "$T/by/a" "$T/web/sub"
	head -c 100000 /dev/urandom > "$T/by/a/v.mp4"
	cat > "$T/by/a/v.mp4.medusa.json" <<'JSON'
{"tags": {"place": "Kyoto"}, "clips": [{"id": "k3v9q2", "start": 1, "end": 2}]}
JSON
	echo '{"tags": {"kind": "travel"}}' > "$T/by/a/folder.medusa.json"
	echo '<!doctype html><title>medusa</title>' > "$T/web/index.html"
	echo 'body{color:red}' > "$T/web/sub/s.css"
	echo 'console.log(1)' > "$T/web/app.js"
	echo '<svg xmlns="http://www.w3.org/2000/svg"/>' > "$T/web/i.svg"
	echo 'TOPSECRET' > "$T/secret.mp4"
	ln -s ../../secret.mp4 "$T/by/a/link.mp4"
	ln -s /etc "$T/by/etc"
}

# clip ID VIDEO START END TAGS: a rendition record as medusa-cut writes it,
# with small stand-in files (the server never decodes them)
n=0
clip() {
	n=$((n + 1))
	mkdir -p "$T/work/$1"
	head -c $((20000 + n)) /dev/urandom > "$T/work/$1/360p.mp4"
	head -c 3000 /dev/urandom > "$T/work/$1/poster.jpg"
	h1=$(b2sum -l 256 "$T/work/$1/360p.mp4" | cut -d' ' -f1)
	h2=$(b2sum -l 256 "$T/work/$1/poster.jpg" | cut -d' ' -f1)
	printf '{"path":"%s","video":"%s","clip":"%s","start":%s,"end":%s,"tags":%s,"renditions":[' "$2" "$2" "$1" "$3" "$4" "$5"
	printf '{"profile":"360p","kind":"video","file":"%s","version":"00000000000000a%s","key":"clips/%s/00000000000000a%s/360p.mp4","bytes":%s,"hash":"%s","mime":"video/mp4","width":320,"height":240,"duration":%s},' \
	  "$T/work/$1/360p.mp4" "$n" "$1" "$n" "$(wc -c < "$T/work/$1/360p.mp4")" "$h1" "$(($4 - $3))"
	printf '{"profile":"poster","kind":"image","file":"%s","version":"00000000000000b%s","key":"clips/%s/00000000000000b%s/poster.jpg","bytes":3000,"hash":"%s","mime":"image/jpeg","width":160,"height":120}]}\n' \
	  "$T/work/$1/poster.jpg" "$n" "$1" "$n" "$h2"
}
# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s at most)
wait_port() {
	_i=0
	while ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { echo "# nothing listens on $1" >&2; return 1; }
		sleep 0.05
	done
}

# start_tcpserver PORT ARGS...: medusa-serve ARGS under tcpserver
start_tcpserver() {
	_p=$1; shift
	tcpserver -R -H -l 0 127.0.0.1 "$_p" "$MEDUSA_BIN/medusa-serve" "$@" 2>"$T/tcpserver.err" &
	_tpid=$!
	at_exit "kill $_tpid 2>/dev/null || true; wait $_tpid 2>/dev/null || true"
	wait_port "$_p"
}

# start_inetd PORT ARGS...: under openbsd-inetd in the foreground. inetd
# writes /run/inetd.pid, so only one runs at a time: the caller holds
# the lock (serve_inetd_lock).
start_inetd() {
	_p=$1; shift
	printf '127.0.0.1:%s stream tcp nowait %s %s medusa-serve' "$_p" "$(id -un)" \
	  "$MEDUSA_BIN/medusa-serve" > "$T/inetd.conf"
	for _a in "$@"; do printf ' %s' "$_a" >> "$T/inetd.conf"; done
	echo >> "$T/inetd.conf"
	inetd -d "$T/inetd.conf" 2>"$T/inetd.err" &
	_ipid=$!
	at_exit "kill $_ipid 2>/dev/null || true; wait $_ipid 2>/dev/null || true"
	wait_port "$_p"
}
serve_inetd_lock() {
	exec 9>"${TMPDIR:-/tmp}/medusa-test-inetd.lock"
	flock -w 120 9
}

# start_lighttpd PORT MODE ARGS...: medusa-serve as a CGI program for every
# path, through a wrapper script (lighttpd runs CGI by file).
start_lighttpd() {
	_p=$1; shift
	mkdir -p "$T/docroot"
	{
		echo '#!/bin/sh'
		printf 'exec %s' "$MEDUSA_BIN/medusa-serve"
		for _a in "$@"; do printf " '%s'" "$_a"; done
		echo
	} > "$T/docroot/medusa.cgi"
	chmod 755 "$T/docroot/medusa.cgi"
	cat > "$T/lighttpd.conf" <<EOF
server.document-root = "$T/docroot"
server.bind = "127.0.0.1"
server.port = $_p
server.errorlog = "$T/lighttpd.err"
server.modules = ("mod_rewrite", "mod_cgi")
cgi.assign = (".cgi" => "")
url.rewrite-once = ("^/(.*)\$" => "/medusa.cgi/\$1")
server.max-request-field-size = 8192
EOF
	lighttpd -D -f "$T/lighttpd.conf" 2>"$T/lighttpd.stderr" &
	_lpid=$!
	at_exit "kill $_lpid 2>/dev/null || true; wait $_lpid 2>/dev/null || true"
	wait_port "$_p"
}

# start_static PORT DIR: lighttpd serving the files of DIR (another site, a
# remote, a CDN); sets _spid
start_static() {
	cat > "$T/static.$1.conf" <<CONF
server.document-root = "$2"
server.bind = "127.0.0.1"
server.port = $1
server.errorlog = "$T/static.$1.err"
mimetype.assign = (".html" => "text/html", ".json" => "application/json", ".mp4" => "video/mp4")
CONF
	lighttpd -D -f "$T/static.$1.conf" &
	_spid=$!
	at_exit "kill $_spid 2>/dev/null || true; wait $_spid 2>/dev/null || true"
	wait_port "$1"
}

# code ARGS...: curl's status code; the body in $T/body, headers in $T/hdr
code() {
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" || true
}
hdr() {  # hdr NAME: a header of the last answer
	grep -i "^$1:" "$T/hdr" | tail -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

# raw HOST PORT: sends stdin to the server, one write; prints the answer
raw() {
	perl -MIO::Socket::INET -e '
	  my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1]) or die "connect: $!";
	  local $/; my $in = <STDIN>; print $s $in; shutdown($s, 1) if $ARGV[2];
	  local $SIG{ALRM} = sub { print "<timeout>\n"; exit 0 }; alarm 10; print while <$s>; print "<EOF>\n";' "$@"
}

# slow PORT BYTES_PER_SECOND...: a client sending one byte a second; prints
# the answer and how many bytes it got to send
slow() {
	perl -MIO::Socket::INET -e '
	  $| = 1; my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die;
	  $SIG{PIPE} = "IGNORE"; my $msg = "GET /api/tags HTTP/1.1\r\nHost: localhost\r\n\r\n"; my $n = 0;
	  for my $c (split //, $msg) { last unless defined(send($s, $c, 0)); $n++;
	    my $r = ""; vec($r, fileno($s), 1) = 1; if (select($r, undef, undef, 1)) { last } }
	  local $SIG{ALRM} = sub { exit 0 }; alarm 10; my $a = join "", <$s>; print "$a\nsent=$n\n";' "$1"
}

# serve_suite BASE KIND: the shared suite against a backyard server at BASE
# (KIND: stdio, tcpserver, inetd, cgi). Server options: -b 65536 -t 1.
serve_suite() {
	B=$1; K=$2
	is "$(code "$B/")" 200 "$K: GET / is the web page"
	like "$(hdr Content-Type)" "text/html" "$K: html type"
	is "$(code "$B/sub/s.css")" 200 "$K: a css file"
	like "$(hdr Content-Type)" "text/css" "$K: css type"
	code "$B/app.js" >/dev/null; like "$(hdr Content-Type)" "text/javascript" "$K: js type"
	code "$B/i.svg" >/dev/null; like "$(hdr Content-Type)" "image/svg+xml" "$K: svg type"
	is "$(code "$B/sub")" 301 "$K: a directory without a slash redirects"
	is "$(hdr Location)" "/sub/" "$K: to the directory"
	mkdir -p "$T/web/a b
x"
	code "$B/a%20b%0Ax" >/dev/null
	ok "$K: a redirect never carries a raw line break" sh -c "! grep -q '^x/' '$T/hdr'"
	if [ "$K" != cgi ]; then   # lighttpd refuses the path itself
		is "$(hdr Location)" "/a%20b%0Ax/" "$K: it is percent-encoded"
	fi

	# keep-alive: three requests on one connection
	curl -sv -o /dev/null -o /dev/null -o /dev/null "$B/api/tags" "$B/media/a/v.mp4" "$B/" 2>"$T/kv" || true
	is "$(grep -c 'Re-using existing connection' "$T/kv")" 2 "$K: three requests on one connection"

	# HEAD
	is "$(code -I "$B/media/a/v.mp4")" 200 "$K: HEAD a video"
	is "$(hdr Content-Length)" 100000 "$K: HEAD gives the length"
	ok "$K: HEAD has no body" cmp "$T/body" "$T/hdr"
	is "$(hdr Accept-Ranges)" bytes "$K: Accept-Ranges"

	# Range
	is "$(code -r 0-9 "$B/media/a/v.mp4")" 206 "$K: first bytes: 206"
	is "$(hdr Content-Range)" "bytes 0-9/100000" "$K: first bytes: Content-Range"
	head -c 10 "$T/by/a/v.mp4" > "$T/want"; ok "$K: first 10 bytes match" cmp "$T/body" "$T/want"
	is "$(code -r 1000-1999 "$B/media/a/v.mp4")" 206 "$K: middle range"
	dd if="$T/by/a/v.mp4" bs=1000 skip=1 count=1 2>/dev/null > "$T/want"
	ok "$K: middle bytes match" cmp "$T/body" "$T/want"
	is "$(code -r -100 "$B/media/a/v.mp4")" 206 "$K: suffix range"
	tail -c 100 "$T/by/a/v.mp4" > "$T/want"; ok "$K: suffix bytes match" cmp "$T/body" "$T/want"
	is "$(hdr Content-Range)" "bytes 99900-99999/100000" "$K: suffix Content-Range"
	is "$(code -r 200000-300000 "$B/media/a/v.mp4")" 416 "$K: past the end: 416"
	is "$(hdr Content-Range)" "bytes */100000" "$K: 416 names the size"

	# ETag, 304, If-Range
	code "$B/media/a/v.mp4" >/dev/null; et=$(hdr ETag)
	like "$et" '^"' "$K: strong ETag"
	is "$(code -H "If-None-Match: $et" "$B/media/a/v.mp4")" 304 "$K: 304 on a matching ETag"
	is "$(code -H "If-Modified-Since: $(hdr Last-Modified)" "$B/media/a/v.mp4")" 304 "$K: 304 on If-Modified-Since"
	is "$(code -r 0-9 -H "If-Range: $et" "$B/media/a/v.mp4")" 206 "$K: If-Range with the ETag: 206"
	is "$(code -r 0-9 -H 'If-Range: "stale"' "$B/media/a/v.mp4")" 200 "$K: If-Range stale: whole file"
	code "$B/api/tags" >/dev/null; tet=$(hdr ETag)
	is "$(code -H "If-None-Match: $tet" "$B/api/tags")" 304 "$K: 304 on an API answer"

	# the API
	is "$(code "$B/api/tags")" 200 "$K: GET /api/tags"
	like "$(cat "$T/body")" '"name":"kind"' "$K: tags listed"
	is "$(code "$B/api/videos")" 200 "$K: GET /api/videos"
	like "$(cat "$T/body")" '"path":"a/v.mp4"' "$K: the video is listed"
	like "$(cat "$T/body")" '"state":"clips"' "$K: with its sidecar state"
	is "$(code "$B/api/videos/a/v.mp4/meta")" 200 "$K: GET meta"
	like "$(cat "$T/body")" '"kind":{"value":"travel","source":"folder:a"}' "$K: inherited tags name their source"
	met=$(hdr ETag)
	cp "$T/by/a/v.mp4.medusa.json" "$T/before"
	is "$(code -X PUT -H 'If-Match: "00000000000000000000000000000000"' \
	  --data-binary '{"clips":[]}' "$B/api/videos/a/v.mp4/meta")" 412 "$K: stale If-Match: 412"
	ok "$K: 412 changed nothing" cmp "$T/before" "$T/by/a/v.mp4.medusa.json"
	is "$(code -X PUT --data-binary '{"clips":[]}' "$B/api/videos/a/v.mp4/meta")" 428 "$K: PUT without If-Match: 428"
	is "$(code -X PUT -H "If-Match: $met" --data-binary '{"clips":[{"start":5,"end":3}]}' \
	  "$B/api/videos/a/v.mp4/meta")" 422 "$K: invalid sidecar: 422"
	like "$(cat "$T/body")" '"path":"clips\[0\]' "$K: 422 names the JSON path"
	ok "$K: 422 changed nothing" cmp "$T/before" "$T/by/a/v.mp4.medusa.json"
	is "$(code -X PUT -H "If-Match: $met" -H 'Content-Type: application/json' \
	  --data-binary '{"tags":{"place":"Nara"},"clips":[{"id":"k3v9q2","start":1,"end":2},{"start":3,"end":4}]}' \
	  "$B/api/videos/a/v.mp4/meta")" 200 "$K: PUT with the current etag"
	like "$(cat "$T/by/a/v.mp4.medusa.json")" Nara "$K: the sidecar was written"
	is "$(jq '.meta.clips | map(select(.id)) | length' "$T/body")" 2 "$K: the new clip got an id"
	is "$(hdr ETag)" "" "$K: PUT answers no ETag header (what it stored is not what was sent)"
	pet=$(jq -r .etag "$T/body")
	code "$B/api/videos/a/v.mp4/meta" >/dev/null
	is "\"$pet\"" "$(hdr ETag)" "$K: the etag in the PUT answer is the next GET's"
	is "$(code -X PUT -H "If-Match: $met" --data-binary '{"clips":[]}' "$B/api/videos/a/v.mp4/meta")" 412 \
	  "$K: the old etag is stale now"
	code "$B/api/videos/a/v.mp4/meta" >/dev/null; cet=$(hdr ETag)
	printf '{"tags":{"place":"Uji"},"clips":[]}' > "$T/chunked"
	is "$(code -X PUT -H "If-Match: $cet" -H 'Transfer-Encoding: chunked' --data-binary @"$T/chunked" \
	  "$B/api/videos/a/v.mp4/meta")" 200 "$K: a chunked PUT body"
	like "$(cat "$T/by/a/v.mp4.medusa.json")" Uji "$K: the chunked body was written"
	is "$(code "$B/api/folders/a/meta")" 200 "$K: GET a folder file"
	like "$(cat "$T/body")" '"meta":{"tags":{"kind":"travel"}}' "$K: the folder doc"
	is "$(code "$B/api/folders/meta")" 200 "$K: the root folder"
	fet=$(hdr ETag)
	is "$(code -X PUT -H "If-Match: $fet" --data-binary '{"tags":{"rating":5}}' "$B/api/folders/meta")" 200 \
	  "$K: PUT the root folder file"
	ok "$K: root folder file written" grep -q '"rating"' "$T/by/folder.medusa.json"
	is "$(code -X PUT -H "If-Match: $fet" --data-binary '{"tags":{"rating":4}}' "$B/api/folders/a/meta")" 412 \
	  "$K: another folder's etag is stale"
	is "$(code "$B/api/videos/nope.mp4/meta")" 404 "$K: unknown video: 404"
	is "$(code -X POST --data-binary x "$B/media/a/v.mp4")" 405 "$K: POST a video: 405"
	is "$(hdr Allow)" "GET, HEAD" "$K: 405 says what is allowed"
	like "$(cat "$T/body")" '"error"' "$K: errors are JSON"
	is "$(code "$B/api/nope")" 404 "$K: unknown endpoint: 404"

	# hostile: never a byte from outside the backyard
	s=$(code --path-as-is "$B/media/../secret.mp4")
	ok "$K: .. refused ($s)" test "$s" != 200
	ok "$K: .. leaks nothing" sh -c "! grep -q TOPSECRET '$T/body'"
	s=$(code --path-as-is "$B/media/a/%2e%2e/%2e%2e/secret.mp4")
	ok "$K: %2e%2e refused ($s)" test "$s" != 200
	ok "$K: %2e%2e leaks nothing" sh -c "! grep -q TOPSECRET '$T/body'"
	s=$(code "$B/media/a/link.mp4")
	ok "$K: symlink out refused ($s)" test "$s" = 403 -o "$s" = 404
	ok "$K: symlink leaks nothing" sh -c "! grep -q TOPSECRET '$T/body'"
	s=$(code "$B/media/etc/passwd")
	ok "$K: symlinked directory out refused ($s)" test "$s" = 403 -o "$s" = 404
	s=$(code "$B/media/a/v.mp4%00.txt")
	ok "$K: NUL refused ($s)" test "$s" = 400 -o "$s" = 404
	s=$(code -X PUT -H "If-Match: $met" --data-binary '{}' --path-as-is "$B/api/videos/../secret.mp4/meta")
	ok "$K: PUT outside refused ($s)" test "$s" != 200
	ok "$K: nothing written outside" test ! -e "$T/secret.mp4.medusa.json"
	# a sidecar that is a symlink out: neither read nor replaced
	head -c 100 /dev/urandom > "$T/by/a/w.mp4"
	echo '{"clips":[]}' > "$T/outside.json"
	ln -s ../../outside.json "$T/by/a/w.mp4.medusa.json"
	is "$(code "$B/api/videos/a/w.mp4/meta")" 403 "$K: a sidecar symlinked out: 403"
	is "$(code -X PUT -H "If-Match: $met" --data-binary '{"clips":[]}' "$B/api/videos/a/w.mp4/meta")" 403 \
	  "$K: and no PUT through it"
	ok "$K: the outside file is untouched" test "$(cat "$T/outside.json")" = '{"clips":[]}'
	rm "$T/by/a/w.mp4.medusa.json" "$T/by/a/w.mp4"
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	s=$(code -H "X-Big: $big" "$B/api/tags")
	ok "$K: 100 KB header refused ($s)" test "$s" = 431 -o "$s" = 413 -o "$s" = 400
	head -c 70000 /dev/zero | tr '\0' ' ' > "$T/bigbody"
	cp "$T/by/a/v.mp4.medusa.json" "$T/before"
	s=$(code -X PUT -H "If-Match: $met" --data-binary @"$T/bigbody" "$B/api/videos/a/v.mp4/meta")
	is "$s" 413 "$K: body over the cap: 413"
	ok "$K: 413 changed nothing" cmp "$T/before" "$T/by/a/v.mp4.medusa.json"
}

# serve_hostile_raw PORT KIND: raw-socket attacks on a server started with -t 1
serve_hostile_raw() {
	P=$1; K=$2
	out=$(slow "$P")
	like "$out" "HTTP/1.1 408" "$K: one byte a second: 408"
	sent=$(printf '%s\n' "$out" | sed -n 's/^sent=//p')
	ok "$K: the slow client was cut off ($sent bytes)" test "${sent:-99}" -lt 10
	out=$(head -c 20000 /dev/zero | tr '\0' a | sed 's/^/GET \//' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 414" "$K: a request line that never ends: 414"
	out=$(printf 'GET /api/tags HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 400" "$K: Content-Length with chunked: 400"
	out=$(printf 'GET /api/t\000ags HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 400" "$K: a raw NUL: 400"
	out=$(printf 'GET /api/tags HTTP/1.1\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 400" "$K: HTTP/1.1 without Host: 400"
	out=$(printf 'GET /api/tags HTTP/2.0\r\nHost: localhost\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 505" "$K: HTTP/2.0 on this port: 505"
	out=$(printf 'GET /media/a/%%zz HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 400" "$K: bad percent-encoding: 400"
	out=$(printf 'GET /media/a/v.mp4%%00 HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 400" "$K: encoded NUL: 400"
	out=$(printf 'GET /media/%%2e%%2e/secret.mp4 HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 403" "$K: encoded ..: 403"
	# two pipelined requests, then a chunked PUT body
	out=$(printf 'GET /api/tags HTTP/1.1\r\nHost: localhost\r\n\r\nGET /api/tags HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' | raw 127.0.0.1 "$P")
	is "$(printf '%s\n' "$out" | grep -c '^HTTP/1.1 200')" 2 "$K: pipelined requests"
	# a kept-alive connection that stays idle is closed by the server (-i)
	out=$(printf 'GET /api/tags HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw 127.0.0.1 "$P")
	like "$out" "HTTP/1.1 200" "$K: keep-alive: answered"
	like "$out" "<EOF>" "$K: an idle connection is closed"
}

# no_sanitizer_reports FILE...: the servers' stderr holds no ASan/UBSan report
no_sanitizer_reports() {
	for _f in "$@"; do
		[ -f "$_f" ] || continue
		if grep -q -e 'Sanitizer' -e 'runtime error' "$_f"; then
			grep -m5 -e 'Sanitizer' -e 'runtime error' "$_f"
			return 1
		fi
	done
}
