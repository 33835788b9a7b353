#!/bin/sh
# doona's HTTP fuzz cases (long and odd methods, URIs, versions, headers)
# against medusa-serve backyard under tcpserver, with a health check every
# 25 cases: the server keeps answering, without a sanitizer report.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
. "$MEDUSA_SRC/tests/t/0800-hostile.sh"
for t in doona tcpserver curl; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is not installed"
		exit 0
	fi
done
hostile_fixture
P=$(free_port)
start_tcpserver "$P" backyard -C "$T/by" -w "$T/web" -t 1 -i 1 -b 65536
tpid=$_tpid
cases=100
[ "${MEDUSA_SAN:-}" = 1 ] && cases=50
set +e
timeout 240 doona -m HTTP -t 127.0.0.1 -p "$P" -o 0 -c 25 -M "$cases" > "$T/doona.log" 2>&1
st=$?
set -e
is "$st" 0 "doona ran $cases cases"
like "$(cat "$T/doona.log")" "Max requests ($cases) completed" "all of them"
ok "no failed health check" sh -c "! grep -qi -e fail -e 'not respond' -e unreachable '$T/doona.log'"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:$P/api/tags")" 200 "the server still answers"
ok "tcpserver is still there" kill -0 "$tpid"
ok "no sanitizer report" sh -c "! grep -q -e AddressSanitizer -e 'runtime error' '$T/tcpserver.err'"
ok "no secret in the log" sh -c "! grep -q TOPSECRET '$T/doona.log'"
done_testing
