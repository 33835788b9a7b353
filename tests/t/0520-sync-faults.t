#!/bin/sh
# medusa-sync cut off: kill -9 mid-upload, after the uploads before the
# switch, after the switch before the deletes; s3rver stopped mid-sync; a
# flaky store. The remote always serves one whole generation, the next sync
# finishes the job, and nothing a live generation references is deleted.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
R=s3://media/g
F=$T/fy
fy_init "$F"
for i in 1 2 3 4; do fy_add "$F" clips/c$i/v/360p.mp4 30000; done
sync() { medusa-sync -q -m "$F/metastore.sqlite" -s "$F/files" -t "$R" --keep 0 -j 2 "$@"; }
ok "first sync" sync
is "$(remote_whole $R)" 4 "remote at generation 4"

fy_add "$F" clips/c5/v/360p.mp4 30000
fy_add "$F" clips/c6/v/360p.mp4 30000
fy_del "$F" clips/c1/v/360p.mp4

# kill_at REGEX: run a sync through a proxy that never answers requests
# matching REGEX, and kill -9 its whole process group once one is held
kill_at() {
	: > "$T/req.log"
	s3_proxy --hold "$1" --log "$T/req.log"
	setsid sh -c 'exec medusa-sync -q -m "$1" -s "$2" -t "$3" --keep 0 -j 2' sync \
	    "$F/metastore.sqlite" "$F/files" "$R" > /dev/null 2>&1 &
	_pid=$!
	_i=0
	while ! grep -q '^held' "$T/req.log"; do
		_i=$((_i + 1))
		if [ "$_i" -gt 1200 ]; then echo "# never held: $1"; break; fi
		sleep 0.05
	done
	kill -KILL "-$_pid" 2>/dev/null || true
	wait "$_pid" 2>/dev/null || true
	s3_proxy_stop
}

kill_at 'PUT /media/g/clips/c[56]'
is "$(remote_whole $R)" 4 "killed mid-upload: the remote serves generation 4 whole"
kill_at 'PUT /media/g/meta/generation'
like "$(cat "$T/req.log")" 'PUT /media/g/meta/snapshots/7-' "(the snapshot went up)"
is "$(remote_whole $R)" 4 "killed before the switch: still generation 4 whole"
ok "the removed clip's file is still there" medusa-store -s $R stat clips/c1/v/360p.mp4
kill_at 'POST /media\?delete='
is "$(remote_whole $R)" 7 "killed after the switch: generation 7 whole"
ok "the next sync" sync
is "$(remote_whole $R)" 7 "still generation 7"
fails "the deletes are done now" 1 medusa-store -s $R stat clips/c1/v/360p.mp4
is "$(medusa-store -s $R ls clips/ | wc -l)" 5 "exactly the five live files remain"

# s3rver stopped in the middle of a sync
for i in 7 8 9; do fy_add "$F" clips/c$i/v/360p.mp4 30000; done
: > "$T/req.log"
s3_proxy --slow 150 --log "$T/req.log"
sync > "$T/out" 2> "$T/err" &
spid=$!
i=0
while ! grep -q '^PUT /media/g/clips/' "$T/req.log"; do
	i=$((i + 1)); [ "$i" -gt 1200 ] && break; sleep 0.05
done
s3_stop
st=0; wait "$spid" || st=$?
is "$st" 1 "the sync fails when s3rver goes away"
like "$(cat "$T/err")" 'medusa-sync: .*failed' "and says what failed"
s3_proxy_stop
s3_start media
is "$(remote_whole $R)" 7 "the remote still serves generation 7 whole"
ok "the next sync" sync
is "$(remote_whole $R)" 10 "finishes the job: generation 10"

# a flaky store: the first try of every request gets 503, the sync still
# gets through
fy_add "$F" clips/c10/v/360p.mp4 30000
s3_proxy --fail-first
ok "sync through 503s" sync
s3_proxy_stop
is "$(remote_whole $R)" 11 "generation 11 whole"

# two syncs never overlap: the second waits for the lock
exec 8>>"$F/metastore.sqlite.sync.lock"
flock 8
sync > /dev/null 2> "$T/err2" &
spid=$!
i=0
while ! grep -qs 'waiting' "$T/err2"; do i=$((i + 1)); [ "$i" -gt 1200 ] && break; sleep 0.05; done
like "$(cat "$T/err2")" 'another medusa-sync is running on .*: waiting' "a second sync waits for the lock"
flock -u 8
st=0; wait "$spid" || st=$?
is "$st" 0 "and then runs"
done_testing
