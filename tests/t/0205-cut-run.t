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

# a slow profile, so that a run can be stopped in the middle of a clip
rm -rf "$T/frontyard"
mkdir -p slowby
cat > slowby/backyard.medusa.json <<'JSON'
{"profiles": {"slow": {"kind": "video", "codec": "vp9", "container": "webm", "speed": 2, "crf": 20}}}
JSON
cp v.mp4 slowby/
cd slowby
clip v.mp4 k2 0 2 > clip.ndjson
FY=$T/by/frontyard
# start_run: medusa-cut in the background, returning once its temporary file is there
start_run() {
	medusa-cut -q < clip.ndjson > out.ndjson 2> err.txt &
	pid=$!
	i=0
	while [ $i -lt 400 ] && [ -z "$(find "$FY" -name '.slow.webm.tmp.*' 2>/dev/null)" ]; do
		sleep 0.05; i=$((i + 1))
	done
}
finished() { [ -n "$(find "$FY" -name 'slow.webm' 2>/dev/null)" ]; }

# SIGTERM: the clip under way stops and its temporary file goes
start_run
kill -TERM $pid 2>/dev/null || true
st=0; wait $pid 2>/dev/null || st=$?
if finished; then
	for d in 4 5 6; do echo "ok $d # SKIP the run ended before it could be stopped"; done
	_n=$((_n + 3)); rm -rf "$FY"
else
	is "$st" 143 "SIGTERM: dies of it"
	is "$(find "$FY" -name '.slow.webm.tmp.*' | wc -l | tr -d ' ')" 0 "SIGTERM: no temporary file left"
	like "$(jq -r .error out.ndjson)" "interrupted" "SIGTERM: an error record says interrupted"
fi

# SIGKILL: a temporary file stays, never a file under the final name
start_run
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
if finished; then
	for d in 7 8; do echo "ok $d # SKIP the run ended before it could be killed"; done
	_n=$((_n + 2))
else
	is "$(find "$FY" -name 'slow.webm' | wc -l | tr -d ' ')" 0 "SIGKILL: no file under its final name"
	is "$(find "$FY" -name '.slow.webm.tmp.*' | wc -l | tr -d ' ')" 1 "SIGKILL: its temporary file stays"
fi
ok "the next run goes through" medusa-cut -q < clip.ndjson
f=$(rend "$(lastout)" slow file)
ok "and makes the rendition whole" near "$(probe "$f" format=duration)" 2 0.04
is "$(find "$FY" -name '*.tmp.*' | wc -l | tr -d ' ')" 0 "and removes the temporary file of the killed run"
# two runs at once on the same clip: one makes it, both say the same
rm -rf "$FY"
clip v.mp4 k3 0 1 > two.ndjson
sed -i 's/"speed": 2, "crf": 20/"speed": 8, "crf": 50/' backyard.medusa.json
medusa-cut -q < two.ndjson > a.ndjson & p1=$!
medusa-cut -q < two.ndjson > b.ndjson & p2=$!
wait $p1; wait $p2
is "$(cat a.ndjson)" "$(cat b.ndjson)" "two runs at once: the same record"
is "$(find "$FY" -type f -name '*.webm' | wc -l | tr -d ' ')" 1 "one rendition"
done_testing
