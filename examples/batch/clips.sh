#!/bin/sh
# clips.sh WORK: writes WORK/clips.mk, the rules of examples/batch: one
# target per clip, CLIP.rec, made from WORK/spec/CLIP.json (the clip's
# record, rewritten only when it changes, so that make remakes exactly the
# clips that changed). Error records (a broken sidecar, an invalid tag) and
# the scan summary go to WORK/errors.ndjson and WORK/summary.json for
# medusa-publish --prune, the clip ids to WORK/ids.txt. The backyard is $MEDUSA_BACKYARD, this folder
# $MEDUSA_BATCH_SRC (the recipes read both from the environment: no path
# or file name is ever written into clips.mk). Exit 0, 1 when some videos
# came as error records (the rest goes on), 2 when the scan did not finish.
set -eu
work=$1
mkdir -p "$work/spec"
cd "$work"
rm -f ids.txt.new

# replace FILE with FILE.new only when they differ (keeps the mtime)
settle() { if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv -f "$1.new" "$1"; fi; }

st=0
medusa-scan | medusa-meta clips | medusa-tags check > records.tmp || st=$?
grep '^{"summary"' records.tmp > summary.json.new || :
if [ ! -s summary.json.new ]; then
	rm -f summary.json.new records.tmp
	echo "batch: $MEDUSA_BACKYARD: the scan did not finish, nothing converted" >&2
	exit 2
fi
settle summary.json
[ "$st" -lt 2 ] || st=1
jq -c 'select(has("error"))' records.tmp > errors.ndjson.new

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
		# ids become make targets: only the safe ones, as sidecar_assign_ids makes
		# (clip_id_valid); skip any other as an error record, so that
		# publish keeps what its video had
		case $id in *[!A-Za-z0-9_-]*|'')
			printf '%s\n' "$rec" | jq -c '{video, clip, error: "clip id \(.clip | tojson): not letters, digits, _ and -"}' |
			    tee -a errors.ndjson.new | jq -r '"batch: \(.video): \(.error)"' >&2
			st=1; continue ;;
		esac
		printf '%s\n' "$rec" > "spec/$id.json.new"
		settle "spec/$id.json"
		# a clip that fails gets an error record dated 1970: make tries it
		# again next time, and the rest goes on
		printf '%s.rec: spec/%s.json profiles.txt\n' "$id" "$id"
		printf '\t@st=0; sh "$$MEDUSA_BATCH_SRC/rendition.sh" spec/%s.json profiles.txt %s > $@.tmp || st=$$?; \\\n' "$id" "$id"
		printf '\tmv -f $@.tmp $@; [ $$st -eq 0 ] || touch -t 197001010000 $@\n'
		printf 'RECS += %s.rec\n' "$id"
		printf '%s\n' "$id" >> ids.txt.new
	done < clips.tmp
} > clips.mk.new
settle clips.mk
touch ids.txt.new
settle ids.txt
# the tools said what was wrong on stderr; make exits 1 while it stays so
[ ! -s errors.ndjson.new ] || st=1
settle errors.ndjson
# the work of clips that are gone (publish prunes them); a clip of a video
# that came as an error record keeps its work, so that it is not cut again
for f in spec/*.json; do
	[ -f "$f" ] || continue
	id=${f#spec/} id=${id%.json}
	grep -qxF -- "$id" ids.txt && continue
	[ -z "$(jq -c --slurpfile s "$f" 'select(.video == $s[0].video)' errors.ndjson)" ] || continue
	rm -f -- "$f" "$id.rec"
	[ "$id" = spec ] || rm -rf -- "$id"
done
rm -f records.tmp clips.tmp
exit "$st"
