#!/bin/sh
# medusa-reconcile: the frontyard follows the backyard; a second run does
# nothing; broken, empty and missing backyards prune nothing; one run at a time.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done
cd "$T"
mkyard by
F=$T/frontyard M=$F/metastore.sqlite S=$F/files
all="a1 a2 b1 b2 c1 c2 "

ok "first reconcile" medusa-reconcile -C by -j 2
like "$(lasterr)" 'medusa-reconcile: 6 clips converted, 0 skipped, 0 failed, 0 pruned' "summary"
like "$(lasterr)" "storage $S, metastore $M" "says where the results are"
is "$(ids "$M")" "$all" "every clip in the metastore"
is "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" 12 "every profile of every clip"
ok "every row's file is there with its hash" consistent "$M" "$S"
is "$(sqlite3 "$M" "SELECT json_extract(tags, '$.place') || json_extract(tags, '$.rating') FROM clips WHERE id = 'b2'")" b5 "effective tags"
ok "work directory inside the frontyard" test -d "$F/work"
like "$(sqlite3 "$M" 'SELECT url FROM renditions LIMIT 1')" '^/files/clips/' "default urls"

# unchanged backyard: nothing converted, nothing written, same generation
g=$(gen_of "$M")
tree "$S" > before
ok "second reconcile" medusa-reconcile -C by
like "$(lasterr)" '0 clips converted, 6 skipped, 0 failed, 0 pruned' "nothing converted"
tree "$S" > after
ok "storage untouched" cmp before after
is "$(gen_of "$M")" "$g" "generation unchanged"

# a clip removed from its sidecar is pruned, its files go
k=$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'a2' LIMIT 1")
printf '{"tags": {"place": "a"}, "clips": [{"id": "a1", "start": 0, "end": 0.8}]}\n' > by/a.mp4.medusa.json
ok "reconcile after removing a clip" medusa-reconcile -g 0 -C by
like "$(lasterr)" '0 clips converted, 5 skipped, 0 failed, 1 pruned' "one pruned"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "a2 gone"
ok "its file gone" test ! -e "$S/$k"
ok "and its renditions in the work directory" test ! -e "$F/work/a2"
ok "the others stay there" test -d "$F/work/a1"
is "$(gen_of "$M")" $((g + 1)) "generation bumped"

# a changed clip gets a new version; the old files go
k=$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'a1' LIMIT 1")
printf '{"tags": {"place": "a"}, "clips": [{"id": "a1", "start": 0.2, "end": 0.9}]}\n' > by/a.mp4.medusa.json
ok "reconcile after changing a clip" medusa-reconcile -g 0 -C by
like "$(lasterr)" '1 clips converted, 4 skipped' "one converted"
ok "old version gone" test ! -e "$S/$k"
ok "from the work directory too" test ! -e "$F/work/${k#clips/}"
is "$(find "$F/work/a1" -mindepth 1 -maxdepth 1 -type d | wc -l)" 2 "the new version's folders stay (one per profile)"
ok "still consistent" consistent "$M" "$S"

# an invalid clip (a tag of the wrong type) fails its sidecar: reported,
# not published, the published clips of that video stay, the rest goes on
printf '{"tags": {"place": "c"}, "clips": [{"id": "c1", "start": 0, "end": 0.8}, {"id": "c2", "start": 1, "end": 1.8, "tags": {"rating": 5}}, {"id": "c3", "start": 0.5, "end": 1, "tags": {"rating": "high"}}]}\n' > by/c.mp4.medusa.json
fails "reconcile with an invalid clip" 1 medusa-reconcile -C by
like "$(lasterr)" 'rating' "names the tag"
like "$(lasterr)" '0 clips converted, 3 skipped, 1 failed, 0 pruned' "counts it as failed"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "c3 not published, nothing else changed"

# a sidecar broken after publishing: its clips stay, the run fails
tree "$S" > before
echo '{"clips": [' > by/c.mp4.medusa.json
fails "reconcile with a broken sidecar" 1 medusa-reconcile -C by
like "$(lasterr)" 'c.mp4.medusa.json' "names the sidecar"
like "$(lasterr)" '0 pruned' "nothing pruned"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "c1 and c2 stay"
tree "$S" > after
ok "their files stay" cmp before after

# an empty backyard (an unmounted disk): a clear error, no prune
mkdir empty && cp by/backyard.medusa.json empty/
fails "reconcile an empty backyard" 1 medusa-reconcile -C empty -s "$S" -m "$M"
like "$(lasterr)" 'holds no videos' "says so"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "nothing pruned"
tree "$S" > after
ok "storage untouched" cmp before after

# a missing backyard: usage error, nothing touched
fails "reconcile a missing backyard" 2 medusa-reconcile -C "$T/nope"
like "$(lasterr)" "$T/nope" "names it"
sed 's/^{/{"frontyard": {"dir": "fy"},/' by/backyard.medusa.json > inside.json
mkdir inside && cp inside.json inside/backyard.medusa.json
fails "a frontyard inside the backyard" 2 medusa-reconcile -C inside
like "$(lasterr)" 'inside the backyard' "says why"
ok "nothing made there" test ! -e inside/fy
fails "bad -j" 2 medusa-reconcile -C by -j 0
fails "unknown option" 2 medusa-reconcile -Z
like "$(lasterr)" 'usage: medusa-reconcile' "usage"

# two at once: the second waits (or with -n, says so and exits)
printf '{"tags": {"place": "c"}, "clips": [{"id": "c1", "start": 0, "end": 0.8}, {"id": "c2", "start": 1, "end": 1.8}]}\n' > by/c.mp4.medusa.json
exec 8>>"$M.reconcile.lock"
flock 8
fails "second reconcile with -n" 1 medusa-reconcile -n -C by
like "$(lasterr)" 'another medusa-reconcile is running' "says why"
medusa-reconcile -C by > waited.out 2> waited.err &
bg=$!
while ! grep -qs 'waiting for it' waited.err; do sleep 0.1; done
ok "the second one waits" kill -0 $bg
flock -u 8
exec 8>&-
st=0; wait $bg || st=$?
is "$st" 0 "and runs when the first is done"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "all there"

# -r without medusa-recache installed: said, not fatal
mkdir bin
for t in medusa-scan medusa-meta medusa-tags medusa-cut medusa-publish medusa-reconcile; do
	ln -s "$(command -v $t)" bin/$t
done
ok "-r without medusa-recache" env PATH="$T/bin:/usr/bin:/bin" medusa-reconcile -C by -r http://127.0.0.1:9/
like "$(lasterr)" 'medusa-recache is not installed: http://127.0.0.1:9/ not told' "says so"

# a backyard whose path has spaces and quotes
mkdir -p "odd 'name' \$x"
cp -R by "odd 'name' \$x/by"
ok "reconcile under an odd path" medusa-reconcile -C "odd 'name' \$x/by"
is "$(ids "odd 'name' \$x/frontyard/metastore.sqlite")" "a1 b1 b2 c1 c2 " "published there"
done_testing
