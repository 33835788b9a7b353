#!/bin/sh
# clips.sh BACKYARD WORK: writes WORK/clips.mk, the make rules of
# examples/batch/Makefile: one target per clip and profile, made with
# medusa-cut's single-clip form. Each clip's record goes to
# WORK/spec/CLIP.json, rewritten only when it changes, so that make remakes
# exactly the clips that changed. Error records (a broken sidecar, an
# invalid tag) and the scan summary go to WORK/errors.ndjson and
# WORK/summary.json for medusa-publish --prune.
set -eu
by=$1 work=$2
mkdir -p "$work/spec"
export MEDUSA_BACKYARD="$by"

# replace FILE with FILE.new only when they differ (keeps the mtime)
settle() { if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv -f "$1.new" "$1"; fi; }

recs=$work/records.tmp
st=0
medusa-scan | medusa-meta clips | medusa-tags check > "$recs" || st=$?
grep '"summary"' "$recs" > "$work/summary.json.new" || :
settle "$work/summary.json"
jq -c 'select(has("error"))' "$recs" > "$work/errors.ndjson.new"
settle "$work/errors.ndjson"

# profiles: name, extension and mime type, as lib/profile.c names them
jq -r '.profiles // {} | to_entries[] | .value as $p
  | (if $p.kind == "image" then ({"jpeg": "jpg jpeg", "webp": "webp webp"}[$p.format // "jpeg"])
     else ({"mp4": "mp4 mp4", "webm": "webm webm", "mkv": "mkv x-matroska"}[$p.container //
       (if $p.kind == "preview" then "webm" else "mp4" end)]) end) as $x
  | "\(.key) \($x | split(" ")[0]) \(if $p.kind == "image" then "image" else "video" end)/\($x | split(" ")[1]) \(.value.kind) \(.value | tojson | @base64)"' \
  "$by/backyard.medusa.json" > "$work/profiles.txt"

{
	echo "# made by clips.sh: do not edit"
	all=
	jq -c 'select(has("clip") and (has("error") | not))' "$recs" | while IFS= read -r rec; do
		id=$(printf '%s\n' "$rec" | jq -r .clip)
		printf '%s\n' "$rec" > "$work/spec/$id.json.new"
		settle "$work/spec/$id.json"
		video=$(printf '%s\n' "$rec" | jq -r '.video | @sh' | sed 's/\$/$$/g')
		times=$(printf '%s\n' "$rec" | jq -r '"\(.start) \(.end)"')
		files=
		while read -r name ext mime kind spec; do
			f=\$\(W\)/$id/$name.$ext
			files="$files $f"
			printf '%s: $(W)/spec/%s.json\n' "$f" "$id"
			printf '\tmkdir -p $(@D) && medusa-cut -q -p %s -o $@.tmp.%s $(BACKYARD)/%s %s\n' \
			    "$name" "$ext" "$video" "$times"
			printf '\tmv -f $@.tmp.%s $@\n' "$ext"
		done < "$work/profiles.txt"
		# the clip's record: its renditions under keys whose version is a
		# hash of the clip's record and the profile, so a change gets new keys
		printf '$(W)/%s.rec:%s\n' "$id" "$files"
		printf '\t$(SRC)/rendition.sh $(W)/spec/%s.json $(W)/profiles.txt $(W)/%s > $@.tmp && mv -f $@.tmp $@\n' "$id" "$id"
		printf 'RECS += $(W)/%s.rec\n' "$id"
	done
} > "$work/clips.mk.new"
settle "$work/clips.mk"
rm -f "$recs"
exit "$st"
