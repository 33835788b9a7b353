#!/bin/sh
# medusa-cut on bad input: each case a clear message naming the file and
# the problem, the right exit code, and nothing under a final name.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

cutby "$T/by"
cd "$T/by"
W="$T/frontyard/work"
mkvideo ok.mp4 2
finals() { find "$T/frontyard" -type f \( -name '*.mp4' -o -name '*.webm' -o -name '*.jpg' -o -name '*.tmp.*' \) 2>/dev/null | sort; }

fails "unknown profile: exit 2" 2 medusa-cut -p 360p,nope < /dev/null
like "$(lasterr)" "^medusa-cut: unknown profile \"nope\" (.*backyard.medusa.json has: 360p, small, poster, orig, peek)" "names the profile and the ones there are"
ok "and creates no work directory" test ! -e "$T/frontyard"

clip ok.mp4 late 10 12 > late.ndjson
fails "start past the end: exit 1" 1 medusa-cut < late.ndjson
like "$(lasterr)" "^medusa-cut: ok.mp4 clip late: start 10.000 is past the end of the video (2.0[0-9]* s)" "says so"
is "$(lastout | jq -r '[.video, .clip, (.error | length > 0)] | @tsv')" "ok.mp4	late	true" "an error record for the clip"
is "$(finals)" "" "no rendition, no temporary file"

clip ok.mp4 empty 1 1 > empty.ndjson
fails "zero-length clip: exit 1" 1 medusa-cut < empty.ndjson
like "$(lasterr)" "clip empty: the clip is empty (end 1.000 is not after start 1.000)" "says so"
is "$(finals)" "" "nothing made"

clip gone.mp4 gone 0 1 > gone.ndjson
fails "missing video: exit 1" 1 medusa-cut < gone.ndjson
like "$(lasterr)" "^medusa-cut: gone.mp4 clip gone: cannot read the video: No such file or directory" "says so"
is "$(finals)" "" "nothing made"

echo "this is not a video" > notes.mp4
clip notes.mp4 notes 0 1 > notes.ndjson
fails "a text file named .mp4: exit 1" 1 medusa-cut < notes.ndjson
like "$(lasterr)" "^medusa-cut: notes.mp4 clip notes: cannot open: Invalid data found" "says it is not media"
is "$(finals)" "" "nothing made"

mkfifo pipe.mp4; mkdir dir.mp4
{ clip pipe.mp4 pipe 0 1; clip dir.mp4 dir 0 1; } > odd.ndjson
fails "a FIFO and a directory named .mp4: exit 1" 1 medusa-cut < odd.ndjson
like "$(lasterr)" "^medusa-cut: pipe.mp4 clip pipe: cannot read the video: not a regular file" "the FIFO: not a regular file (and no hang)"
like "$(lasterr)" "^medusa-cut: dir.mp4 clip dir: cannot read the video: Is a directory" "the directory: says so"
fails "single clip: a FIFO" 1 medusa-cut -p 360p -o "$T/x.mp4" pipe.mp4 0 1
like "$(lasterr)" "^medusa-cut: pipe.mp4: not a regular file" "not a regular file"

$FF -f lavfi -i sine=duration=1 -c:a aac sound.mp4
clip sound.mp4 sound 0 1 > sound.ndjson
fails "audio only: exit 1" 1 medusa-cut < sound.ndjson
like "$(lasterr)" "sound.mp4 clip sound: no video stream" "says there is no video"
is "$(finals)" "" "nothing made"

mkvideo fast.mp4 2 -movflags +faststart
head -c 60000 fast.mp4 > cut-short.mp4
head -c 60000 ok.mp4 > no-index.mp4
{ clip cut-short.mp4 t1 0.2 1.8; clip no-index.mp4 t2 0.2 1.8; clip ok.mp4 fine 0 1; } > trunc.ndjson
fails "truncated files: exit 1" 1 medusa-cut -p 360p < trunc.ndjson
like "$(lasterr)" "cut-short.mp4 clip t1: .*truncated" "truncated with its index in front: says truncated"
like "$(lasterr)" "no-index.mp4 clip t2: cannot open: " "truncated before its index: cannot open"
is "$(lastout | jq -r 'if .error then "error " + .clip else "ok " + .clip end' | tr '\n' ' ')" "error t1 error t2 ok fine " \
  "error records for both, and the run goes on"
is "$(finals | grep -c -v /fine/ || true)" 0 "nothing made for the truncated clips"

printf '{"video":"x.mp4","error":"from scan"}\n{"summary":{"complete":true,"videos":1,"errors":1}}\n{"nothing":1}\nnot json\n' > pass.ndjson
clip ok.mp4 fine 0 1 >> pass.ndjson
fails "error and summary records pass through; junk fails" 1 medusa-cut -p poster < pass.ndjson
is "$(lastout | jq -c 'if .renditions then .clip else . end' | tr '\n' ' ')" \
  '{"video":"x.mp4","error":"from scan"} {"video":null,"error":"not a clip record (needs clip, video, start and end)"} "fine" {"summary":{"complete":true,"videos":1,"errors":1}} ' \
  "in order, the summary last"
like "$(lasterr)" "stdin:4: " "a line that is not JSON is reported with its line number"

# a work directory that cannot be made (works as root too: a file is in the way)
echo x > "$T/file"
fails "unwritable work directory: exit 2" 2 medusa-cut -w "$T/file/work" < pass.ndjson
like "$(lasterr)" "^medusa-cut: $T/file/work: work directory: Not a directory" "names it"
is "$(lastout)" "" "no records"
# a clip directory that cannot be made: that clip fails, the others go on
rm -rf "$T/frontyard"; mkdir -p "$W"; echo x > "$W/blocked"
{ clip ok.mp4 blocked 0 1; clip ok.mp4 free 0 1; } > two.ndjson
fails "a clip directory in the way: exit 1" 1 medusa-cut -p poster < two.ndjson
like "$(lasterr)" "^medusa-cut: ok.mp4 clip blocked: $W/blocked: Not a directory" "names it"
is "$(lastout | jq -r '.clip' | tr '\n' ' ')" "blocked free " "the other clip is made"

# a full disk: a file size limit (SIGXFSZ is ignored, the write fails)
rm -rf "$T/frontyard"
clip ok.mp4 full 0 2 > full.ndjson
fails "disk full: exit 1" 1 sh -c 'ulimit -f 64; exec medusa-cut -p 360p < full.ndjson'
like "$(lasterr)" "^medusa-cut: ok.mp4 clip full: .*\(File too large\|writing\)" "says the write failed"
is "$(finals)" "" "no partial file under a final name, no temporary left"
ok "the same clip goes through without the limit" medusa-cut -p 360p < full.ndjson
f=$(rend "$(lastout)" 360p file)
ok "and is whole" near "$(vprobe "$f" duration)" 2 0.04

# one profile that cannot be made (a Theora copy into MP4): that rendition
# fails alone; the clip's record goes out with the others and says which
# failed and why, and the run exits 1
$FF -f lavfi -i "testsrc2=size=320x240:rate=25:duration=1" -c:v libtheora theora.ogv
clip theora.ogv th 0 1 > th.ndjson
fails "a copy the container cannot hold: exit 1" 1 medusa-cut -p 360p,orig < th.ndjson
like "$(lasterr)" "^medusa-cut: theora.ogv clip th: orig: theora cannot go into mp4 without re-encoding" "names the profile and why"
is "$(lastout | jq -r '[.clip, (.error // "none"), ([.renditions[].profile] | join(",")),
  (.failed | map(.profile + ": " + .error) | join(";"))] | @tsv')" \
  "th	none	360p	orig: theora cannot go into mp4 without re-encoding" "the clip's record: the 360p made, orig failed"
thf=$(lastout | jq -r '.renditions[0].file')
ok "the 360p rendition is whole" near "$(vprobe "$thf" duration)" 1 0.04
before=$(find "$W/th" -type f -printf '%p %i %T@\n' | sort)
fails "the next run" 1 medusa-cut -p 360p,orig < th.ndjson
is "$(find "$W/th" -type f -printf '%p %i %T@\n' | sort)" "$before" "does not make the 360p again"
is "$(lastout | jq -r '[.clip, (.error // "none"), ([.renditions[].profile] | join(",")),
  (.failed | map(.profile + ": " + .error) | join(";"))] | @tsv')" \
  "th	none	360p	orig: theora cannot go into mp4 without re-encoding" "the next run's record: the 360p kept, orig failed alone again"

# an encoder that does not open for this source: SVT-AV1 under 64 pixels
mkdir -p "$T/av1"
cat > "$T/av1/backyard.medusa.json" <<'JSON'
{"profiles": {
  "h264":   {"kind": "video", "height": 360, "crf": 30, "preset": "ultrafast"},
  "av1":    {"kind": "video", "codec": "av1", "encoder": "libsvtav1", "crf": 50, "speed": 12},
  "poster": {"kind": "image", "width": 160}
}}
JSON
$FF -f lavfi -i "testsrc2=size=48x32:rate=25:duration=1" -f lavfi -i sine=duration=1 \
  -c:v libx264 -preset ultrafast -c:a aac "$T/av1/tiny.mp4"
clip tiny.mp4 tiny 0.2 0.8 > "$T/av1/tiny.ndjson"
fails "AV1 under 64 px: exit 1" 1 medusa-cut -C "$T/av1" -w "$T/av1/w" < "$T/av1/tiny.ndjson"
is "$(lastout | jq -r '[([.renditions[].profile] | join(",")), (.failed | map(.profile) | join(","))] | @tsv')" \
  "h264,poster	av1" "AV1 under 64 px: the other renditions are made and recorded, av1 failed"
like "$(lastout | jq -r '.failed[0].error')" "^encoder libsvtav1 does not open for 48x32: " "the record says why"
like "$(lasterr)" "^medusa-cut: tiny.mp4 clip tiny: av1: encoder libsvtav1 does not open for 48x32" "and so does a message"
like "$(lasterr)" "^medusa-cut: $T/av1/tiny.mp4: libsvtav1: " "the library's own line: prefixed with the program and the file"
is "$(lasterr | grep -v '^medusa-cut: ' || true)" "" "no line without the prefix (SVT-AV1 prints none of its own)"
rm -rf "$T/av1/w"
fails "-q" 1 medusa-cut -q -C "$T/av1" -w "$T/av1/w" < "$T/av1/tiny.ndjson"
is "$(lasterr)" "medusa-cut: tiny.mp4 clip tiny: av1: $(lastout | jq -r '.failed[0].error')" "-q: the libraries print nothing, medusa-cut its own message"

# a clip before the video starts (audio from 0, video from 3 s): no
# rendition has a frame of it, so the clip is an error; the poster is not
# the first frame after the clip, the copy not its audio alone, and the
# single-clip form leaves no file
$FF -f lavfi -i sine=duration=5 -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -map 0:a -map 1:v -c:v libx264 -preset ultrafast -c:a aac -f matroska "$T/av.mkv"
$FF -i "$T/av.mkv" -itsoffset 3 -i "$T/av.mkv" -map 0:a -map 1:v -c copy -f mpegts latev.ts
clip latev.ts early 0.5 1.5 > early.ndjson
fails "a clip before the video starts: exit 1" 1 medusa-cut < early.ndjson
is "$(lastout | jq -r '[.clip, .error, (.renditions | length)] | @tsv')" \
  "early	no video frame in the clip	0" "an error record for the clip, no rendition"
like "$(lasterr)" "^medusa-cut: latev.ts clip early: no video frame in the clip" "says so"
is "$(find "$W/early" -type f \( -name '*.mp4' -o -name '*.jpg' -o -name '*.webm' \) 2>/dev/null)" "" "no file made"
for p in 360p poster orig; do
	fails "-o, $p: exit 1" 1 medusa-cut -p $p -o "$T/early.$p" latev.ts 0.5 1.5
	like "$(lasterr)" "^medusa-cut: latev.ts: no video frame in the clip" "-o, $p: says so"
	ok "-o, $p: no file" test ! -e "$T/early.$p"
done
is "$(ls -A "$T" | grep '^\.early\|tmp' || true)" "" "-o: no temporary file left"

# an existing rendition whose record beside it is gone is made again
rm "$(dirname "$f")/.360p.mp4.json"
: > "$f"
ok "a rendition without its record" medusa-cut -p 360p < full.ndjson
ok "is made again" test -s "$f"
done_testing
