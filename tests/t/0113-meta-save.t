#!/bin/sh
# One save routine for every writer: the backyard PUT checks what medusa-meta
# set checks (times within the video, ids), saves a clip that cannot be
# published with a warning, and keeps every id (written, derived or
# published): the editor's round trip converts nothing, and a video moved
# with its sidecar keeps its clips and URLs. The meta GET/PUT validators
# follow RFC 9110.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
for t in medusa-cut medusa-serve tcpserver; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is missing"; exit 0; }
done
cd "$T"
mkyard by
# hand-written clips without ids in a/, written ids in c/
printf '{"tags": {"place": "a"}, "clips": [{"start": 0, "end": 0.8}, {"start": 1, "end": 1.8, "tags": {"rating": 5}}]}\n' \
    > by/a.mp4.medusa.json
M=$T/frontyard/metastore.sqlite
rows() { sqlite3 "$M" "SELECT c.id || ' ' || r.key FROM clips c JOIN renditions r ON r.clip = c.n ORDER BY 1"; }
ok "first reconcile" medusa-reconcile -q -C by
published=$(sqlite3 "$M" "SELECT id FROM clips WHERE video = 'a.mp4' ORDER BY id" | tr '\n' ' ')
keys0=$(rows)
# the clips' folders (not the work directory's own logs and caches)
work() { tree "$T/frontyard/work" -type f ! -path './.*' ! -name 'reconcile.ndjson*'; }
work0=$(work)

P=$(free_port)
start_tcpserver "$P" backyard -C "$T/by" -t 1
B=http://127.0.0.1:$P/api/videos

# the editor's round trip: GET, change a video tag, PUT
is "$(code "$B/a.mp4/meta")" 200 "GET a hand-written sidecar"
et=$(hdr ETag)
is "$(jq -r '.meta.clips | map(.id) | sort | join(" ")' body) " "$published" \
    "the view shows each id-less clip with the id it is published under"
is "$(jq -r .etag body)" "$(printf '%s' "$et" | tr -d '"')" "the body's etag is the ETag"
jq -c '.meta | .tags.place = "A"' body > doc
is "$(code -X PUT -H "If-Match: $et" --data-binary @doc "$B/a.mp4/meta")" 200 "PUT it back with a changed video tag"
is "$(jq -r '.meta.clips | map(.id) | sort | join(" ")' body) " "$published" "PUT answers the same ids"
is "$(jq -r '.clips | map(.id) | sort | join(" ")' by/a.mp4.medusa.json) " "$published" \
    "the derived ids are written into the sidecar"
is "$(jq -c .warnings body)" '[]' "no warnings"
ok "reconcile" medusa-reconcile -q -C by
is "$(rows)" "$keys0" "every clip keeps its id and its URLs"
ok "(the clips' files were listed)" test "$(printf '%s\n' "$work0" | grep -c '/tiny.mp4 ')" -ge 4
is "$(work)" "$work0" "nothing was converted again"
is "$(sqlite3 "$M" "SELECT DISTINCT json_extract(tags, '\$.place') FROM clips WHERE video = 'a.mp4'")" A "the new tag is published"

# a clip past the end: 422, nothing changed, no ETag
code "$B/a.mp4/meta" > /dev/null; et=$(hdr ETag)
jq -c '.meta | .clips += [{"start": 1, "end": 9}]' body > doc
before=$(snapshot "$T/by")
is "$(code -X PUT -H "If-Match: $et" --data-binary @doc "$B/a.mp4/meta")" 422 "PUT a clip past the video's end: 422"
is "$(jq -r .path body)" "clips[2].end" "names the JSON path"
like "$(jq -r .error body)" 'is past the end of the video (00:00:02.000)' "says why"
is "$(hdr ETag)" "" "a 422 carries no ETag"
is "$(snapshot "$T/by")" "$before" "nothing changed"

# valid but not publishable: saved, with a warning naming clip and tag
cp by/backyard.medusa.json cfg0
jq '.tags.kind = {"type": "string", "required": true}' cfg0 > by/backyard.medusa.json
code "$B/a.mp4/meta" > /dev/null; et=$(hdr ETag)
jq -c '.meta | .clips += [{"start": 0.2, "end": 0.4}]' body > doc
is "$(code -X PUT -H "If-Match: $et" --data-binary @doc "$B/a.mp4/meta")" 200 "PUT a clip without a required tag: saved"
is "$(jq -c '.warnings | map(.path)' body)" '["clips[0].tags.kind","clips[1].tags.kind","clips[2].tags.kind"]' \
    "a warning for each clip that cannot be published"
new=$(jq -r '.meta.clips[2].id' body)
is "$(jq -r '.warnings[2].clip' body)" "$new" "... naming the clip"
like "$(jq -r '.warnings[2].message' body)" '^kind is required' "... and the tag"
cp cfg0 by/backyard.medusa.json

# RFC 9110: If-Match compares strongly, lists, *; If-None-Match
code "$B/a.mp4/meta" > /dev/null; et=$(hdr ETag)
put() { code -X PUT "$@" --data-binary @doc "$B/a.mp4/meta"; }
jq -c .meta body > doc
is "$(put -H "If-Match: W/$et")" 412 "If-Match: a weak tag never matches"
is "$(put -H "If-Match: $(printf '%s' "$et" | tr -d '"')")" 412 "If-Match: an unquoted tag matches nothing"
is "$(put -H "If-Match: \"0000\", $et")" 200 "If-Match: a list matches when one entry does"
et=$(printf '"%s"' "$(jq -r .etag body)")
is "$(put -H 'If-Match: *')" 200 "If-Match: * matches an existing file"
is "$(code -X PUT -H 'If-Match: *' --data-binary '{"clips":[]}' "$B/sub/b.mp4/meta")" 200 "... (b has a sidecar)"
mkvideo by/n.mp4 1
is "$(code -X PUT -H 'If-Match: *' --data-binary '{"clips":[]}' "$B/n.mp4/meta")" 412 "If-Match: * and no file: 412"
is "$(code -X PUT -H 'If-None-Match: *' --data-binary '{"clips":[{"start":0,"end":0.5}]}' "$B/n.mp4/meta")" 200 \
    "If-None-Match: * creates a file"
is "$(code -X PUT -H 'If-None-Match: *' --data-binary '{"clips":[]}' "$B/n.mp4/meta")" 412 "... but not over one"
is "$(code -X PUT --data-binary '{"clips":[]}' "$B/n.mp4/meta")" 428 "no precondition: 428"
code "$B/a.mp4/meta" > /dev/null; et=$(hdr ETag)
is "$(code -H "If-None-Match: $et" "$B/a.mp4/meta")" 304 "GET If-None-Match: 304"
is "$(hdr ETag)" "$et" "the 304 names the ETag"
is "$(code -H "If-None-Match: W/$et" "$B/a.mp4/meta")" 304 "If-None-Match compares weakly"
is "$(code -H "If-None-Match: \"x\", $et" "$B/a.mp4/meta")" 304 "... in a list"
is "$(code -H 'If-None-Match: "x"' "$B/a.mp4/meta")" 200 "another tag: 200"
is "$(code -I -H "If-None-Match: $et" "$B/a.mp4/meta")" 304 "HEAD too"
# the ETag follows the body, inherited values included
echo '{"tags": {"rating": 1}}' > by/folder.medusa.json
is "$(code "$B/a.mp4/meta")" 200 "GET after a folder file above changed"
ok "the ETag changed with the inherited values" test "$(hdr ETag)" != "$et"
is "$(put -H "If-Match: $et")" 412 "the old ETag is stale"
rm by/folder.medusa.json
# a sidecar larger than the read limit can still be replaced
head -c 17000000 /dev/zero | tr '\0' ' ' > by/n.mp4.medusa.json
is "$(code "$B/n.mp4/meta")" 200 "GET a sidecar over 16 MiB"
is "$(jq -c '[.meta, .error]' body)" '[null,"file too large (over 16 MiB)"]' "says why"
big=$(hdr ETag)
ok "it has an etag" test -n "$(printf '%s' "$big" | tr -d '"')"
is "$(code -X PUT -H "If-Match: $big" --data-binary '{"clips":[]}' "$B/n.mp4/meta")" 200 "PUT with it replaces the file"
is "$(jq -c . by/n.mp4.medusa.json)" '{"clips":[]}' "replaced"

# the CLI writers keep derived ids too
printf '{"clips": [{"start": 0, "end": 0.5}]}\n' > by/c.mp4.medusa.json
want=$(medusa-meta -C by get c.mp4 | jq -r '.meta.clips[0].id')
ok "medusa-meta tag of a hand-written sidecar" medusa-meta -C by tag c.mp4 place=x
is "$(jq -r '.clips[0].id' by/c.mp4.medusa.json)" "$want" "writes the derived id"
printf '{"clips": [{"id": "c1", "start": 0, "end": 0.8}, {"id": "c2", "start": 1, "end": 1.8, "tags": {"rating": 5}}]}\n' \
    > by/c.mp4.medusa.json

# moving a video with its sidecar keeps its clips and their URLs
rm -f by/n.mp4 by/n.mp4.medusa.json
ok "reconcile" medusa-reconcile -q -C by
keys1=$(rows)
mkdir by/moved
mv by/a.mp4 by/a.mp4.medusa.json by/moved/
ok "reconcile after the move" medusa-reconcile -C by
like "$(lasterr)" ' 0 pruned' "nothing pruned"
is "$(rows)" "$keys1" "the same ids and URLs"
is "$(sqlite3 "$M" "SELECT DISTINCT video FROM clips WHERE id IN ($(printf "'%s'," $published)'')")" moved/a.mp4 \
    "now under the new path"
ok "no sanitizer reports from the server" no_sanitizer_reports "$T/tcpserver.err"
done_testing
