#!/bin/sh
# Round trip with real renditions: reconcile a tiny backyard, sync it to
# s3rver, read the snapshot back as a cloud server does; the renditions come
# back from the bucket playable (ffprobe). And a reconcile straight to s3://.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/s3.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut medusa-reconcile; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done
s3_require
s3_start media
cd "$T"
mkyard by
M=$T/frontyard/metastore.sqlite
ok "reconcile" medusa-reconcile -C by -j 2
ok "sync with the embedded defaults (-C)" medusa-sync -q -C by -t s3://media/cloud
ok "a cloud server's copy" medusa-store -s "$AWS_ENDPOINT_URL/media/cloud/" fetch remote.sqlite
is "$(sqlite3 remote.sqlite 'SELECT id, tags FROM clips ORDER BY id')" \
   "$(sqlite3 "$M" 'SELECT id, tags FROM clips ORDER BY id')" "the same clips with the same tags"
is "$(sqlite3 remote.sqlite 'SELECT key, hash FROM renditions ORDER BY key')" \
   "$(sqlite3 "$M" 'SELECT key, hash FROM renditions ORDER BY key')" "the same renditions"
k=$(sqlite3 remote.sqlite "SELECT key FROM renditions WHERE profile = 'tiny' ORDER BY key LIMIT 1")
ok "a rendition from the bucket over HTTP" curl -sf -o r.mp4 "$AWS_ENDPOINT_URL/media/cloud/$k"
is "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,height -of csv=p=0 r.mp4)" \
   "h264,96" "it plays: H.264, 96 lines"
ok "byte-identical to the local one" cmp r.mp4 "$T/frontyard/files/$k"

# straight to object storage
ok "reconcile to s3://" medusa-reconcile -C by -s s3://media/direct -m direct.sqlite
is "$(medusa-store -s s3://media/direct ls clips/ | wc -l)" 12 "every rendition in the bucket"
k=$(sqlite3 direct.sqlite "SELECT key FROM renditions WHERE profile = 'poster' LIMIT 1")
ok "a poster from there" medusa-store -s s3://media/direct get "$k" p.jpg
is "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 p.jpg)" mjpeg "is a JPEG"
ok "a second reconcile to s3://" medusa-reconcile -C by -s s3://media/direct -m direct.sqlite
like "$(lasterr)" '0 clips converted, 6 skipped' "converts nothing"
done_testing
