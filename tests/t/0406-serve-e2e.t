#!/bin/sh
# End to end: reconcile a small backyard, serve its frontyard under
# tcpserver, re-cache with medusa-recache, fetch /api/clips and one
# rendition, and check the rendition with ffprobe.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
for tool in medusa-cut medusa-reconcile medusa-publish; do
	if [ ! -x "$MEDUSA_BIN/$tool" ]; then
		echo "1..0 # SKIP $tool is not built"
		exit 0
	fi
done
mkbackyard "$T/by"
mkdir -p "$T/by/trip"
mkvideo "$T/by/trip/day one.mp4" 2
cat > "$T/by/trip/day one.mp4.medusa.json" <<'JSON'
{"tags": {"place": "Kyoto"}, "clips": [{"id": "e2eclip1", "start": 0.2, "end": 1.4, "tags": {"rating": 5}}]}
JSON
ok "a key pair" medusa-recache -g "$T/frontyard"

P=$(free_port)
B=http://127.0.0.1:$P
# a long refresh: only the re-cache can show the new clip
start_tcpserver "$P" frontyard -C "$T/by" -r 3600 -t 2
is "$(code "$B/api/clips")" 503 "before any publish there is nothing to serve"
fails "a re-cache then gets 503, retried, then it gives up" 1 medusa-recache -C "$T/by" -r 1 "$B"
like "$(lasterr)" "medusa-recache: $B/api/recache: 503 " "naming the server and the status"
ok "reconcile, then re-cache" medusa-reconcile -q -C "$T/by" -r "$B"
is "$(code "$B/api/clips")" 200 "GET /api/clips"
is "$(jq -r '.clips[0].id' "$T/body")" e2eclip1 "the clip is served"
is "$(jq -r '.clips[0].tags.place' "$T/body")" Kyoto "with its tags"
nopaths() { ! grep -q -e 'day one' -e "$T/by" "$T/body"; }
ok "no backyard paths" nopaths
cp "$T/body" "$T/clips.json"
url=$(jq -r '.clips[0].renditions[] | select(.profile == "360p") | .url' "$T/clips.json")
h=$(jq -r '.clips[0].renditions[] | select(.profile == "360p") | .height' "$T/clips.json")
like "$url" "^/files/clips/e2eclip1/" "the rendition's url is under /files/"
is "$(code "$B$url")" 200 "GET the rendition"
is "$(hdr Content-Type)" video/mp4 "as video/mp4"
cp "$T/body" "$T/clip.mp4"
d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/clip.mp4")
ok "ffprobe reads it: ${d}s" awk -v d="$d" 'BEGIN { exit !(d > 1.0 && d < 1.5) }'
is "$(ffprobe -v error -select_streams v:0 -show_entries stream=height -of csv=p=0 "$T/clip.mp4")" "$h" "as high as the API says"
is "$(code -r 0-99 "$B$url")" 206 "a Range of the rendition"
is "$(code "$B/api/clips/e2eclip1")" 200 "GET the clip by id"
poster=$(jq -r '.renditions[] | select(.profile == "poster") | .url' "$T/body")
is "$(code "$B$poster")" 200 "GET the poster"
is "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$T/body")" mjpeg "a JPEG"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
