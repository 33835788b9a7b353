#!/bin/sh
# A damaged generation object on the remote (empty, truncated, not JSON,
# not a generation object, naming a snapshot that is gone) is "unknown":
# the next sync rebuilds it from the snapshots it finds, says so, and the
# remote serves one whole generation again. Messages say what is true.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
R=s3://media/g
F=$T/fy
fy_init "$F"
for i in 1 2 3; do fy_add "$F" clips/c$i/v/360p.mp4 20000; done
sync() { medusa-sync -q -m "$F/metastore.sqlite" -s "$F/files" -t "$R" -j 2 "$@"; }
ok "first sync" sync
fy_add "$F" clips/c4/v/360p.mp4 20000
ok "second sync" sync
is "$(remote_whole $R)" 4 "remote at generation 4"
good=$(medusa-store -s $R generation)

# damage DESCRIPTION BYTES-FILE: put it as meta/generation, then sync heals
damage() {
	medusa-store -s $R put meta/generation "$2" application/json
	fails "$1: medusa-store generation says so" 1 medusa-store -s $R generation
	like "$(lastout)" '"generation":null,"unreadable":' "$1: ... its generation is unknown"
	fails "$1: gc deletes nothing" 1 medusa-store -s $R gc
	like "$(lasterr)" 'unreadable.*deleting nothing' "$1: ... and says why"
	ok "$1: sync" sync
	like "$(lasterr)" "meta/generation is unreadable (.*): rebuilding it from the 2 snapshots under meta/snapshots/" \
	    "$1: ... rebuilds it and says so"
	is "$(remote_whole $R)" 4 "$1: the remote serves generation 4 whole again"
	is "$(medusa-store -s $R generation | jq -c '[.generation, (.history | map(.generation))]')" '[4,[3]]' \
	    "$1: ... with the older snapshot as its history"
}
: > "$T/empty"
damage "an empty object" "$T/empty"
printf '%s' "$good" | head -c 40 > "$T/cut"
damage "a truncated object" "$T/cut"
printf 'hello\n' > "$T/text"
damage "not JSON" "$T/text"
printf '{"generation":4}\n' > "$T/partial"
damage "not a generation object" "$T/partial"

# an object that names a snapshot that is gone
snap=$(medusa-store -s $R generation | jq -r .snapshot)
ok "remove the live snapshot" medusa-store -s $R rm "$snap"
ok "sync" sync
like "$(lasterr)" "it names $snap, which is not there" "says what is wrong"
is "$(remote_whole $R)" 4 "whole again"

# the messages of a sync that fails while the object is damaged
medusa-store -s $R put meta/generation "$T/empty" application/json
fy_add "$F" clips/c5/v/360p.mp4 20000
s3_proxy --fail-match 'PUT /media/g/clips/c5'
fails "a sync whose upload fails" 1 sync
like "$(lasterr)" 'failed (0 of 1 done); s3://media/g still has no readable generation object (meta/generation: empty (0 bytes))' \
    "does not claim a previous generation is served"
s3_proxy_stop
ok "the next sync" sync
is "$(remote_whole $R)" 5 "generation 5 whole"
s3_proxy --fail-match 'PUT /media/g/clips/c6'
fy_add "$F" clips/c6/v/360p.mp4 20000
fails "a sync whose upload fails" 1 sync
like "$(lasterr)" 's3://media/g still serves generation 5' "names the generation still served"
s3_proxy_stop

# snapshots newer than the local metastore: not overwritten without -f
medusa-store -s $R put meta/generation "$T/empty" application/json
F2=$T/fy2
fy_init "$F2"
fy_add "$F2" clips/x1/v/360p.mp4 1000
fails "another publisher's older metastore" 1 medusa-sync -q -m "$F2/metastore.sqlite" -s "$F2/files" -t "$R"
like "$(lasterr)" 'the remote generation 5 is newer than 1' "refuses to go back"
ok "the right one heals it" sync
is "$(remote_whole $R)" 6 "generation 6 whole"
done_testing
