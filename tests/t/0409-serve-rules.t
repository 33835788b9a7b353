#!/bin/sh
# Publication rules (-W, frontyard.where): a frontyard server never lists,
# counts, searches or serves the clips outside its rule; medusa-publish
# neither publishes them nor keeps them; a bad rule or a bad filter value
# is named. (medusa-sync's side: 0410.)
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
mkbackyard "$T/by"
FY=$T/frontyard
{
	clip k1 trips/kyoto.mp4 0 4 '{"place":"Kyoto","people":["Ann"],"rating":5,"kind":"travel","public":true}'
	clip k2 trips/nara.mp4 1 3 '{"place":"Nara","people":["Bo"],"rating":2,"kind":"travel","public":false}'
	clip k3 home/cat.mp4 2 8 '{"place":"Home","people":[],"rating":4,"kind":"family","public":true}'
	clip k4 wild/fox.mp4 0 2 '{"place":"Wood","people":["Bo"],"rating":2,"kind":"nature","public":false}'
} > "$T/recs"
ok "publish four clips" medusa-publish -C "$T/by" < "$T/recs"
url() {  # url ID PROFILE: a clip's file URL as published
	jq -r --arg id "$1" --arg p "$2" 'select(.clip == $id) | .renditions[] | select(.profile == $p) | .url' "$T/pub"
}
medusa-publish -C "$T/by" -q < "$T/recs" > "$T/pub"

P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" frontyard -C "$T/by" -W public=true
is "$(code "$B/api/clips")" 200 "-W public=true: GET /api/clips"
is "$(jq -c '[.total, [.clips[].id]]' "$T/body")" '[2,["k1","k3"]]' "only the public clips are listed"
code "$B/api/clips?public=false" >/dev/null
is "$(jq .total "$T/body")" 0 "asking for the others finds none"
code "$B/api/clips?q=nara" >/dev/null
is "$(jq .total "$T/body")" 0 "a private clip's text is not searched"
code "$B/api/clips?people=Bo" >/dev/null
is "$(jq .total "$T/body")" 0 "nor its list values"
code "$B/api/facets" >/dev/null
is "$(jq -cS .facets.public "$T/body")" '{"true":2}' "facets count only the public clips"
is "$(jq -c '.facets.place | keys' "$T/body")" '["Home","Kyoto"]' "no private value shows in a facet"
code "$B/api/facets?kind=travel" >/dev/null
is "$(jq -c .facets.place "$T/body")" '{"Kyoto":1}' "facets of a filter, too"
is "$(code "$B/api/clips/k2")" 404 "a private clip's id: 404"
is "$(code "$B/api/clips/k1")" 200 "a public one: 200"
is "$(code "$B$(url k2 360p)")" 404 "a private clip's file: 404"
is "$(code -I "$B$(url k4 poster)")" 404 "HEAD of another: 404"
is "$(code "$B$(url k1 360p)")" 200 "a public clip's file: 200"
ok "the private file is in storage all the same" test -f "$FY/files/clips/k2/00000000000000a2/360p.mp4"
ok "no private value anywhere in the answers" sh -c '! grep -rq -e Nara -e Wood "$1"/body' - "$T"

# the same metastore, another rule: its own index beside the first
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" -W 'kind=travel&kind=nature')
like "$out" '"total":3' "-W kind=travel&kind=nature: one tag's values are alternatives"
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" -W 'kind=travel&public=false')
like "$out" '"total":1,"clips":\[{"id":"k2"' "two tags: both must hold"
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by")
like "$out" '"total":4' "no rule: every clip"
is "$(ls "$FY"/cache/clips-*.idx | wc -l)" 4 "one index for each rule"
code "$B/api/clips" >/dev/null
is "$(jq .total "$T/body")" 2 "and the first server still serves its own"

# frontyard.where in the config: the local frontyard's rule
cp "$T/by/backyard.medusa.json" "$T/config.orig"
jq '.frontyard = {"where": "public=true"}' "$T/config.orig" > "$T/by/backyard.medusa.json"
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by")
like "$out" '"total":2' "frontyard.where applies without -W"
out=$(printf 'GET /api/clips HTTP/1.0\r\n\r\n' | medusa-serve frontyard -C "$T/by" -W kind=nature)
like "$out" '"total":1,"clips":\[{"id":"k4"' "-W takes its place"

# bad rules are usage errors that say what is wrong
fails "-W rating=abc" 2 medusa-serve frontyard -C "$T/by" -W rating=abc
like "$(lasterr)" 'medusa-serve: -W rating=abc: rating=abc: "abc" is not an integer' "names the tag and the value"
fails "-W colour=red" 2 medusa-serve frontyard -C "$T/by" -W colour=red
like "$(lasterr)" 'colour: no such tag' "names the tag"
fails "-W with a sort" 2 medusa-serve frontyard -C "$T/by" -W 'public=true&sort=id'
like "$(lasterr)" 'sort: a rule holds tag filters only' "says what a rule holds"
fails "-W kind=%zz" 2 medusa-serve frontyard -C "$T/by" -W 'kind=%zz'
like "$(lasterr)" 'bad percent-encoding' "bad percent-encoding"
jq '.frontyard = {"where": "public=perhaps"}' "$T/config.orig" > "$T/by/backyard.medusa.json"
fails "a bad frontyard.where" 2 medusa-serve frontyard -C "$T/by"
like "$(lasterr)" "backyard.medusa.json: frontyard.where: public=perhaps: .*\"perhaps\" is not true or false" \
  "names the file, the field and the problem"
fails "medusa-publish refuses it too" 2 medusa-publish -C "$T/by" < /dev/null
fails "medusa-reconcile too, before it reads a video" 2 medusa-reconcile -C "$T/by"
like "$(lasterr)" "frontyard.where" "named"
cp "$T/config.orig" "$T/by/backyard.medusa.json"

# a bad filter value is a 400 that names the tag and the value
is "$(code "$B/api/clips?rating=abc")" 400 "rating=abc: 400"
like "$(cat "$T/body")" 'rating=abc: \\"abc\\" is not an integer' "names the tag and the value"
is "$(code "$B/api/facets?rating=abc")" 400 "the same on /api/facets"
is "$(code "$B/api/clips?public=perhaps")" 400 "a boolean that is none"
is "$(code "$B/api/clips?kind=sport")" 400 "an enum value that is not one"
like "$(cat "$T/body")" '\\"sport\\" is not one of family, travel, nature, other' "lists the values"
is "$(code "$B/api/clips?rating=5")" 200 "a good value: 200"
is "$(code "$B/api/clips?rating=%FFx")" 400 "a value that is not UTF-8: 400"
ok "and the answer is UTF-8" sh -c 'iconv -f UTF-8 -t UTF-8 "$1" > /dev/null' - "$T/body"

# medusa-publish -W: what is outside is not published, and what was goes
rm -rf "$FY"
ok "publish with -W public=true" sh -c 'medusa-publish -C "$1/by" -W public=true < "$1/recs" > "$1/out"' - "$T"
is "$(jq -s -c 'last.summary.publish | [.clips, .excluded]' "$T/out")" '[2,2]' "two published, two left out"
is "$(sqlite3 "$FY/metastore.sqlite" 'SELECT group_concat(id) FROM (SELECT id FROM clips ORDER BY id)')" k1,k3 \
  "only the public rows"
ok "no file of a private clip in storage" test ! -e "$FY/files/clips/k2" -a ! -e "$FY/files/clips/k4"
ok "publish all of them without a rule" sh -c 'medusa-publish -C "$1/by" -q < "$1/recs" > /dev/null' - "$T"
is "$(sqlite3 "$FY/metastore.sqlite" 'SELECT count(*) FROM clips')" 4 "four rows"
g=$(sqlite3 "$FY/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'")
ok "the rule again: the private clips are withdrawn" \
  sh -c 'medusa-publish -C "$1/by" -W public=true < "$1/recs" > "$1/out"' - "$T"
is "$(sqlite3 "$FY/metastore.sqlite" 'SELECT group_concat(id) FROM (SELECT id FROM clips ORDER BY id)')" k1,k3 \
  "their rows are gone"
is "$(sqlite3 "$FY/metastore.sqlite" "SELECT count(*) FROM tags WHERE clip NOT IN (SELECT n FROM clips)")" 0 \
  "with their tags"
ok "and their files" test ! -e "$FY/files/clips/k2/00000000000000a2/360p.mp4" -a ! -e "$FY/files/clips/k4/00000000000000b4/poster.jpg"
is "$(sqlite3 "$FY/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'")" $((g + 1)) \
  "in one new generation"
is "$(jq -s -c 'last.summary.publish | [.pruned, .excluded]' "$T/out")" '[2,2]' "counted as pruned"
ok "the same again changes nothing" sh -c 'medusa-publish -C "$1/by" -W public=true < "$1/recs" > "$1/out"' - "$T"
is "$(sqlite3 "$FY/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'")" $((g + 1)) \
  "the generation stays"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
