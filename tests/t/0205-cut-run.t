#!/bin/sh
# medusa-cut as a run: the progress line on a terminal (and -q), and a run
# killed mid-clip leaves no partial file under a final name; the next run
# makes it.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

cutby "$T/by"
cd "$T/by"
mkvideo v.mp4 2
clip v.mp4 k1 0 2 > one.ndjson

# a terminal on stderr (script(1) makes one); the records still go to the file
script -qec "medusa-cut -p 360p < one.ndjson > out.ndjson" "$T/tty.log" > /dev/null
like "$(tr '\r' '\n' < "$T/tty.log")" "medusa-cut: clip 1/1 k1 360p *[0-9]*% [0-9]* fps [0-9.]*x" "a progress line on a terminal"
is "$(jq -r .clip out.ndjson)" k1 "the record still goes to standard output"
rm -rf "$T/frontyard"
script -qec "medusa-cut -q -p 360p < one.ndjson > out.ndjson" "$T/tty.log" > /dev/null
is "$(grep -c 'clip 1/1' "$T/tty.log" || true)" 0 "-q: no progress line"

# killed while encoding: wait for its temporary file, then SIGKILL
rm -rf "$T/frontyard"
mkdir -p slowby
cat > slowby/backyard.medusa.json <<'JSON'
{"profiles": {"slow": {"kind": "video", "codec": "vp9", "container": "webm", "speed": 2, "crf": 20}}}
JSON
cp v.mp4 slowby/
cd slowby
clip v.mp4 k2 0 2 > clip.ndjson
medusa-cut -q < clip.ndjson > out.ndjson 2>/dev/null &
pid=$!
i=0
while [ $i -lt 400 ] && [ -z "$(find "$T/by/frontyard" -name '*.tmp.*' 2>/dev/null)" ]; do
	sleep 0.05; i=$((i + 1))
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
if [ -n "$(find "$T/by/frontyard" -name 'slow.webm' 2>/dev/null)" ]; then
	echo "ok 4 # SKIP the run ended before it could be killed"
	_n=$((_n + 1))
else
	is "$(find "$T/by/frontyard" -name 'slow.webm' | wc -l | tr -d ' ')" 0 "killed: no file under its final name"
fi
# SIGTERM: the clip under way stops and its temporary file goes
find "$T/by/frontyard" -name '.slow.webm.tmp.*' -exec rm {} +
medusa-cut -q < clip.ndjson > out.ndjson 2> err.txt &
pid=$!
i=0
while [ $i -lt 400 ] && [ -z "$(find "$T/by/frontyard" -name '.slow.webm.tmp.*' 2>/dev/null)" ]; do
	sleep 0.05; i=$((i + 1))
done
kill -TERM $pid 2>/dev/null || true
st=0; wait $pid || st=$?
if [ -n "$(find "$T/by/frontyard" -name 'slow.webm' 2>/dev/null)" ]; then
	for d in 6 7 8; do echo "ok $d # SKIP the run ended before it could be stopped"; done
	_n=$((_n + 3))
else
	is "$st" 143 "SIGTERM: dies of it"
	is "$(find "$T/by/frontyard" -name '.slow.webm.tmp.*' | wc -l | tr -d ' ')" 0 "SIGTERM: no temporary file left"
	like "$(jq -r .error out.ndjson)" "interrupted" "SIGTERM: an error record says interrupted"
fi

ok "the next run goes through" medusa-cut -q < clip.ndjson
f=$(rend "$(lastout)" slow file)
ok "and makes the rendition whole" near "$(probe "$f" format=duration)" 2 0.04
done_testing
