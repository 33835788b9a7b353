#!/bin/sh
# medusa-cut on real-world sources: VP9 WebM, MPEG-2 TS with B-frames
# (frame accuracy), MKV with two audio tracks, a rotated phone video,
# 10-bit HEVC, an odd size, VFR, no audio, interlaced, corrupt packets.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"profiles": {
  "360p":   {"kind": "video", "height": 360, "crf": 35, "preset": "ultrafast", "audio_bitrate": 64000},
  "full":   {"kind": "video", "crf": 40, "preset": "ultrafast", "audio": "none"},
  "poster": {"kind": "image", "width": 160},
  "orig":   {"kind": "copy", "container": "mkv"},
  "orig4":  {"kind": "copy"},
  "peek":   {"kind": "preview", "container": "mp4", "seconds": 1, "width": 96, "preset": "ultrafast"}
}}
JSON
cd "$T/by"
SRC="testsrc2=size=320x240:rate=25"

# VP9 WebM with Opus
$FF -f lavfi -i "$SRC:duration=2" -f lavfi -i sine=sample_rate=48000:duration=2 -c:v libvpx-vp9 \
  -deadline realtime -cpu-used 8 -b:v 100k -c:a libopus -b:a 32k v.webm
cutone 360p v.webm 0.4 1.6
is "$(vprobe "$f" codec_name,width,height,pix_fmt)" "h264,320,240,yuv420p" "webm: into h264"
ok "webm: duration to one frame" near "$(vprobe "$f" duration)" 1.2 0.04
ok "webm: audio trimmed" near "$(aprobe "$f" duration)" 1.2 0.025

# MPEG-2 TS with B-frames and a 15-frame GOP; frame N has luma 4N, so the
# first and last frames say which frames they are
$FF -f lavfi -i "color=c=black:s=64x48:r=25:d=3,geq=lum='N*4':cb=128:cr=128" -f lavfi -i sine=duration=3 \
  -c:v mpeg2video -bf 2 -g 15 -q:v 2 -sc_threshold 1000000000 -c:a mp2 ramp.ts
cutone 360p ramp.ts 1.0 2.0
is "$(vprobe "$f" nb_frames)" 25 "ts: 25 frames for one second"
l=$(lumas "$f")
ok "ts: the first frame is frame 25 ($l)" near "${l% * }" 100 3
ok "ts: the last frame is frame 49 ($l)" near "$(echo $l | cut -d' ' -f2)" 196 3
ok "ts: duration to one frame" near "$(vprobe "$f" duration)" 1.0 0.04
cutone orig ramp.ts 1.1 2.0
ok "ts copy: starts on the keyframe at or before 1.1 (frame 15, 0.6 s)" near "$(rend "$rec" orig start)" 0.6 0.02
is "$(vprobe "$f" codec_name | tr -d ,)" mpeg2video "ts copy: the stream copied"
ok "ts copy: its first frame is that keyframe" near "$(lumas "$f" | cut -d' ' -f1)" 60 3

cutone orig ramp.ts 2.9 3.0
ok "ts copy: a clip in the last frames" test -s "$f"
ok "ts copy: from the last keyframe (frame 60, 2.4 s)" near "$(rend "$rec" orig start)" 2.4 0.02

# MKV with two audio tracks: the second (stereo) is the default
$FF -f lavfi -i "$SRC:duration=2" -f lavfi -i sine=f=440:duration=2 -f lavfi -i "sine=f=880:duration=2,pan=stereo|c0=c0|c1=c0" \
  -map 0 -map 1 -map 2 -c:v libx264 -preset ultrafast -c:a aac -disposition:a:0 0 -disposition:a:1 default two.mkv
cutone 360p two.mkv 0.2 1.2
is "$(aprobe "$f" codec_name,channels)" "aac,2" "two audio tracks: one track out, the default (stereo) one"

# a phone video: 320x240 stored with a 90 degree display matrix; the left
# half is white, and upright (as the ffmpeg CLI and players turn it) the
# bottom half is
$FF -f lavfi -i "color=c=black:s=320x240:r=25:d=1,drawbox=x=0:y=0:w=160:h=240:c=white:t=fill" \
  -c:v libx264 -preset ultrafast stored.mp4
$FF -i stored.mp4 -metadata:s:v:0 rotate=90 -c copy phone.mp4
cutone 360p phone.mp4 0 0.8
is "$(vprobe "$f" width,height)" "240,320" "rotated: comes out 240x320"
is "$(ffprobe -v error -select_streams v -show_entries stream_side_data=rotation -of csv=p=0 "$f")" "" "rotated: no rotation left in the file"
bot=$(ffprobe -v error -f lavfi -i "movie=$f,crop=iw:ih/2:0:ih/2,signalstats" -show_entries frame_tags=lavfi.signalstats.YAVG -of csv=p=0 | head -1)
ok "rotated: upright (bottom half white: $bot)" near "$bot" 235 20
cutone orig4 phone.mp4 0 0.8
is "$(ffprobe -v error -select_streams v -show_entries stream_side_data=rotation -of csv=p=0 "$f" | tr -d ,)" "90" "rotated copy: keeps its rotation"
is "$(rend "$rec" orig4 width)x$(rend "$rec" orig4 height)" "240x320" "rotated copy: the record gives the size as shown"
cutone orig phone.mp4 0 0.8
like "$(cat "$T/err")" "phone.mp4: a matroska copy cannot keep the rotation" "rotated copy into mkv: a warning"
is "$(rend "$rec" orig width)x$(rend "$rec" orig height)" "320x240" "and the record gives the size as stored"
cutone poster phone.mp4 0 0.8
is "$(vprobe "$f" width,height)" "160,214" "rotated poster: 160 wide, upright"

# 10-bit HEVC
$FF -f lavfi -i "$SRC:duration=1" -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -x265-params log-level=error hevc10.mp4
cutone 360p hevc10.mp4 0 0.6
is "$(vprobe "$f" codec_name,pix_fmt)" "h264,yuv420p" "10-bit HEVC: 8-bit yuv420p"

# HDR (PQ, BT.2020): tone-mapped into BT.709
$FF -f lavfi -i "$SRC:duration=1" -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -color_primaries bt2020 \
  -color_trc smpte2084 -colorspace bt2020nc -x265-params log-level=error hdr.mp4
cutone 360p hdr.mp4 0 0.6
is "$(vprobe "$f" pix_fmt,color_space,color_transfer,color_primaries)" "yuv420p,bt709,bt709,bt709" "HDR: tone-mapped to 8-bit BT.709"

# full range (as phones and MJPEG make it): white stays white
$FF -f lavfi -i "color=c=white:s=320x240:r=25:d=1" -pix_fmt yuvj420p -c:v libx264 -preset ultrafast full.mp4
cutone 360p full.mp4 0 0.6
ok "full range: white is limited-range white (235) in the video" near "$(lumas "$f" | cut -d' ' -f1)" 235 2

# an odd size
$FF -f lavfi -i "testsrc2=size=1921x1081:rate=25:duration=0.5" -c:v libx264 -preset ultrafast -pix_fmt yuv444p odd.mkv
cutone full odd.mkv 0 0.4
is "$(vprobe "$f" width,height)" "1920,1080" "1921x1081: even, never larger"
is "$(aprobe "$f" codec_name)" "" "audio none: no audio track"

# variable frame rate: 25 fps, then 10 fps, then 25 fps; with B-frames the
# packets all say 40 ms, even in the 10 fps part
$FF -f lavfi -i "$SRC:duration=3,setpts='if(lt(N,25),N/25,if(lt(N,35),1+(N-25)/10,2+(N-35)/25))/TB'" \
  -c:v libx264 -preset ultrafast -bf 2 -fps_mode vfr vfr.mp4
want=$(ffprobe -v error -select_streams v -show_entries frame=pts_time -of csv=p=0 vfr.mp4 |
  awk -F, '$1 >= 0.6 && $1 < 2.4' | wc -l | tr -d ' ')
cutone 360p vfr.mp4 0.6 2.4
is "$(vprobe "$f" nb_frames)" "$want" "vfr: every source frame in the range, none added"
ok "vfr: duration to one frame" near "$(vprobe "$f" duration)" 1.8 0.1
# ending in the 10 fps part: the last frame (1.9 s) is shown until the end
# (1.95), not for a 25 fps frame's time
cutone 360p vfr.mp4 0.6 1.95
ok "vfr: ends on the clip's end, $(vprobe "$f" duration) s" near "$(vprobe "$f" duration)" 1.35 0.002
ok "vfr: the record says so ($(rend "$rec" 360p duration))" near "$(rend "$rec" 360p duration)" 1.35 0.002
# a clip shorter than one frame of the preview's 12 fps: one frame, not an
# empty file
cutone peek vfr.mp4 0.2 0.25
is "$st:$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$f")" \
  "0:1" "preview of 50 ms: one frame"

# no audio
$FF -f lavfi -i "$SRC:duration=1" -c:v libx264 -preset ultrafast mute.mp4
cutone 360p mute.mp4 0 0.5
is "$(probe "$f" stream=codec_type | tr '\n' ' ')" "video " "no audio in: no audio track out"

# interlaced MPEG-2
$FF -f lavfi -i "$SRC:duration=1" -c:v mpeg2video -flags +ildct+ilme -top 1 -q:v 3 inter.mpg
cutone 360p inter.mpg 0.2 0.8
is "$(vprobe "$f" codec_name,width,height,field_order)" "h264,320,240,progressive" "interlaced: deinterlaced"

# other containers: AVI (MPEG-4 part 2, MP3), Ogg (Theora, Vorbis), and an
# H.264 MPEG-TS with one keyframe, whose seek lands where no keyframe follows
$FF -f lavfi -i "$SRC:duration=2" -f lavfi -i sine=duration=2 -c:v mpeg4 -c:a libmp3lame x.avi
$FF -f lavfi -i "$SRC:duration=2" -f lavfi -i sine=duration=2 -c:v libtheora -c:a libvorbis x.ogv
$FF -f lavfi -i "$SRC:duration=2" -f lavfi -i sine=duration=2 -c:v libx264 -preset ultrafast -g 250 -c:a ac3 x.m2ts
for v in x.avi x.ogv x.m2ts; do
	cutone 360p $v 0.5 1.5
	is "$(vprobe "$f" codec_name,width,height):$(aprobe "$f" codec_name)" "h264,320,240:aac" "$v: h264 and aac"
	ok "$v: a second long, to one frame" near "$(vprobe "$f" duration)" 1 0.04
done

# corrupt data in the middle: concealed with a warning, the clip made
$FF -f lavfi -i "$SRC:duration=2" -c:v libx264 -preset ultrafast -g 10 -f h264 raw.h264
perl -e 'open F, "+<:raw", $ARGV[0] or die; seek F, 30000, 0; print F "\xff" x 3000' raw.h264
$FF -i raw.h264 -c copy broken.mkv
cutone 360p broken.mkv 0 1.9
like "$(cat "$T/err")" "medusa-cut: .*broken.mkv: corrupt video data near [0-9.]* s, concealed" "corrupt: a warning naming the file"
ok "corrupt: the rendition is made" test -s "$f"
done_testing
