#!/bin/sh
# medusa-cut with nothing to do costs what a stat costs: each video's
# fingerprint is kept in WORKDIR/.fingerprints by (device, inode, size,
# mtime, ctime), so a second run opens no video (strace), makes no folder
# and takes no lock; a changed video is fingerprinted again; a record that
# carries the fingerprint (made on another host) gives the same versions.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

if ! command -v strace > /dev/null; then
	echo "1..0 # SKIP no strace"
	exit 0
fi
cutby "$T/by"
cd "$T/by"
W="$T/frontyard/work"
mkvideo a.mp4 1
mkvideo b.mp4 1 -vf negate
for v in a b; do
	for i in 1 2 3; do clip $v.mp4 $v$i 0.$i 0.$((i + 5)); done
done > clips.ndjson

ok "the first run" medusa-cut -p 360p,poster < clips.ndjson
first=$(lastout)
is "$(wc -l < "$W/.fingerprints" | tr -d ' ')" 2 "one fingerprint a video, not one a clip"
is "$(printf '%s\n' "$first" | jq -r .fingerprint | sort -u | wc -l | tr -d ' ')" 2 "each record carries its video's fingerprint"
like "$(head -1 "$W/.fingerprints")" '^[0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9a-f]\{64\}$' \
  "a line: device, inode, size, mtime and ctime with nanoseconds, fingerprint"

# noop: a run under strace; $T/trace has what it opened, made and locked
noop() {
	# LeakSanitizer cannot run under a tracer
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -o "$T/trace" -e trace=open,openat,mkdir,mkdirat,flock medusa-cut -p 360p,poster \
	  < "${1:-clips.ndjson}" > "$T/out" 2> "$T/err"
}
opened() { grep -E "open(at)?\(.*\"[^\"]*/$1\"" "$T/trace" | grep -v ENOENT || true; }
ok "a second run" noop
is "$(cat "$T/out")" "$first" "makes the same records"
is "$(opened a.mp4)$(opened b.mp4)" "" "and opens no video"
is "$(grep -E 'mkdir|flock' "$T/trace" | grep -v "\"$W\"" || true)" "" "makes no folder and takes no lock"
is "$(grep -E 'open(at)?\(' "$T/trace" | grep -v ENOENT | grep "\"$W/" | grep -c '\.json"' || true)" 0 \
  "reads no record beside a rendition: they are in WORKDIR/.renditions"
is "$(wc -l < "$W/.renditions" | tr -d ' ')" 12 "one line a rendition there"

# the same bytes and mtime, another change time (chmod): the video is read
# once for its fingerprint, which is the same: nothing is made
before=$(cut_tree "$W")
chmod 600 a.mp4
ok "a video whose change time moved" noop
is "$(opened a.mp4 | wc -l | tr -d ' ')" 1 "is opened once, to be fingerprinted"
is "$(opened b.mp4)" "" "the other is not"
is "$(cat "$T/out")" "$first" "the same versions"
is "$(cut_tree "$W" | grep -v fingerprints)" "$(printf '%s\n' "$before" | grep -v fingerprints)" "nothing made again"

# another video in its place, the same inode (cp writes into it)
cp b.mp4 a.mp4
ok "a video replaced in place" noop
v1=$(printf '%s\n' "$first" | jq -r 'select(.clip == "a1") | .renditions[0].version')
v2=$(jq -r 'select(.clip == "a1") | .renditions[0].version' "$T/out")
ok "gets new versions" test "$v1" != "$v2"

# a fingerprint that travels in the record: another host whose copy of the
# video has another mtime below the second (scp -p) gets the same versions
rm -rf "$T/frontyard"
mkvideo c.mp4 1
printf '{"path":"c.mp4","video":"c.mp4","size":%s,"mtime":%s,"clip":"c1","start":0.1,"end":0.6,"tags":{}}\n' \
  "$(stat -c %s c.mp4)" "$(stat -c %Y c.mp4)" > c.ndjson
ok "a clip of c.mp4" medusa-cut -p 360p,poster < c.ndjson
made=$(lastout)
jq -c 'del(.renditions)' > c2.ndjson <<EOF
$made
EOF
touch -d "@$(stat -c %Y c.mp4).5" c.mp4
ok "the record with its fingerprint, the video's mtime off by half a second" noop c2.ndjson
is "$(jq -c '[.renditions[].version]' "$T/out")" "$(printf '%s\n' "$made" | jq -c '[.renditions[].version]')" "the same versions"
is "$(opened c.mp4)" "" "and the video is not opened"
touch -d "@$(($(stat -c %Y c.mp4) + 1))" c.mp4
ok "the same record once the video's mtime moved by a second" noop c2.ndjson
is "$(opened c.mp4 | head -1 | wc -l | tr -d ' ')" 1 "is fingerprinted here"
ok "and gets new versions" test "$(jq -c '[.renditions[].version]' "$T/out")" != \
  "$(printf '%s\n' "$made" | jq -c '[.renditions[].version]')"

# caches with junk in them, or that cannot be written: it still works
printf 'junk\n1 2 3\n' >> "$W/.fingerprints"
printf 'junk\n1 2 3 4 c1/x/poster.jpg\t{}\n' >> "$W/.renditions"
ok "caches with junk lines" medusa-cut -p 360p,poster < c.ndjson
is "$(lastout | jq -c '.renditions[].profile' | tr -d '\n')" '"360p""poster"' "the same renditions"
rm -f "$W/.fingerprints" "$W/.renditions" && mkdir "$W/.fingerprints" "$W/.renditions"
ok "caches that cannot be kept" medusa-cut -p 360p,poster < c.ndjson
like "$(lasterr)" "^medusa-cut: $W/.fingerprints: fingerprints are not kept" "says so"
like "$(lasterr)" "^medusa-cut: $W/.renditions: the records of renditions are not kept" "both"
is "$(lastout | jq -c '.renditions[].profile' | tr -d '\n')" '"360p""poster"' "and the renditions are there"
done_testing
