#!/bin/sh
# medusa-meta get, set, add, rm, tag, untag, init: the working paths.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/by
mkdir -p "$B"
ok "init writes the example config" medusa-meta init "$B"
is "$(jq -c '.tags | keys' "$B/backyard.medusa.json")" '["kind","people","place","public","rating"]' "example tag set"
fails "init again: exit 1" 1 medusa-meta init "$B"
like "$(lasterr)" "^medusa-meta: $B/backyard.medusa.json: already there; not overwritten$" "init refuses to overwrite"
mkdir -p "$B/trips/kyoto"
mkvideo "$B/trips/kyoto/day1.mp4" 3
cd "$B"

ok "get of a video without a sidecar" medusa-meta get trips/kyoto/day1.mp4
is "$(lastout | jq -c '[.path, .file, .exists, .meta]')" \
   '["trips/kyoto/day1.mp4","trips/kyoto/day1.mp4.medusa.json",false,{"tags":{},"clips":[]}]' "empty document"
empty=$(lastout | jq -r .etag)
like "$empty" '^[0-9a-f]\{32\}$' "an etag of 32 hex digits"
is "$(lastout | jq -c .inherited.kind)" '{"value":"other","source":"default"}' "inherited defaults"

ok "add a clip" medusa-meta add trips/kyoto/day1.mp4 0.5 00:00:02 place=Kyoto rating=5 people=Ann,Bo
id=$(lastout | jq -r .clip)
like "$id" '^[0-9a-z]\{12\}$' "the new clip has a random id"
e1=$(lastout | jq -r .etag)
is "$(medusa-meta get trips/kyoto/day1.mp4 | jq -r .etag)" "$e1" "the etag add answers is the next get's"
is "$(jq -c '.clips[0] | [.start, .end, .tags]' trips/kyoto/day1.mp4.medusa.json)" \
   '[0.5,"00:00:02",{"place":"Kyoto","rating":5,"people":["Ann","Bo"]}]' "times as typed, tags typed"

ok "tag the video" medusa-meta tag trips/kyoto/day1.mp4 kind=travel
ok "tag the clip" medusa-meta tag -c "$id" trips/kyoto/day1.mp4 public=yes
ok "tag a folder" medusa-meta tag -d trips place=Japan
ok "tag the root folder" medusa-meta tag -d . rating=2
is "$(jq -c . trips/folder.medusa.json)" '{"tags":{"place":"Japan"}}' "folder file written"
is "$(jq -c . folder.medusa.json)" '{"tags":{"rating":2}}' "root folder file written"
ok "get -d" medusa-meta get -d trips
is "$(lastout | jq -c '[.file, .meta, .inherited.rating]')" \
   '["trips/folder.medusa.json",{"tags":{"place":"Japan"}},{"value":2,"source":"folder:."}]' "get -d: file, doc, inherited"
ok "get" medusa-meta get trips/kyoto/day1.mp4
is "$(lastout | jq -c '.inherited | [.place, .rating]')" \
   '[{"value":"Japan","source":"folder:trips"},{"value":2,"source":"folder:."}]' "inherited from folders"
ok "untag" medusa-meta untag -c "$id" trips/kyoto/day1.mp4 people
is "$(jq -c '.clips[0].tags' trips/kyoto/day1.mp4.medusa.json)" '{"place":"Kyoto","rating":5,"public":true}' "tag removed"

# set: get's output round-trips; the etag guards it
medusa-meta get trips/kyoto/day1.mp4 > "$T/got"
e2=$(jq -r .etag "$T/got")
jq '.meta.clips[0].end = 2.5' "$T/got" > "$T/edited"
ok "set takes get's output, with its etag" sh -c "medusa-meta set trips/kyoto/day1.mp4 < '$T/edited'"
is "$(jq -c '.clips[0].end' trips/kyoto/day1.mp4.medusa.json)" 2.5 "the change is there"
before=$(snapshot "$B")
fails "the same etag again is stale: exit 1" 1 sh -c "medusa-meta set trips/kyoto/day1.mp4 < '$T/edited'"
like "$(lasterr)" "^medusa-meta: trips/kyoto/day1.mp4.medusa.json: changed since it was read (etag $e2 is stale); nothing written$" "stale etag message"
is "$(snapshot "$B")" "$before" "stale etag: nothing changed"
fails "-e with a stale etag: exit 1" 1 sh -c "jq .meta '$T/edited' | medusa-meta set -e '$e2' trips/kyoto/day1.mp4"
is "$(snapshot "$B")" "$before" "nothing changed"
cur=$(medusa-meta get trips/kyoto/day1.mp4 | jq -r .etag)
ok "-e with the current etag" sh -c "echo '{\"clips\":[{\"start\":0,\"end\":1},{\"start\":1,\"end\":2}]}' | medusa-meta set -e '$cur' trips/kyoto/day1.mp4"
ids=$(jq -r '.clips[].id' trips/kyoto/day1.mp4.medusa.json | tr '\n' ' ')
like "$ids" '^[0-9a-z]\{12\} [0-9a-z]\{12\} $' "hand-written clips get ids"
echo '{"clips":[{"start":0,"end":1},{"start":1,"end":2}]}' > "$T/hand"
ok "set without -e: unconditional" sh -c "medusa-meta set trips/kyoto/day1.mp4 < '$T/hand'"
is "$(jq -r '.clips[].id' trips/kyoto/day1.mp4.medusa.json | tr '\n' ' ')" "$ids" "derived ids are stable: same path and times, same ids"

first=$(echo "$ids" | cut -d' ' -f1)
ok "rm a clip" medusa-meta rm trips/kyoto/day1.mp4 "$first"
is "$(jq -c '[.clips[].id]' trips/kyoto/day1.mp4.medusa.json)" "[\"$(echo "$ids" | cut -d' ' -f2)\"]" "clip removed"
before=$(snapshot "$B")
fails "rm an unknown id: exit 1" 1 medusa-meta rm trips/kyoto/day1.mp4 nosuch
like "$(lasterr)" '^medusa-meta: trips/kyoto/day1.mp4.medusa.json: no clip with id "nosuch"$' "rm: message"
is "$(snapshot "$B")" "$before" "nothing changed"

# -C, and paths relative to the root whatever the working directory
cd /
ok "-C" medusa-meta -C "$B" get trips/kyoto/day1.mp4
ok "set an empty folder file doc" sh -c "echo '{}' | medusa-meta -C '$B' set -d trips"
is "$(cat "$B/trips/folder.medusa.json")" '{}' "folder file replaced"
ok "a mode kept across writes" sh -c "chmod 640 '$B/trips/folder.medusa.json' && echo '{\"tags\":{}}' | medusa-meta -C '$B' set -d trips && stat -c %a '$B/trips/folder.medusa.json'"
is "$(lastout | tail -n 1)" 640 "mode 640 kept"
is "$(ls -a "$B/trips" | grep -c tmp || true)" 0 "no temporary files left"
# concurrent edits: none is lost (a stale read is done again)
mkvideo "$B/busy.mp4" 2
for i in 1 2 3 4 5 6 7 8; do
	medusa-meta -C "$B" add busy.mp4 0 1 rating=$i > /dev/null 2>"$T/add.$i" &
done
wait
is "$(jq '.clips | length' "$B/busy.mp4.medusa.json")" 8 "8 concurrent adds: 8 clips"
is "$(jq -c '[.clips[].tags.rating] | sort' "$B/busy.mp4.medusa.json")" "[1,2,3,4,5,6,7,8]" "each of them"
is "$(cat "$T"/add.*)" "" "no messages"
fails "unknown command: exit 2" 2 medusa-meta frob
like "$(lasterr)" '^medusa-meta: unknown command "frob"' "unknown command named"
fails "add without times: exit 2" 2 medusa-meta -C "$B" add trips/kyoto/day1.mp4
done_testing
