#!/bin/sh
# Accurate copies play in headless chromium through their splices (the
# re-encoded head into the copied GOPs, those into the re-encoded tail):
# no error, every frame decoded, time never steps back, frames shown on
# both sides of each splice. MP4 from MP4 with B-frames, from MPEG-TS, and
# HEVC (its parameter sets in-band) when this chromium plays HEVC at all.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/web/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"
web_require

by=$T/by
mkbackyard "$by"
jq '.profiles = {"acc": {"kind": "copy", "accurate": true}}' "$by/backyard.medusa.json" > "$T/cfg" &&
  mv "$T/cfg" "$by/backyard.medusa.json"
cd "$by"
x264() { $FF -f lavfi -i "testsrc2=size=320x240:rate=25:duration=5" -f lavfi -i sine=duration=5 \
  -c:v libx264 -preset veryfast -g 25 -c:a aac "$@"; }
x264 -bf 3 bf.mp4
x264 -bf 2 -output_ts_offset 1000 off.ts
$FF -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3" -f lavfi -i sine=duration=3 \
  -c:v libx265 -x265-params log-level=error:keyint=25 -c:a aac hevc.mp4
clips=
for c in "bf.mp4 1.3 4.3 avc1.64000d" "off.ts 0.5 3.7 avc1.64000d" "hevc.mp4 0.5 2.6 hev1.1.6.L63.90"; do
	set -- $c
	cutone acc $1 $2 $3
	[ "$st" = 0 ] || { echo "1..1"; echo "not ok 1 - the accurate copy of $1"; sed 's/^/#   /' "$T/err"; exit 1; }
	name=play-${1%.*}.mp4
	cp "$f" "$name"
	# the splices: the ends of the re-encoded ranges inside the clip
	sp=$(printf '%s\n' "$rec" | jq -c --argjson s "$2" --argjson e "$3" \
	  '[.renditions[0].reencoded[] | .[] | select(. > $s and . < $e) | . - $s]')
	clips="$clips${clips:+,}{\"url\":\"media/$name\",\"type\":\"video/mp4; codecs=\\\"$4\\\"\",\"frames\":$($AV count "$name"),\"duration\":$(vprobe "$name" duration),\"splices\":$sp}"
done
web_serve backyard -C "$by"
CLIPS="[$clips]" node "$MEDUSA_SRC/tests/t/0212-splice-play.mjs"
