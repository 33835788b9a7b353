#!/bin/sh
# medusa-publish straight to s3:// through the same storage interface, and
# a real publish's metastore synced to S3 and read back as a snapshot.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
cd "$T"
{ mkrec work a1 trips/kyoto.mp4 0 2 '{"place":"Kyoto","rating":4}'
  mkrec work b1 'odd name/ä b.mp4' 1 2 '{"place":"Nara"}'
  summary 2; } > in.ndjson
S=s3://media/front
ok "publish to s3://" medusa-publish -s $S -m ms3.sqlite -u https://cdn.example.com/ < in.ndjson
k=$(jq -r 'select(.clip=="b1") | .renditions[0].key' in.ndjson)
f=$(jq -r 'select(.clip=="b1") | .renditions[0].file' in.ndjson)
ok "the object is there" medusa-store -s $S get "$k" back
ok "byte-identical" cmp "$f" back
like "$(medusa-store -s $S stat "$k")" "\"hash\":\"$(b2 "$f")\"" "with its hash"
like "$(curl -sI "$AWS_ENDPOINT_URL/media/front/$k")" 'Cache-Control: public, max-age=31536000, immutable' "cached forever"
n0=$(grep -ac 'Stored object' "$T/s3rver.log")
ok "publish again" medusa-publish -s $S -m ms3.sqlite -u https://cdn.example.com/ < in.ndjson
is "$(grep -ac 'Stored object' "$T/s3rver.log")" "$n0" "uploads nothing"
mkrec work a1 trips/kyoto.mp4 0 3 '{"place":"Kyoto"}' > a1new.ndjson
oldk=$(jq -r 'select(.clip=="a1") | .renditions[0].key' in.ndjson)
ok "publish a changed clip" medusa-publish --grace 0 -s $S -m ms3.sqlite -u https://cdn.example.com/ < a1new.ndjson
fails "the old version is removed from S3" 1 medusa-store -s $S stat "$oldk"

# a local publish, synced
ok "publish locally" medusa-publish -s local -m ms.sqlite -u http://127.0.0.1/files/ < in.ndjson
ok "sync it" medusa-sync -q -m ms.sqlite -s local -t s3://media/cloud
ok "fetch the snapshot as a server would" medusa-store -s s3://media/cloud fetch remote.sqlite
is "$(sqlite3 remote.sqlite 'SELECT id FROM clips ORDER BY id' | tr '\n' ' ')" "a1 b1 " "the same clips"
is "$(sqlite3 remote.sqlite 'SELECT count(*) FROM renditions')" 4 "the same renditions"
is "$(sqlite3 remote.sqlite "SELECT value FROM meta WHERE key='generation'")" "$(gen_of ms.sqlite)" "the same generation"
ok "every rendition is in the bucket" sh -c 'for k in $(sqlite3 remote.sqlite "SELECT key FROM renditions"); do
	medusa-store -s s3://media/cloud stat "$k" >/dev/null || exit 1; done'
done_testing
