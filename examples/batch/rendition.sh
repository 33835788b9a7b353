#!/bin/sh
# rendition.sh SPEC PROFILES DIR: the rendition record of one clip (its
# record in SPEC plus its files in DIR, one per line of PROFILES), as
# medusa-publish reads it (HACKING.md).
set -eu
spec=$1 profiles=$2 dir=$3
id=$(jq -r .clip "$spec")
rs=
while read -r name ext mime kind pspec; do
	f=$dir/$name.$ext
	ver=$( { cat "$spec"; printf '%s\n' "$pspec"; } | b2sum -l 64 | cut -c1-16)
	hash=$(b2sum -l 256 "$f" | cut -d' ' -f1)
	r=$(jq -nc --arg p "$name" --arg k "$kind" --arg f "$(cd "$dir" && pwd)/$name.$ext" \
	    --arg v "$ver" --arg key "clips/$id/$ver/$name.$ext" --argjson b "$(wc -c < "$f")" \
	    --arg h "$hash" --arg m "$mime" \
	    '{profile: $p, kind: $k, file: $f, version: $v, key: $key, bytes: $b, hash: $h, mime: $m}')
	rs="$rs${rs:+,}$r"
done < "$profiles"
jq -c --argjson r "[$rs]" '. + {renditions: $r}' "$spec"
