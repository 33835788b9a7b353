#!/bin/sh
# Copies of open GOPs decode without an error. An H.264 I-picture that is
# not an IDR (x264's open-gop) is a recovery point: the pictures after it
# may still name pictures before it, so a keyframe copy starts on the IDR
# before it instead (0211 has the accurate copies of open GOPs).
# An HEVC CRA is clean: its leading (RASL) pictures show before it, and the
# copy leaves them out. MP4 and MPEG-TS.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"
SP="python3 $MEDUSA_SRC/tests/t/0211-splice.py"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "orig": {"kind": "copy"},
  "kv":   {"kind": "copy", "container": "mkv"},
  "acc":  {"kind": "copy", "accurate": true}
}}
JSON
cd "$T/by"
SRC="testsrc2=size=160x120:rate=25:duration=3"
open264() { $FF -f lavfi -i "$SRC" -f lavfi -i sine=duration=3 -c:v libx264 -preset veryfast -g 25 -bf 3 \
  -x264-params open-gop=1 -c:a aac "$@"; }
open264 o.mp4
open264 -output_ts_offset 1000 o.ts
$FF -f lavfi -i "$SRC" -c:v libx265 -x265-params log-level=error:keyint=25:open-gop=1 h.mp4
# the fixtures are what they say: open GOPs (non-IDR keyframes, CRAs with RASL pictures)
nals() { ffmpeg -nostdin -v trace -i "$1" -c copy -bsf:v trace_headers -f null - 2>&1 |
  grep -c "trace_headers.*nal_unit_type: $2"; }
keys() { ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 "$1" | grep -c K; }
ok "o.mp4 has keyframes that are no IDR" test "$(keys o.mp4)" = 3 -a "$(nals o.mp4 '5(IDR')" = 1
ok "h.mp4 has CRAs with RASL pictures" test "$(nals h.mp4 '21(CRA')" -gt 0 -a "$(nals h.mp4 '8(RASL')" -gt 0

# keyframe PROFILE VIDEO S E START: a keyframe copy from START that
# decodes without an error, with the source's frames from there on
keyframe() {
	cutone $1 $2 $3 $4
	_c="$2 $3-$4 ($1)"
	_s=$5
	is "$st" 0 "$_c: made"
	is "$(rend "$rec" $1 start)" "$_s" "$_c: starts on the picture that needs none before it"
	is "$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -3)" "" "$_c: decodes without an error"
	copied $1 $2 $4 "$_c"
	set -- $($SP ends $2 $_s $4 "$f")
	ok "$_c: the first frame is the source's at $_s ($3 dB; next $4, previous $5)" \
	  awk -v p="$3" -v n="$4" -v b="$5" 'BEGIN { exit !(p > 35 && n < 30 && b < 30) }'
}

# the keyframe at 1 s is a recovery point: back to the IDR at 0
keyframe orig o.mp4 1.3 2.6 0
keyframe orig o.ts 1.3 2.6 0.023
keyframe kv o.mp4 1.3 2.6 0
# no IDR at all before the start (a cut of o.ts from its I-picture at 1 s):
# no keyframe copy, said so; an accurate copy decodes from the file's start
$FF -ss 1.1 -i o.ts -c copy noidr.ts
ok "noidr.ts has no IDR picture" test "$(nals noidr.ts '5(IDR')" = 0 -a "$(keys noidr.ts)" -gt 0
cutone orig noidr.ts 1.6 2.2
is "$st" 1 "noidr.ts: no keyframe copy: exit 1"
like "$(cat "$T/err")" "^medusa-cut: noidr.ts clip .*: no IDR picture at or before 1.600 s: a copy from an I-picture that is not one" \
  "noidr.ts: the error says why"
is "$(rend "$rec" orig file)" "" "noidr.ts: no rendition in the record"
cutone acc noidr.ts 1.6 2.2
is "$st" 0 "noidr.ts: an accurate copy is made"
is "$(rend "$rec" acc reencoded | jq -c .)" "[[1.6,2.2]]" "noidr.ts: all of it re-encoded"
is "$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -3)" "" "noidr.ts: the accurate copy decodes without an error"
set -- $($SP ends noidr.ts 1.6 2.2 "$f")
is "$1" "$2" "noidr.ts: every frame of the range, no other"
ok "noidr.ts: the first frame is the first asked ($3 dB; next $4, previous $5)" \
  awk -v p="$3" -v n="$4" -v b="$5" 'BEGIN { exit !(p > 35 && n < 30 && b < 30) }'

# HEVC: from the CRA at 1 s, without its RASL pictures
keyframe orig h.mp4 1.3 2.6 1
done_testing
