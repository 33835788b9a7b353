#!/bin/sh
# Damage heals: a rendition whose bytes no longer match its record (and
# whose stored copy is gone) is made again in one reconcile; temporary
# files a killed medusa-cut left go; a no-op costs no storage listing and no
# walk of the work directory. Messages say what is true: a damaged
# metastore is named as such, and a publish that committed but could not
# write its records does not pass for one that published nothing.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done
cd "$T"
mkyard by
F=$T/frontyard M=$F/metastore.sqlite S=$F/files W=$F/work
ok "first reconcile" medusa-reconcile -g 0 -q -C by
keys0=$(sqlite3 "$M" 'SELECT key FROM renditions ORDER BY key')

# the stored copy of a1's video rendition is gone and its work file is
# damaged (same size, other bytes): one reconcile makes it again
k=$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'a1' AND profile = 'tiny'")
wf=$W/${k#clips/}
rm "$S/$k"
size=$(wc -c < "$wf")
printf 'DAMAGE' | dd of="$wf" bs=1 seek=100 conv=notrunc 2>/dev/null
is "$(wc -c < "$wf")" "$size" "(the damage keeps the size)"
ok "one reconcile" medusa-reconcile -g 0 -C by
like "$(lasterr)" "1 renditions in $W did not match their records and were removed: converting them again" "says so"
is "$(sqlite3 "$M" 'SELECT key FROM renditions ORDER BY key')" "$keys0" "every clip back under its key"
ok "every row's file is there with its hash" consistent "$M" "$S"
is "$(b2 "$wf")" "$(sqlite3 "$M" "SELECT hash FROM renditions WHERE key = '$k'")" "the work file was made again"

# leftovers of a killed medusa-cut beside a clip that changes go
v=$(dirname "$wf")
: > "$v/..tiny.mp4.json.tmp.Ab12Cd"
: > "$v/.tiny.mp4.tmp.Ef34Gh"
printf '{"tags": {"place": "a", "rating": 2}, "clips": [{"id": "a1", "start": 0, "end": 0.8}, {"id": "a2", "start": 1, "end": 1.8, "tags": {"rating": 5}}]}\n' \
    > by/a.mp4.medusa.json
ok "reconcile after a tag change" medusa-reconcile -g 0 -q -C by
is "$(find "$W" -name '*.tmp.*' | wc -l)" 0 "no temporary file left in the work directory"
ok "the renditions stay" test -f "$wf"

# a no-op: publish lists no storage and walks no work folder (LeakSanitizer
# cannot run under ptrace)
ok "a no-op reconcile" env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq --seccomp-bpf -e trace=execve,getdents64,rmdir,unlink,unlinkat -o "$T/trace" \
    medusa-reconcile -g 0 -q -C by
pid=$(grep 'execve(".*medusa-publish"' "$T/trace" | cut -d' ' -f1)
ok "(publish was traced)" test -n "$pid"
is "$(grep "^$pid " "$T/trace" | grep -c "getdents64\|$S\|$W")" 0 \
    "publish reads no directory, and removes nothing from storage or the work directory"

# a publish that committed but could not write its records: the work
# directory (where the records go) on a full filesystem
printf '{"tags": {"place": "a", "rating": 3}, "clips": [{"id": "a1", "start": 0, "end": 0.8}, {"id": "a2", "start": 1, "end": 1.8, "tags": {"rating": 5}}]}\n' \
    > by/a.mp4.medusa.json
g=$(gen_of "$M")
if [ "$(id -u)" -eq 0 ] && cp -a "$W" "$T/work.saved" && mount -t tmpfs -o size=2m tmpfs "$W" 2>/dev/null; then
	at_exit "umount '$W' 2>/dev/null || true"
	cp -a "$T/work.saved/." "$W/"
	rm -f "$W/reconcile.ndjson"
	dd if=/dev/zero of="$W/filler" bs=4k 2>/dev/null || true
	fails "the records cannot be written" 1 medusa-reconcile -g 0 -q -C by
	like "$(lasterr)" "medusa-reconcile: medusa-publish committed generation $((g + 1)), but its records and counts could not be written" \
	    "says that it published"
	is "$(gen_of "$M")" $((g + 1)) "it did"
	umount "$W"
else
	for i in 1 2 3; do echo "ok $((_n = _n + 1)) # skip no tmpfs mount here"; done
fi

# a metastore that is damaged is named as such, before any work
cp "$M" ms.good
rm -f "$W/reconcile.ndjson"
printf 'this is no longer a SQLite database header' | dd of="$M" bs=1 conv=notrunc 2>/dev/null
fails "a damaged metastore" 2 medusa-reconcile -q -C by
like "$(lasterr)" "$M: .*the metastore is damaged: restore it from a backup, or move it away" "says it is damaged"
ok "no work was done: no log" test ! -e "$W/reconcile.ndjson"
cp ms.good "$M"
rm -f "$M-wal" "$M-shm"
ok "with it back, a reconcile" medusa-reconcile -g 0 -q -C by
done_testing
