#!/bin/sh
# kill -9 a reconcile at many points, during cut and during publish, then run
# it again: the metastore never names a file that is not there whole, nothing
# published is lost, and the rerun finishes the job.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done
command -v setsid >/dev/null || { echo "1..0 # SKIP no setsid"; exit 0; }
cd "$T"
mkyard by
F=$T/frontyard M=$F/metastore.sqlite S=$F/files
kills=0

# after every kill: whatever the metastore holds is in storage, whole
check_kill() {
	[ -f "$M" ] || return 0
	ok "killed ($1): every row's file is there with its hash" consistent "$M" "$S"
	if [ -n "${2:-}" ]; then
		for c in $2; do
			ids "$M" | grep -q "$c " || { echo "not ok - $c lost"; _failed=$((_failed + 1)); }
		done
	fi
}

# during cut: kill the whole process group once the work directory holds
# n finished renditions (each run resumes where the last one stopped); in a
# copy of the backyard with a frontyard of its own
mkdir two && cp -R by two/by
# a slower profile there, so that the kills land while cut is at work
sed 's/"height": 96,/"height": 480,/; s/"preset": "ultrafast"/"preset": "slower"/' \
    by/backyard.medusa.json > two/by/backyard.medusa.json
F2=$T/two/frontyard
cutkills=0
for n in 2 4 6 8 10; do
	setsid medusa-reconcile -g 0 -q -C two/by 2>/dev/null &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		[ "$(find "$F2/work" -type f \( -name '*.mp4' -o -name '*.jpg' \) ! -name '.*' 2>/dev/null | wc -l)" -ge $n ] && break
		sleep 0.05
	done
	if kill -9 -$pid 2>/dev/null; then
		wait $pid 2>/dev/null || :
		kills=$((kills + 1)) cutkills=$((cutkills + 1))
		[ -f "$F2/metastore.sqlite" ] && ok "killed (cut, $n renditions made): every row's file is there with its hash" \
		    consistent "$F2/metastore.sqlite" "$F2/files"
	else
		wait $pid 2>/dev/null || :
	fi
done
echo "# killed $cutkills times during cut"
ok "the run after the cut kills" medusa-reconcile -g 0 -q -C two/by
is "$(ids "$F2/metastore.sqlite")" "a1 a2 b1 b2 c1 c2 " "every clip published"
ok "every row's file is there with its hash" consistent "$F2/metastore.sqlite" "$F2/files"

# during publish: the Nth crash point of medusa-publish kills the group,
# from the first file put to the last removal; each run resumes the last
k=1
while :; do
	st=0
	{ MEDUSA_TEST_CRASH_AT=$k setsid -w medusa-reconcile -g 0 -q -C by 2>/dev/null || st=$?; } 2>/dev/null
	[ "$st" -eq 137 ] || { echo "# run $k: exit $st"; break; }
	kills=$((kills + 1))
	check_kill "first publish, point $k"
	k=$((k + 1))
done
is "$st" 0 "a run that is not killed finishes"
is "$(ids "$M")" "a1 a2 b1 b2 c1 c2 " "every clip published"
ok "every row's file is there with its hash" consistent "$M" "$S"
before=$(sqlite3 "$M" 'SELECT key FROM renditions ORDER BY key')

# a change (c1 moves), a removal (a2), then kills through cut and publish
old=$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'c1'")
gone=$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'a2'")
printf '{"tags": {"place": "a"}, "clips": [{"id": "a1", "start": 0, "end": 0.8}]}\n' > by/a.mp4.medusa.json
printf '{"tags": {"place": "c"}, "clips": [{"id": "c1", "start": 0.4, "end": 1.2}, {"id": "c2", "start": 1, "end": 1.8, "tags": {"rating": 5}}]}\n' > by/c.mp4.medusa.json
k=1
while :; do
	st=0
	{ MEDUSA_TEST_CRASH_AT=$k setsid -w medusa-reconcile -g 0 -q -C by 2>/dev/null || st=$?; } 2>/dev/null
	[ "$st" -eq 137 ] || { echo "# run $k: exit $st"; break; }
	kills=$((kills + 1))
	check_kill "update and prune, point $k" "a1 b1 b2 c1 c2"
	k=$((k + 1))
done
is "$st" 0 "the rerun finishes"
is "$(ids "$M")" "a1 b1 b2 c1 c2 " "every clip of the backyard, a2 pruned"
ok "every row's file is there with its hash" consistent "$M" "$S"
for key in $old $gone; do
	ok "old file $key removed" test ! -e "$S/$key"
done
is "$(find "$S" -type f | wc -l)" "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" "no file that no row names"
is "$(find "$S" -name '*.tmp*' | wc -l)" 0 "no temporary file in storage"
ok "killed at 10 points or more ($kills)" test "$kills" -ge 10
# and a last run has nothing to do
g=$(gen_of "$M")
ok "a run after all that" medusa-reconcile -g 0 -C by
like "$(lasterr)" '0 clips converted, 5 skipped, 0 failed, 0 pruned' "nothing left to do"
is "$(gen_of "$M")" "$g" "generation unchanged"
done_testing
