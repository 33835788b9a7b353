#!/bin/sh
# Served state is a whole generation whose files exist: a frontyard under
# tcpserver is queried in a loop while reconciles replace renditions (new
# clip times, so new versions) and prune clips; every URL a listing names
# is checked with HEAD. No answer may name a file that is gone, and each
# reconcile's generation is seen by the next request.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
mkdir -p "$T/by"
cat > "$T/by/backyard.medusa.json" <<'JSON'
{"tags": {"kind": {"type": "string", "default": "x"}},
 "profiles": {"poster": {"kind": "image", "format": "jpeg", "width": 64, "at": 0.1},
              "thumb": {"kind": "image", "format": "jpeg", "width": 32, "at": 0.2}}}
JSON
mkvideo "$T/by/a.mp4" 2 2>/dev/null
mkvideo "$T/by/b.mp4" 2 2>/dev/null
side() {  # side VIDEO END [ID...]: the video's clips c-ID from 0 to END
	_v=$1 _e=$2; shift 2
	_c=
	for _id in "$@"; do _c="$_c${_c:+,}{\"id\":\"$_id\",\"start\":0,\"end\":$_e}"; done
	printf '{"clips":[%s]}\n' "$_c" | medusa-meta -C "$T/by" set "$_v" > /dev/null
}
side a.mp4 1.0 a1 a2
side b.mp4 1.0 b1
ok "the first reconcile" medusa-reconcile -q -C "$T/by"

P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" frontyard -C "$T/by" -r 3600
# the client: a listing, then HEAD of every URL in it, until told to stop
: > "$T/log"
(
	while [ ! -e "$T/stop" ]; do
		if ! curl -sf -o "$T/list" "$B/api/clips?limit=500"; then
			echo "listing-failed" >> "$T/log"
			continue
		fi
		g=$(jq .generation "$T/list")
		echo "listing $g" >> "$T/log"
		for u in $(jq -r '.clips[].renditions[].url' "$T/list"); do
			echo "head $g $(curl -s -o /dev/null -I -w '%{http_code}' "$B$u") $u" >> "$T/log"
		done
	done
) &
qpid=$!
at_exit "touch '$T/stop'; kill $qpid 2>/dev/null || true; wait $qpid 2>/dev/null || true"

# wait for the client's first full round, then change the backyard under it
i=0
until [ "$(grep -c '^head' "$T/log")" -ge 3 ] || [ $i -ge 600 ]; do i=$((i + 1)); sleep 0.05; done
rounds=4 r=1 gens=
while [ $r -le $rounds ]; do
	# new times for a1 and a2 (a new version of each), and b1 or b2 in turn
	# (one pruned, the other new)
	side a.mp4 "1.$r" a1 a2
	if [ $((r % 2)) -eq 1 ]; then side b.mp4 1.0 b2; else side b.mp4 1.0 b1; fi
	medusa-reconcile -q -C "$T/by" || echo "reconcile-failed $r" >> "$T/log"
	g=$(sqlite3 "$T/frontyard/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'")
	gens="$gens $g"
	# the client's next listing sees it (it started after the commit)
	n=$(grep -c '^listing' "$T/log")
	i=0
	until [ "$(sed -n "$((n + 2)),\$p" "$T/log" | grep -c "^listing $g\$")" -ge 1 ] || [ $i -ge 600 ]; do
		i=$((i + 1)); sleep 0.05
	done
	r=$((r + 1))
done
touch "$T/stop"
wait $qpid 2>/dev/null || true

listings=$(grep -c '^listing' "$T/log")
heads=$(grep -c '^head' "$T/log")
dead=$(grep '^head' "$T/log" | grep -vc '^head [0-9]* 200 ' || true)
echo "# $listings listings, $heads URLs checked with HEAD, $dead dead (generations:$gens)"
is "$(grep -c 'failed' "$T/log" || true)" 0 "every reconcile and every listing went through"
ok "the client listed many times ($listings)" test "$listings" -ge $((rounds * 2))
# A listing taken just before a commit names the files that commit
# replaces: they outlive it by medusa-publish's grace period.
ok "the replaced versions of a1 are still in storage" \
  test "$(find "$T/frontyard/files/clips/a1" -type f | wc -l)" -gt 2
is "$dead" 0 "no listed URL answered anything but 200"
grep '^head' "$T/log" | grep -v '^head [0-9]* 200 ' | head -5 | sed 's/^/# /'
is "$(echo $gens | tr ' ' '\n' | sort -un | wc -l)" "$rounds" "each reconcile made a generation"
for g in $gens; do
	grep -q "^listing $g\$" "$T/log" || echo "# generation $g was never listed"
done
is "$(for g in $gens; do grep -q "^listing $g\$" "$T/log" && echo "$g"; done | wc -l)" "$rounds" \
  "every generation was served"
code "$B/api/clips" > /dev/null
is "$(jq -c '[.clips[].id] | sort' "$T/body")" '["a1","a2","b1"]' "the last state is served"
ok "no sanitizer reports from the servers" no_sanitizer_reports "$T/tcpserver.err"
done_testing
