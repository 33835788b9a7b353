#!/bin/sh
# mkdemo.sh DIR: a demo backyard in DIR: the config, folder files and
# sidecars of examples/backyard, and short videos made by ffmpeg from its
# lavfi test sources (320x240, a few seconds, fast to make).
set -eu
[ $# -eq 1 ] || { echo "usage: mkdemo.sh DIR" >&2; exit 2; }
dir=$1
src=$(cd "$(dirname "$0")" && pwd)/backyard
mkdir -p "$dir"
cp -R "$src/." "$dir/"
v() {  # v OUT SECONDS [extra output options]
	out=$dir/$1 secs=$2
	shift 2
	[ -s "$out" ] && return 0
	ffmpeg -nostdin -loglevel error -y \
	  -f lavfi -i "testsrc2=size=320x240:rate=25:duration=$secs" \
	  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
	  -pix_fmt yuv420p -g 25 -shortest "$@" "$out.tmp.${out##*.}"
	mv "$out.tmp.${out##*.}" "$out"
}
h264="-c:v libx264 -preset ultrafast -c:a aac -b:a 64k"
v trips/kyoto/temple.mp4 4 $h264
v trips/kyoto/garden.mov 3 $h264
v home/birthday.mkv 4 $h264
v home/cat.webm 2 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k -c:a libopus
v nature/waves.mp4 3 $h264 -metadata:s:v:0 rotate=90
