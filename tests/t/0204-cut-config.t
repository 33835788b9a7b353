#!/bin/sh
# Profiles in backyard.medusa.json: every field checked at load, with its
# JSON path; encoders this libavcodec lacks are named. And the single-clip
# form, medusa-cut -p PROFILE -o FILE VIDEO START END.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

mkdir -p "$T/by"
cd "$T/by"
bad() { # bad DESCRIPTION PROFILE-JSON EXPECTED-MESSAGE
	printf '{"profiles": {"p": %s}}\n' "$2" > backyard.medusa.json
	fails "$1: exit 2" 2 medusa-cut < /dev/null
	like "$(lasterr)" "^medusa-cut: .*backyard.medusa.json: profiles.p\.$3" "$1: message"
	ok "$1: nothing made" test ! -e "$T/frontyard"
}
bad "missing encoder" '{"kind": "video", "codec": "h264", "encoder": "libopenh264"}' \
  'encoder: encoder "libopenh264" is not in this libavcodec'
bad "encoder of another codec" '{"kind": "video", "codec": "h264", "encoder": "libvpx-vp9"}' \
  'encoder: "libvpx-vp9" does not make h264'
bad "unknown kind" '{"kind": "gif"}' 'kind: "gif" is not one of video, image, copy, preview'
bad "no kind" '{"height": 360}' 'kind: missing'
bad "unknown field" '{"kind": "video", "heigth": 360}' 'heigth: not a field of a video profile'
bad "crf out of range" '{"kind": "video", "crf": 70}' 'crf: 70 is out of range (0 to 63)'
bad "x264 crf over 51" '{"kind": "video", "crf": 55}' 'crf: 55 is out of range for libx264'
bad "crf and bitrate" '{"kind": "video", "crf": 20, "bitrate": 1000000}' 'crf: give crf or bitrate, not both'
bad "height not a number" '{"kind": "video", "height": "720"}' 'height: must be an integer'
bad "unknown preset" '{"kind": "video", "preset": "warp"}' 'preset: "warp" is not an x264 preset'
bad "h264 in webm" '{"kind": "video", "container": "webm", "codec": "h264"}' 'codec: h264 cannot go into webm'
bad "aac in webm" '{"kind": "video", "container": "webm", "audio": "aac"}' 'audio: aac cannot go into webm'
bad "unknown audio" '{"kind": "video", "audio": "mp3"}' 'audio: "mp3" is not one of aac, opus, none'
bad "unknown container" '{"kind": "video", "container": "avi"}' 'container: "avi" is not one of mp4, webm, mkv'
bad "image position" '{"kind": "image", "at": 1.5}' 'at: 1.5 is out of range (0 to 1)'
bad "image format" '{"kind": "image", "format": "png"}' 'format: "png" is not one of jpeg, webp'
bad "copy takes no height" '{"kind": "copy", "height": 360}' 'height: not a field of a copy profile'
bad "preview takes no audio" '{"kind": "preview", "audio": "aac"}' 'audio: not a field of a preview profile'

cat > backyard.medusa.json <<'JSON'
{"profiles": {
  "v":  {"kind": "video", "codec": "vp9", "container": "mkv", "width": 100, "fps": 10, "audio": "opus",
         "audio_bitrate": 48000, "audio_channels": 1, "speed": 8, "bitrate": 200000},
  "w":  {"kind": "image", "format": "webp", "height": 60, "at": 0, "quality": 50},
  "av1": {"kind": "video", "codec": "av1", "container": "webm", "height": 64, "speed": 12, "crf": 50},
  "h265": {"kind": "video", "codec": "hevc", "height": 64, "preset": "ultrafast", "audio": "none"}
}}
JSON
mkvideo "$T/in put.mp4" 2

ok "single clip: -p v -o FILE" medusa-cut -q -p v -o "$T/out.mkv" "$T/in put.mp4" 00:00.5 1.5
is "$(lastout)" "" "nothing on stdout"
is "$(vprobe "$T/out.mkv" codec_name,width,height)" "vp9,100,76" "fits the width, even height"
is "$(vprobe "$T/out.mkv" avg_frame_rate)" "10/1" "fps capped at 10"
is "$(aprobe "$T/out.mkv" codec_name,channels)" "opus,1" "opus, one channel"
ok "one second long" near "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/out.mkv")" 1 0.1
ok "single clip: webp poster" medusa-cut -p w -o "$T/p.webp" "$T/in put.mp4" 0 2
is "$(vprobe "$T/p.webp" codec_name,height)" "webp,60" "webp 60 high"
ok "single clip: AV1" medusa-cut -p av1 -o "$T/a.webm" "$T/in put.mp4" 0 0.5
is "$(vprobe "$T/a.webm" codec_name,height)" "av1,64" "av1 in webm"
is "$(lasterr)" "" "and the AV1 encoder's banner is kept quiet"
ok "single clip: HEVC" medusa-cut -p h265 -o "$T/h.mp4" "$T/in put.mp4" 0 0.5
is "$(vprobe "$T/h.mp4" codec_name,height)" "hevc,64" "hevc in mp4"
is "$(lasterr)" "" "and x265's statistics are kept quiet"
fails "single clip: two profiles" 2 medusa-cut -p v,w -o "$T/x" "$T/in put.mp4" 0 1
like "$(lasterr)" "one profile" "says -o makes one file"
fails "single clip: a bad time" 2 medusa-cut -p v -o "$T/x" "$T/in put.mp4" 0 1:75
like "$(lasterr)" "end \"1:75\": " "names the time"
fails "single clip: a missing video" 1 medusa-cut -p v -o "$T/x.mkv" "$T/nope.mp4" 0 1
like "$(lasterr)" "^medusa-cut: $T/nope.mp4: cannot open: No such file or directory" "names the video"
ok "and leaves no file" test -z "$(find "$T" -maxdepth 1 -name '*x.mkv*')"
cp "$T/in put.mp4" "$T/a:b.mp4"
ok "names with a colon are files, not protocols" medusa-cut -p w -o "c:d.webp" "$T/a:b.mp4" 0 1
ok "the file is there" test -s "c:d.webp"
is "$(umask 022; medusa-cut -p w -o "$T/m.webp" "$T/in put.mp4" 0 1; stat -c %a "$T/m.webp")" 644 "the file is readable by all, as the umask allows"
fails "usage" 2 medusa-cut -Z
like "$(lasterr)" "^usage: medusa-cut" "prints the usage"
done_testing
