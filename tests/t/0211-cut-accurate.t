#!/bin/sh
# Accurate copies ("accurate": true): the clip starts and ends on the frames
# asked; the partial GOPs at its ends are encoded again (the record names
# them), the GOPs between are the source's packets byte for byte; the file
# decodes without an error. H.264 in MP4, Matroska and MPEG-TS with B-frames
# on and off, rotated, open GOPs (re-encoded on to an IDR picture, said so);
# HEVC with open GOPs (CRAs and their leading pictures) and closed ones in
# MP4, Matroska and MPEG-TS; other codecs fall back to a keyframe copy with a
# warning naming why (0213 checks the keyframe copies of open GOPs).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"
SP="python3 $MEDUSA_SRC/tests/t/0211-splice.py"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "acc":   {"kind": "copy", "accurate": true},
  "acckv": {"kind": "copy", "accurate": true, "container": "mkv"}
}}
JSON
cd "$T/by"
SRC="testsrc2=size=160x120:rate=25:duration=6"
x264() { $FF -f lavfi -i "$SRC" -f lavfi -i sine=duration=6:beep_factor=4 -c:v libx264 -preset veryfast \
  -g 25 -c:a aac "$@"; }
x264 -bf 3 bf.mp4
x264 -bf 0 nobf.mkv
x264 -bf 2 -output_ts_offset 1000 off.ts
x264 -bf 3 -x264-params open-gop=1 -force_key_frames 3 -forced-idr 1 open.mp4
$FF -f lavfi -i "$SRC" -f lavfi -i sine=duration=6 -t 3 -c:v mpeg2video -c:a mp2 m2.ts
$FF -i bf.mp4 -c copy -metadata:s:v:0 rotate=90 rot.mp4
x265() { $FF -f lavfi -i "testsrc2=size=160x120:rate=25:duration=3" -f lavfi -i sine=duration=3:beep_factor=4 \
  -c:v libx265 -c:a aac "$@"; }
x265 -x265-params log-level=error:keyint=25 hevc.mp4
x265 -x265-params log-level=error:keyint=25 -output_ts_offset 1000 hevc.ts
x265 -x265-params log-level=error:keyint=25:open-gop=0 hevcc.mkv

# accurate PROFILE VIDEO S E REENCODED INNER-FROM INNER-TO: the cut is
# exact at both ends, names the ranges it re-encoded, has the source's
# packets in [INNER-FROM, INNER-TO) and decodes without an error
accurate() {
	cutone $1 $2 $3 $4
	_c="$2 $3-$4 ($1)"
	is "$st" 0 "$_c: made"
	is "$(rend "$rec" $1 start)" "$3" "$_c: starts where asked"
	is "$(rend "$rec" $1 reencoded | jq -c .)" "$5" "$_c: the record names the re-encoded ranges"
	set -- "$@" $($SP ends $2 $3 $4 "$f")
	is "$8" "$9" "$_c: every frame of the range, no other"
	ok "$_c: the first frame is the first asked (${10} dB; next ${11}, previous ${12})" \
	  awk -v p="${10}" -v n="${11}" -v b="${12}" 'BEGIN { exit !(p > 35 && n < 30 && b < 30) }'
	ok "$_c: the last frame is the last asked (${13} dB; previous ${14}, next ${15})" \
	  awk -v p="${13}" -v n="${14}" -v b="${15}" 'BEGIN { exit !(p > 35 && n < 30 && b < 30) }'
	if [ "$6" != - ]; then
		set -- $($SP inner $2 "$f" $6 $7 $3)
		ok "$_c: the $1 packets inside are the source's, byte for byte" test "$2" = 1 -a "$1" -gt 10
	fi
	is "$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -3)" "" "$_c: decodes without an error"
	ok "$_c: the audio starts with the video, to half an AAC frame ($(aprobe "$f" start_time))" \
	  near "$(aprobe "$f" start_time)" 0 0.012
	recdur "$_c"
}

# B-frames, closed GOPs of 1 s: a head, and a tail, since B-frames before
# the end decode after a picture past it
accurate acc bf.mp4 1.3 4.5 '[[1.3,2],[4,4.5]]' 2 4
accurate acckv bf.mp4 1.3 4.5 '[[1.3,2],[4,4.5]]' 2 4
# an end that copying makes exact: no tail
accurate acc bf.mp4 2.5 4.17 '[[2.5,3]]' 3 4.17
# a start on a keyframe: nothing before it to encode
accurate acc bf.mp4 2 4.3 '[[4,4.3]]' 2 4
# inside one GOP: all of it encoded
accurate acc bf.mp4 2.2 2.6 '[[2.2,2.6]]' - -
# no B-frames, Matroska; MPEG-TS whose clock starts at 1000 s
accurate acckv nobf.mkv 1.3 4.5 '[[1.3,2.023]]' 2.023 4.5
# (its packets change form: start codes become sizes)
accurate acckv off.ts 1.3 4.3 '[[1.3,2.023]]' - -

# a phone's rotated video stays rotated
accurate acc rot.mp4 1.3 4.3 '[[1.3,2],[4,4.3]]' 2 4
is "$(rend "$rec" acc width)x$(rend "$rec" acc height)" 120x160 "rotated: the record's size is upright"
like "$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 "$f")" \
  "90" "rotated: the display matrix is kept"

# HEVC, open GOPs: the head covers the leading pictures of the first
# keyframe copied (a CRA), the tail those of the CRA before the end, which
# need the GOP before; the first copied keyframe gains the source's
# parameter sets in-band, so the packets compared start after it
accurate acc hevc.mp4 0.5 2.6 '[[0.5,1],[1.96,2.6]]' 1.04 1.96
is "$(vprobe "$f" codec_tag_string)" hev1 "hevc.mp4: the sample entry allows parameter sets in-band"
accurate acc hevc.ts 0.5 2.6 '[[0.5,1.023],[1.983,2.6]]' - -
# closed GOPs (IDR pictures), Matroska; a start on a keyframe: no head,
# so nothing in-band is added and the copied keyframe is the source's too
accurate acckv hevcc.mkv 0.5 2.6 '[[0.5,1.023],[2.023,2.6]]' 1.04 2
accurate acc hevc.mp4 1 2.6 '[[1.96,2.6]]' 1 1.96

# an H.264 open GOP (x264 open-gop, keyframes every second, an IDR only at
# 0 and 3 s): no splice onto an I-picture that is not an IDR, the head goes
# on to the IDR, or to the end when there is none before it
accurate acc open.mp4 1.3 6 '[[1.3,3]]' 3 6
like "$(cat "$T/err")" "^medusa-cut: .*open.mp4: the keyframe at 2.000 s is not an IDR picture (an open GOP): re-encoded up to 3.000 s" \
  "open.mp4: a warning says the head went on to the IDR"
accurate acc open.mp4 3.3 5.5 '[[3.3,5.5]]' - -
like "$(cat "$T/err")" "open.mp4: the keyframe at 4.000 s is not an IDR picture (an open GOP): re-encoded up to 5.500 s" \
  "open.mp4: a warning says all of it was re-encoded"

# what cannot be spliced is a keyframe copy, said so
cutone acc m2.ts 1.3 2.6
is "$st" 0 "m2.ts: made"
like "$(cat "$T/err")" "^medusa-cut: .*m2.ts: no accurate copy of mpeg2video: a keyframe copy instead" "m2.ts: a warning says why"
ok "m2.ts: a keyframe copy, from the keyframe before the start ($(rend "$rec" acc start))" \
  awk -v s="$(rend "$rec" acc start)" 'BEGIN { exit !(s != "" && s < 1.3) }'
is "$(rend "$rec" acc reencoded | jq -c .)" "[]" "m2.ts: nothing re-encoded"

# -v prints the splice points
clip bf.mp4 verbose 2.5 4.3 | medusa-cut -v -p acc > /dev/null 2> "$T/err"
like "$(cat "$T/err")" "bf.mp4: clip verbose, acc: re-encoded 2.500-3.000 s, re-encoded 4.000-4.300 s, copied 3.000-4.000 s" \
  "-v: the splice points"
medusa-cut -v -p acc -o "$T/verbose.mp4" bf.mp4 2.5 4.3 2> "$T/err"
like "$(cat "$T/err")" "bf.mp4: acc: re-encoded 2.500-3.000 s, re-encoded 4.000-4.300 s, copied 3.000-4.000 s" \
  "-v -o: the same splice points"

# the option is checked
printf '{"profiles": {"p": {"kind": "copy", "accurate": "yes"}}}\n' > backyard.medusa.json
fails "accurate not a boolean: exit 2" 2 medusa-cut < /dev/null
like "$(lasterr)" "profiles.p.accurate: must be true or false" "accurate not a boolean: message"
printf '{"profiles": {"p": {"kind": "video", "accurate": true}}}\n' > backyard.medusa.json
fails "accurate in a video profile: exit 2" 2 medusa-cut < /dev/null
done_testing
