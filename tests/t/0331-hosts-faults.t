#!/bin/sh
# medusa-reconcile -S when things go wrong: a host killed in the middle
# costs only its job (the others finish the run, the summary says so); a
# kill -9 of the whole run keeps what came back, a rerun converts only the
# rest and leaves nothing half-made; no host alive is a clear error.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/hosts.sh"
hosts_check

L=$T/local
hosts_yard "$L/by"
for v in a b c d e f; do
	mkvideo "$L/by/$v.mp4" 1 -vf scale=96:72
	printf '{"clips": [{"id": "%s1", "start": 0, "end": 0.4}, {"id": "%s2", "start": 0.5, "end": 0.9}]}\n' \
	    "$v" "$v" > "$L/by/$v.mp4.medusa.json"
done
cp -a "$L/by" "$L/by2"
sed -i "s|^{|{\"frontyard\": {\"dir\": \"$T/fy2\"},|" "$L/by2/backyard.medusa.json"

# blocking HOST CALL: host HOST's medusa-cut stops for good at its CALLth
# run (the canary is the first), after saying so in HOSTS_DIR/hHOST/blocked
blocking() {
	cat > "$(hosts_bin "$1")/medusa-cut" <<EOF2
#!/bin/sh
echo x >> "$HOSTS_DIR/h$1/calls"
if [ "\$(wc -l < "$HOSTS_DIR/h$1/calls")" -eq $2 ]; then : > "$HOSTS_DIR/h$1/blocked"; exec sleep 600; fi
exec "$MEDUSA_BIN/medusa-cut" "\$@"
EOF2
}
# until COMMAND... succeeds (two minutes at most: a loaded machine)
until_ok() {
	_t=0
	until "$@"; do
		_t=$((_t + 1)); [ "$_t" -lt 1200 ] || return 1
		sleep 0.1
	done
}

hosts_hide "$L"
hosts_start 3
printf '1/h1\n1/h2\n1/h3\n' > "$T/slf"

# h2 stops in its first job, then dies with all its jobs
blocking 2 2
medusa-reconcile -C "$L/by" -S "$T/slf" > "$T/out" 2> "$T/err" &
rpid=$!
ok "h2 is at work" until_ok test -e "$HOSTS_DIR/h2/blocked"
hosts_kill 2
st=0; wait "$rpid" || st=$?
is "$st" 0 "the run finishes on the others"
e=$(cat "$T/err")
like "$e" '12 clips converted, 0 skipped, 0 failed' "nothing is missing"
like "$e" 'host h2: lost' "says h2 was lost"
like "$e" 'host h2: 0 videos (0 clips), .* [1-9][0-9]* jobs* failed there (last: lost the connection' "the summary names its failed jobs"
M=$L/frontyard/metastore.sqlite
is "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" 24 "every rendition published"
ok "every row's file is there with its hash" consistent "$M" "$L/frontyard/files"

# a kill -9 of the whole run once h3 sent a video back and stopped in its
# second; then a rerun
W=$T/fy2/work
blocking 3 3
printf '1/h1\n1/h3\n' > "$T/slf"
setsid medusa-reconcile -C "$L/by2" -S "$T/slf" > "$T/out" 2> "$T/err" &
rpid=$!
returned() { [ -n "$(find "$W/.hosts/jobs" -name '*.ndjson' 2>/dev/null)" ] && test -e "$HOSTS_DIR/h3/blocked"; }
ok "h3 returned a job and is in its second" until_ok returned
kill -9 -"$rpid"
wait "$rpid" 2>/dev/null || :
R=$(cat "$W"/.hosts/jobs/*.ndjson | wc -l)
ok "some clips came back before the kill ($R)" test "$R" -gt 0 -a "$R" -lt 12
whole() {
	find "$W" -mindepth 3 -maxdepth 3 -name '.*.json' | while read -r j; do
		f=${j%/*}/$(basename "$j" .json | cut -c2-)
		[ "$(b2 "$f")" = "$(jq -r .hash "$j")" ] || { echo "not whole: $f"; return 1; }
	done
}
ok "every rendition in the work folder is whole" whole
is "$(find "$W" -mindepth 2 -name '*.tmp*' ! -path '*/.hosts/*')" "" "and no temporary file"
rm "$HOSTS_DIR/h3/blocked"
blocking 3 0
ok "the rerun" medusa-reconcile -C "$L/by2" -S "$T/slf"
e=$(lasterr)
like "$e" '12 clips converted, 0 skipped, 0 failed' "publishes everything"
is "$(printf '%s\n' "$e" | sed -n 's/.*host h[13]: .* (\([0-9]*\) clips*).*/\1/p' | awk '{n += $1} END {print n}')" \
    $((12 - R)) "converts only what had not come back"
M=$T/fy2/metastore.sqlite
is "$(sqlite3 "$M" 'SELECT count(*) FROM renditions')" 24 "every rendition published"
ok "every row's file is there with its hash" consistent "$M" "$T/fy2/files"
is "$(ls -A "$W/.hosts")" "jobs
ledger.ndjson" "the killed run's stage is gone"
tag=$(printf '%s\n%s\n' "$(uname -n)" "$W" | b2sum -l 48 | cut -d' ' -f1)
is "$(find /tmp -maxdepth 1 -name "medusa-cm-$tag.*" | wc -l)" 0 "and its ssh control folder"

# a video that medusa-cut cannot read fails as it would here: its clip is
# an error record, the job is not tried on another host
head -c 20000 /dev/urandom > "$L/by2/broken.mp4"
printf '{"clips": [{"id": "x1", "start": 0, "end": 0.5}]}\n' > "$L/by2/broken.mp4.medusa.json"
fails "a broken video" 1 medusa-reconcile -C "$L/by2" -S "$T/slf"
e=$(lasterr)
like "$e" 'broken.mp4: clip x1: on h[13]: cannot open' "names the video, the clip and the host"
like "$e" '0 clips converted, 12 skipped, 1 failed' "one clip failed"
is "$(printf '%s\n' "$e" | grep -c 'failed there')" 0 "no job failed on a host"
is "$(printf '%s\n' "$e" | sed -n 's/.*host h[13]: \([0-9]*\) video.*/\1/p' | awk '{n += $1} END {print n}')" 1 "sent once"

# no host alive: nothing converted, a clear error
jq -c '.clips += [{"id": "a3", "start": 0.2, "end": 0.6}]' "$L/by2/a.mp4.medusa.json" > "$L/by2/a.mp4.medusa.json.new"
mv "$L/by2/a.mp4.medusa.json.new" "$L/by2/a.mp4.medusa.json"
g=$(gen_of "$M")
fails "only a dead host" 2 medusa-reconcile -C "$L/by2" -S 1/h2
like "$(lasterr)" 'host h2: not used: cannot run commands there' "names it"
like "$(lasterr)" 'no host can convert' "says nothing could be converted"
is "$(sqlite3 "$M" "SELECT count(*) FROM clips WHERE id = 'a3'")" 0 "the new clip is not published"
is "$(sqlite3 "$M" 'SELECT count(*) FROM clips')" 12 "the others stay"

# ':' is this machine: the new clip is made here, through the same jobs
rm "$L/by2/broken.mp4" "$L/by2/broken.mp4.medusa.json"
ok "-S :" medusa-reconcile -C "$L/by2" -S 1/:
like "$(lasterr)" '1 clips converted, 12 skipped, 0 failed' "converts the new clip"
like "$(lasterr)" 'host this machine (:): 1 video (1 clip)' "here"

# a profile that fails alone on a host (a Theora copy into MP4): the clip
# is not an error record of the host's, it goes on as it came to the
# medusa-cut here, which finds the rest made, tries that profile and says
# what a local run says; exit 1
hosts_yard "$L/th"
sed -i "s|^{|{\"frontyard\": {\"dir\": \"$T/fy-th\"},|; s|^  \"profiles\": {|&\"orig\": {\"kind\": \"copy\"},|" "$L/th/backyard.medusa.json"
mkvideo "$L/th/t.ogv" 1 -vf scale=96:72 -an -c:v libtheora
printf '{"clips": [{"id": "t1", "start": 0, "end": 0.5}]}\n' > "$L/th/t.ogv.medusa.json"
fails "a profile fails on a host" 1 medusa-reconcile -C "$L/th" -S 1/h1
e=$(lasterr)
like "$e" "t.ogv: clip t1: on h1: orig: theora cannot go into mp4 .*tried again here" "names the clip, the host and the profile"
like "$e" "^medusa-cut: t.ogv clip t1: .*theora cannot go into mp4" "the medusa-cut here tried it"
like "$e" 'host h1: 1 video (1 clip)' "h1 made the rest"
is "$(printf '%s\n' "$e" | grep -c 'failed there')" 0 "the job did not fail on the host"
# published with what was made: the clip's other renditions, files there
thm=$T/fy-th/metastore.sqlite
is "$(sqlite3 "$thm" "SELECT group_concat(profile, ',') FROM (SELECT r.profile FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 't1' ORDER BY r.profile)")" \
  "poster,tiny" "the clip is published with every rendition but the copy"
for k in $(sqlite3 "$thm" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 't1'"); do
	ok "published: $k" test -s "$T/fy-th/files/$k"
done
done_testing
