#!/bin/sh
# medusa-publish --prune: only after a complete scan, never the clips of a
# video that came as an error record, never more than half without --force;
# rows go first, files after the commit.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
cd "$T"
S=$T/files M=$T/ms.sqlite
for c in a1 a2 a3; do mkrec work $c a.mp4 "${c#a}" "${c#a}.5"; done > a.ndjson
for c in b1 b2; do mkrec work $c b.mp4 "${c#b}" "${c#b}.5"; done > b.ndjson
for c in c1 c2; do mkrec work $c c.mp4 "${c#c}" "${c#c}.5"; done > c.ndjson
cat a.ndjson b.ndjson c.ndjson > all.ndjson
ids() { sqlite3 "$M" 'SELECT id FROM clips ORDER BY id' | tr '\n' ' '; }
key() { jq -r "select(.clip==\"$1\") | .renditions[0].key" all.ndjson; }
ok "publish seven clips" medusa-publish -s "$S" -m "$M" < all.ndjson

# no summary: the input may be cut off, so nothing goes
{ cat a.ndjson b.ndjson; } > partial.ndjson
ok "prune without a summary" medusa-publish --prune --grace 0 -s "$S" -m "$M" < partial.ndjson
like "$(lasterr)" 'not pruning: the input did not end with a complete scan summary' "says why"
is "$(ids)" "a1 a2 a3 b1 b2 c1 c2 " "nothing pruned"
printf '%s\n' '{"summary":{"complete":false,"videos":2,"errors":0}}' >> partial.ndjson
ok "prune after an incomplete scan" medusa-publish --prune --grace 0 -s "$S" -m "$M" < partial.ndjson
is "$(ids)" "a1 a2 a3 b1 b2 c1 c2 " "nothing pruned"

# a video that failed to read keeps its clips; a failed clip keeps its row
{ cat a.ndjson; grep '"b1"' b.ndjson
  echo '{"video":"c.mp4","error":"c.mp4.medusa.json: malformed JSON"}'
  echo '{"video":"b.mp4","clip":"b2","error":"tag rating: not an integer"}'
  summary 3; } > errs.ndjson
g0=$(gen_of "$M")
ok "prune with error records" medusa-publish --prune --grace 0 -s "$S" -m "$M" < errs.ndjson
is "$(ids)" "a1 a2 a3 b1 b2 c1 c2 " "clips of failed videos and failed clips stay"
ok "their files stay" test -f "$S/$(key c1)" -a -f "$S/$(key b2)"
is "$(gen_of "$M")" "$g0" "nothing changed, generation kept"

# a clip gone from a complete scan goes: row, then files
{ cat a.ndjson b.ndjson; grep '"c1"' c.ndjson; summary 3; } > gone.ndjson
ok "prune one clip" medusa-publish --prune --grace 0 -s "$S" -m "$M" < gone.ndjson
cp "$T/.out" gone.out
is "$(ids)" "a1 a2 a3 b1 b2 c1 " "c2 pruned"
ok "its files are gone" test ! -e "$S/$(key c2)"
ok "and its folders" test ! -e "$S/clips/c2"
is "$(tail -n 1 gone.out | jq .summary.publish.pruned)" 1 "summary counts it"
is "$(gen_of "$M")" $((g0 + 1)) "generation bumped"
is "$(sqlite3 "$M" "SELECT count(*) FROM renditions r LEFT JOIN clips c ON c.n = r.clip WHERE c.id IS NULL")" 0 "no rendition rows left over"
is "$(sqlite3 "$M" "SELECT count(*) FROM tags t LEFT JOIN clips c ON c.n = t.clip WHERE c.id IS NULL")" 0 "no tag rows left over"

# an error record naming no video: who knows what it was; no prune
{ cat a.ndjson; echo '{"video":null,"error":"folder.medusa.json: malformed"}'; summary 3; } > anon.ndjson
ok "error record without a video" medusa-publish --prune --grace 0 -s "$S" -m "$M" < anon.ndjson
like "$(lasterr)" 'names no video: not pruning' "says why"
is "$(ids)" "a1 a2 a3 b1 b2 c1 " "nothing pruned"

# more than half: refused unless --force
tree "$S" > before
{ cat b.ndjson; summary 1; } > few.ndjson
fails "prune more than half" 1 medusa-publish --prune --grace 0 -s "$S" -m "$M" < few.ndjson
like "$(lasterr)" 'refusing to prune 4 of 6 clips' "says how many"
is "$(ids)" "a1 a2 a3 b1 b2 c1 " "nothing pruned"
tree "$S" > after
ok "storage untouched" cmp before after
# an empty backyard: a complete scan of nothing
summary 0 > empty.ndjson
fails "prune from an empty scan" 1 medusa-publish --prune --grace 0 -s "$S" -m "$M" < empty.ndjson
like "$(lasterr)" 'the input holds no clips: refusing to prune all 6 clips' "says why"
is "$(ids)" "a1 a2 a3 b1 b2 c1 " "nothing pruned"
ok "--force prunes more than half" medusa-publish --prune --grace 0 --force -s "$S" -m "$M" < few.ndjson
is "$(ids)" "b1 b2 " "four pruned"
is "$(find "$S" -type f | wc -l)" 4 "only their files remain"

# files no row names (a run killed before its commit left them, and its
# mark beside the metastore) go with the next run
: > "$M.dirty"
mkdir -p "$S/clips/zz/0123456789abcdef" "$S/clips/b1/0000000000000000"
echo stale > "$S/clips/zz/0123456789abcdef/360p.mp4"
echo stale > "$S/clips/b1/0000000000000000/.360p.mp4.tmp.abcdef"
ok "the next run collects unnamed files" medusa-publish --prune --grace 0 -s "$S" -m "$M" < few.ndjson
ok "stale file gone" test ! -e "$S/clips/zz"
ok "stale temporary gone" test ! -e "$S/clips/b1/0000000000000000"
is "$(find "$S" -type f | wc -l)" 4 "the published files stay"
ok "and the mark is gone" test ! -e "$M.dirty"

# by default the files of pruned clips stay for the grace period: a server
# that has not seen the commit yet may list them
{ grep '"b1"' b.ndjson; summary 1; } > one.ndjson
k2=$(jq -r 'select(.clip=="b2") | .renditions[0].key' b.ndjson)
ok "prune b2" medusa-publish --prune -s "$S" -m "$M" < one.ndjson
is "$(ids)" "b1 " "its row is gone"
ok "its files stay" test -f "$S/$k2"
is "$(sqlite3 "$M" "SELECT count(*) FROM garbage")" 2 "listed as unused since the commit"
ok "a run within the grace period" medusa-publish --prune --grace 3600 -s "$S" -m "$M" < one.ndjson
ok "keeps them" test -f "$S/$k2"
ok "a run after it" medusa-publish --prune --grace 0 -s "$S" -m "$M" < one.ndjson
is "$(tail -n 1 "$T/.out" | jq .summary.publish.removed)" 2 "counted as removed"
ok "removes them" test ! -e "$S/$k2"
is "$(sqlite3 "$M" "SELECT count(*) FROM garbage")" 0 "and forgets them"
done_testing
