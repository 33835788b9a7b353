#!/bin/sh
# The frontyard under tcpserver, queried in a loop while publishes replace
# and prune renditions (each followed by a signed re-cache, as
# medusa-reconcile -r does): every URL a listing names is checked with
# HEAD. With the grace period no listed file is ever gone. A second round
# without it (--grace 0) shows what the server side alone achieves; its
# figures are printed, not asserted (medusa-serve decides when it sees a
# generation).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
command -v tcpserver >/dev/null || { echo "1..0 # SKIP no tcpserver"; exit 0; }
cd "$T"
mkbackyard by
FY=$T/frontyard
CLIPS=12 ROUNDS=${MEDUSA_LOAD_ROUNDS:-8}

# records of round R: clip c gets a new version when (c + R) % 3 == 0, and
# clip R % CLIPS is left out (pruned, back the next round)
round() {
	c=0
	while [ $c -lt $CLIPS ]; do
		if [ $c -ne $(($1 % CLIPS)) ]; then
			salt=0
			[ $(((c + $1) % 3)) -eq 0 ] && salt=$1
			mkrec work c$c v$((c / 4)).mp4 $((c % 4)) $((c % 4)).5 '{"kind":"other"}' "$salt"
		fi
		c=$((c + 1))
	done
	summary 3
}
round 0 > r0.ndjson
ok "first publish" medusa-publish -q -C by < r0.ndjson
ok "a key pair for the re-cache" medusa-recache -g "$FY"
P=$(free_port)
B=http://127.0.0.1:$P
start_tcpserver "$P" frontyard -C by -t 5

# the reader: a listing, then HEAD of every URL it names, until told to stop;
# a line "responses dead" per listing
reader() {
	while [ ! -e stop ]; do
		curl -s -o list.json "$B/api/clips?limit=100" || continue
		jq -r '.clips[].renditions[].url' list.json 2>/dev/null | sed "s|^/|$B/|" > urls
		[ -s urls ] || { echo "1 0 empty"; continue; }
		# one connection for all of them
		codes=$(sed 's/.*/url = "&"\noutput = "\/dev\/null"/' urls | curl -s -I -w '%{http_code}\n' -K -)
		dead=$(printf '%s\n' "$codes" | grep -vc '^200$' || true)
		echo "1 $dead $(wc -l < urls) $(jq -c '[.generation, .total, (.clips | length)]' list.json)"
	done
}
# the writer: ROUNDS publishes with a re-cache after each
writer() {
	r=1
	while [ $r -le "$ROUNDS" ]; do
		round $r > r.ndjson
		medusa-publish -q --prune "$@" -C by < r.ndjson > /dev/null || return 1
		medusa-recache -C by "$B" > /dev/null 2>&1 || true
		r=$((r + 1))
	done
}
run() {  # run LOG PUBLISH-ARGS...: the loop; prints "responses dead references"
	_log=$1; shift
	rm -f stop
	: > "$_log" # before the reader opens it, for the wait below
	reader >> "$_log" &
	_rpid=$!
	# the reader runs through a few listings first, so that it is under way
	_i=0
	while [ "$(wc -l < "$_log")" -lt 2 ] && [ $_i -lt 600 ]; do sleep 0.05; _i=$((_i + 1)); done
	writer "$@"
	_w=$?
	: > stop
	wait $_rpid
	[ $_w -eq 0 ] || echo "# the writer failed"
	awk '{ r += $1; d += $2; u += $3 } END { printf "%d %d %d\n", r, d, u }' "$_log"
}

read -r resp dead refs <<EOF
$(run grace.log)
EOF
ok "listings answered under load ($resp)" test "$resp" -ge "$ROUNDS"
is "$dead" 0 "with the grace period: no listed file is gone ($refs references checked)"
ok "every listing is one whole generation (its total, all on one page)" \
    sh -c "awk '{ print \$4 }' grace.log | jq -e -s 'length > 0 and all(.[]; .[1] == .[2])' > /dev/null"
ok "storage still holds the replaced files (within the grace period)" \
    test "$(find "$FY/files" -type f | wc -l)" -gt "$(sqlite3 "$FY/metastore.sqlite" 'SELECT count(*) FROM renditions')"

read -r resp0 dead0 refs0 <<EOF
$(run nograce.log --grace 0)
EOF
echo "# frontyard under load: with the grace period $resp listings, $refs references, $dead dead;"
echo "# without it (--grace 0: only the server's side) $resp0 listings, $refs0 references, $dead0 dead"
ok "no sanitizer reports from the server" no_sanitizer_reports "$T/tcpserver.err"
done_testing
