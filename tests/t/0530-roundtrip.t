#!/bin/sh
# Round trip with real renditions: reconcile a tiny backyard, sync it to
# s3rver, serve it from a remote-mode medusa-serve (-m s3://) beside the
# local one: same clips, URLs on the bucket, renditions that play; a change
# reaches the cloud server by sync + re-cache. The renditions come
# back from the bucket playable (ffprobe). And a reconcile straight to s3://.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/s3.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut medusa-reconcile medusa-serve medusa-recache tcpserver; do
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

# a cloud server in remote mode beside the local one: the same clips, file
# URLs on the bucket's base, a rendition from there plays
medusa-recache -g keys 2>/dev/null
PL=$(free_port) PR=$(free_port)
start_tcpserver "$PL" frontyard -C by -u http://home.example/files/
RB=$AWS_ENDPOINT_URL/media/cloud/
tcpserver -R -H -l 0 127.0.0.1 "$PR" "$MEDUSA_BIN/medusa-serve" frontyard -m s3://media/cloud \
    -c "$T/rcache" -k keys/recache.pub -u "$RB" -r 3600 2>"$T/remote.err" &
rpid=$!
at_exit "kill $rpid 2>/dev/null || true; wait $rpid 2>/dev/null || true"
wait_port "$PR"
is "$(code "http://127.0.0.1:$PR/api/clips?limit=100")" 200 "the remote-mode server answers"
jq -c '[.clips[] | {id, tags, r: [.renditions[] | .url | sub("^.*/clips/"; "")]}]' "$T/body" > remote.json
is "$(code "http://127.0.0.1:$PL/api/clips?limit=100")" 200 "the local server answers"
jq -c '[.clips[] | {id, tags, r: [.renditions[] | .url | sub("^.*/clips/"; "")]}]' "$T/body" > local.json
is "$(jq length remote.json)" 6 "six clips in the cloud"
ok "the same clips, tags and files as at home" cmp local.json remote.json
code "http://127.0.0.1:$PR/api/clips?limit=1" > /dev/null
u=$(jq -r '.clips[0].renditions[] | select(.profile == "tiny") | .url' "$T/body")
like "$u" "^$RB"clips/ "file URLs on the bucket's base (-u)"
ok "that URL serves the rendition" curl -sf -o r2.mp4 "$u"
is "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 r2.mp4)" h264 "and it plays"

# a changed clip: sync with a re-cache of the cloud server
g0=$(jq .generation "$T/body")
printf '{"tags": {"place": "moved"}, "clips": [{"id": "a1", "start": 0, "end": 0.8}, {"id": "a2", "start": 1, "end": 1.6}]}\n' > by/a.mp4.medusa.json
ok "reconcile the change" medusa-reconcile -q -C by
ok "sync and re-cache" medusa-sync -q -C by -t s3://media/cloud -r "http://127.0.0.1:$PR/" -k keys/recache.key
code "http://127.0.0.1:$PR/api/clips/a1" > /dev/null
is "$(jq -r .tags.place "$T/body")" moved "the cloud server shows the change at once"
code "http://127.0.0.1:$PR/api/generation" > /dev/null
ok "at a newer generation" test "$(jq .generation "$T/body")" -gt "$g0"

# straight to object storage
ok "reconcile to s3://" medusa-reconcile -C by -s s3://media/direct -m direct.sqlite
is "$(medusa-store -s s3://media/direct ls clips/ | wc -l)" 12 "every rendition in the bucket"
k=$(sqlite3 direct.sqlite "SELECT key FROM renditions WHERE profile = 'poster' LIMIT 1")
ok "a poster from there" medusa-store -s s3://media/direct get "$k" p.jpg
is "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 p.jpg)" mjpeg "is a JPEG"
ok "a second reconcile to s3://" medusa-reconcile -C by -s s3://media/direct -m direct.sqlite
like "$(lasterr)" '0 clips converted, 6 skipped' "converts nothing"
done_testing
