#!/bin/sh
# medusa-sync against s3rver: first sync, no-op, incremental, -n, deletes
# only after the switch, --keep.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
R=s3://media/gallery
F=$T/fy
fy_init "$F"
fy_add "$F" clips/a/v1/360p.mp4 20000
fy_add "$F" clips/a/v1/poster.jpg 3000
fy_add "$F" "clips/b c/v1/360p.mp4" 15000
sync() { medusa-sync -q -m "$F/metastore.sqlite" -s "$F/files" -t "$R" "$@"; }

ok "-n on an empty remote" sync -n
like "$(lastout)" '"upload":"clips/a/v1/360p.mp4"' "-n plans the rendition uploads"
like "$(lastout)" '"upload":"meta/snapshots/3-' "-n plans the snapshot"
like "$(lasterr)" 'upload 3 files (38000 bytes)' "-n prints the totals"
is "$(medusa-store -s $R ls | wc -l)" 0 "-n changed nothing"

ok "first sync" sync
is "$(remote_whole $R)" 3 "the remote serves generation 3 whole"
is "$(medusa-store -s $R ls clips/ | wc -l)" 3 "three renditions uploaded"
ok "files come back byte-identical" medusa-store -s $R get clips/a/v1/360p.mp4 "$T/back"
ok "... and equal" cmp "$T/back" "$F/files/clips/a/v1/360p.mp4"
hdr=$(curl -sI "$AWS_ENDPOINT_URL/media/gallery/clips/a/v1/poster.jpg")
like "$hdr" 'Cache-Control: public, max-age=31536000, immutable' "renditions are cached forever"
like "$hdr" 'Content-Type: video/mp4' "with their mime type"
gen1=$(medusa-store -s $R generation)

: > "$T/s3rver.log"
ok "second sync with nothing new" sync
is "$(medusa-store -s $R generation)" "$gen1" "the generation object is untouched"
is "$(grep -ac 'Stored object' "$T/s3rver.log")" 0 "nothing was uploaded"

fy_add "$F" clips/d/v1/360p.mp4 12000
: > "$T/s3rver.log"
ok "sync after adding a clip" sync
is "$(remote_whole $R)" 4 "the remote serves generation 4"
is "$(grep -ac 'Stored object' "$T/s3rver.log")" 5 "uploaded the new file, the snapshot, its manifest, the switch and meta/clean"
like "$(grep -a 'Stored object' "$T/s3rver.log")" 'clips/d/v1/360p.mp4' "... the new rendition among them"

fy_del "$F" clips/a/v1/360p.mp4
ok "sync after removing a clip (keep 1)" sync --keep 1
is "$(remote_whole $R)" 5 "the remote serves generation 5"
ok "a file the previous generation uses stays" medusa-store -s $R stat clips/a/v1/360p.mp4
fy_del "$F" "clips/b c/v1/360p.mp4"
ok "-n with keep 0" sync -n --keep 0
like "$(lastout)" '"delete":"clips/b c/v1/360p.mp4"' "plans to delete the removed file"
like "$(lastout)" '"delete":"clips/a/v1/360p.mp4"' "and the one only the previous generation kept"
is "$(lastout | grep -c '"delete":"clips/')" 2 "no other rendition"
s3_proxy --log "$T/req.log"
ok "sync after removing another, keep 0" sync --keep 0
s3_proxy_stop
fails "now the first is deleted" 1 medusa-store -s $R stat clips/a/v1/360p.mp4
fails "and the second" 1 medusa-store -s $R stat "clips/b c/v1/360p.mp4"
sw=$(grep -n '^PUT /media/gallery/meta/generation' "$T/req.log" | cut -d: -f1)
del=$(grep -n '^POST /media?delete=' "$T/req.log" | cut -d: -f1)
ok "deleted only after the switch (request $del after $sw)" test "${del:-0}" -gt "${sw:-99999}"
is "$(medusa-store -s $R ls meta/snapshots/ | wc -l)" 2 "old snapshots are deleted too"
ok "the others stay" medusa-store -s $R stat clips/a/v1/poster.jpg clips/d/v1/360p.mp4

medusa-store -s $R put other/readme.txt "$F/metastore.sqlite" >/dev/null
ok "sync keep 0 again" sync --keep 0
ok "files outside clips/ and meta/ are left alone" medusa-store -s $R stat other/readme.txt

# the no-op fast path trusts the switch; -a compares the full listing
medusa-store -s $R rm clips/d/v1/360p.mp4
ok "a no-op sync" sync --keep 0
fails "does not notice a file deleted behind its back" 1 medusa-store -s $R stat clips/d/v1/360p.mp4
ok "sync -a" sync -a --keep 0
ok "puts it back" medusa-store -s $R stat clips/d/v1/360p.mp4

# progress on a terminal (script(1) gives it one), none in a pipe
if command -v script >/dev/null 2>&1; then
	fy_add "$F" clips/e/v1/360p.mp4 1000
	script -qec "medusa-sync -m '$F/metastore.sqlite' -s '$F/files' -t $R" /dev/null > "$T/tty" 2>&1 || true
	like "$(tr '\r' '\n' < "$T/tty")" 'medusa-sync: uploaded 1/1 files' "progress on a terminal"
	like "$(cat "$T/tty")" 'medusa-sync: uploaded 1 files (1000 bytes), generation' "then the summary"
fi

fails "no target" 2 medusa-sync -m "$F/metastore.sqlite" -s "$F/files"
like "$(lasterr)" 'medusa-sync: -t: the remote storage' "names the missing option"
fails "a directory target" 2 sync -t "$T/dir"
fails "missing metastore" 2 medusa-sync -m "$T/nope.sqlite" -s "$F/files" -t $R
like "$(lasterr)" 'nope.sqlite: the local metastore is not there' "names the metastore"
gnow=$(medusa-store -s $R generation | jq .generation)
printf 'not a database\n' > "$T/bogus.sqlite"
cp "$T/bogus.sqlite" "$T/bogus.before"
fails "a metastore that is not one" 1 medusa-sync -m "$T/bogus.sqlite" -s "$F/files" -t $R
like "$(lasterr)" "bogus.sqlite" "names the file"
like "$(lasterr)" "medusa-sync: cannot snapshot" "says what failed"
ok "the file is untouched" cmp "$T/bogus.sqlite" "$T/bogus.before"
is "$(medusa-store -s $R generation | jq .generation)" "$gnow" "the remote is untouched"
done_testing
