# Helpers for the medusa-cut tests (sourced after tests/lib.sh).

FF="ffmpeg -nostdin -loglevel error -y"

# cutby DIR: a backyard whose profiles cover every kind, small and fast
cutby() {
	mkdir -p "$1"
	cat > "$1/backyard.medusa.json" <<'JSON'
{"profiles": {
  "360p":   {"kind": "video", "height": 360, "crf": 30, "preset": "ultrafast", "audio_bitrate": 64000},
  "small":  {"kind": "video", "container": "webm", "height": 120, "crf": 45, "speed": 8},
  "poster": {"kind": "image", "format": "jpeg", "width": 160, "at": 0.5},
  "orig":   {"kind": "copy"},
  "peek":   {"kind": "preview", "container": "mp4", "seconds": 1, "width": 96, "preset": "ultrafast"}
}}
JSON
}

# clip VIDEO ID START END: a clip record as medusa-meta clips writes it
clip() {
	printf '{"path":"%s","video":"%s","clip":"%s","start":%s,"end":%s,"tags":{}}\n' "$1" "$1" "$2" "$3" "$4"
}

# probe FILE ENTRIES: ffprobe's compact values, one stream a line
probe() {
	ffprobe -v error -show_entries "$2" -of csv=p=0 "$1"
}
vprobe() { ffprobe -v error -select_streams v:0 -show_entries "stream=$2" -of csv=p=0 "$1"; }
aprobe() { ffprobe -v error -select_streams a -show_entries "stream=$2" -of csv=p=0 "$1"; }

# the mean luma of the first and the last frame of a video
lumas() {
	ffprobe -v error -f lavfi -i "movie=$1,signalstats" \
	  -show_entries frame_tags=lavfi.signalstats.YAVG -of csv=p=0 | sed -n '1p;$p' | tr '\n' ' '
}

# near GOT WANT TOLERANCE: |got - want| <= tolerance
near() { awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'; }

# moov_first FILE: the MP4 index comes before the media data (faststart)
moov_first() {
	perl -e 'open F, "<:raw", $ARGV[0] or die; while (read(F, $h, 8) == 8) {
	  ($s, $t) = unpack("Na4", $h); if ($s == 1) { read(F, $x, 8); $s = unpack("Q>", $x) - 8 }
	  exit 0 if $t eq "moov"; exit 1 if $t eq "mdat"; seek(F, $s - 8, 1) or exit 1 } exit 1' "$1"
}

# rend JSON PROFILE FIELD: a field of one rendition of a cut record
rend() { printf '%s\n' "$1" | jq -r --arg p "$2" ".renditions[]? | select(.profile == \$p) | .$3"; }

# the files under a directory with size and mtime: nothing rewritten
cut_tree() { (cd "$1" 2>/dev/null && find . -printf '%p %s %T@\n' | sort); }

# measurements with ffmpeg and ffprobe (see the script)
AV="python3 $MEDUSA_SRC/tests/t/0200-av.py"

# cutone PROFILE VIDEO START END: cut one clip from a record into $rec (the
# record), $f (the rendition of PROFILE), stderr into $T/err; $st is the exit
cutone() {
	_id="c$(printf '%s-%s-%s' "$2" "$3" "$4" | tr -c 'a-zA-Z0-9' x)"
	st=0
	clip "$2" "$_id" "$3" "$4" | medusa-cut -q -p "$1" > "$T/rec" 2> "$T/err" || st=$?
	rec=$(cat "$T/rec")
	f=$(rend "$rec" "$1" file)
}

# exact SRC S E FILE NAME: FILE, a cut of SRC from S to E, has every frame of
# [S, E) and no other (ffprobe -count_frames), and starts on the frame that
# the ffmpeg CLI's output seeking starts on: PSNR over 35 dB against it,
# under 30 against the source frames next to it
exact() {
	set -- "$@" $($AV check "$1" "$2" "$3" "$4")
	is "$6" "$7" "$5: every frame of the range, no other"
	ok "$5: starts on the CLI's frame ($8 dB; next ${9} dB, previous ${10} dB)" \
	  awk -v p="$8" -v n="$9" -v b="${10}" 'BEGIN { exit !(p > 35 && n < 30 && b < 30) }'
}

# copied PROFILE SRC E NAME: $f, a copy of SRC to E whose record says where
# it starts, has the source's frames from there on, none after E and no
# hole, and ends at most one B-frame run (4 frames) before E: a frame that
# needs a later picture goes with it
copied() {
	_start=$(rend "$rec" "$1" start)
	shift
	set -- "$@" $($AV copied "$1" "$_start" "$2" "$f")
	ok "$3: from its start ($_start), the source's frames with none left out" test "$4" = 1
	ok "$3: ends before the end, at most 4 frames before ($5 of $6)" \
	  awk -v n="$5" -v w="$6" 'BEGIN { exit !(n <= w && n >= w - 4) }'
}

# recdur NAME: the record's duration of $f is ffprobe's, to the millisecond
recdur() {
	_rd=$(printf '%s\n' "$rec" | jq -r --arg f "$f" '.renditions[] | select(.file == $f) | .duration')
	ok "$1: the record's duration ($_rd) is ffprobe's ($($AV dur "$f"))" near "$_rd" "$($AV dur "$f")" 0.001
}
