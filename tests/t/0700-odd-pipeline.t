#!/bin/sh
# The whole pipeline on inputs no issue names: a backyard whose own path has
# spaces, quotes and a dollar sign; videos in .mov/.mkv/.webm/.ts/.avi; file
# names with spaces, quotes, a newline, UTF-8, a leading dash, '#', '%', '?'.
# scan -> meta clips -> tags check -> cut -> publish through medusa-reconcile,
# then the records and the files are checked.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut medusa-publish medusa-reconcile; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done

B="$T/my back yard 'q' \$HOME"
mkdir -p "$B"
cat > "$B/backyard.medusa.json" <<'JSON'
{
  "tags": {
    "place":  {"type": "string"},
    "rating": {"type": "integer", "default": 3},
    "kind":   {"type": "enum", "values": ["a", "b"], "required": true}
  },
  "profiles": {
    "tiny":   {"kind": "video", "container": "mp4", "codec": "h264", "height": 64,
               "crf": 40, "preset": "ultrafast", "audio": "aac", "audio_bitrate": 32000},
    "poster": {"kind": "image", "format": "jpeg", "width": 48, "at": 0.5}
  }
}
JSON
printf '{"tags": {"kind": "a"}}\n' > "$B/folder.medusa.json"

# one tiny source per container (1 s, 160x120)
src() {  # src OUT VCODEC-ARGS... (audio args included)
	_o=$1; shift
	ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=1 \
	  -f lavfi -i sine=frequency=440:duration=1 "$@" -shortest "$_o"
}
src "$T/s.mov"  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac
src "$T/s.mkv"  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a libopus
src "$T/s.webm" -c:v libvpx -deadline realtime -cpu-used 8 -b:v 200k -c:a libopus
src "$T/s.ts"   -c:v mpeg2video -c:a mp2
src "$T/s.avi"  -c:v mpeg4 -c:a pcm_s16le
src "$T/s.mp4"  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac

nl='
'
# name<TAB>source extension; the newline name is added below
n=0
add() {  # add NAME SRC-EXT
	_d=$(dirname -- "$1")
	mkdir -p -- "$B/$_d"
	cp -- "$T/s.$2" "$B/$1"
	n=$((n + 1))
}
add "with space.mov" mov
add "quo\"te's.mkv" mkv
add "ünï cödé/日本語.webm" webm
add "-leading dash.ts" ts
add "#hash.avi" avi
add "per%cent/%2e%2e%2Fx.mp4" mp4
add "what?.mp4" mp4
add "a&b;c|d.MOV" mov
add "sub dir/-x/$(printf 'new\nline').mkv" mkv
add "file:colon.mp4" mp4
add "[brackets] *star*.webm" webm

# a sidecar per video: the id of the first is derived, the second is given
cd "$B"
ok "scan" medusa-scan -p
lastout > "$T/scan"
is "$(jq -r 'select(.path) | .path' "$T/scan" | grep -c .)" "$((n + 1))" \
    "every video is a record (one name spans two lines)"
is "$(jq -c 'select(.error)' "$T/scan")" "" "no error record"
is "$(jq -r 'select(.path) | .vcodec' "$T/scan" | sort -u | tr '\n' ' ')" \
    "h264 mpeg2video mpeg4 vp8 " "every container probed"
jq -r 'select(.path) | .path | @json' "$T/scan" > "$T/paths.json"
i=0
while IFS= read -r pj; do
	i=$((i + 1))
	p=$(printf '%s' "$pj" | jq -r .)
	medusa-meta add -- "$p" 0 0.6 "place=$p" > /dev/null || echo "add 1 failed: $p"
	medusa-meta add -- "$p" 0.4 1 rating=$i kind=b > /dev/null || echo "add 2 failed: $p"
done < "$T/paths.json" > "$T/adds" 2>&1
is "$(cat "$T/adds")" "" "medusa-meta add on every name"
ok "a folder file in an odd folder" sh -c 'medusa-meta tag -d -- "ünï cödé" place=Kyōto >/dev/null'

ok "meta clips" sh -c "medusa-scan | medusa-meta clips > '$T/clips'"
is "$(jq -s '[.[] | select(.clip)] | length' "$T/clips")" "$((2 * n))" "two clips per video"
is "$(jq -s '[.[] | select(.clip) | select(.tags.place == .video)] | length' "$T/clips")" \
    "$n" "the first clip of each names its own video in a tag"
is "$(jq -r 'select(.clip and (.video | startswith("ünï"))) | .tags.place' "$T/clips" | sort -u | tr '\n' ' ')" \
    "Kyōto ünï cödé/日本語.webm " "a clip tag beats the odd folder's file"
ok "tags check passes them all" sh -c "medusa-tags check < '$T/clips' > '$T/checked'"
is "$(jq -c 'select(.error)' "$T/checked")" "" "no error record from the check"

cd "$T"
ok "reconcile" medusa-reconcile -q -C "$B" -j 2
F=$T/frontyard M=$F/metastore.sqlite S=$F/files
is "$(sqlite3 "$M" 'SELECT count(*) FROM clips')" "$((2 * n))" "every clip in the metastore"
is "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" "$((4 * n))" "every profile of every clip"
ok "every row's file is there with its hash" consistent "$M" "$S"
is "$(sqlite3 "$M" "SELECT count(DISTINCT video) FROM clips")" "$n" "every video named"
jq -r 'select(.path) | .path' "$T/scan" > "$T/want"
sqlite3 "$M" "SELECT json_quote(video) FROM clips GROUP BY video ORDER BY video" |
    jq -r . | LC_ALL=C sort > "$T/got"
LC_ALL=C sort "$T/want" > "$T/want.sorted"
ok "the metastore names the videos as scan does" cmp "$T/want.sorted" "$T/got"
is "$(sqlite3 "$M" "SELECT count(*) FROM renditions WHERE mime = 'video/mp4' AND width > 0 AND duration > 0.4")" \
    "$((2 * n))" "every video rendition has a size and a duration"
is "$(find "$S" -name '.*' | grep -c . || true)" 0 "no temporary file in storage"

# every tiny rendition plays: ffprobe reads one video stream from each
bad=
for f in $(sqlite3 "$M" "SELECT key FROM renditions WHERE profile = 'tiny'"); do
	c=$(ffprobe -v error -select_streams v -show_entries stream=codec_name -of csv=p=0 "$S/$f")
	[ "$c" = h264 ] || bad="$bad $f"
done
is "$bad" "" "every video rendition is H.264"

# an unchanged backyard: the second run converts nothing
ok "second reconcile" medusa-reconcile -C "$B"
like "$(lasterr)" "0 clips converted, $((2 * n)) skipped, 0 failed, 0 pruned" "nothing to do"
like "$(lasterr)" "storage $S, metastore $M" "says where the results are"

# a removed odd video: its clips are pruned
rm -- "$B/what?.mp4" "$B/what?.mp4.medusa.json"
ok "reconcile after removing what?.mp4" medusa-reconcile -q -C "$B"
is "$(sqlite3 "$M" "SELECT count(*) FROM clips WHERE video = 'what?.mp4'")" 0 "its clips are pruned"
is "$(sqlite3 "$M" 'SELECT count(*) FROM clips')" "$((2 * n - 2))" "the others stay"
ok "still consistent" consistent "$M" "$S"
done_testing
