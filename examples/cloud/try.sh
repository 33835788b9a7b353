#!/bin/sh
# The cloud setup on one machine, with s3rver (npm) as the bucket: publish
# two clips into a local frontyard, sync it to the bucket, and read the
# snapshot back the way a replica does (over plain HTTP, as from a CDN).
#   make && npm install --prefix tests/node && sh examples/cloud/try.sh
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$src/build:$PATH
s3rver=$src/tests/node/node_modules/s3rver/bin/s3rver.js
[ -f "$s3rver" ] || { echo "try.sh: run 'npm install --prefix tests/node' first" >&2; exit 2; }
port=${PORT:-4568}
w=$(mktemp -d "${TMPDIR:-/tmp}/medusa-cloud.XXXXXX")
pid=
trap '[ -z "$pid" ] || kill "$pid"; rm -rf "$w"' EXIT
node --openssl-legacy-provider "$s3rver" -d "$w/s3" -a 127.0.0.1 -p "$port" \
    --configure-bucket media > "$w/s3rver.log" 2>&1 &
pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "try.sh: s3rver did not start" >&2; exit 1; }
	sleep 0.2
done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=S3RVER \
    AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1

# a backyard whose tag set the cloud's rule (-W public=true) is read by
mkdir -p "$w/by"
printf '{"tags": {"place": {"type": "string"}, "public": {"type": "boolean", "default": false}}}\n' \
    > "$w/by/backyard.medusa.json"
# two clips as medusa-cut would hand them over (tiny stand-in files):
# one public, one private
mkdir -p "$w/work"
for c in k3v9q2 p7m2x4; do
	[ $c = k3v9q2 ] && public=true || public=false
	printf 'rendition of %s\n' $c > "$w/work/$c.mp4"
	h=$(b2sum -l 256 "$w/work/$c.mp4" | cut -c1-64)
	printf '{"path":"trip.mp4","video":"trip.mp4","clip":"%s","start":0,"end":2,"tags":{"place":"Kyoto","public":%s},"renditions":[{"profile":"360p","kind":"video","file":"%s","version":"0123456789abcdef","key":"clips/%s/0123456789abcdef/360p.mp4","bytes":%d,"hash":"%s","mime":"video/mp4","width":640,"height":360,"duration":2}]}\n' \
	    $c "$public" "$w/work/$c.mp4" $c "$(wc -c < "$w/work/$c.mp4")" "$h"
done > "$w/records.ndjson"
medusa-publish -q -s "$w/front/files" -m "$w/front/metastore.sqlite" \
    -u http://127.0.0.1:8080/files/ < "$w/records.ndjson" > /dev/null

# the home frontyard holds both; the cloud copy only the public one
sync() { medusa-sync -C "$w/by" -W public=true -m "$w/front/metastore.sqlite" -s "$w/front/files" \
    -t s3://media/gallery "$@"; }
echo "== medusa-sync -n (the plan)"
sync -n
echo "== medusa-sync -W public=true"
sync
echo "== the bucket (no object of the private clip)"
medusa-store -s s3://media/gallery ls
echo "== the generation object"
medusa-store -s s3://media/gallery generation
echo "== a replica fetches the snapshot over plain HTTP"
medusa-store -s "http://127.0.0.1:$port/media/gallery/" fetch "$w/replica.sqlite"
sqlite3 "$w/replica.sqlite" "SELECT id, json_extract(tags, '$.place') FROM clips"
echo "== a second sync has nothing to do"
sync
