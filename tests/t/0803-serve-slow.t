#!/bin/sh
# slowhttptest against medusa-serve backyard under tcpserver: slowloris
# (headers that never end), a slow body, a slow reader and the range
# attack, each for a few seconds with 1 s server timeouts. The server cuts
# the slow senders off, keeps answering others meanwhile, and leaves no
# process behind.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
. "$MEDUSA_SRC/tests/t/0800-hostile.sh"
for t in slowhttptest tcpserver curl; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is not installed"
		exit 0
	fi
done
hostile_fixture
head -c 3000000 /dev/urandom > "$T/by/a/big.mp4"
P=$(free_port)
U=http://127.0.0.1:$P
start_tcpserver "$P" backyard -C "$T/by" -w "$T/web" -t 1 -i 1 -b 65536
tpid=$_tpid

# slow NAME ARGS...: slowhttptest ARGS, its report (colours off) in $T/slow.NAME;
# meanwhile a plain client asks for the tag set
slow() {
	_nm=$1; shift
	slowhttptest "$@" -p 10 > "$T/slow.$_nm.raw" 2>&1 &
	_sp=$!
	sleep 1
	curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$U/api/tags" > "$T/during.$_nm" || true
	wait $_sp || true
	sed 's/\x1b\[[0-9;]*m//g' "$T/slow.$_nm.raw" > "$T/slow.$_nm"
}
# the value of the last "KEY:" line of a report
last() { grep "^$2:" "$T/slow.$1" | tail -n 1 | sed "s/^$2: *//"; }
# children of tcpserver still running after the attack (waits up to 15 s)
leftover() {
	_i=0
	while [ "$(pgrep -P "$tpid" | wc -l)" -gt 0 ] && [ $_i -lt 150 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	pgrep -P "$tpid" | wc -l
}

slow loris -H -c 20 -l 15 -i 1 -r 20 -u "$U/api/tags"
is "$(last loris 'Exit status')" "No open connections left" "slowloris: the server closed every slow connection"
is "$(cat "$T/during.loris")" 200 "slowloris: another client got its answer meanwhile"
is "$(leftover)" 0 "slowloris: no process left"

slow body -B -c 20 -l 15 -i 1 -r 20 -s 8192 -t PUT -u "$U/api/videos/a/v.mp4/meta"
is "$(last body 'Exit status')" "No open connections left" "slow body: the server closed every slow connection"
is "$(cat "$T/during.body")" 200 "slow body: another client got its answer meanwhile"
is "$(leftover)" 0 "slow body: no process left"

slow read -X -c 10 -l 4 -r 10 -w 512 -y 1024 -n 1 -z 256 -k 1 -u "$U/media/a/big.mp4"
is "$(cat "$T/during.read")" 200 "slow read: another client got its answer meanwhile"
is "$(leftover)" 0 "slow read: no process left once the readers are gone"

slow range -R -c 20 -l 4 -r 20 -a 10 -b 3000 -u "$U/media/a/big.mp4"
is "$(cat "$T/during.range")" 200 "range attack: another client got its answer meanwhile"
is "$(leftover)" 0 "range attack: no process left"
ok "tcpserver is still there" kill -0 "$tpid"
ok "no sanitizer report" sh -c "! grep -q -e AddressSanitizer -e 'runtime error' '$T/tcpserver.err'"
done_testing
