#!/bin/sh
# medusa-cut: an H.264 MP4 clip into every kind of profile; records,
# ffprobe checks, faststart, a second run that makes nothing, -j.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

cutby "$T/by"
mkvideo "$T/by/trip one.mp4" 3
cd "$T/by"
W="$T/frontyard/work"

clip "trip one.mp4" k1 0.5 2.3 > clips.ndjson
ok "cut one clip into five profiles" medusa-cut < clips.ndjson
rec=$(lastout)
is "$(lastout | wc -l | tr -d ' ')" 1 "one record out"
is "$(lasterr)" "" "nothing on stderr when it is not a terminal"
is "$(printf '%s' "$rec" | jq -r '[.clip, .start, .end, (.renditions | length)] | @tsv')" "k1	0.5	2.3	5" \
  "the clip record with five renditions"
is "$(printf '%s' "$rec" | jq -r '[.renditions[].profile] | join(",")')" "360p,small,poster,orig,peek" \
  "renditions in the order of the config"

f=$(rend "$rec" 360p file)
v=$(rend "$rec" 360p version)
like "$v" '^[0-9a-f]\{16\}$' "version is 16 hex digits"
is "$f" "$W/k1/$v/360p.mp4" "file is WORKDIR/clip/version/profile.ext"
is "$(rend "$rec" 360p key)" "clips/k1/$v/360p.mp4" "key"
is "$(rend "$rec" 360p bytes)" "$(wc -c < "$f" | tr -d ' ')" "bytes"
is "$(rend "$rec" 360p hash)" "$(b2sum -l 256 "$f" | cut -d' ' -f1)" "hash is BLAKE2b-256 of the file"
is "$(rend "$rec" 360p mime)/$(rend "$rec" 360p kind)" "video/mp4/video" "mime and kind"
is "$(vprobe "$f" codec_name,width,height,pix_fmt)" "h264,320,240,yuv420p" "360p: h264 yuv420p 320x240 (never upscaled)"
ok "360p: video lasts end - start, to one frame" near "$(vprobe "$f" duration)" 1.8 0.04
ok "360p: the record says the same duration" near "$(rend "$rec" 360p duration)" 1.8 0.04
is "$(aprobe "$f" codec_name)" "aac" "360p: aac audio"
ok "360p: audio trimmed to the clip" near "$(aprobe "$f" duration)" 1.8 0.025
is "$(vprobe "$f" start_time)" "0.000000" "360p: timestamps start at zero"
ok "360p: faststart (moov before mdat)" moov_first "$f"

f=$(rend "$rec" small file)
is "$(vprobe "$f" codec_name,width,height,pix_fmt)" "vp9,160,120,yuv420p" "small: vp9 160x120"
is "$(aprobe "$f" codec_name)" "opus" "small: opus audio in webm"
is "$(rend "$rec" small mime)" "video/webm" "small: mime"

f=$(rend "$rec" poster file)
is "$(vprobe "$f" codec_name,width,height)" "mjpeg,160,120" "poster: jpeg 160 wide"
is "$(rend "$rec" poster width)x$(rend "$rec" poster height)/$(rend "$rec" poster mime)" "160x120/image/jpeg" "poster: record"

f=$(rend "$rec" orig file)
is "$(rend "$rec" orig start)" "0" "copy: starts on the keyframe at or before 0.5 and says so"
is "$(vprobe "$f" codec_name,width,height)" "h264,320,240" "copy: the same stream"
ok "copy: lasts from the keyframe to the end" near "$(vprobe "$f" duration)" 2.3 0.05
ok "copy: faststart" moov_first "$f"

f=$(rend "$rec" peek file)
is "$(vprobe "$f" codec_name,width,height)" "h264,96,72" "preview: small"
ok "preview: a second long" near "$(vprobe "$f" duration)" 1 0.09
is "$(aprobe "$f" codec_name)" "" "preview: muted"

is "$(find "$W" -name '*.tmp.*' | wc -l | tr -d ' ')" 0 "no temporary files left"

before=$(cut_tree "$W")
ok "a second run" medusa-cut < clips.ndjson
is "$(lastout)" "$rec" "makes the same record"
is "$(cut_tree "$W")" "$before" "and touches no file"

# the clip moved: new versions beside the old ones
clip "trip one.mp4" k1 0.4 2.3 > moved.ndjson
ok "a changed clip" medusa-cut -p 360p < moved.ndjson
nv=$(rend "$(lastout)" 360p version)
ok "gets a new version" test "$nv" != "$v" -a -f "$W/k1/$nv/360p.mp4"

# a relative work directory: records still name files by absolute paths
ok "-w with a relative path" medusa-cut -p poster -w rel/work < clips.ndjson
like "$(rend "$(lastout)" poster file)" "^$T/by/rel/work/k1/[0-9a-f]*/poster.jpg$" "the file is named by its absolute path"

# several clips at once, the others untouched by a bad one
{ clip "trip one.mp4" a1 0 1; clip "gone.mp4" a2 0 1; clip "trip one.mp4" a3 1 2; clip "trip one.mp4" a4 2 3; } > many.ndjson
fails "-j 2: one clip fails, exit 1" 1 medusa-cut -j 2 -p poster,360p < many.ndjson
is "$(lastout | jq -r 'select(.renditions) | .clip' | sort | tr '\n' ' ')" "a1 a3 a4 " "the other clips went through"
is "$(lastout | jq -r 'select(.error) | .clip' | tr '\n' ' ')" "a2 " "an error record for the missing one"
like "$(lasterr)" "medusa-cut: gone.mp4 clip a2: cannot read the video: No such file or directory" "message names it"
done_testing
