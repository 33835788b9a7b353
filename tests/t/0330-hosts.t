#!/bin/sh
# medusa-reconcile -S: the cut stage on other hosts (sshd in namespaces of
# their own, where the backyard does not exist) gives the frontyard that a
# local run gives, odd file names and all; a host without medusa-cut or
# with one that makes other versions is named and not used; -p prints the
# plan; a second run asks no host anything; -B reads the videos from a
# share and sends none, and a host without the share is named.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/hosts.sh"
hosts_check

# a backyard of odd names, two clips a video, tiny profiles
L=$T/local
hosts_yard "$L/by"
mkdir -p "$L/by/sub"
n=0
for v in plain "with space" "quo'te\"s" "new
line" "ünïcødé ✓" "-lead" "sub/in sub"; do
	n=$((n + 1))
	mkvideo "$L/by/$v.mp4" 1 -vf scale=96:72
	printf '{"tags": {"place": "p%s"}, "clips": [{"id": "v%sa", "start": 0, "end": 0.4}, {"id": "v%sb", "start": 0.5, "end": 0.9}]}\n' \
	    "$n" "$n" "$n" > "$L/by/$v.mp4.medusa.json"
done
for c in ref by2 by3; do cp -a "$L/by" "$L/$c"; done
clips="SELECT id, video, start, \"end\", duration, tags, fingerprint FROM clips ORDER BY id"
rends="SELECT c.id, r.profile, r.kind, r.key, r.version, r.bytes, r.hash, r.mime, r.width, r.height, r.duration, r.start
    FROM renditions r JOIN clips c ON c.n = r.clip ORDER BY 1, 2"
# the frontyard of backyard X is $L/frontyard (each run gets its own config)
fy() { sed -i "s|^{|{\"frontyard\": {\"dir\": \"$T/fy-$1\"},|" "$L/$1/backyard.medusa.json"; }
for c in by ref by2 by3; do fy "$c"; done

ok "a local reconcile, for reference" medusa-reconcile -q -C "$L/ref"
R=$T/fy-ref/metastore.sqlite
is "$(sqlite3 "$R" 'SELECT count(*) FROM renditions')" 28 "reference: 14 clips in 2 profiles"

# five hosts: h4 has no medusa-cut, h5 one whose profiles differ (as an
# older version's may); h1 and h2 see backyard by3 at $T/share; h1 has
# neither GNU parallel nor jq (a host needs neither)
hosts_hide "$L"
hosts_without 1 parallel jq
hosts_share 1 "$L/by3" "$T/share"
hosts_share 2 "$L/by3" "$T/share"
hosts_start 5
rm "$(hosts_bin 4)/medusa-cut"
cat > "$(hosts_bin 5)/medusa-cut" <<EOF
#!/bin/sh
# an older medusa-cut: another crf in every profile, so other versions
while getopts C:w:qp:j:o:v o; do [ "\$o" = C ] && c=\$OPTARG/backyard.medusa.json; done
[ -n "\${c:-}" ] && jq '.profiles.tiny.crf = 40' "\$c" > "\$c.new" && mv "\$c.new" "\$c"
exec "$MEDUSA_BIN/medusa-cut" "\$@"
EOF
chmod +x "$(hosts_bin 5)/medusa-cut"
fails "no host sees the backyard" 1 $PARALLEL_SSH h1 test -e "$L/by/plain.mp4"
ok "h1 has no parallel, no jq" $PARALLEL_SSH h1 '! parallel --version && ! jq --version'
printf '1/h1\n# a comment\n\n1/h2\n1/h3\n' > "$T/slf"

# the plan: every video, the hosts, nothing converted
ok "-p prints the plan" medusa-reconcile -C "$L/by" -S "$T/slf" -S 1/h4,1/h5 -p
like "$(lastout)" '^plan: 7 videos (14 clips) to convert on 3 job slots' "how much and where"
like "$(lastout)" '"new\\nline.mp4"' "every video (the odd names as JSON)"
is "$(lastout | grep -c "^h[123]$(printf '\t')2 clips")" 7 "each video to a host"
like "$(lasterr)" 'host h4: not used: medusa-cut is not installed' "names the host without medusa-cut"
like "$(lasterr)" 'host h5: not used: its medusa-cut makes other rendition versions' "and the one of another version"
ok "the plan converts nothing" test ! -e "$T/fy-by/metastore.sqlite"

ok "reconcile over the hosts" medusa-reconcile -C "$L/by" -S "$T/slf" -S 1/h4,1/h5
e=$(lasterr)
like "$e" '14 clips converted, 0 skipped, 0 failed' "every clip converted"
like "$e" 'host h4: not used: medusa-cut is not installed there' "h4 named"
like "$e" 'host h5: not used: its medusa-cut makes other rendition versions' "h5 named"
M=$T/fy-by/metastore.sqlite
is "$(sqlite3 "$M" "$clips")" "$(sqlite3 "$R" "$clips")" "the same clip rows as the local run"
is "$(sqlite3 "$M" "$rends")" "$(sqlite3 "$R" "$rends")" "the same renditions: keys, versions, bytes, hashes"
ok "every row's file is there with its hash" consistent "$M" "$T/fy-by/files"
for h in h1 h2 h3; do
	like "$e" "host $h: [1-9][0-9]* videos* (" "$h converted some"
done
is "$(printf '%s\n' "$e" | sed -n 's/.*host h[123]: \([0-9]*\) video.*/\1/p' | awk '{n += $1} END {print n}')" 7 "each video sent once"
is "$(printf '%s\n' "$e" | sed -n 's/.*host h[123]: .* (\([0-9]*\) clips*).*/\1/p' | awk '{n += $1} END {print n}')" 14 "with all its clips"
k=$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'v4a' AND r.profile = 'tiny'")
is "$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$T/fy-by/files/$k")" 10 \
    "the clip of the video with a newline in its name has its 10 frames"
is "$($PARALLEL_SSH h1 'ls -A ~/.parallel/tmp' 2>&1)" "" "nothing left on a host"
is "$(ls -A "$T/fy-by/work/.hosts")" "jobs
ledger.ndjson" "nothing left here but the ledger"

ok "a second run" medusa-reconcile -C "$L/by" -S "$T/slf"
like "$(lasterr)" '0 clips converted, 14 skipped, 0 failed' "nothing converted"
like "$(lasterr)" 'every clip is converted already: nothing for the hosts' "no host asked"

ok "-S after local runs" medusa-reconcile -C "$L/ref" -S "$T/slf"
like "$(lasterr)" 'every clip is converted already' "sends nothing either"

# -B: h1 and h2 read the share, h3 has none: its jobs go to the others;
# on a terminal (script(1) gives it one) a progress line names each host
ok "reconcile from a share, on a terminal" script -qec "medusa-reconcile -C '$L/by3' -S '$T/slf' -B '$T/share'" /dev/null
e=$(lastout)
like "$e" '[1-7]/7 videos · h1 [0-9]* clips.* · h3 0 clips' "progress per host"
like "$e" '14 clips converted, 0 skipped, 0 failed' "every clip converted"
is "$(sqlite3 "$T/fy-by3/metastore.sqlite" "$rends")" "$(sqlite3 "$R" "$rends")" "the same renditions"
is "$(printf '%s\n' "$e" | grep -c 'host h[12]: .*, 0 B sent')" 2 "no video sent"
like "$e" "host h3: 0 videos .*the video is not there ($T/share/" "h3 named: no share"
# Records that carry a fingerprint (with scan's size and mtime, which
# medusa-cut takes at its word): the host gets it too, so the renditions
# that come back have the versions the medusa-cut here wants, whether it
# takes the fingerprint or reads the file. A made-up one shows which.
printf '#!/bin/sh\ntee -a "%s" | exec "%s/medusa-cut" "$@"\n' "$T/h3.in" "$MEDUSA_BIN" > "$(hosts_bin 3)/medusa-cut"
fp=$(printf '%064d' 7)
(cd "$L/by2" && medusa-scan | medusa-meta clips) |
    jq -c --arg fp "$fp" 'select(.clip and (.video | test("^(plain|-lead)"))) | .fingerprint = $fp' > "$T/fp.ndjson"
medusa-cut -q -C "$L/by2" -w "$T/w-local" < "$T/fp.ndjson" > "$T/fp-local.ndjson"
ok "records with a fingerprint, over a host" sh -c 'medusa-reconcile-hosts -q -S 1/h3 -C "$1" -w "$2" < "$3" |
    medusa-cut -q -C "$1" -w "$2" > "$4"' sh "$L/by2" "$T/w-hosts" "$T/fp.ndjson" "$T/fp-hosts.ndjson"
keys() { jq -S -c '[.clip, [.renditions[] | .key, .bytes, .hash]]' "$1" | sort; }
is "$(keys "$T/fp-hosts.ndjson")" "$(keys "$T/fp-local.ndjson")" "the same renditions as here"
is "$(jq -s -r --arg fp "$fp" '[.[] | select(.clip and .fingerprint == $fp) | .clip] | sort | join(" ")' "$T/h3.in")" \
    "v1a v1b v6a v6b" "the host's medusa-cut got each clip's fingerprint"
is "$(find "$T/w-hosts" -mindepth 3 -maxdepth 3 ! -path '*/.*' | wc -l)" 8 \
    "each rendition made once, by the host (no other version made here)"

fails "-B without -S" 2 medusa-reconcile -C "$L/by2" -B "$T/share"
fails "-B with a relative path" 2 medusa-reconcile -C "$L/by2" -S 1/h1 -B share
like "$(lasterr)" 'absolute path' "says so"
done_testing
