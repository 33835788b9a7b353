#!/bin/sh
# examples/batch/Makefile: make -j2 converts a backyard one target per clip
# and profile, publishes, and does nothing the second time.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut make; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done
cd "$T"
mkyard by
F=$T/frontyard M=$F/metastore.sqlite S=$F/files
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$MEDUSA_SRC/examples/batch/Makefile" BACKYARD=by -j2 "$@"; }
ok "make -j2" mk
is "$(ids "$M")" "a1 a2 b1 b2 c1 c2 " "every clip published"
is "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" 12 "in every profile"
ok "consistent" consistent "$M" "$S"
g=$(gen_of "$M")
tree "$S" > before
touch marker0
ok "make again" mk
like "$(lastout)" "Nothing to be done for 'all'" "nothing to do"
is "$(find "$F/batch" -type f -newer marker0 | wc -l)" 0 "no file of the work folder rewritten"
tree "$S" > after
ok "storage untouched" cmp before after
is "$(gen_of "$M")" "$g" "generation unchanged"
# one clip changes, one goes: only that clip is cut again
printf '{"tags": {"place": "a"}, "clips": [{"id": "a1", "start": 0.2, "end": 0.9}]}\n' > by/a.mp4.medusa.json
touch marker
ok "make after a change" mk
is "$(cd "$F/batch" && find . -name '*.rec' -newer "$T/marker" | sort | tr '\n' ' ')" "./a1.rec " "only that clip cut again"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "the removed clip is pruned"
ok "and its work is gone" test ! -e "$F/batch/a2" -a ! -e "$F/batch/a2.rec" -a ! -e "$F/batch/spec/a2.json"
ok "consistent" consistent "$M" "$S"
is "$(sqlite3 "$M" "SELECT start FROM clips WHERE id = 'a1'")" 0.2 "the changed clip"
# a broken sidecar: its clips stay, the others go on, make says so and fails
cp by/a.mp4.medusa.json a.json
echo '{"clips": [' > by/a.mp4.medusa.json
rm by/c.mp4 by/c.mp4.medusa.json
fails "make with a broken sidecar" 2 mk
like "$(lasterr)" "a.mp4.medusa.json: malformed JSON" "names it"
is "$(ids "$M")" "a1 b1 b2 " "its clip stays, the removed video's go"
ok "its work stays" test -f "$F/batch/a1.rec" -a -f "$F/batch/spec/a1.json"
ok "consistent" consistent "$M" "$S"
cp a.json by/a.mp4.medusa.json
touch marker2
ok "make after the fix" mk
is "$(find "$F/batch" -name '*.rec' -newer marker2 | wc -l)" 0 "cuts nothing again"
is "$(ids "$M")" "a1 b1 b2 " "the same clips"
# a video that cannot be cut: its clips fail and stay, make says so, tries again
cp by/sub/b.mp4 b.mp4
head -c 3000 by/a.mp4 > by/sub/b.mp4
fails "make with a video that cannot be cut" 2 mk
like "$(lasterr)" "sub/b.mp4: clip b1: medusa-cut failed" "names the clip"
like "$(lasterr)" "2 clips failed" "counts them"
is "$(ids "$M")" "a1 b1 b2 " "its clips stay"
ok "consistent" consistent "$M" "$S"
cp b.mp4 by/sub/b.mp4
fails "a second make while one runs" 2 flock "$F/batch/.lock" \
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$MEDUSA_SRC/examples/batch/Makefile" BACKYARD=by
like "$(lasterr)" "another make of this work folder is running" "says so"
ok "make after the fix" mk
is "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" 6 "every clip in every profile"
done_testing
