#!/bin/sh
# medusa-serve backyard's timeline endpoints with curl: the four answers
# from one decode, kept in the cache directory by the video's version; a
# changed video gets a new version; a file that is no video is a 422 that is
# not decoded again; bad paths and methods; parallel first requests; and
# ordinary requests never load FFmpeg. GET /api/publish.
. "$MEDUSA_SRC/tests/lib.sh"
command -v tcpserver >/dev/null 2>&1 || { echo "1..0 # SKIP tcpserver is not installed"; exit 0; }

by=$T/by
mkbackyard "$by"
mkvideo "$by/a.mp4" 2
printf 'not a video at all\n' > "$by/bad.mp4"
port=$(free_port)
tcpserver -R -H -c 20 127.0.0.1 "$port" medusa-serve backyard -C "$by" -c "$T/cache" 2>"$T/serve.err" &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true"
B=http://127.0.0.1:$port
until curl -sf -o /dev/null "$B/api/tags"; do sleep 0.1; done

# four first requests at once: one decode, four answers
pids=
for w in filmstrip.json filmstrip waveform scenes; do
	curl -s -o "$T/$w" -w '%{http_code} %{content_type}\n' "$B/api/videos/a.mp4/$w" > "$T/$w.st" &
	pids="$pids $!"
done
for j in $pids; do wait "$j" || true; done
is "$(cat "$T/filmstrip.json.st" "$T/filmstrip.st" "$T/waveform.st" "$T/scenes.st" | tr '\n' ' ')" \
   "200 application/json 200 image/jpeg 200 application/json 200 application/json " "the four answers, at once"
is "$(ls "$T/cache/timeline" | grep -cv '\.tmp$')" 1 "one cache entry for the video"
ok "the tiles' JSON names its version, size and times" jq -se '.[0] | (.version | length > 0) and .width > 0 and .height == 72 and (.times | length) == ((.duration / .interval) | ceil)' "$T/filmstrip.json"
w=$(jq -r '.width * .columns' "$T/filmstrip.json")
h=$(jq -r '.height * (((.times | length) + .columns - 1) / .columns | floor)' "$T/filmstrip.json")
is "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$T/filmstrip")" "$w,$h" "the sheet holds every tile (ffprobe)"
ok "the waveform has peaks for the whole video" jq -se '.[0] | .rate == 100 and (.peaks | length) >= 195 and (.peaks | max) > 20' "$T/waveform"
ok "a steady test picture has no scene change" jq -se '.[0].scenes == []' "$T/scenes"
v=$(jq -r .version "$T/filmstrip.json")
like "$(curl -sI "$B/api/videos/a.mp4/scenes?v=$v")" "immutable" "the versioned answer may be cached for good"
like "$(curl -sI "$B/api/videos/a.mp4/scenes?v=old")" "no-cache" "another version is revalidated"
etag=$(curl -sI "$B/api/videos/a.mp4/scenes" | tr -d '\r' | sed -n 's/^ETag: //p')
is "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$B/api/videos/a.mp4/scenes")" 304 "If-None-Match gets a 304"

# a changed video: a new version, made anew
mkvideo "$by/a.mp4" 1
v2=$(curl -sf "$B/api/videos/a.mp4/filmstrip.json" | jq -r .version)
ok "a changed video gets a new version" test -n "$v2" -a "$v2" != "$v"
is "$(curl -sf "$B/api/videos/a.mp4/filmstrip.json" | jq '.times | length')" 2 "made from the new file (a 1 s video: 2 tiles)"

# a file that is no video: 422, the message kept, not decoded again
is "$(curl -s -o "$T/bad.out" -w '%{http_code}' "$B/api/videos/bad.mp4/filmstrip")" 422 "a file that is no video is a 422"
like "$(cat "$T/bad.out")" "cannot be read" "with a message"
ok "the failure is kept in the cache" sh -c "ls '$T/cache/timeline'/*/error.txt"
is "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/videos/bad.mp4/scenes")" 422 "and given again without a decode"

# bad requests
is "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/videos/none.mp4/scenes")" 404 "an unknown video is a 404"
is "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/videos/backyard.medusa.json/scenes")" 404 "a file that is not a video is a 404"
is "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$B/api/videos/../x.mp4/scenes")" 403 "a path out of the backyard is refused"
is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$B/api/videos/a.mp4/scenes")" 405 "PUT is a 405"

# a cache directory that cannot be made: a 500 that says so
req='GET /api/videos/a.mp4/scenes HTTP/1.0\r\n\r\n'
printf "$req" | medusa-serve backyard -C "$by" -c /proc/nope/cache > "$T/nocache.out" 2>"$T/nocache.err" || true
like "$(head -1 "$T/nocache.out")" " 500 " "an unwritable cache directory is a 500"
like "$(cat "$T/nocache.err")" "medusa-serve: /proc/nope/cache/timeline" "and a message naming it"

# FFmpeg is loaded for the timeline only
printf 'GET /api/tags HTTP/1.0\r\n\r\n' | LD_DEBUG=libs medusa-serve backyard -C "$by" -c "$T/cache" 2>"$T/ld1" >/dev/null
printf 'GET /api/videos/a.mp4/scenes HTTP/1.0\r\n\r\n' | LD_DEBUG=libs medusa-serve backyard -C "$by" -c "$T/cache2" 2>"$T/ld2" >/dev/null
is "$(grep -c 'calling init: .*libavcodec' "$T/ld1")" 0 "an ordinary request does not load libavcodec"
ok "the timeline does" grep -q 'calling init: .*libavcodec' "$T/ld2"

# the publish status: no reconcile yet
printf '{"clips": [{"id": "x1", "start": 0, "end": 0.5}, {"id": "x2", "start": 0.5, "end": 1}]}\n' > "$by/a.mp4.medusa.json"
curl -sf "$B/api/publish" > "$T/pub"
ok "GET /api/publish before any reconcile" jq -se --arg c "medusa-reconcile -C $by" '.[0] | .reconcile == null and .saved == 2 and .pending == 2 and .command == $c' "$T/pub"
odd="$T/odd'dir"
mkdir -p "$odd" && cp -r "$by/." "$odd/"
want="medusa-reconcile -C '$(printf '%s' "$odd" | sed "s/'/'\\\\''/g")'"
got=$(printf 'GET /api/publish HTTP/1.0\r\n\r\n' | medusa-serve backyard -C "$odd" -c "$T/cache" | tail -1 | jq -r .command)
is "$got" "$want" "the command quotes a root that needs it"
done_testing
