#!/bin/sh
# medusa-cut keeps streams in their places: audio that starts late (MP4 edit
# list, MPEG-TS), video that starts late (Matroska, an MP4 edit list), a gap
# in the audio: the late stream starts late in the rendition (silence and a
# held first frame fill the rest), and audio and video stay in sync to
# within an audio frame, measured with a flash and a click every second.
# A source whose edit list starts mid-GOP is cut on its presentation
# timeline, re-encoded and copied.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "v":    {"kind": "video", "crf": 16, "preset": "ultrafast", "audio_bitrate": 64000},
  "webm": {"kind": "video", "container": "webm", "crf": 40, "speed": 8},
  "copy": {"kind": "copy"}
}}
JSON
cd "$T/by"
# a white frame and a 10 ms click at every whole second, 6 s
FLASH="color=c=black:s=64x48:r=25:d=6,geq=lum='if(eq(mod(N\,25)\,0)\,235\,16)':cb=128:cr=128"
CLICK="aevalsrc='if(lt(mod(t\,1)\,0.01)\,0.8*sin(2*PI*1000*t)\,0)':s=48000:d=6"
X264="-c:v libx264 -preset ultrafast -g 25"
$FF -f lavfi -i "$FLASH" -itsoffset 2 -f lavfi -i "$CLICK" $X264 -c:a aac late-audio.mp4
$FF -f lavfi -i "$FLASH" -itsoffset 2 -f lavfi -i "$CLICK" $X264 -c:a aac late-audio.ts
$FF -itsoffset 2 -f lavfi -i "$FLASH" -f lavfi -i "$CLICK" $X264 -c:a aac late-video.mkv
$FF -i late-video.mkv -c copy late-video.mp4
# a second of silence missing from the audio: its clicks from 3 s on are
# still at whole seconds
$FF -f lavfi -i "$FLASH" -f lavfi -i "$CLICK" -filter_complex \
  "[1:a]aselect='not(between(t\,2\,3))'[a]" -map 0:v -map '[a]' $X264 -c:a aac gap.ts

# (WebM: Opus's pre-skip must not move the video)
for c in "late-audio.mp4 0.5 4.5 1.5 v" "late-audio.ts 0.5 4.5 1.5 v" "late-video.mkv 0.5 4.5 0.5 webm" \
    "late-video.mp4 0.5 4.5 0.5 v" "gap.ts 1.5 5.5 0.5 v webm"; do
	set -- $c
	want=$($AV placed $1 $2 $3)
	profiles=$(echo $c | cut -d' ' -f5-)
	for p in $profiles; do
		cutone $p $1 $2 $3
		is "$st" 0 "$1 $2-$3 ($p): made"
		set -- $1 $2 $3 $4 $($AV sync "$f")
		ok "$1 $2-$3 ($p): in sync to an audio frame (click - flash: $5 s)" near "$5" 0 0.021
		case $1 in
		late-audio*) ok "$1 ($p): the audio starts late, at $4 s (first click $7)" near "$7" "$4" 0.03 ;;
		gap*) ok "$1 ($p): the clicks after the gap stay at whole seconds (first $7)" near "$7" "$4" 0.03 ;;
		esac
		# the first picture is shown from 0, every other where it was
		ok "$1 ($p): frames in their places (second, last: $8 ${9}; want $want)" \
		  awk -v a="$8" -v b="$9" -v w="$want" 'BEGIN { split(w, x, " ");
		    exit !(a - x[1] < 0.002 && x[1] - a < 0.002 && b - x[2] < 0.002 && x[2] - b < 0.002) }'
		_rd=$(rend "$rec" $p duration)
		ok "$1 ($p): the record's duration ($_rd) is ffprobe's (${10})" near "$_rd" "${10}" 0.001
		set -- $1 $2 $3 $4
	done
done

# the copy keeps them in place too
for c in "late-audio.mp4 0.5 4.5" "late-video.mp4 0.5 4.5"; do
	set -- $c
	cutone copy $1 $2 $3
	is "$st" 0 "$1 copy: made"
	set -- $1 $2 $3 $($AV sync "$f")
	ok "$1 copy: in sync (click - flash: $4 s)" near "$4" 0 0.021
	_rd=$(rend "$rec" copy duration)
	ok "$1 copy: the record's duration ($_rd) is ffprobe's ($9)" near "$_rd" "$9" 0.001
done
is "$(aprobe "$f" start_time | cut -c1-4)" 0.01 "late-video.mp4 copy: the audio from the clip's start"
is "$(vprobe "$f" start_time | cut -c1-4)" 1.52 "late-video.mp4 copy: the video where it starts (1.52 s)"

# an edit list that starts mid-GOP (ffmpeg -ss with -c copy makes one): the
# pictures before it are decoded, not shown, and not part of the timeline
$FF -f lavfi -i "testsrc2=size=160x120:rate=25:duration=5" -f lavfi -i sine=duration=5 \
  -c:v libx264 -preset veryfast -bf 3 -g 50 -c:a aac gop.mp4
$FF -ss 1.3 -i gop.mp4 -c copy edited.mp4
for c in "0 1" "0.3 1.3" "1 2.5"; do
	set -- $c
	cutone v edited.mp4 $1 $2
	is "$st" 0 "edit list $1-$2: made"
	exact edited.mp4 $1 $2 "$f" "edit list $1-$2"
	recdur "edit list $1-$2"
done
cutone copy edited.mp4 0.3 1.3
is "$(rend "$rec" copy start)" 0 "edit list copy: starts where the source starts showing pictures"
copied copy edited.mp4 1.3 "edit list copy"
recdur "edit list copy"
done_testing
