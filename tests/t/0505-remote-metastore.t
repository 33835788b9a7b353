#!/bin/sh
# The remote metastore: a server's copy follows the generation object; a
# corrupt snapshot, a missing one, an unreachable store and a generation
# going backwards all keep the old copy.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
R=s3://media/g
F=$T/fy
L=$T/server/metastore.sqlite
mkdir -p "$T/server"
fy_init "$F"
fy_add "$F" clips/a/v/360p.mp4 1000
sync() { medusa-sync -q -m "$F/metastore.sqlite" -s "$F/files" -t "$R" "$@"; }
gen_of() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'generation'"; }

fails "fetch before any sync" 1 medusa-store -s $R fetch "$L"
like "$(lasterr)" "no meta/generation yet" "says so"
ok "no local copy made" test ! -e "$L"
ok "sync" sync
ok "fetch" medusa-store -s $R fetch "$L"
is "$(gen_of "$L")" 1 "the local copy is generation 1"
is "$(sqlite3 "$L" 'PRAGMA journal_mode')" delete "a plain rollback-journal file (no -wal needed)"
is "$(sqlite3 "$L" 'SELECT key FROM renditions')" clips/a/v/360p.mp4 "with the renditions"
cp "$L" "$T/copy1"
ok "fetch again" medusa-store -s $R fetch "$L"
ok "... nothing changed" cmp "$L" "$T/copy1"
fy_add "$F" clips/b/v/360p.mp4 1000
ok "sync generation 2" sync
ok "fetch" medusa-store -s $R fetch "$L"
is "$(gen_of "$L")" 2 "follows to generation 2"
cp "$L" "$T/copy2"
ok "fetch over plain https(s) (a CDN), unsigned" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    medusa-store -s "$AWS_ENDPOINT_URL/media/g/" fetch "$T/cdn.sqlite"
ok "... the same snapshot" cmp "$T/cdn.sqlite" "$L"
ok "from the URL of the generation object" env -u AWS_ACCESS_KEY_ID \
    medusa-store -s "$AWS_ENDPOINT_URL/media/g/meta/generation" fetch "$T/cdn2.sqlite"
ok "... the same snapshot" cmp "$T/cdn2.sqlite" "$L"
fails "a CDN URL with nothing there" 1 medusa-store -s "$AWS_ENDPOINT_URL/media/none" fetch "$T/cdn3.sqlite"
like "$(lasterr)" "/media/none: no meta/generation yet" "says so"

# a corrupt snapshot: same key, other bytes
snap=$(medusa-store -s $R generation | jq -r .snapshot)
fy_add "$F" clips/c/v/360p.mp4 1000
ok "sync generation 3" sync
snap3=$(medusa-store -s $R generation | jq -r .snapshot)
medusa-store -s $R get "$snap3" "$T/s3.sqlite"
sqlite3 "$T/s3.sqlite" "INSERT INTO renditions SELECT clip + 100, profile, kind, 'clips/evil/v/x', version, url, bytes, hash, mime, width, height, duration, start FROM renditions LIMIT 1"
medusa-store -s $R rm "$snap3"
medusa-store -s $R put "$snap3" "$T/s3.sqlite"
fails "a snapshot with another hash" 1 medusa-store -s $R fetch "$L"
like "$(lasterr)" "$snap3: hash mismatch .*: keeping $L" "names the snapshot and keeps the copy"
ok "the old copy is untouched" cmp "$L" "$T/copy2"
ok "no download left" test ! -e "$L.download"

# a generation object naming a snapshot that is not there
printf '{"generation":9,"snapshot":"meta/snapshots/9-none.sqlite","hash":"00","keys":"meta/snapshots/9-none.keys"}' > "$T/g9"
medusa-store -s $R put meta/generation "$T/g9"
fails "a missing snapshot" 1 medusa-store -s $R fetch "$L"
like "$(lasterr)" 'meta/snapshots/9-none.sqlite: no such key' "names it"
ok "the old copy is untouched" cmp "$L" "$T/copy2"

# garbage in the generation object
printf 'not json' > "$T/gbad"
medusa-store -s $R put meta/generation "$T/gbad"
fails "a broken generation object" 1 medusa-store -s $R fetch "$L"
like "$(lasterr)" 'meta/generation' "names it"
ok "the old copy is untouched" cmp "$L" "$T/copy2"

# going backwards
printf '{"generation":1,"snapshot":"%s","hash":"x","keys":"k"}' "$snap" > "$T/g1"
medusa-store -s $R put meta/generation "$T/g1"
fails "a generation going backwards" 1 medusa-store -s $R fetch "$L"
like "$(lasterr)" 'the generation went backwards (1, have 2): keeping' "says so"
ok "the old copy is untouched" cmp "$L" "$T/copy2"

# a snapshot taken while a publish writes is never torn: a writer bumps
# the generation and adds a row in each transaction; every snapshot has
# exactly as many rows as its generation says
sqlite3 "$T/live.sqlite" "PRAGMA journal_mode=WAL; CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
  INSERT INTO meta VALUES ('generation', 0); CREATE TABLE renditions (key TEXT, bytes INTEGER, hash TEXT, mime TEXT);" > /dev/null
i=0
while [ $i -lt 300 ]; do
	echo "BEGIN; INSERT INTO renditions VALUES ('clips/w$i/v/p.mp4', 1, 'h', 'video/mp4');"
	echo "UPDATE meta SET value = value + 1 WHERE key = 'generation'; COMMIT;"
	i=$((i + 1))
done > "$T/writes.sql"
sqlite3 -cmd '.timeout 10000' "$T/live.sqlite" < "$T/writes.sql" &
wpid=$!
torn=0
for n in 1 2 3 4 5 6; do
	rm -f "$T/snap$n.sqlite"
	medusa-store snapshot -m "$T/live.sqlite" "$T/snap$n.sqlite" > /dev/null || torn=1
	[ "$(sqlite3 "$T/snap$n.sqlite" "SELECT value FROM meta; SELECT count(*) FROM renditions" | sort -u | wc -l)" = 1 ] || torn=1
	[ "$(sqlite3 "$T/snap$n.sqlite" "PRAGMA integrity_check")" = ok ] || torn=1
done
wait $wpid
is "$torn" 0 "snapshots during a publish are whole (generation = rows, integrity ok)"

# the store is gone
fails "an unreachable store" 1 env AWS_ENDPOINT_URL=http://127.0.0.1:$(free_port) MEDUSA_S3_RETRIES=0 \
    medusa-store -s $R fetch "$L"
ok "the old copy is untouched" cmp "$L" "$T/copy2"

# medusa-sync refuses to move the remote back; -f does
sqlite3 "$F/metastore.sqlite" "UPDATE meta SET value = 1 WHERE key = 'generation'"
printf '{"generation":5,"snapshot":"%s","hash":"x","keys":"k"}' "$snap" > "$T/g5"
medusa-store -s $R put meta/generation "$T/g5"
fails "sync to a remote that is ahead" 1 sync
like "$(lasterr)" 'the remote generation 5 is newer than 1' "says why"
is "$(medusa-store -s $R generation | jq .generation)" 5 "the remote is untouched"
ok "sync -f" sync -f --keep 0
is "$(medusa-store -s $R generation | jq .generation)" 1 "forced"
done_testing
