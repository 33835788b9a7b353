#!/bin/sh
# rendition.sh SPEC PROFILES DIR: cuts the clip of SPEC (its record) into
# DIR/PROFILE.EXT for each line of PROFILES with medusa-cut's single-clip
# form, and prints its rendition record as medusa-publish reads it
# (HACKING.md), under keys whose version is a hash of the record and the
# profile. On a failure it prints an error record for the clip, exit 1.
set -u
spec=$1 profiles=$2 dir=$3
case $dir in -*) dir=./$dir ;; esac  # a clip id may start with '-'
id=$(jq -r .clip "$spec")
# the video path as it is, newlines and all
video=$(jq -j .video "$spec"; printf x)
video=${video%x}
start=$(jq -r .start "$spec") end=$(jq -r .end "$spec")
fail() {
	echo "batch: $video: clip $id: $1" >&2
	jq -nc --arg v "$video" --arg c "$id" --arg e "$1" '{video: $v, clip: $c, error: $e}'
	exit 1
}
mkdir -p "$dir" || fail "cannot make $dir"
rs=
while read -r name ext mime kind pspec; do
	f=$dir/$name.$ext
	medusa-cut -q -p "$name" -o "$f.tmp.$ext" -- "$MEDUSA_BACKYARD/$video" "$start" "$end" ||
	    fail "medusa-cut failed for profile $name"
	mv -f "$f.tmp.$ext" "$f" || fail "cannot rename $f"
	ver=$( { cat "$spec"; printf '%s\n' "$pspec"; } | b2sum -l 64 | cut -c1-16)
	hash=$(b2sum -l 256 "$f" | cut -d' ' -f1)
	r=$(jq -nc --arg p "$name" --arg k "$kind" --arg f "$(pwd)/$f" \
	    --arg v "$ver" --arg key "clips/$id/$ver/$name.$ext" --argjson b "$(wc -c < "$f")" \
	    --arg h "$hash" --arg m "$mime" \
	    '{profile: $p, kind: $k, file: $f, version: $v, key: $key, bytes: $b, hash: $h, mime: $m}') ||
	    fail "cannot describe $f"
	rs="$rs${rs:+,}$r"
done < "$profiles"
jq -c --argjson r "[$rs]" '. + {renditions: $r}' "$spec"
