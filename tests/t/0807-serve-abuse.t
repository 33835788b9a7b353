#!/bin/sh
# A few clients must not shut out the rest. One client (127.0.0.2) holds
# connections while a fresh one (127.0.0.3) asks for /api/clips, which
# must arrive (the bound is generous: tests check behaviour; the figures
# are printed here and measured by tests/bench/abuse):
#   tcpserver -c 40 with 40 idle keep-alive connections (before: the idle
#     time, 15 s), then 40 slow request heads (before: 10 s);
#   the same idle attack as the packaged unit runs it (no netlink socket,
#     a /proc of processes only): the counts from /proc/self/net/tcp;
#   medusa-serve -l: a client over the limit gets 503 at once;
#   the public frontyard of examples/serve (lighttpd in front, medusa-serve
#     as CGI, nftables.conf's limit per address, in a network namespace of
#     its own) with 300 slow heads and 40 idle connections.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
for t in tcpserver lighttpd curl python3; do
	command -v $t >/dev/null 2>&1 || { echo "1..0 # SKIP $t is not installed"; exit 0; }
done
BOUND=8
[ "${MEDUSA_SAN:-}" = 1 ] && BOUND=12
mkbackyard "$T/by"
FY=$T/frontyard
clip k1 a/one.mp4 0 2 '{"place":"Kyoto","kind":"travel"}' > "$T/recs"
medusa-publish -C "$T/by" -q < "$T/recs" > /dev/null
medusa-recache -g "$FY" 2>/dev/null

# attack NAME PORT ARGS...: tests/abuse.py from 127.0.0.2, until stop
attack() {
	_nm=$1 _ap=$2; shift 2
	python3 "$MEDUSA_SRC/tests/abuse.py" --port "$_ap" --src 127.0.0.2 --path /api/clips \
	  --ready "$T/ready.$_nm" "$@" > "$T/attack.$_nm" &
	_apid=$!
	at_exit "kill $_apid 2>/dev/null || true"
	_i=0
	while [ ! -e "$T/ready.$_nm" ] && [ $_i -lt 600 ]; do sleep 0.05; _i=$((_i + 1)); done
}
stop() { kill -TERM "$_apid" 2>/dev/null || true; wait "$_apid" 2>/dev/null || true; }
# fresh NAME URL [SRC]: a new client; prints its status, the time in $T/time.NAME
fresh() {
	curl -s -o "$T/body.$1" --interface "${3:-127.0.0.3}" --max-time "$BOUND" \
	  -w '%{http_code} %{time_total}' "$2" > "$T/fresh.$1" || true
	cut -d' ' -f2 "$T/fresh.$1" > "$T/time.$1"
	cut -d' ' -f1 "$T/fresh.$1"
}

P=$(free_port)
U=http://127.0.0.1:$P/api/clips
tcpserver -R -H -l 0 -c 40 -b 256 127.0.0.1 "$P" "$MEDUSA_BIN/medusa-serve" frontyard -C "$T/by" 2>"$T/tcpserver.err" &
tpid=$!
at_exit "kill $tpid 2>/dev/null || true; wait $tpid 2>/dev/null || true"
wait_port "$P"

attack idle "$P" --idle 40
ok "40 idle connections hold every process" test -e "$T/ready.idle"
is "$(fresh idle "$U")" 200 "tcpserver -c 40, 40 idle keep-alive: a fresh client is answered"
is "$(jq -r '.clips[0].id' "$T/body.idle")" k1 "with the clips"
echo "# fresh client under 40 idle keep-alive connections: $(cat "$T/time.idle") s"
stop

attack slow "$P" --slow 40
is "$(fresh slow "$U")" 200 "tcpserver -c 40, 40 slow request heads: a fresh client is answered"
echo "# fresh client under 40 slow request heads: $(cat "$T/time.slow") s"
stop
like "$(cat "$T/attack.slow")" "ended=[1-9]" "the slow heads were cut"

# --- as the packaged unit runs it: RestrictAddressFamilies= without
# AF_NETLINK (sock_diag refused: a seccomp filter answers EAFNOSUPPORT, as
# systemd's does) and ProcSubset=pid (a /proc of processes only, in a mount
# namespace): the counts come from /proc/self/net/tcp ---
CC=${CC:-cc}
cat > "$T/nonetlink.c" <<'C'
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	/* every field named: SCMP_A0() leaves datum_b out, which clang's
	 * -Wextra (missing-field-initializers) refuses */
	const struct scmp_arg_cmp netlink = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_NETLINK, .datum_b = 0};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (argc < 2 || !ctx || seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
	    &netlink) || seccomp_load(ctx))
		return 99;
	seccomp_release(ctx);
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
C
# libseccomp-dev is a build dependency of medusa-serve: a helper that does
# not build (a warning included) is a failure, not a skip
if ! "$CC" -std=c11 -Wall -Wextra -Werror -o "$T/nonetlink" "$T/nonetlink.c" -lseccomp 2>"$T/cc.err"; then
	_n=$((_n + 1)); _failed=$((_failed + 1))
	echo "not ok $_n - $CC -std=c11 -Wall -Wextra -Werror builds the filter without netlink"
	sed 's/^/#   /' "$T/cc.err"
elif ! unshare -m --propagation private sh -c "mount -t proc -o subset=pid proc /proc && test ! -e /proc/net" 2>/dev/null; then
	_n=$((_n + 1)); echo "ok $_n # skip no mount namespace with a /proc of processes only here"
else
	P4=$(free_port)
	unshare -m --propagation private sh -c "mount -t proc -o subset=pid proc /proc && exec tcpserver -R -H -l 0 -c 40 -b 256 127.0.0.1 $P4 '$T/nonetlink' '$MEDUSA_BIN/medusa-serve' frontyard -C '$T/by'" 2>>"$T/tcpserver.err" &
	t4=$!
	at_exit "kill $t4 2>/dev/null || true; wait $t4 2>/dev/null || true"
	wait_port "$P4"
	attack unit "$P4" --idle 40
	is "$(fresh unit "http://127.0.0.1:$P4/api/clips")" 200 \
	  "no netlink, /proc of processes only, 40 idle keep-alive: a fresh client is answered"
	echo "# fresh client under 40 idle keep-alive connections, counted from /proc/self/net/tcp: $(cat "$T/time.unit") s"
	stop
	kill "$t4" 2>/dev/null || true
fi

# -l: a limit per client address, for launchers without one
P2=$(free_port)
tcpserver -R -H -l 0 -c 40 -b 256 127.0.0.1 "$P2" "$MEDUSA_BIN/medusa-serve" frontyard -C "$T/by" -l 8 2>>"$T/tcpserver.err" &
t2=$!
at_exit "kill $t2 2>/dev/null || true; wait $t2 2>/dev/null || true"
wait_port "$P2"
attack limit "$P2" --idle 8
is "$(fresh over "http://127.0.0.1:$P2/api/clips" 127.0.0.2)" 503 "-l 8: a ninth connection from that address: 503"
like "$(cat "$T/body.over")" "too many connections from 127.0.0.2 (at most 8 at once)" "saying why"
is "$(fresh other "http://127.0.0.1:$P2/api/clips")" 200 "another address is served"
stop

# --- the public frontyard: lighttpd-frontyard.conf + nftables.conf ---
EX=$MEDUSA_SRC/examples/serve
mkdir -p "$FY/cgi" "$T/cache"
sed -e "s|/usr/local/bin/medusa-serve|$MEDUSA_BIN/medusa-serve|" -e "s|/srv/medusa|$FY|g" \
  -e "s|/var/cache/medusa|$T/cache|" "$EX/frontyard.cgi" > "$FY/cgi/frontyard.cgi"
chmod 755 "$FY/cgi/frontyard.cgi"
netns=
if command -v nft >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	netns=1   # its own loopback: the shipped ports, and nft rules that touch nothing else
	PD=8083
else
	PD=$(free_port)
fi
sed -e "s|/srv/medusa|$FY|g" -e "s|/usr/local/share/medusa/web|$MEDUSA_SRC/web|" \
  -e "s|^server.bind = .*|server.bind = \"127.0.0.1\"|" -e "s|8083|$PD|" "$EX/lighttpd-frontyard.conf" > "$T/fy.conf"
echo "server.errorlog = \"$T/fy.err\"" >> "$T/fy.conf"
cat > "$T/proxy.sh" <<EOF
set -eu
if [ -n "$netns" ]; then ip link set lo up; nft -f "$EX/nftables.conf"; fi
lighttpd -D -f "$T/fy.conf" &
lp=\$!
trap 'kill \$lp 2>/dev/null || true; wait \$lp 2>/dev/null || true' EXIT
i=0; until curl -s -o /dev/null --max-time 1 http://127.0.0.1:$PD/; do i=\$((i + 1)); [ \$i -lt 100 ]; sleep 0.05; done
python3 "$MEDUSA_SRC/tests/abuse.py" --port $PD --src 127.0.0.2 --path /api/clips --slow 300 --idle 40 \
  --ready "$T/ready.proxy" > "$T/attack.proxy" &
ap=\$!
i=0; while [ ! -e "$T/ready.proxy" ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done
curl -s -o "$T/body.proxy" --interface 127.0.0.3 --max-time $BOUND -w '%{http_code} %{time_total}' \
  http://127.0.0.1:$PD/api/clips > "$T/fresh.proxy" || true
kill -TERM \$ap; wait \$ap || true
EOF
if [ -n "$netns" ]; then unshare -n sh "$T/proxy.sh" || true; else sh "$T/proxy.sh" || true; fi
is "$(cut -d' ' -f1 "$T/fresh.proxy")" 200 "public frontyard, 300 slow heads and 40 idle connections: a fresh client is answered"
is "$(jq -r '.clips[0].id' "$T/body.proxy")" k1 "with the clips (medusa-serve as CGI)"
echo "# fresh client behind lighttpd under 300 slow heads + 40 idle: $(cut -d' ' -f2 "$T/fresh.proxy") s"
if [ -n "$netns" ]; then
	like "$(cat "$T/attack.proxy")" "refused=[1-9]" "nftables.conf refused the attacker's connections past 32"
else
	_n=$((_n + 1)); echo "ok $_n # skip no network namespace with nft here: the limit per address is not tried"
fi
ok "tcpserver is still there" kill -0 "$tpid"
ok "no sanitizer report" no_sanitizer_reports "$T/tcpserver.err" "$T/fy.err"
done_testing
