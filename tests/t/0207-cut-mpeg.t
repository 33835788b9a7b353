#!/bin/sh
# medusa-cut on MPEG-TS and MPEG-PS from the first GOP on: a clip from the
# start, one wholly inside the first GOP, one across the second keyframe and
# one to the very end are each exact (every frame of the range, the first
# the one ffmpeg's output seeking starts on); so are clips before, across
# and after a 33-bit wrap of the clock, far from zero. No warnings on clean
# files (MP2 audio read after a seek starts mid-frame), durations as ffprobe
# reads them.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "v":    {"kind": "video", "crf": 16, "preset": "ultrafast", "audio_bitrate": 64000},
  "copy": {"kind": "copy", "container": "mkv"}
}}
JSON
cd "$T/by"
SRC="testsrc2=size=160x120:rate=25:duration=6"
AUD="sine=frequency=440:sample_rate=48000:duration=6"

# H.264 with B-frames and 3 s GOPs (keyframes at 0 and 3 s); the audio
# starts before the video, as the mpegts muxer writes it
$FF -f lavfi -i "$SRC" -f lavfi -i "$AUD" -c:v libx264 -preset veryfast -bf 3 -g 75 \
  -c:a aac -b:a 64k h264.ts
# MPEG-2 with B-frames and MP2 audio in a program stream, 1.2 s GOPs
$FF -f lavfi -i "$SRC" -f lavfi -i "$AUD" -c:v mpeg2video -bf 2 -g 30 -b:v 600k -c:a mp2 ps.mpg
# a clock that wraps 2.5 s in (2^33 / 90 kHz = 95443.72 s)
$FF -f lavfi -i "$SRC" -f lavfi -i "$AUD" -c:v libx264 -preset veryfast -bf 3 -g 50 \
  -c:a aac -b:a 64k -output_ts_offset 95441.2 wrap.ts

for c in "h264.ts 0 1 from the start" "h264.ts 0.5 1.5 inside the first GOP" \
    "h264.ts 1.5 4.5 across the second keyframe" "h264.ts 4.3 6 to the very end" \
    "ps.mpg 0 1 from the start" "ps.mpg 0.3 1.1 inside the first GOP" \
    "ps.mpg 1.0 2.8 across keyframes" "ps.mpg 5.1 6 to the very end" \
    "wrap.ts 0.2 1.8 before the wrap" "wrap.ts 1.8 3.3 across the wrap" \
    "wrap.ts 3.3 5 after the wrap"; do
	set -- $c
	v=$1 s=$2 e=$3
	shift 3
	cutone v $v $s $e
	is "$st" 0 "$v $s-$e ($*): made"
	is "$(cat "$T/err")" "" "$v $s-$e: no warnings"
	exact $v $s $e "$f" "$v $s-$e"
	recdur "$v $s-$e"
done

# the CLI agrees on the frame count where it is right
$FF -i h264.ts -ss 0.5 -t 1 -c:v libx264 -preset ultrafast -c:a aac cli.mp4
cutone v h264.ts 0.5 1.5
is "$($AV count "$f")" "$($AV count cli.mp4)" "h264.ts 0.5-1.5: as many frames as ffmpeg -ss 0.5 -t 1"

# copies from the first GOP on: they start on the keyframe at or before the
# start (0.021 s: the audio starts first)
cutone copy h264.ts 0.5 1.5
is "$st" 0 "copy inside the first GOP: made"
is "$(rend "$rec" copy start)" 0.021 "copy inside the first GOP: starts on the first keyframe"
copied copy h264.ts 1.5 "copy inside the first GOP"
recdur "copy inside the first GOP"
cutone copy h264.ts 3.5 4.5
is "$(rend "$rec" copy start)" 3.021 "copy after the second keyframe: starts on it"
copied copy h264.ts 4.5 "copy after the second keyframe"
cutone copy wrap.ts 2.2 3.5
is "$st" 0 "copy across the wrap: made"
is "$(rend "$rec" copy start)" 2.021 "copy across the wrap: starts on the keyframe before it"
copied copy wrap.ts 3.5 "copy across the wrap"
done_testing
