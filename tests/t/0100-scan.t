#!/bin/sh
# medusa-scan: the walk, its order, sidecars, problems, the summary, -p.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/by
mkbackyard "$B"
mkdir -p "$B/a/deep/er" "$B/.hidden" "$B/a-b" "$B/x"
mkvideo "$B/a/v.mp4" 1
for f in "a b.mp4" a.mp4 a-b/c.MOV a/deep/er/z.mkv .hidden/h.mp4 a/.dot.mp4 "x/new
line.mp4"; do cp "$B/a/v.mp4" "$B/$f"; done
echo text > "$B/a/notes.txt"
echo '{}' > "$B/a/v.mp4.medusa.json"
echo '{"tags":{}}' > "$B/a/folder.medusa.json"

ok "scan exits 0" medusa-scan -C "$B"
lastout > "$T/scan1"
is "$(jq -c 'select(.path) | .path' "$T/scan1" | tr '\n' '|')" \
   '"a b.mp4"|"a-b/c.MOV"|"a.mp4"|"a/deep/er/z.mkv"|"a/v.mp4"|"x/new\nline.mp4"|' \
   "videos in path (byte) order; dot files and dot folders skipped; odd names escaped"
is "$(jq -r 'select(.path) | .path' "$T/scan1" | grep -v '^line' | LC_ALL=C sort -c && echo sorted)" sorted "the order is sort(1)'s"
is "$(jq -c 'select(.path == "a/v.mp4") | [.size > 0, (.mtime | type), .sidecar]' "$T/scan1")" \
   '[true,"number","a/v.mp4.medusa.json"]' "size, mtime, sidecar"
is "$(jq -c 'select(.path == "a.mp4") | .sidecar' "$T/scan1")" null "no sidecar is null"
is "$(tail -n 1 "$T/scan1")" '{"summary":{"complete":true,"videos":6,"errors":0}}' "summary record last"
is "$(wc -l < "$T/scan1" | tr -d ' ')" 7 "one line per video and the summary"

# the same from a subfolder (walks up to the root), and with MEDUSA_BACKYARD
(cd "$B/a/deep" && medusa-scan) > "$T/scan2"
is "$(cmp "$T/scan1" "$T/scan2" && echo same)" same "run from a subfolder: the same output"
MEDUSA_BACKYARD=$B medusa-scan > "$T/scan3"
is "$(cmp "$T/scan1" "$T/scan3" && echo same)" same "MEDUSA_BACKYARD: the same output"

# problems: an orphan sidecar, a symlink out, a symlink inside
echo '{}' > "$B/a/gone.mp4.medusa.json"
echo '{}' > "$B/a/notes.txt.medusa.json"
mkdir -p "$T/outside"
cp "$B/a/v.mp4" "$T/outside/o.mp4"
ln -s "$T/outside/o.mp4" "$B/a/out.mp4"
ln -s "$T/outside" "$B/outdir"
ln -s v.mp4 "$B/a/in.mp4"
before=$(snapshot "$B")
fails "problems: exit 1" 1 medusa-scan -C "$B"
lastout > "$T/scan4"
like "$(lasterr)" '^medusa-scan: a/gone.mp4: sidecar without a video: gone.mp4.medusa.json has no gone.mp4 beside it$' "orphan sidecar named"
like "$(lasterr)" '^medusa-scan: a/notes.txt: sidecar of a file that is not a video' "sidecar of a non-video named"
like "$(lasterr)" '^medusa-scan: a/out.mp4: a symbolic link leads out of the backyard$' "symlink out named"
is "$(jq -c 'select(.video == "a/gone.mp4")' "$T/scan4")" \
   '{"video":"a/gone.mp4","error":"sidecar without a video: gone.mp4.medusa.json has no gone.mp4 beside it"}' "orphan: error record"
is "$(jq -r 'select(.path == "a/in.mp4") | .size > 0' "$T/scan4")" true "a symlink inside the backyard is followed"
is "$(grep -c outdir "$T/scan4" || true)" 0 "a symlinked folder is not walked"
is "$(tail -n 1 "$T/scan4")" '{"summary":{"complete":true,"videos":7,"errors":3}}' "summary counts the errors"
is "$(snapshot "$B")" "$before" "scan changed nothing"
rm "$B/a/gone.mp4.medusa.json" "$B/a/notes.txt.medusa.json" "$B/a/out.mp4" "$B/outdir" "$B/a/in.mp4"

# a folder it cannot read: the summary says the walk was not complete
mkdir "$B/locked"
cp "$B/a/v.mp4" "$B/locked/l.mp4"
chmod 0 "$B/locked"
chmod 755 "$T"
fails "unreadable folder: exit 1" 1 as_user medusa-scan -C "$B"
like "$(lasterr)" "^medusa-scan: locked: cannot read the folder: Permission denied$" "unreadable folder named"
is "$(lastout | tail -n 1 | jq -c .summary.complete)" false "summary: complete is false"
is "$(lastout | jq -c 'select(.folder)')" \
   '{"video":null,"error":"cannot read the folder: Permission denied","folder":"locked"}' "folder error record"
chmod 755 "$B/locked"
rm -r "$B/locked"

# a file name that is not UTF-8 cannot go into JSON as it is
cp "$B/a/v.mp4" "$B/a/$(printf 'bad\377.mp4')"
fails "non-UTF-8 name: exit 1" 1 medusa-scan -C "$B"
like "$(lasterr)" '^medusa-scan: a/bad?.mp4: the file name is not valid UTF-8$' "non-UTF-8 name named"
is "$(lastout | jq -r 'select(.error) | .video')" 'a/bad?.mp4' "error record with a readable name"
rm "$B/a/$(printf 'bad\377.mp4')"

# the frontyard inside the backyard is not walked
cat > "$T/cfg.json" <<'JSON'
{"tags": {}, "frontyard": {"dir": "fy"}}
JSON
mkdir -p "$T/by2/fy/work" "$T/by2/v"
cp "$T/cfg.json" "$T/by2/backyard.medusa.json"
cp "$B/a/v.mp4" "$T/by2/fy/work/r.mp4"
cp "$B/a/v.mp4" "$T/by2/v/v.mp4"
ok "frontyard inside: scan" medusa-scan -C "$T/by2"
is "$(lastout | jq -r 'select(.path) | .path')" "v/v.mp4" "the frontyard dir is skipped"
echo '{"tags": {}, "frontyard": {"dir": "./x/../fy/", "workdir": "file:fy//work"}}' > "$T/by2/backyard.medusa.json"
ok "frontyard inside, written oddly: scan" medusa-scan -C "$T/by2"
is "$(lastout | jq -r 'select(.path) | .path')" "v/v.mp4" "still skipped"

# -p: libavformat's view
mkvideo "$B/rot.mp4" 1
ffmpeg -nostdin -loglevel error -y -i "$B/rot.mp4" -c copy -metadata:s:v:0 rotate=90 "$B/rot2.mp4"
mv "$B/rot2.mp4" "$B/rot.mp4"
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=1 -c:v libx264 -preset ultrafast "$B/silent.mkv"
echo "not a video" > "$B/junk.mp4"
fails "-p with a broken file: exit 1" 1 medusa-scan -p -C "$B"
lastout > "$T/scan5"
is "$(jq -c 'select(.path == "a/v.mp4") | [.duration, .width, .height, .vcodec, .acodec, .rotation]' "$T/scan5")" \
   '[1,320,240,"h264","aac",0]' "-p: duration, size, codecs, rotation"
is "$(jq -c 'select(.path == "silent.mkv") | [.vcodec, .acodec]' "$T/scan5")" '["h264",null]' "-p: no audio is null"
is "$(jq -c 'select(.path == "rot.mp4") | .rotation' "$T/scan5" | grep -cE '^(90|270)$')" 1 "-p: rotation from the display matrix"
is "$(jq -c 'select(.video == "junk.mp4") | .error' "$T/scan5")" \
   '"cannot read the video: Invalid data found when processing input"' "-p: unreadable video is an error record"
like "$(lasterr)" '^medusa-scan: junk.mp4: cannot read the video: Invalid data found' "-p: message names the file"
is "$(tail -n 1 "$T/scan5" | jq -c .summary)" '{"complete":true,"videos":8,"errors":1}' "-p: the walk goes on"

# a file it cannot open (as an unprivileged user)
chmod 0 "$B/junk.mp4"
cp "$B/a/v.mp4" "$B/junk.mp4.tmp" && mv "$B/junk.mp4.tmp" "$B/junk.mp4" && chmod 0 "$B/junk.mp4"
fails "-p unreadable file: exit 1" 1 as_user medusa-scan -p -C "$B"
like "$(lasterr)" '^medusa-scan: junk.mp4: cannot read the video: Permission denied$' "unreadable file named"
rm -f "$B/junk.mp4"

# config and usage problems exit 2
mkdir "$T/nowhere"
cd "$T/nowhere"
fails "no backyard root: exit 2" 2 medusa-scan
cd /
like "$(lasterr)" "^medusa-scan: no backyard found: no backyard.medusa.json in the working directory or above" "no root: message"
fails "-C to a folder without config: exit 2" 2 medusa-scan -C "$T/nowhere"
like "$(lasterr)" "not a backyard: no backyard.medusa.json there" "-C: message"
printf '{"tags": {"x": {"type": "strin"}}}' > "$T/nowhere/backyard.medusa.json"
fails "bad config: exit 2" 2 medusa-scan -C "$T/nowhere"
like "$(lasterr)" "^medusa-scan: $T/nowhere/backyard.medusa.json: tags.x: type: must be one of" "bad config: file and JSON path"
printf '{"tags": {\n"x": }' > "$T/nowhere/backyard.medusa.json"
fails "malformed config: exit 2" 2 medusa-scan -C "$T/nowhere"
like "$(lasterr)" "^medusa-scan: $T/nowhere/backyard.medusa.json: malformed JSON: line 2: " "malformed config: file and line"
fails "extra argument: usage, exit 2" 2 medusa-scan x
like "$(lasterr)" "^usage: medusa-scan" "usage message"
done_testing
