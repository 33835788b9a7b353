#!/bin/sh
# The configurations in examples/serve work: each is run as written, with
# only its paths, users and ports replaced by the test's.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
EX=$MEDUSA_SRC/examples/serve
serve_fixture
FY=$T/frontyard
clip k1 trips/kyoto.mp4 0 4 '{"place":"Kyoto","people":[],"rating":5,"kind":"travel","public":true}' > "$T/recs"
medusa-publish -C "$T/by" -q < "$T/recs" > /dev/null
medusa-recache -g "$FY" 2>/dev/null
PB=$(free_port) PF=$(free_port) PC=$(free_port) PD=$(free_port)
me=$(id -un)
# localize FILE: the example with this test's paths, users and ports
localize() {
	sed -e "s|/usr/local/bin/medusa-serve|$MEDUSA_BIN/medusa-serve|g" \
	    -e "s|/home/medusa/videos|$T/by|g" -e "s|/srv/medusa|$FY|g" \
	    -e "s|/var/cache/medusa|$T/cache|g" \
	    -e "s|/usr/local/share/medusa/web|$MEDUSA_SRC/web|g" \
	    -e "s|8080|$PB|g" -e "s|8081|$PF|g" -e "s|8082|$PC|g" -e "s|8083|$PD|g" \
	    -e "s/ nowait medusa / nowait $me /" -e "s/ nowait www-data / nowait $me /" \
	    -e "s/= medusa\$/= $me/" -e "s/= www-data\$/= $me/" "$1"
}
check_front() {  # check_front PORT WHAT
	is "$(code "http://127.0.0.1:$1/api/clips")" 200 "$2: frontyard /api/clips"
	is "$(jq -r '.clips[0].id' "$T/body")" k1 "$2: the published clip"
}
check_back() {
	is "$(code "http://127.0.0.1:$1/api/tags")" 200 "$2: backyard /api/tags"
}

# inetd.conf
serve_inetd_lock
localize "$EX/inetd.conf" > "$T/inetd.conf"
sed -i "s|^8081 |127.0.0.1:$PF |;s|^$PF |127.0.0.1:$PF |" "$T/inetd.conf"
inetd -d "$T/inetd.conf" 2>"$T/inetd.err" &
ipid=$!
at_exit "kill $ipid 2>/dev/null || true; wait $ipid 2>/dev/null || true"
wait_port "$PB" && wait_port "$PF"
check_back "$PB" inetd.conf
check_front "$PF" inetd.conf
kill $ipid; wait $ipid 2>/dev/null || true
flock -u 9

# xinetd.d
if command -v xinetd >/dev/null; then
	{ localize "$EX/xinetd.d/medusa-backyard"; localize "$EX/xinetd.d/medusa-frontyard" |
	  sed 's/^\tport /\tbind = 127.0.0.1\n\tport /'; } > "$T/xinetd.conf"
	xinetd -dontfork -pidfile "$T/xinetd.pid" -f "$T/xinetd.conf" 2>"$T/xinetd.err" &
	xpid=$!
	at_exit "kill $xpid 2>/dev/null || true; wait $xpid 2>/dev/null || true"
	wait_port "$PB" && wait_port "$PF"
	check_back "$PB" xinetd
	check_front "$PF" xinetd
	kill $xpid; wait $xpid 2>/dev/null || true
else
	_n=$((_n + 1)); echo "ok $_n - # SKIP xinetd is not installed (Debian has it conflict with openbsd-inetd)"
fi

# tcpserver.sh
PATH=$MEDUSA_BIN:$PATH FRONTYARD=$FY ADDR=127.0.0.1 PORT=$PF CACHE=$T/cache "$EX/tcpserver.sh" 2>/dev/null &
tpid=$!
at_exit "kill $tpid 2>/dev/null || true; wait $tpid 2>/dev/null || true"
wait_port "$PF"
check_front "$PF" tcpserver.sh
kill $tpid; wait $tpid 2>/dev/null || true

# systemd: the service's command line under socket activation with Accept=yes
exec_start=$(localize "$EX/systemd/medusa-frontyard@.service" | sed -n 's/^ExecStart=//p')
listen=$(localize "$EX/systemd/medusa-frontyard.socket" | sed -n 's/^ListenStream=//p')
is "$listen" "$PF" "systemd: the socket's port"
ok "systemd: the socket accepts connections one process each" grep -q '^Accept=yes' "$EX/systemd/medusa-frontyard.socket"
# shellcheck disable=SC2086
systemd-socket-activate -l "127.0.0.1:$listen" --inetd -a $exec_start 2>"$T/ssa.err" &
spid=$!
at_exit "kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true"
wait_port "$PF"
check_front "$PF" systemd
kill $spid; wait $spid 2>/dev/null || true

# lighttpd.conf with medusa.cgi
mkdir -p "$FY/cgi"
localize "$EX/medusa.cgi" > "$FY/cgi/medusa.cgi"; chmod 755 "$FY/cgi/medusa.cgi"
{ localize "$EX/lighttpd.conf"; echo "server.errorlog = \"$T/lighttpd.err\""; } > "$T/lighttpd.conf"
lighttpd -D -f "$T/lighttpd.conf" 2>"$T/lighttpd.stderr" &
lpid=$!
at_exit "kill $lpid 2>/dev/null || true; wait $lpid 2>/dev/null || true"
wait_port "$PC"
check_back "$PC" lighttpd.conf
is "$(code -r 0-9 "http://127.0.0.1:$PC/media/a/v.mp4")" 206 "lighttpd.conf: a video with Range"
kill $lpid; wait $lpid 2>/dev/null || true

# lighttpd-frontyard.conf: the public frontyard, medusa-serve as CGI for /api/
localize "$EX/frontyard.cgi" > "$FY/cgi/frontyard.cgi"; chmod 755 "$FY/cgi/frontyard.cgi"
{ localize "$EX/lighttpd-frontyard.conf" | sed 's/^server.bind = .*/server.bind = "127.0.0.1"/'
  echo "server.errorlog = \"$T/lighttpd-fy.err\""; } > "$T/lighttpd-fy.conf"
lighttpd -D -f "$T/lighttpd-fy.conf" 2>"$T/lighttpd-fy.stderr" &
dpid=$!
at_exit "kill $dpid 2>/dev/null || true; wait $dpid 2>/dev/null || true"
wait_port "$PD"
check_front "$PD" lighttpd-frontyard.conf
is "$(code "http://127.0.0.1:$PD/api/clips?kind=travel")" 200 "lighttpd-frontyard.conf: a query reaches medusa-serve"
is "$(jq -r .total "$T/body")" 1 "lighttpd-frontyard.conf: the filter applied"
code "http://127.0.0.1:$PD/api/clips" > /dev/null
url=$(jq -r '.clips[0].renditions[] | select(.profile == "360p") | .url' "$T/body")
is "$(code -r 0-99 "http://127.0.0.1:$PD/files/${url#*/files/}")" 206 "lighttpd-frontyard.conf: lighttpd sends the files, with Range"
like "$(hdr Cache-Control)" immutable "lighttpd-frontyard.conf: cached forever"
is "$(code "http://127.0.0.1:$PD/")" 200 "lighttpd-frontyard.conf: the gallery page"
like "$(hdr Content-Type)" text/html "lighttpd-frontyard.conf: as HTML"
ok "nftables.conf: a limit per client address for lighttpd and inetd" grep -q "ct count over" "$EX/nftables.conf"
ok "systemd: a limit per client address" grep -q '^MaxConnectionsPerSource=' "$EX/systemd/medusa-frontyard.socket"
ok "tcpserver.sh and inetd.conf: medusa-serve's own limit per address" sh -c \
  "grep -q 'medusa-serve frontyard -l ' '$EX/tcpserver.sh' && grep -q 'medusa-serve frontyard -l ' '$EX/inetd.conf'"
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/units"
	localize "$EX/systemd/medusa-frontyard.socket" > "$T/units/medusa-frontyard.socket"
	localize "$EX/systemd/medusa-frontyard@.service" > "$T/units/medusa-frontyard@.service"
	ok "systemd: the units verify" sh -c "cd '$T/units' && systemd-analyze verify --man=no ./medusa-frontyard.socket"
else
	_n=$((_n + 1)); echo "ok $_n - # SKIP systemd-analyze is not installed"
fi
done_testing
