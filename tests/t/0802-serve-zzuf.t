#!/bin/sh
# zzuf against medusa-serve backyard on a pipe: a few keep-alive request
# streams (Range, chunked PUT, conditional GET, the API), each mutated at
# 1% of its bits under many seeds. Every run ends by itself, without a
# crash or a sanitizer report, answers with a status line or not at all,
# never shows a byte from outside the backyard and changes no file.
# (zzuf makes the inputs as a filter; its LD_PRELOAD mode does not get on
# with ASan.)
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0800-hostile.sh"
if ! command -v zzuf >/dev/null 2>&1; then
	echo "1..0 # SKIP zzuf is not installed (apt-get install zzuf)"
	exit 0
fi
hostile_fixture
S="backyard -C $T/by -w $T/web -t 2 -i 2 -b 65536"
H='Host: localhost\r\n'
printf "GET /media/a/v.mp4 HTTP/1.1\r\n${H}Range: bytes=10-20\r\n\r\nPUT /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}If-Match: \"abc\"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\nGET /media/a/link.mp4 HTTP/1.1\r\n${H}\r\n" > "$T/seed.1"
printf "GET /api/videos HTTP/1.1\r\n${H}\r\nGET /api/videos/a/v.mp4/meta HTTP/1.1\r\n${H}\r\nGET /api/folders/meta HTTP/1.1\r\n${H}Connection: keep-alive\r\n\r\nPOST /api/tags?x=%%41 HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}GET /%%2e%%2e/secret.mp4 HTTP/1.1\r\n${H}\r\n" > "$T/seed.2"
printf "HEAD /media/a/v.mp4 HTTP/1.1\r\n${H}If-None-Match: W/\"x\", \"y\"\r\nIf-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n\r\nGET /media/a/v.mp4 HTTP/1.0\r\nRange: bytes=-100\r\nIf-Range: Sat, 01 Jan 2000 00:00:00 GMT\r\nConnection: keep-alive\r\n\r\nGET /index.html HTTP/1.1\r\n${H}\r\n" > "$T/seed.3"

runs=${ZZUF_RUNS:-50}
[ "${MEDUSA_SAN:-}" = 1 ] && runs=${ZZUF_RUNS:-25}
snapshot "$T/by" > "$T/before"
bad=0 odd=0 total=0
for f in 1 2 3; do
	s=0
	while [ $s -lt "$runs" ]; do
		zzuf -s "$s" -r 0.01 < "$T/seed.$f" > "$T/req.z"
		st=$(ask z $S)
		total=$((total + 1))
		case $st in
		hang|san|crash-*)
			bad=$((bad + 1))
			cp "$T/req.z" "$T/bad.$f.$s"
			echo "# seed file $f, zzuf -s $s -r 0.01: $st" ;;
		none|[2-5][0-9][0-9]) ;;
		*)
			odd=$((odd + 1))
			echo "# seed file $f, zzuf -s $s -r 0.01: first line is not a status line" ;;
		esac
		grep -q TOPSECRET "$T/ans.z" && { bad=$((bad + 1)); echo "# seed file $f, -s $s: the secret leaked"; }
		s=$((s + 1))
	done
done
is "$bad" 0 "$total mutated request streams: no hang, crash or sanitizer report, no secret"
is "$odd" 0 "each answer starts with a status line"
snapshot "$T/by" > "$T/after"
ok "the backyard is unchanged" cmp "$T/before" "$T/after"
done_testing
