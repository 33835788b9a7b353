#!/bin/sh
# clips.sh WORK: writes WORK/clips.mk, the rules of examples/batch: one
# target per clip, CLIP.rec, made from WORK/spec/CLIP.json (the clip's
# record, rewritten only when it changes, so that make remakes exactly the
# clips that changed). Error records (a broken sidecar, an invalid tag) and
# the scan summary go to WORK/errors.ndjson and WORK/summary.json for
# medusa-publish --prune. The backyard is $MEDUSA_BACKYARD.
set -eu
work=$1
mkdir -p "$work/spec"
cd "$work"

# replace FILE with FILE.new only when they differ (keeps the mtime)
settle() { if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv -f "$1.new" "$1"; fi; }

st=0
medusa-scan | medusa-meta clips | medusa-tags check > records.tmp || st=$?
grep '^{"summary"' records.tmp > summary.json.new || :
settle summary.json
jq -c 'select(has("error"))' records.tmp > errors.ndjson.new
settle errors.ndjson

# profiles: name, extension, mime type, kind and spec, as lib/profile.c names them
jq -r '.profiles // {} | to_entries[] | .value as $p
  | (if $p.kind == "image" then ({"jpeg": "jpg jpeg", "webp": "webp webp"}[$p.format // "jpeg"])
     else ({"mp4": "mp4 mp4", "webm": "webm webm", "mkv": "mkv x-matroska"}[$p.container //
       (if $p.kind == "preview" then "webm" else "mp4" end)]) end) as $x
  | "\(.key) \($x | split(" ")[0]) \(if $p.kind == "image" then "image" else "video" end)/\($x | split(" ")[1]) \($p.kind) \($p | tojson | @base64)"' \
  "$MEDUSA_BACKYARD/backyard.medusa.json" > profiles.txt.new
settle profiles.txt

jq -c 'select(has("clip") and (has("error") | not))' records.tmp > clips.tmp
{
	echo "# made by clips.sh: do not edit"
	while IFS= read -r rec; do
		id=$(printf '%s\n' "$rec" | jq -r .clip)
		case $id in *[!A-Za-z0-9_-]*|'') continue ;; esac
		printf '%s\n' "$rec" > "spec/$id.json.new"
		settle "spec/$id.json"
		# a clip that fails gets an error record dated 1970: make tries it
		# again next time, and the rest goes on
		printf '%s.rec: spec/%s.json profiles.txt\n' "$id" "$id"
		printf '\t@st=0; sh $(SRC)/rendition.sh spec/%s.json profiles.txt %s > $@.tmp || st=$$?; \\\n' "$id" "$id"
		printf '\tmv -f $@.tmp $@; [ $$st -eq 0 ] || touch -t 197001010000 $@\n'
		printf 'RECS += %s.rec\n' "$id"
	done < clips.tmp
} > clips.mk.new
settle clips.mk
rm -f records.tmp clips.tmp
exit "$st"
