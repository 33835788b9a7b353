#!/bin/sh
# medusa-meta set/add/get refuse bad input with a message naming the file
# and the problem, exit 1, and leave the backyard as it was.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/by
mkbackyard "$B"
mkdir -p "$B/a"
mkvideo "$B/a/v.mp4" 2
cat > "$B/a/v.mp4.medusa.json" <<'JSON'
{"clips": [{"id": "one", "start": 0, "end": 1}]}
JSON
cd "$B"
S=a/v.mp4.medusa.json

# set_bad DESCRIPTION DOC MESSAGE-PATTERN [set arguments]: exit 1, the
# message, and nothing changed on disk
set_bad() {
	_desc=$1 _doc=$2 _pat=$3; shift 3
	printf '%s' "$_doc" > "$T/doc"
	_before=$(snapshot "$B")
	fails "$_desc: exit 1" 1 sh -c 'medusa-meta set "$@" < "$0"' "$T/doc" "$@"
	like "$(lasterr)" "$_pat" "$_desc: message"
	is "$(snapshot "$B")" "$_before" "$_desc: nothing changed"
}
set_bad "malformed JSON" '{"clips": [
  {"start": 0, "end": 1,}]}' '^medusa-meta: stdin: malformed JSON: line 2: ' a/v.mp4
set_bad "empty input" '' '^medusa-meta: stdin: malformed JSON: empty document$' a/v.mp4
set_bad "not an object" '[1]' "^medusa-meta: $S: the sidecar must be a JSON object$" a/v.mp4
set_bad "unknown tag" '{"tags": {"colour": "red"}}' \
	"^medusa-meta: $S: tags.colour: unknown tag \"colour\" (not in backyard.medusa.json)$" a/v.mp4
set_bad "wrong type" '{"clips": [{"start": 0, "end": 1, "tags": {"rating": "five"}}]}' \
	"^medusa-meta: $S: clips\[0\].tags.rating: must be an integer$" a/v.mp4
set_bad "enum value" '{"tags": {"kind": "work"}}' \
	"^medusa-meta: $S: tags.kind: \"work\" is not one of family, travel, nature, other$" a/v.mp4
set_bad "list of non-strings" '{"tags": {"people": [1]}}' \
	"^medusa-meta: $S: tags.people: item 0 must be a string$" a/v.mp4
set_bad "end before start" '{"clips": [{"start": 1.5, "end": 1}]}' \
	"^medusa-meta: $S: clips\[0\].end: 00:00:01.000 is not after the start 00:00:01.500$" a/v.mp4
set_bad "negative time" '{"clips": [{"start": -1, "end": 1}]}' \
	"^medusa-meta: $S: clips\[0\].start: negative time$" a/v.mp4
set_bad "99:99" '{"clips": [{"start": "99:99", "end": 1}]}' \
	"^medusa-meta: $S: clips\[0\].start: seconds must be below 60$" a/v.mp4
set_bad "junk time" '{"clips": [{"start": "soon", "end": 1}]}' \
	"^medusa-meta: $S: clips\[0\].start: expected a digit$" a/v.mp4
set_bad "start missing" '{"clips": [{"end": 1}]}' "^medusa-meta: $S: clips\[0\].start: required$" a/v.mp4
set_bad "clip past the video's end" '{"clips": [{"start": 1, "end": 2.5}]}' \
	"^medusa-meta: $S: clips\[0\].end: 00:00:02.500 is past the end of the video (00:00:02.000)$" a/v.mp4
set_bad "duplicate id" '{"clips": [{"id": "x", "start": 0, "end": 1}, {"id": "x", "start": 1, "end": 2}]}' \
	"^medusa-meta: $S: clips\[1\].id: \"x\" is already the id of clips\[0\]$" a/v.mp4
set_bad "unknown field" '{"clips": [{"start": 0, "end": 1, "title": "t"}]}' \
	"^medusa-meta: $S: clips\[0\].title: unknown field$" a/v.mp4
set_bad "folder file with clips" '{"clips": []}' "^medusa-meta: a/folder.medusa.json: clips: unknown field$" -d a

# a required tag without a value (the example's kind has a default: drop it)
jq '.tags.kind |= del(.default)' backyard.medusa.json > "$T/cfg" && cp "$T/cfg" backyard.medusa.json
# valid as a sidecar but not publishable: saved, with a warning naming the
# clip and the tag (the one save routine of every writer does so)
ok "required tag missing: saved" sh -c "echo '{\"clips\": [{\"id\": \"c1\", \"start\": 0, \"end\": 1}]}' | medusa-meta set a/v.mp4"
like "$(lasterr)" "^medusa-meta: $S: clip c1: kind is required: no value from the clip, the video, its folders or a default, so this clip is not published$" \
    "required tag missing: says which clip and tag"
is "$(lastout | jq -c '.warnings | map([.clip, .path])')" '[["c1","clips[0].tags.kind"]]' "... and the record carries it"
ok "required tag given by a folder" sh -c "echo '{\"tags\":{\"kind\":\"travel\"}}' | medusa-meta set -d a"
ok "now the sidecar is fine" sh -c "echo '{\"clips\":[{\"start\":0,\"end\":1}]}' | medusa-meta set a/v.mp4"
rm a/folder.medusa.json
echo '{"clips": [{"id": "one", "start": 0, "end": 1, "tags": {"kind": "other"}}]}' > "$S"

# paths: .., absolute, NUL cannot be typed, symlinks out, no video
set_bad "path with .." '{}' "^medusa-meta: a/../a/v.mp4: \"..\" in path$" a/../a/v.mp4
set_bad "absolute path" '{}' "^medusa-meta: $B/a/v.mp4: absolute path$" "$B/a/v.mp4"
mkdir -p "$T/outside"
cp a/v.mp4 "$T/outside/o.mp4"
ln -s "$T/outside" out
ln -s "$T/outside/o.mp4" a/link.mp4
set_bad "symlinked folder leading out" '{}' "^medusa-meta: out/o.mp4: a symbolic link leads out of the backyard$" out/o.mp4
set_bad "symlinked video leading out" '{}' "^medusa-meta: a/link.mp4: a symbolic link leads out of the backyard$" a/link.mp4
cp a/v.mp4 a/w.mp4
ln -s "$T/outside/w.json" a/w.mp4.medusa.json
set_bad "sidecar symlink leading out" '{}' "^medusa-meta: a/w.mp4.medusa.json: a symbolic link that leads nowhere$" a/w.mp4
echo '{}' > "$T/outside/w.json"
set_bad "sidecar symlink leading out (to a file)" '{}' "^medusa-meta: a/w.mp4.medusa.json: a symbolic link leads out of the backyard$" a/w.mp4
is "$(cat "$T/outside/w.json")" '{}' "the file outside is untouched"
rm a/w.mp4.medusa.json a/w.mp4
set_bad "sidecar without a video" '{}' "^medusa-meta: a/gone.mp4: no such video in the backyard$" a/gone.mp4
set_bad "not a video" '{}' "^medusa-meta: backyard.medusa.json: not a video (its extension is not among the video extensions of backyard.medusa.json)$" backyard.medusa.json
set_bad "a folder without -d" '{}' "^medusa-meta: a: not a video (a folder; use -d)$" a

# add and tag check their arguments
before=$(snapshot "$B")
fails "add: unknown tag: exit 1" 1 medusa-meta add a/v.mp4 0 1 colour=red
like "$(lasterr)" '^medusa-meta: colour=red: unknown tag "colour" (not in backyard.medusa.json)$' "add: unknown tag message"
fails "add: wrong type: exit 1" 1 medusa-meta add a/v.mp4 0 1 rating=five
like "$(lasterr)" '^medusa-meta: rating=five: tag "rating": "five" is not an integer$' "add: wrong type message"
fails "add: enum: exit 1" 1 medusa-meta add a/v.mp4 0 1 kind=work
like "$(lasterr)" '^medusa-meta: kind=work: tag "kind": "work" is not one of family, travel, nature, other$' "add: enum message"
fails "add: 99:99: exit 1" 1 medusa-meta add a/v.mp4 99:99 100:00
like "$(lasterr)" '^medusa-meta: start "99:99": seconds must be below 60$' "add: 99:99 message"
fails "add: negative: exit 1" 1 medusa-meta add -- a/v.mp4 -1 1
like "$(lasterr)" '^medusa-meta: start "-1": negative time$' "add: negative message"
fails "add: end before start: exit 1" 1 medusa-meta add a/v.mp4 1.5 1 kind=other
like "$(lasterr)" "^medusa-meta: $S: clips\[1\].end: 00:00:01.000 is not after the start 00:00:01.500$" "add: end before start message"
fails "add: past the end: exit 1" 1 medusa-meta add a/v.mp4 1 3 kind=other
like "$(lasterr)" "^medusa-meta: $S: clips\[1\].end: 00:00:03.000 is past the end of the video (00:00:02.000)$" "add: past the end message"
fails "tag: unknown clip: exit 1" 1 medusa-meta tag -c nosuch a/v.mp4 rating=1
like "$(lasterr)" "^medusa-meta: $S: no clip with id \"nosuch\"$" "tag: unknown clip message"
is "$(snapshot "$B")" "$before" "add and tag: nothing changed"
ok "add without a required tag: saved" medusa-meta add a/v.mp4 0 1
nid=$(lastout | jq -r .clip)
like "$(lasterr)" "^medusa-meta: $S: clip $nid: kind is required" "... with a warning"
is "$(lastout | jq -r '.warnings[0].path')" "clips[1].tags.kind" "... naming the tag"
ok "tag it" medusa-meta tag -c "$nid" a/v.mp4 kind=family
is "$(lasterr)" "" "no warning once it is publishable"
ok "rm it" medusa-meta rm a/v.mp4 "$nid"

# a broken sidecar: get and add say so and change nothing; set replaces it
printf '{"clips": [\n  {"start": 0 "end": 1}\n]}\n' > "$S"
before=$(snapshot "$B")
fails "get of a malformed sidecar: exit 1" 1 medusa-meta get a/v.mp4
like "$(lasterr)" "^medusa-meta: $S: malformed JSON: line 2: " "get: file and line"
fails "add to a malformed sidecar: exit 1" 1 medusa-meta add a/v.mp4 0 1 kind=other
like "$(lasterr)" "^medusa-meta: $S: malformed JSON: line 2: " "add: file and line"
is "$(snapshot "$B")" "$before" "nothing changed"
ok "set replaces a broken sidecar" sh -c "echo '{}' | medusa-meta set a/v.mp4"
echo '{"tags": {"colour": "red"}}' > "$S"
before=$(snapshot "$B")
fails "get of an invalid sidecar: exit 1" 1 medusa-meta get a/v.mp4
is "$(lastout | jq -c .meta)" '{"tags":{"colour":"red"}}' "it is printed all the same, to be fixed"
like "$(lasterr)" "^medusa-meta: $S: tags.colour: unknown tag \"colour\"" "and reported"
is "$(snapshot "$B")" "$before" "nothing changed"
echo '{}' > "$S"
printf '{"tags": ' > a/folder.medusa.json
before=$(snapshot "$B")
fails "a malformed folder file above: exit 1" 1 sh -c "echo '{}' | medusa-meta set a/v.mp4"
like "$(lasterr)" "^medusa-meta: $S: cannot check the effective tags of its clips: a/folder.medusa.json: malformed JSON: line 1: unexpected end of document$" "folder file named"
is "$(snapshot "$B")" "$before" "nothing changed"
rm a/folder.medusa.json

# an unreadable sidecar (file modes apply to an unprivileged user only)
echo '{}' > "$S"
chmod 0 "$S"
chmod 755 "$T"
chmod -R a+rwX "$B"
chmod 0 "$S"
before=$(snapshot "$B")
fails "unreadable sidecar: exit 1" 1 as_user medusa-meta get a/v.mp4
like "$(lasterr)" "^medusa-meta: $S: Permission denied$" "unreadable: message"
is "$(snapshot "$B")" "$before" "nothing changed"
chmod 644 "$S"

# a malformed or invalid config: exit 2, nothing written
cp backyard.medusa.json "$T/cfg.good"
printf '{"tags": {"kind": {"type": "enum"}}}' > backyard.medusa.json
before=$(snapshot "$B")
fails "invalid config: exit 2" 2 sh -c "echo '{}' | medusa-meta set a/v.mp4"
like "$(lasterr)" "^medusa-meta: $B/backyard.medusa.json: tags.kind: values: an enum needs its values$" "invalid config: file and JSON path"
is "$(snapshot "$B")" "$before" "invalid config: nothing changed"
printf '{"tags": {\n  "kind": {"type": "enum",}\n}}' > backyard.medusa.json
before=$(snapshot "$B")
fails "malformed config: exit 2" 2 medusa-meta add a/v.mp4 0 1
like "$(lasterr)" "^medusa-meta: $B/backyard.medusa.json: malformed JSON: line 2: " "malformed config: file and line"
is "$(snapshot "$B")" "$before" "malformed config: nothing changed"
cp "$T/cfg.good" backyard.medusa.json

# no backyard root
mkdir "$T/elsewhere"
cd "$T/elsewhere"
fails "no backyard root: exit 2" 2 medusa-meta get a/v.mp4
like "$(lasterr)" "^medusa-meta: no backyard found: no backyard.medusa.json in the working directory or above (use -C DIR or MEDUSA_BACKYARD)$" "no root: message"
cd "$B"

# a full disk: a file size limit, and a tiny full filesystem
big=$(jq -cn '{clips: [range(0; 40) | {start: (. / 40), end: ((. + 1) / 40), tags: {kind: "other", place: "a place with a long name to fill the file"}}]}')
old=$(cat "$S")
before=$(snapshot "$B")
fails "file size limit during set: exit 1" 1 sh -c 'ulimit -f 1; printf "%s" "$0" | medusa-meta set a/v.mp4' "$big"
like "$(lasterr)" "^medusa-meta: $S: cannot write, the old file is unchanged: File too large$" "size limit: message"
is "$(cat "$S")" "$old" "size limit: the old file is whole"
is "$(snapshot "$B")" "$before" "size limit: nothing else changed, no temporary file"
if [ "$(id -u)" -eq 0 ] && mkdir "$T/full" && mount -t tmpfs -o size=16k tmpfs "$T/full" 2>/dev/null; then
	at_exit "umount '$T/full'"
	mkbackyard "$T/full"
	cp "$S" "$T/full/"
	: > "$T/full/v.mp4"
	echo '{}' > "$T/full/v.mp4.medusa.json"
	dd if=/dev/zero of="$T/full/filler" bs=1k count=64 2>/dev/null || true
	before=$(snapshot "$T/full")
	fails "full filesystem during set: exit 1" 1 sh -c 'printf "%s" "$0" | medusa-meta -C "$1" set v.mp4' "$big" "$T/full"
	like "$(lasterr)" "^medusa-meta: v.mp4.medusa.json: cannot write, the old file is unchanged: No space left on device$" "full: message"
	is "$(cat "$T/full/v.mp4.medusa.json")" '{}' "full: the old file is whole"
	is "$(snapshot "$T/full")" "$before" "full: nothing changed"
else
	for i in 1 2 3 4; do echo "ok $((_n = _n + 1)) # skip no tmpfs mount here"; done
fi

# a read-only folder: an immutable directory (root), or mode 555
before=$(snapshot "$B")
if [ "$(id -u)" -eq 0 ]; then
	ro() { chattr +i "$B/a"; }; rw() { chattr -i "$B/a"; }
else
	ro() { chmod 555 "$B/a"; }; rw() { chmod 755 "$B/a"; }
fi
if ro 2>/dev/null; then
	at_exit "chattr -i '$B/a' 2>/dev/null || chmod 755 '$B/a'"
	fails "read-only folder during set: exit 1" 1 sh -c "echo '{\"tags\":{\"rating\":1}}' | medusa-meta set a/v.mp4"
	like "$(lasterr)" "^medusa-meta: $S: cannot write, the old file is unchanged: \(Operation not permitted\|Permission denied\)$" "read-only: message"
	rw
	is "$(snapshot "$B")" "$before" "read-only: nothing changed"
else
	for i in 1 2 3; do echo "ok $((_n = _n + 1)) # skip cannot make a folder read-only"; done
fi
done_testing
