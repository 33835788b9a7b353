#!/bin/sh
# A frontyard replica: medusa-serve -m URL reads a remote metastore (the
# layout of medusa-store push, here a directory served by lighttpd over
# HTTP), keeps a local copy in its cache directory, follows the remote
# generation on a signed re-cache, and keeps its copy when the remote is away.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
mkbackyard "$T/by"
FY=$T/frontyard
clip k1 a/one.mp4 0 2 '{"place":"Kyoto","people":[],"rating":1,"kind":"travel","public":true}' > "$T/r1"
medusa-publish -C "$T/by" -q < "$T/r1" > /dev/null
ok "push the metastore to the remote" medusa-store -s "$T/remote" push -m "$FY/metastore.sqlite"
medusa-recache -g "$T/keys" 2>/dev/null

PL=$(free_port)
cat > "$T/static.conf" <<CONF
server.document-root = "$T/remote"
server.bind = "127.0.0.1"
server.port = $PL
server.errorlog = "$T/lighttpd.err"
# lighttpd would serve a replaced meta/generation from its stat cache for a second
server.stat-cache-engine = "disable"
CONF
lighttpd -D -f "$T/static.conf" &
lpid=$!
at_exit "kill $lpid 2>/dev/null || true; wait $lpid 2>/dev/null || true"
wait_port "$PL"

P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" frontyard -m "http://127.0.0.1:$PL/" -c "$T/rcache" -k "$T/keys/recache.pub" \
  -u https://cdn.example/ -r 3600 -t 2
is "$(code "$B/api/clips")" 200 "the replica serves the remote metastore"
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1"]' "its clips"
like "$(jq -r '.clips[0].renditions[0].url' "$T/body")" '^https://cdn.example/clips/k1/' "file URLs on the CDN base (-u)"
ok "a local copy in the cache directory" test -s "$T/rcache/metastore.sqlite"
is "$(code "$B/api/tags")" 200 "GET /api/tags without a backyard"

clip k2 a/two.mp4 0 3 '{"place":"Nara","people":[],"rating":2,"kind":"travel","public":true}' > "$T/r2"
medusa-publish -C "$T/by" -q < "$T/r2" > /dev/null
ok "push the next generation" medusa-store -s "$T/remote" push -m "$FY/metastore.sqlite"
code "$B/api/clips" > /dev/null
is "$(jq .total "$T/body")" 1 "not seen before the refresh or a re-cache"
ok "re-cache the replica" medusa-recache -k "$T/keys/recache.key" "$B"
code "$B/api/clips" > /dev/null
is "$(jq .total "$T/body")" 2 "it follows the remote generation"

kill $lpid; wait $lpid 2>/dev/null || true
ok "a re-cache with the remote away still answers" medusa-recache -k "$T/keys/recache.key" -r 0 "$B"
code "$B/api/clips" > /dev/null
is "$(jq .total "$T/body")" 2 "from the copy it kept"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
