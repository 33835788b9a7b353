#!/bin/sh
# medusa-meta clips and medusa-tags check on records no scan writes: paths
# that leave the backyard, name folders or the root, take detours; lines
# that are not strict UTF-8 JSON. Each gets an error record or a message,
# the others go through, and nothing outside the backyard is read.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/by
mkbackyard "$B"
mkdir -p "$B/sub" "$B/d.mp4" "$T/outside"
: > "$B/sub/a.mp4"
printf '{"clips": [{"id": "a1", "start": 0, "end": 1}]}\n' > "$B/sub/a.mp4.medusa.json"
: > "$T/outside/x.mp4"
printf '{"clips": [{"id": "x1", "start": 0, "end": 1}]}\n' > "$T/outside/x.mp4.medusa.json"
ln -s "$T/outside/x.mp4" "$B/out.mp4"
ln -s "$T/outside" "$B/outdir"
cd "$B"

rec() { printf "%s\n" "$@" > "$T/in"; _s=0; medusa-meta clips < "$T/in" > "$T/out" 2> "$T/err" || _s=$?; echo $_s > "$T/st"; }
rec '{"path":"../outside/x.mp4"}' '{"path":"/etc/passwd"}' '{"path":"out.mp4"}' '{"path":"outdir/x.mp4"}' \
    '{"path":""}' '{"path":"."}' '{"path":"d.mp4"}' '{"path":5}' '{"size":1}' '{"path":"sub/a.mp4"}'
is "$(cat "$T/st")" 1 "exit 1: some records failed"
is "$(grep -c '"error"' "$T/out")" 9 "an error record for each bad one"
is "$(jq -r 'select(.clip) | .clip' "$T/out")" "a1" "the good one goes through"
ok "no clip from outside the backyard" sh -c "! grep -q x1 '$T/out'"
like "$(cat "$T/err")" '^medusa-meta: \.\./outside/x.mp4: ".." in path$' '".." named'
like "$(cat "$T/err")" '^medusa-meta: /etc/passwd: absolute path$' 'absolute path named'
like "$(cat "$T/err")" '^medusa-meta: out.mp4: a symbolic link leads out of the backyard$' 'a symlink out'
like "$(cat "$T/err")" '^medusa-meta: outdir/x.mp4: a symbolic link leads out of the backyard$' 'a folder symlink out'
like "$(cat "$T/err")" '^medusa-meta: "": the backyard root is not a video$' 'an empty path'
like "$(cat "$T/err")" '^medusa-meta: \.: the backyard root is not a video$' 'the root'
like "$(cat "$T/err")" '^medusa-meta: d.mp4: a folder, not a video file$' 'a folder named like a video'

# a detour names the video by its clean path, in clips and error records
rec '{"path":"./sub//a.mp4"}'
is "$(jq -r '.video + " " + .clip' "$T/out")" "sub/a.mp4 a1" "a clip names its video by the clean path"
printf '{"clips": [' > sub/a.mp4.medusa.json
rec '{"path":"sub/./a.mp4"}'
is "$(jq -r .video "$T/out")" "sub/a.mp4" "so does an error record (publish keeps that video's clips by name)"
printf '{"clips": [{"id": "a1", "start": 0, "end": 1}]}\n' > sub/a.mp4.medusa.json

# lines that are not strict UTF-8 JSON: a message with the line number,
# the next line still read
printf '{"path":"sub/a.mp4","x":NaN}\n{"path":"sub/a.mp4","x":"\377"}\n{"path":"sub/a.mp4","x":"\\u0000"}\n{"path":"sub/a.mp4","x":0e}\n{"path":"sub/a.mp4"}\n' > "$T/in"
fails "clips with malformed lines" 1 sh -c "medusa-meta clips < '$T/in'"
is "$(lastout | jq -r .clip)" "a1" "the good line goes through"
like "$(lasterr)" '^medusa-meta: stdin:1: malformed JSON: NaN or Infinity: not a JSON number$' "NaN, line 1"
like "$(lasterr)" '^medusa-meta: stdin:2: malformed JSON: at column 26, byte 0xff: invalid utf-8 string$' "bad UTF-8, line 2, its column"
like "$(lasterr)" '^medusa-meta: stdin:3: malformed JSON: at column 26, \\u0000 (a NUL character) in a string$' "\\u0000, line 3"
like "$(lasterr)" '^medusa-meta: stdin:4: malformed JSON' "0e, line 4"
fails "tags check with malformed lines" 1 sh -c "medusa-tags check < '$T/in'"
like "$(lasterr)" '^medusa-tags: stdin:1: malformed JSON: NaN' "medusa-tags names the line too"

# a sidecar holding what json-c takes but JSON does not
for bad in '{"clips": [{"start": NaN, "end": 1}]}' '{"tags": {"place": "\u0000"}}' "$(printf '{"tags": {"place": "\377"}}')"; do
	printf '%s\n' "$bad" > sub/a.mp4.medusa.json
	snapshot "$B" > "$T/before"
	fails "get refuses: $bad" 1 medusa-meta get sub/a.mp4
	like "$(lasterr)" 'sub/a.mp4.medusa.json: malformed JSON' "and says why"
	fails "tag refuses to rewrite it" 1 medusa-meta tag sub/a.mp4 place=x
	snapshot "$B" > "$T/after"
	ok "nothing changed on disk" cmp "$T/before" "$T/after"
done
# the command line: a value that is not UTF-8 never reaches a file
printf '{"clips": [{"id": "a1", "start": 0, "end": 1}]}\n' > sub/a.mp4.medusa.json
snapshot "$B" > "$T/before"
fails "tag with a non-UTF-8 value" 1 medusa-meta tag sub/a.mp4 "place=$(printf 'x\377')"
like "$(lasterr)" 'not valid UTF-8' "says so"
fails "add with a non-UTF-8 list" 1 medusa-meta add sub/a.mp4 0 1 "people=a,$(printf '\377')"
snapshot "$B" > "$T/after"
ok "nothing changed on disk" cmp "$T/before" "$T/after"
ok "tag with a list typed with spaces" medusa-meta tag sub/a.mp4 "people=Ann, Bo"
is "$(jq -c .tags.people sub/a.mp4.medusa.json)" '["Ann","Bo"]' "items trimmed"

# documents past the 16 MiB every reader takes: refused before writing
if command -v python3 >/dev/null; then
	snapshot "$B" > "$T/before"
	python3 -c 'import json; print(json.dumps({"tags": {"place": "x" * (17 << 20)}}))' > "$T/big"
	fails "set a 17 MiB document" 1 sh -c "medusa-meta set -d . < '$T/big'"
	like "$(lasterr)" '^medusa-meta: stdin: larger than 16777216 bytes$' "says so"
	# compact on stdin, but larger than the limit as the file would be written
	python3 -c 'import json; print(json.dumps({"tags": {"people": ["a"] * (3 << 20)}}, separators=(",", ":")))' > "$T/big"
	fails "set a document that formats past 16 MiB" 1 sh -c "medusa-meta set -d . < '$T/big'"
	like "$(lasterr)" 'folder.medusa.json: cannot write, the old file is unchanged: File too large' "says so"
	snapshot "$B" > "$T/after"
	ok "nothing changed on disk" cmp "$T/before" "$T/after"
	rm -f "$T/big"
fi
done_testing
