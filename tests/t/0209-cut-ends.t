#!/bin/sh
# The ends of a clip. A stream copy of a source with B-frames ends in
# presentation order (no frame after the end, none left out before it) and
# starts on its keyframe, not on the open GOP's leading pictures; a clip
# that lies partly past where the data of a truncated file ends is an error
# record for every kind of profile, never a shorter file; a clip to the
# very end is whole.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "v":      {"kind": "video", "crf": 16, "preset": "ultrafast", "audio_bitrate": 64000},
  "poster": {"kind": "image"},
  "peek":   {"kind": "preview", "seconds": 1, "container": "mp4", "preset": "ultrafast"},
  "copy":   {"kind": "copy"},
  "mkv":    {"kind": "copy", "container": "mkv"}
}}
JSON
cd "$T/by"
SRC="testsrc2=size=160x120:rate=25:duration=4"
$FF -f lavfi -i "$SRC" -f lavfi -i sine=duration=4 -c:v libx264 -preset veryfast -bf 3 -g 25 \
  -c:a aac bframes.mp4
$FF -f lavfi -i "$SRC" -f lavfi -i sine=duration=4 -c:v libx264 -preset veryfast -bf 3 -g 25 \
  -x264-params open-gop=1 -c:a aac opengop.mkv

for c in "bframes.mp4 1.1 2.3 copy" "bframes.mp4 0.5 1.97 mkv" "opengop.mkv 1.3 2.5 copy" \
    "opengop.mkv 2.2 3.1 mkv"; do
	set -- $c
	cutone $4 $1 $2 $3
	is "$st" 0 "$1 $2-$3 ($4): made"
	copied $4 $1 $3 "$1 $2-$3 ($4)"
	$AV first "$f" "$T/got.pgm"
	$AV frame $1 "$(rend "$rec" $4 start)" "$T/ref.pgm"
	ok "$1 $2-$3 ($4): its first frame is the keyframe it says it starts on" \
	  awk -v p="$($AV psnr "$T/got.pgm" "$T/ref.pgm")" 'BEGIN { exit !(p > 35) }'
	recdur "$1 $2-$3 ($4)"
done

# to the very end (the file's duration, audio included)
e=$($AV dur bframes.mp4)
for p in v copy; do
	cutone $p bframes.mp4 3.1 "$e"
	is "$st" 0 "to the very end ($p): made"
	recdur "to the very end ($p)"
	[ $p = v ] && exact bframes.mp4 3.1 "$e" "$f" "to the very end"
done

# truncated files: half of an MP4 with its index in front, of a Matroska
# and of an MPEG-TS (whose duration then is where the data ends)
$FF -i bframes.mp4 -c copy -movflags +faststart fast.mp4
$FF -i bframes.mp4 -c copy whole.mkv
$FF -i bframes.mp4 -c copy whole.ts
for v in fast.mp4 whole.mkv whole.ts; do
	head -c $(($(wc -c < $v) / 2)) $v > half-$v
done
for v in half-fast.mp4 half-whole.mkv half-whole.ts; do
	for p in v poster peek copy; do
		cutone $p $v 1 3.5
		is "$st" 1 "$v 1-3.5 ($p): exit 1"
		like "$(printf '%s\n' "$rec" | jq -r '.error')" "truncated?\|past the end of the video" "$v ($p): an error record says why"
		is "$(find "$T/frontyard" -path "*$_id*" -type f -name "$p.*" | wc -l | tr -d ' ')" 0 "$v ($p): no file"
	done
	cutone v $v 0.2 1.2
	is "$st" 0 "$v 0.2-1.2: a clip before the data ends is made"
done
done_testing
