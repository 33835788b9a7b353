#!/bin/sh
# The editor's timeline in headless chromium against medusa-serve backyard:
# a video with known scene cuts (2.4 s, 3.2 s) and a tone from 1 s to 2 s.
# The filmstrip and the waveform line up with the video's time, the scene
# changes come within a frame, clips overlap in lanes, a scene splits a
# clip, an edge drag snaps to a scene, undo brings a deleted clip back with
# its tags, plain messages as the user types, the server's save warning, the publish
# status line after a real reconcile, strict CSP, a phone, screenshots.
. "$MEDUSA_SRC/tests/lib.sh"
. "$MEDUSA_SRC/tests/web/lib.sh"
web_require
[ -x "$MEDUSA_BIN/medusa-reconcile" ] || web_skip "medusa-reconcile is not built"

by=$T/backyard
mkbackyard "$by"
# posters only: the reconcile is quick; kind is required and has no
# default, so a clip saved without one gets the server's own warning
jq '.profiles = {"poster": .profiles.poster} | del(.tags.kind.default)' "$by/backyard.medusa.json" > "$T/cfg" && mv "$T/cfg" "$by/backyard.medusa.json"
ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=320x240:rate=25:duration=2.4" \
    -f lavfi -i "smptebars=size=320x240:rate=25:duration=0.8" \
    -f lavfi -i "mandelbrot=size=320x240:rate=25,trim=duration=0.8" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=1,adelay=1000,apad=whole_dur=4" \
    -filter_complex "[0][1][2]concat=n=3:v=1:a=0,format=yuv420p[v]" -map "[v]" -map 3:a \
    -c:v libx264 -preset ultrafast -g 25 -c:a aac -b:a 64k -t 4 "$by/cuts.mp4"
cat > "$by/cuts.mp4.medusa.json" <<'JSON'
{"clips": [{"id": "kyoto1", "start": 0.2, "end": 1.6, "tags": {"place": "Kyoto", "rating": 4, "people": ["Alice", "Bob"], "kind": "travel"}},
           {"id": "middle2", "start": 1.0, "end": 2.0, "tags": {"kind": "other"}},
           {"id": "scenes3", "start": 2.0, "end": 3.8, "tags": {"kind": "nature"}}]}
JSON
medusa-reconcile -q -C "$by" >"$T/reconcile.out" 2>"$T/reconcile.err" || {
	echo "1..1"; echo "not ok 1 - medusa-reconcile of the fixture"; sed 's/^/#   /' "$T/reconcile.err"; exit 1; }
web_serve backyard -C "$by"
BACKYARD=$by node "$MEDUSA_SRC/tests/web/timeline.mjs"
st=$?
[ $st -ne 0 ] || web_docshots backyard/timeline backyard/phone
exit $st
