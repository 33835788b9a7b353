#!/bin/sh
# medusa-serve backyard under openbsd-inetd: the same HTTP suite. inetd
# keeps one pid file, so the tests that use it take turns (a lock).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
serve_fixture
serve_inetd_lock
P=$(free_port)
start_inetd "$P" backyard -C "$T/by" -w "$T/web" -b 65536 -t 1 -i 2
serve_suite "http://127.0.0.1:$P" inetd
serve_hostile_raw "$P" inetd
done_testing
