#!/bin/sh
# medusa-publish on bad input: a clear message naming the record, an error
# record downstream, exit 1, and nothing of that clip in the frontyard.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
cd "$T"
S=$T/files M=$T/ms.sqlite
mkrec work good v.mp4 0 1 > good.ndjson
ok "a good clip first" medusa-publish -s "$S" -m "$M" < good.ndjson
tree "$S" -type f > before

# each line: a jq program that breaks the good record, and the message
while IFS='@' read -r prog msg; do
	mkrec work bad v.mp4 2 3 | jq -c "$prog" > bad.ndjson
	fails "bad record ($msg): exit 1" 1 medusa-publish -s "$S" -m "$M" < bad.ndjson
	like "$(lasterr)" "medusa-publish: .*$msg" "bad record ($msg): message"
	like "$(lastout)" '"error":' "bad record ($msg): error record downstream"
	tree "$S" -type f > after
	ok "bad record ($msg): storage unchanged" cmp before after
	is "$(sqlite3 "$M" "SELECT count(*) FROM clips WHERE id = 'bad'")" 0 "bad record ($msg): no row"
done <<'EOF2'
.clip = "../x"@no valid "clip" id
.end = .start@"start" and "end" must be
del(.renditions)@no "renditions"
.renditions[0].key = "clips/bad/../../etc/passwd"@"key" must be clips/bad/
.renditions[0].key = "/etc/passwd"@"key" must be clips/bad/
.renditions[1].hash = ("0" * 64)@does not match its recorded hash
.renditions[0].file = "/nonexistent/x.mp4"@/nonexistent/x.mp4: No such file
.renditions[1].profile = "360p" | .renditions[1].key = .renditions[0].key@profile 360p appears twice
.tags = [1]@"tags" must be an object
EOF2
is "$(gen_of "$M")" 1 "generation never moved"
is "$(find "$S" -mindepth 1 -type d -empty | wc -l)" 0 "no empty folders left behind"

# a broken line: named by its line number; others go through
{ cat good.ndjson; echo '{"clip": oops'; mkrec work c2 v.mp4 4 5; } > mixed.ndjson
fails "malformed line: exit 1" 1 medusa-publish -s "$S" -m "$M" < mixed.ndjson
like "$(lasterr)" 'stdin:2: malformed JSON' "malformed line: line number"
is "$(sqlite3 "$M" "SELECT count(*) FROM clips WHERE id = 'c2'")" 1 "the other records went through"

# the same clip id from two videos in one input
{ mkrec work d1 one.mp4 0 1; mkrec work d1 two.mp4 0 1; } > dup.ndjson
fails "duplicate clip id: exit 1" 1 medusa-publish -s "$S" -m "$M" < dup.ndjson
like "$(lasterr)" 'clip id d1 comes twice' "duplicate clip id: message"
is "$(sqlite3 "$M" "SELECT video FROM clips WHERE id = 'd1'")" one.mp4 "the first one is kept"

# usage and configuration: exit 2, nothing written
tree "$S" -type f > before
fails "unknown option" 2 medusa-publish -Z
like "$(lasterr)" 'usage: medusa-publish' "usage printed"
fails "bad batch size" 2 medusa-publish -b 0 -s "$S" -m "$M"
fails "unknown storage scheme" 2 medusa-publish -s ftp://host/x -m "$M" < good.ndjson
like "$(lasterr)" 'ftp://host/x: unknown storage scheme' "scheme named"
fails "S3 not built here" 2 medusa-publish -s s3://bucket/p -m "$M" < good.ndjson
echo 'not a database, just text' > notdb.sqlite
cp notdb.sqlite notdb.orig
fails "metastore that is not SQLite" 2 medusa-publish -s "$S" -m notdb.sqlite < good.ndjson
like "$(lasterr)" 'notdb.sqlite' "metastore named"
ok "that file untouched" cmp notdb.sqlite notdb.orig
ok "and nothing beside it" test ! -e notdb.sqlite.lock -a ! -e notdb.sqlite-wal
: > plainfile
fails "storage that is a file" 2 medusa-publish -s plainfile -m "$M" < good.ndjson
like "$(lasterr)" 'plainfile: storage: not a directory' "storage named"
fails "remote metastore" 2 medusa-publish -s "$S" -m s3://b/ms.sqlite < good.ndjson
fails "no backyard for the defaults" 2 env -u MEDUSA_BACKYARD sh -c 'cd / && medusa-publish < /dev/null'
like "$(lasterr)" 'no backyard found' "says why"
sqlite3 "$M" 'PRAGMA user_version = 99'
fails "metastore from a newer medusa" 2 medusa-publish -s "$S" -m "$M" < good.ndjson
like "$(lasterr)" 'schema version 99 is newer' "schema version named"
sqlite3 "$M" 'PRAGMA user_version = 2'
tree "$S" -type f > after
ok "storage unchanged by all of these" cmp before after
# a full output (stdout to /dev/full) is an error
fails "write error on stdout" 1 sh -c "medusa-publish -s '$S' -m '$M' < good.ndjson > /dev/full"
like "$(lasterr)" 'write error' "reported"
done_testing
