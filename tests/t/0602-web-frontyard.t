#!/bin/sh
# The frontyard gallery in headless chromium against medusa-serve frontyard
# over a reconciled demo backyard: grid, facets, search, sort, the URL as the
# view, paging, a clip that plays (skipping a rendition it cannot play),
# arrow keys, accessibility (axe-core), no console errors, no backyard
# paths, screenshots.
. "$MEDUSA_SRC/tests/lib.sh"
. "$MEDUSA_SRC/tests/web/lib.sh"
web_require
for t in medusa-reconcile medusa-scan medusa-meta medusa-cut medusa-publish; do
	[ -x "$MEDUSA_BIN/$t" ] || web_skip "$t is not built"
done

by=$T/backyard
mkbackyard "$by"
# two video profiles, so that the gallery has a choice of <source>
cat > "$by/backyard.medusa.json" <<'JSON'
{
  "tags": {
    "place":  {"type": "string"},
    "people": {"type": "list"},
    "rating": {"type": "integer", "default": 3},
    "kind":   {"type": "enum", "values": ["family", "travel", "nature", "other"], "default": "other", "required": true},
    "public": {"type": "boolean", "default": false}
  },
  "profiles": {
    "hq":     {"kind": "video", "container": "mp4", "codec": "h264", "height": 240, "crf": 30, "preset": "ultrafast"},
    "small":  {"kind": "video", "container": "mp4", "codec": "h264", "height": 120, "crf": 30, "preset": "ultrafast", "audio": "aac", "audio_bitrate": 64000},
    "poster": {"kind": "image", "format": "jpeg", "width": 160, "at": 0.5}
  }
}
JSON
mkdir -p "$by/trips" "$by/home"
mkvideo "$by/trips/kyoto.mp4" 3
mkvideo "$by/trips/lisbon.mp4" 2
mkvideo "$by/home/cat.mp4" 2
printf '{"tags": {"kind": "travel"}}\n' > "$by/trips/folder.medusa.json"
printf '{"tags": {"kind": "family", "place": "Home"}}\n' > "$by/home/folder.medusa.json"
cat > "$by/trips/kyoto.mp4.medusa.json" <<'JSON'
{"tags": {"place": "Kyoto"},
 "clips": [{"start": 0, "end": 1, "tags": {"rating": 5, "people": ["Alice"]}},
           {"start": 1, "end": 2},
           {"start": 2, "end": 3, "tags": {"place": "Nara"}}]}
JSON
printf '{"tags": {"place": "Lisbon"}, "clips": [{"start": 0, "end": 1}, {"start": 1, "end": 2, "tags": {"public": true}}]}\n' \
    > "$by/trips/lisbon.mp4.medusa.json"
printf '{"clips": [{"start": 0, "end": 1.5, "tags": {"people": ["Bob"]}}]}\n' > "$by/home/cat.mp4.medusa.json"

if ! medusa-reconcile -q -C "$by" >"$T/reconcile.out" 2>"$T/reconcile.err"; then
	echo "1..1"
	echo "not ok 1 - medusa-reconcile of the demo backyard"
	grep -v '^x265' "$T/reconcile.err" | sed 's/^/#   /' | head -20
	exit 1
fi
web_serve frontyard -C "$by"
# A rendition no browser can play: the files of the first video profile in
# the API's order become bytes that are not a video, so the browser must
# fall through to the next <source>.
BAD=$(curl -sf "$BASE/api/clips?limit=1" | jq -r '[.clips[0].renditions[] | select(.kind == "video")][0].profile')
[ -n "$BAD" ] && [ "$BAD" != null ] || { echo "1..1"; echo "not ok 1 - the API lists a video rendition"; exit 1; }
find "$T/frontyard" -path '*/clips/*' -name "$BAD.*" | while read -r f; do
	printf 'this is not a video\n' > "$f"
done
export BAD
SECRETS="$T:trips/:home/:kyoto.mp4:lisbon.mp4:cat.mp4" node "$MEDUSA_SRC/tests/web/frontyard.mjs"
st=$?
[ $st -ne 0 ] || web_docshots frontyard/gallery frontyard/clip frontyard/phone
exit $st
