#!/bin/sh
# medusa-serve frontyard under tcpserver: clips from the listing cache
# (filters, text, sort, paging), files with Range and immutable caching,
# and the signed re-cache with medusa-recache (wrong key, tampered body,
# old timestamp).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
mkbackyard "$T/by"
FY=$T/frontyard

{
	clip k1 trips/kyoto.mp4 0 4 '{"place":"Kyoto","people":["Ann","Bo"],"rating":5,"kind":"travel","public":true}'
	clip k2 trips/nara.mp4 1 3 '{"place":"Nara","people":["Bo"],"rating":2,"kind":"travel","public":false}'
	clip k3 home/cat.mp4 2 8 '{"place":"Home","people":[],"rating":4,"kind":"family","public":true}'
} > "$T/recs"
ok "publish three clips" medusa-publish -C "$T/by" < "$T/recs"

ok "make a key pair" medusa-recache -g "$FY"
is "$(stat -c %a "$FY/recache.key")" 600 "the secret key is mode 0600"
ok "the public key is there" test -s "$FY/recache.pub"
cp "$FY/recache.key" "$T/key.before"
fails "a second key pair is refused" 2 medusa-recache -g "$FY"
like "$(lasterr)" "medusa-recache: .*already there" "and says why"
ok "the key is unchanged" cmp "$T/key.before" "$FY/recache.key"

P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" frontyard -C "$T/by" -r 3600 -t 1 -w "$T/by"
is "$(code "$B/api/clips")" 200 "GET /api/clips"
is "$(jq .total "$T/body")" 3 "three clips"
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1","k2","k3"]' "newest first, then by id"
nopaths() { ! grep -q -e kyoto.mp4 -e '"video":' -e "$T/by" "$T/body"; }
ok "no backyard paths" nopaths
like "$(hdr Cache-Control)" "max-age=" "short caching on /api/"
is "$(jq -r '.clips[0].renditions[] | select(.profile=="360p") | .mime' "$T/body")" video/mp4 "renditions carry their mime"
key=$(jq -r '.clips[0].renditions[] | select(.profile=="360p") | .url' "$T/body")
key=${key#*clips/}
is "$(code "$B/api/clips?kind=travel")" 200 "a tag filter"
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1","k2"]' "kind=travel"
code "$B/api/clips?place=Kyoto&place=Home" >/dev/null
is "$(jq -c '[.clips[].id] | sort' "$T/body")" '["k1","k3"]' "one tag repeated: either value"
code "$B/api/clips?kind=travel&public=true" >/dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1"]' "two tags: both"
code "$B/api/clips?people=Bo" >/dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1","k2"]' "a list tag holds the value"
code "$B/api/clips?rating=4" >/dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k3"]' "an integer tag"
code "$B/api/clips?q=KYO" >/dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1"]' "text match on string tags"
code "$B/api/clips?sort=-rating" >/dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k1","k3","k2"]' "sort by a tag, descending"
code "$B/api/clips?sort=duration" >/dev/null
is "$(jq -c '[.clips[].id]' "$T/body")" '["k2","k1","k3"]' "sort by duration"
code "$B/api/clips?limit=2" >/dev/null
is "$(jq -c '[[.clips[].id], .next]' "$T/body")" '[["k1","k2"],"2"]' "limit gives a cursor"
code "$B/api/clips?limit=2&cursor=2" >/dev/null
is "$(jq -c '[[.clips[].id], .next, .total]' "$T/body")" '[["k3"],null,3]' "the cursor gives the rest"
is "$(code "$B/api/clips?colour=red")" 400 "an unknown tag: 400"
like "$(cat "$T/body")" "colour: no such tag" "named"
is "$(code "$B/api/clips?sort=nope")" 400 "a bad sort: 400"
is "$(code "$B/api/clips?limit=0")" 400 "a bad limit: 400"
is "$(code "$B/api/clips/k2")" 200 "GET one clip"
is "$(jq -r .id "$T/body")" k2 "that clip"
is "$(code "$B/api/clips/nope")" 404 "an unknown clip: 404"
is "$(code "$B/api/generation")" 200 "GET /api/generation"
gen=$(jq .generation "$T/body")
is "$(code "$B/api/facets")" 200 "GET /api/facets"
is "$(jq -c .facets.kind "$T/body")" '{"travel":2,"family":1}' "facet counts, the most common first"
is "$(code "$B/api/facets?kind=travel&sort=id")" 200 "facets of a filtered listing"
is "$(jq -c .facets.people "$T/body")" '{"Bo":2,"Ann":1}' "count only the clips it selects"
is "$(code "$B/api/facets?nope=1")" 400 "facets: an unknown tag: 400"
is "$(code "$B/api/tags")" 200 "GET /api/tags"
is "$(jq -r '.tags[0].name' "$T/body")" place "the tag set"

# a damaged index file is made again (its stamp names the current files,
# so only the damage makes this server read the metastore)
idx=$(ls "$FY"/cache/clips-*.idx)
is "$(echo "$idx" | wc -l)" 1 "one listing index in the cache directory"
printf 'garbage' > "$idx"
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" 2>"$T/err")
like "$out" '"total":3' "a damaged index is rebuilt"
like "$(cat "$T/err")" "not a medusa listing index" "and named"
ok "and written whole" sh -c 'head -c 8 "$1" | grep -q MDSAIDX1' - "$idx"
head -c 4096 "$idx" > "$T/short"; cp "$T/short" "$idx"
out=$(printf 'GET /api/clips/k2 HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" 2>"$T/err")
like "$out" '"id":"k2"' "a truncated index is rebuilt"

# the same cache, read by a server with another file URL base: rebuilt for it
out=$(printf 'GET /api/clips/k1 HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" -u https://cdn.example/v/)
like "$out" '"url":"https://cdn.example/v/clips/k1/' "-u: file URLs on another base"
out=$(printf 'GET /api/clips/k1 HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by")
like "$out" '"url":"/files/clips/k1/' "and back without it"

# a cache directory that cannot be made: the cache stays in memory
: > "$T/afile"
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" -c "$T/afile/cache" 2>"$T/err")
like "$out" '"total":3' "an unwritable cache directory: served from memory"
like "$(cat "$T/err")" "medusa-serve: $T/afile/cache/clips-[0-9a-f]*.idx: cannot write the listing index, keeping it in memory" "and says so"

# files
is "$(code "$B/files/clips/$key")" 200 "GET a file"
like "$(hdr Cache-Control)" "public, max-age=31536000, immutable" "files are immutable"
is "$(hdr Content-Type)" video/mp4 "with the rendition's type"
is "$(code -r 0-99 "$B/files/clips/$key")" 206 "Range on files"
is "$(wc -c < "$T/body" | tr -d ' ')" 100 "100 bytes"
s=$(code --path-as-is "$B/files/../metastore.sqlite")
ok "files: .. refused ($s)" test "$s" = 403 -o "$s" = 400
s=$(code --path-as-is "$B/files/%2e%2e/metastore.sqlite")
is "$s" 403 "files: %2e%2e refused"
is "$(code "$B/files/clips/nope.mp4")" 404 "files: missing: 404"

# a publish is seen by the next request (no re-cache, refresh is 1 h)
# (the new poster has an extension no table knows: the type comes from its mime)
clip k4 home/dog.mp4 0 2 '{"place":"Home","people":[],"rating":1,"kind":"family","public":false}' |
  jq -c '.renditions[1].key |= sub("poster.jpg$"; "poster.qqq") | .renditions[1].mime = "image/x-medusa-test"' > "$T/recs2"
code "$B/api/clips" >/dev/null
et=$(hdr ETag)
ok "publish a fourth clip" medusa-publish -C "$T/by" < "$T/recs2"
code "$B/api/clips" >/dev/null
is "$(jq .total "$T/body")" 4 "the next request sees the new generation"
is "$(jq .generation "$T/body")" "$((gen + 1))" "whole: the generation and the clips together"
ok "a new ETag for the new listing" test "$(hdr ETag)" != "$et"
is "$(code -H "If-None-Match: $(hdr ETag)" "$B/api/clips")" 304 "304 on the listing's own ETag"
is "$(code "$B/api/recache")" 405 "GET /api/recache: 405"
is "$(hdr Allow)" POST "Allow: POST"
is "$(code -X POST -d '{}' "$B/api/recache")" 401 "no signature: 401"

medusa-recache -g "$T/other" 2>/dev/null
fails "recache with a wrong key fails" 1 medusa-recache -k "$T/other/recache.key" -r 0 "$B"
like "$(lasterr)" "medusa-recache: $B/api/recache: 403" "names the server and the status"
medusa-recache -C "$T/by" -n > "$T/req"
sig=$(sed -n 1p "$T/req" | cut -d' ' -f2)
printf "%s" "$(sed -n 2p "$T/req" | sed 's/"generation":null/"generation":7/')" > "$T/tampered"
is "$(code -X POST -H "X-Medusa-Signature: $sig" --data-binary @"$T/tampered" "$B/api/recache")" 403 "a tampered body: 403"
like "$(cat "$T/body")" "bad signature" "bad signature"
medusa-recache -C "$T/by" -n -T $(($(date +%s) - 3600)) > "$T/req"
sig=$(sed -n 1p "$T/req" | cut -d' ' -f2)
printf "%s" "$(sed -n 2p "$T/req")" > "$T/old"
is "$(code -X POST -H "X-Medusa-Signature: $sig" --data-binary @"$T/old" "$B/api/recache")" 403 "an old timestamp: 403"
like "$(cat "$T/body")" "timestamp" "says the timestamp"
ok "recache with the right key" medusa-recache -C "$T/by" "$B"
is "$(lastout | jq -r .answer.total)" 4 "answers with the listing"
is "$(lastout | jq .answer.generation)" "$((gen + 1))" "and the new generation"
code "$B/api/clips" >/dev/null
is "$(jq .total "$T/body")" 4 "the new clip shows"
pk=$(jq -r '.clips[] | select(.id == "k4") | .renditions[] | select(.profile == "poster") | .url' "$T/body")
like "$pk" 'poster.qqq$' "a key with an odd extension"
is "$(code "$B$pk")" 200 "GET it"
is "$(hdr Content-Type)" image/x-medusa-test "served with the mime it was published with"
medusa-recache -C "$T/by" -n > "$T/req"
sig=$(sed -n 1p "$T/req" | cut -d' ' -f2)
printf "%s" "$(sed -n 2p "$T/req")" > "$T/good"
is "$(code -X POST -H "X-Medusa-Signature: $sig" --data-binary @"$T/good" "$B/api/recache")" 200 "the same request untampered: 200"

# a server that may not write the metastore's folder (no -shm file can be
# made there) reads a copy of it in its cache directory
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	mkdir -p "$T/ro" "$T/rocache"
	sqlite3 "$FY/metastore.sqlite" "VACUUM INTO '$T/ro/metastore.sqlite'"
	chmod 755 "$T" "$T/ro"; chmod 644 "$T/ro/metastore.sqlite"; chmod 777 "$T/rocache"
	out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | setpriv --reuid=nobody --regid=nogroup --clear-groups \
	  env ASAN_OPTIONS=detect_leaks=0 medusa-serve frontyard -m "$T/ro/metastore.sqlite" -c "$T/rocache" 2>"$T/err")
	like "$out" '"total":4' "a read-only metastore folder: served from a copy"
	ok "nothing was written beside the metastore" test "$(ls "$T/ro")" = metastore.sqlite
	chmod 700 "$T"
else
	_n=$((_n + 1)); echo "ok $_n - # SKIP not root: cannot read as another user"
	_n=$((_n + 1)); echo "ok $_n - # SKIP not root: cannot read as another user"
fi

fails "an unreachable server fails" 1 medusa-recache -C "$T/by" -r 0 -t 2 "http://127.0.0.1:$(free_port)"
like "$(lasterr)" "medusa-recache: http://127.0.0.1:[0-9]*/api/recache: " "named"
chmod 644 "$FY/recache.key"
fails "a readable secret key is refused" 2 medusa-recache -C "$T/by" "$B"
like "$(lasterr)" "recache.key: secret key readable by others" "says why"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
