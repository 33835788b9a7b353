#!/bin/sh
# The metastore as medusa-publish(1) documents it, read with the sqlite3 CLI.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
cd "$T"
M=$T/ms.sqlite
{ mkrec work k3v9q2 trips/kyoto.mp4 62.5 75 '{"place":"Kyoto","rating":4,"people":["ann","bob"],"public":true,"score":2.5}'
  mkrec work n1 trips/nara.mp4 0 3 '{"place":"Nara","rating":2,"people":[],"public":false}'
  summary 2; } > in.ndjson
ok "publish" medusa-publish -s "$T/files" -m "$M" < in.ndjson
is "$(sqlite3 "$M" 'PRAGMA user_version')" 2 "schema version 2"
is "$(sqlite3 "$M" 'PRAGMA journal_mode')" wal "WAL mode"
is "$(sqlite3 "$M" "SELECT value FROM meta WHERE key = 'generation'")" 1 "generation in meta"
like "$(sqlite3 "$M" "SELECT value FROM meta WHERE key = 'updated'")" '^[0-9][0-9]*$' "updated in meta, seconds"
is "$(sqlite3 "$M" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" | tr '\n' ' ')" \
   "clips garbage meta renditions tags " "the documented tables"
is "$(sqlite3 "$M" "SELECT name FROM pragma_table_info('clips')" | tr '\n' ' ')" \
   "n id video start end duration tags fingerprint generation updated rechash " "clips columns"
is "$(sqlite3 "$M" "SELECT name FROM pragma_table_info('renditions')" | tr '\n' ' ')" \
   "clip profile kind key version url bytes hash mime width height duration start " "renditions columns"
is "$(sqlite3 "$M" "SELECT name FROM pragma_table_info('tags')" | tr '\n' ' ')" \
   "clip name value num " "tags columns"
# the EXAMPLES of medusa-publish(1)
is "$(sqlite3 "$M" "SELECT id, start, \"end\" FROM clips WHERE n IN
  (SELECT clip FROM tags WHERE name = 'place' AND value = 'Kyoto')")" "k3v9q2|62.5|75.0" "tag filter"
is "$(sqlite3 "$M" "SELECT profile, bytes FROM renditions
  WHERE clip = (SELECT n FROM clips WHERE id = 'k3v9q2')" | cut -d'|' -f1 | tr '\n' ' ')" "360p poster " "files of a clip"
is "$(sqlite3 "$M" "SELECT c.id FROM clips c JOIN tags t ON t.clip = c.n WHERE t.name = 'people' AND t.value = 'bob'")" k3v9q2 "a list element"
is "$(sqlite3 "$M" "SELECT c.id FROM clips c JOIN tags t ON t.clip = c.n WHERE t.name = 'rating' AND t.num >= 3")" k3v9q2 "a range on a number"
is "$(sqlite3 "$M" "SELECT c.id FROM clips c JOIN tags t ON t.clip = c.n WHERE t.name = 'public' AND t.value = 'false'")" n1 "a boolean"
is "$(sqlite3 "$M" "SELECT json_extract(tags, '$.score') FROM clips WHERE id = 'k3v9q2'")" 2.5 "tags as JSON"
is "$(sqlite3 "$M" "SELECT duration FROM clips WHERE id = 'k3v9q2'")" 12.5 "duration"
# the indexes are the ones a filter and a lookup use
like "$(sqlite3 "$M" "EXPLAIN QUERY PLAN SELECT id FROM clips WHERE n IN (SELECT clip FROM tags WHERE name = 'place' AND value = 'Kyoto')")" \
    'USING COVERING INDEX tags_value' "tag filter uses tags_value"
like "$(sqlite3 "$M" "EXPLAIN QUERY PLAN SELECT * FROM clips WHERE id = 'x'")" 'USING INDEX sqlite_autoindex_clips_1' "id lookup uses an index"
like "$(sqlite3 "$M" "EXPLAIN QUERY PLAN SELECT clip FROM tags WHERE name = 'rating' AND num > 3")" 'INDEX tags_num' "range uses tags_num"
like "$(sqlite3 "$M" "EXPLAIN QUERY PLAN SELECT 1 FROM renditions WHERE key = 'x'")" 'INDEX renditions_key' "key lookup uses renditions_key"
ok "integrity" sh -c "sqlite3 '$M' 'PRAGMA integrity_check' | grep -qx ok"
ok "no backyard path in a rendition url" sh -c "! sqlite3 '$M' 'SELECT url FROM renditions' | grep -q trips"
# a reader holding a snapshot does not stop a publish (WAL)
mkrec work n2 trips/nara.mp4 4 5 > n2.ndjson
mkfifo sq.in
sqlite3 "$M" < sq.in > sq.out &
sqpid=$!
exec 3> sq.in
at_exit "exec 3>&-; wait $sqpid 2>/dev/null || :"
echo "BEGIN; SELECT count(*) FROM clips;" >&3
while [ ! -s sq.out ]; do sleep 0.1; done
ok "publish beside an open read transaction" medusa-publish -s "$T/files" -m "$M" < n2.ndjson
echo "SELECT count(*) FROM clips; COMMIT; SELECT count(*) FROM clips;" >&3
exec 3>&-
wait $sqpid
is "$(tr '\n' ' ' < sq.out)" "2 2 3 " "the reader kept its snapshot, then saw the new clip"

# a metastore of schema 1 (before the record hashes and the garbage table)
# is migrated by the next publish, its rows kept, nothing changed
M1=$T/old.sqlite
cat in.ndjson n2.ndjson | medusa-publish -q -s "$T/files1" -m "$M1" > /dev/null
sqlite3 "$M1" "ALTER TABLE clips DROP COLUMN rechash; DROP TABLE garbage; PRAGMA user_version = 1"
g1=$(gen_of "$M1")
ok "publish into a schema-1 metastore" sh -c "cat in.ndjson n2.ndjson | medusa-publish -s '$T/files1' -m '$M1'"
is "$(sqlite3 "$M1" 'PRAGMA user_version')" 2 "migrated to schema 2"
like "$(lasterr)" '0 changed, 3 unchanged' "the rows were kept as they were"
is "$(gen_of "$M1")" "$g1" "the generation did not move"
is "$(sqlite3 "$M1" 'SELECT count(*) FROM clips WHERE rechash IS NOT NULL')" 3 "and the record hashes are filled in"
done_testing
