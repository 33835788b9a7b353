#!/bin/sh
# A full or closed standard output is an error with a message, never a
# silent success: every tool of the backyard checks its writes.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ -w /dev/full ] || { echo "1..0 # SKIP no /dev/full"; exit 0; }

B=$T/by
mkbackyard "$B"
: > "$B/a.mp4"
printf '{"clips": [{"id": "c1", "start": 0, "end": 1}]}\n' > "$B/a.mp4.medusa.json"
cd "$B"
full() {  # full PROG COMMAND...: exit 1 and a message when stdout is /dev/full
	_p=$1; shift
	fails "$* > /dev/full" 1 sh -c '"$@" > /dev/full' sh "$@"
	like "$(lasterr)" "^$_p: write error on standard output: No space left on device" "$*: says so"
}
full medusa-scan medusa-scan
full medusa-tags medusa-tags
full medusa-tags medusa-tags list
full medusa-meta medusa-meta get a.mp4
medusa-scan > "$T/scan"
full medusa-meta sh -c 'medusa-meta clips < "$1"' sh "$T/scan"
medusa-meta clips < "$T/scan" > "$T/clips"
full medusa-tags sh -c 'medusa-tags check < "$1"' sh "$T/clips"
fails "medusa-meta add > /dev/full" 1 sh -c 'medusa-meta add a.mp4 0 0.5 > /dev/full'
like "$(lasterr)" "write error on standard output" "medusa-meta add: says so"

# a closed pipe with SIGPIPE ignored (as under some supervisors): EPIPE is
# reported the same way, not taken for success
if command -v python3 >/dev/null; then
	epipe() {  # epipe PROG COMMAND...: stdout is a pipe whose reader is gone
		_p=$1; shift
		fails "$* into a closed pipe" 1 python3 -c '
import os, subprocess, sys
r, w = os.pipe(); os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, restore_signals=False)
sys.exit(p.returncode)' "$@"
		like "$(lasterr)" "^$_p: write error on standard output: Broken pipe" "$*: says so"
	}
	epipe medusa-scan medusa-scan
	epipe medusa-tags medusa-tags
	epipe medusa-meta medusa-meta get a.mp4
	epipe medusa-meta sh -c 'medusa-meta clips < "$1"' sh "$T/scan"
	epipe medusa-tags sh -c 'medusa-tags check < "$1"' sh "$T/clips"
fi
done_testing
