#!/bin/sh
# Audio that a copy's container cannot hold (a camera's PCM in MOV, cut to
# MP4) is encoded again as AAC, said so, from the copy's first sample to its
# end, in sync with the copied video (a flash and a click every second):
# keyframe copies and accurate copies.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "orig": {"kind": "copy"},
  "acc":  {"kind": "copy", "accurate": true}
}}
JSON
cd "$T/by"
FLASH="color=c=black:s=64x48:r=25:d=3,geq=lum='if(eq(mod(N\,25)\,0)\,235\,16)':cb=128:cr=128"
CLICK="aevalsrc='if(lt(mod(t\,1)\,0.01)\,0.8*sin(2*PI*1000*t)\,0)':s=48000:d=3"
$FF -f lavfi -i "$FLASH" -f lavfi -i "$CLICK" -c:v libx264 -preset ultrafast -g 25 -bf 2 -c:a pcm_s16le pcm.mov

# PROFILE START: the clip 0.5-2.6 s, from START in the copy's timeline
for c in "orig 0" "acc 0.5"; do
	set -- $c
	cutone $1 pcm.mov 0.5 2.6
	_c="pcm.mov 0.5-2.6 ($1)"
	is "$st" 0 "$_c: made"
	like "$(cat "$T/err")" "^medusa-cut: .*pcm.mov: pcm_s16le audio cannot go into mp4: encoded again as AAC" \
	  "$_c: a warning says the audio is encoded again"
	is "$(aprobe "$f" codec_name)" aac "$_c: the audio is AAC"
	is "$(rend "$rec" $1 start)" "$2" "$_c: starts where the record says"
	is "$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -3)" "" "$_c: decodes without an error"
	set -- $1 $2 $($AV sync "$f")
	ok "$_c: in sync to an audio frame (click - flash: $3 s)" near "$3" 0 0.021
	# the source's clicks are at whole seconds: the first at or after START
	_w=$(awk -v s="$2" 'BEGIN { c = int(s); if (c < s) c++; print c - s }')
	ok "$_c: the first click where the source's is ($5; want $_w)" near "$5" "$_w" 0.012
	_ad=$(aprobe "$f" duration)
	ok "$_c: the audio runs from the copy's start to the clip's end ($_ad s)" \
	  near "$_ad" "$(awk -v s="$2" 'BEGIN { print 2.6 - s }')" 0.03
	recdur "$_c"
done
done_testing
