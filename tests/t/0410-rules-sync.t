#!/bin/sh
# medusa-sync -W to s3rver: the bucket holds no object of a clip outside
# the rule (neither its files nor its row in any snapshot), a narrowed
# rule deletes what went up before, at once, and a replica on the bucket
# follows the new snapshot of the same generation.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
s3_require
s3_start media
R=s3://media/gallery
mkbackyard "$T/by"
FY=$T/frontyard
{
	clip k1 trips/kyoto.mp4 0 4 '{"place":"Kyoto","people":[],"rating":5,"kind":"travel","public":true}'
	clip k2 trips/nara.mp4 1 3 '{"place":"Nara","people":[],"rating":2,"kind":"travel","public":false}'
	clip k3 home/cat.mp4 2 8 '{"place":"Home","people":[],"rating":4,"kind":"family","public":true}'
} > "$T/recs"
medusa-publish -C "$T/by" -q < "$T/recs" > /dev/null
sync() { medusa-sync -q -C "$T/by" -t "$R" "$@"; }
# the ids of the clips that have an object in the bucket
remote_clips() { medusa-store -s "$R" ls clips/ | jq -r .key | cut -d/ -f2 | sort -u | tr '\n' ' '; }
# the ids in every snapshot the bucket holds
snapshot_clips() {
	for k in $(medusa-store -s "$R" ls meta/snapshots/ | jq -r '.key | select(endswith(".sqlite"))'); do
		medusa-store -s "$R" get "$k" "$T/snap.sqlite" && sqlite3 "$T/snap.sqlite" 'SELECT id FROM clips'
	done | sort -u | tr '\n' ' '
}

fails "a bad rule: usage error" 2 sync -W rating=high
like "$(lasterr)" 'rating=high: "high" is not an integer' "named"
is "$(medusa-store -s "$R" ls | wc -l)" 0 "and nothing went up"
ok "sync -W public=true" sync -W public=true
is "$(remote_clips)" "k1 k3 " "the bucket holds the public clips' files only"
is "$(snapshot_clips)" "k1 k3 " "and the snapshot their rows only"
is "$(remote_whole "$R")" "$(sqlite3 "$FY/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'")" \
  "one whole generation, the local one"
ok "the local metastore keeps every clip" test "$(sqlite3 "$FY/metastore.sqlite" 'SELECT count(*) FROM clips')" = 3

# a replica on the bucket
medusa-recache -g "$T/keys" 2>/dev/null
P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" frontyard -m "$R" -c "$T/rcache" -k "$T/keys/recache.pub" -r 3600
code "$B/api/clips" > /dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1","k3"]' "a replica lists the public clips"

ok "the same again: nothing to do" sync -W public=true
: > "$T/s3rver.log"
ok "a narrower rule" sh -c 'medusa-sync -C "$1/by" -t "$2" -W "public=true&kind=travel" -r "$3" -k "$1/keys/recache.key" 2> "$1/err"' - "$T" "$R" "$B"
like "$(cat "$T/err")" "objects on $R belong to clips outside the rule" "says what goes"
is "$(remote_clips)" "k1 " "the clip it leaves out has no object left"
is "$(snapshot_clips)" "k1 " "and no snapshot holds its row, not even an older one"
code "$B/api/clips" > /dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1"]' "the re-cached replica took the new snapshot of the same generation"
is "$(code "$B/api/clips/k3")" 404 "and knows the left-out clip no more"

# a clip that becomes private goes the same way
jq -c 'select(.clip == "k1") | .tags.public = false' "$T/recs" | medusa-publish -C "$T/by" -q > /dev/null
ok "sync after k1 became private" sync -W "public=true&kind=travel"
is "$(remote_clips)" "" "none of its objects stays"
is "$(snapshot_clips)" "" "nor its row"
ok "without the rule everything goes up again" sync
is "$(remote_clips)" "k1 k2 k3 " "every clip"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
