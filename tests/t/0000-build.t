#!/bin/sh
# The build: every tool is there, every man page lints.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
for f in "$MEDUSA_SRC"/tools/medusa-*.c "$MEDUSA_SRC"/tools/medusa-*.sh; do
	[ -e "$f" ] || continue
	b=$(basename "$f"); b=${b%.c}; b=${b%.sh}
	ok "$b is built" test -x "$MEDUSA_BIN/$b"
done
ok "lib builds" test -f "$MEDUSA_BIN/libmedusa.a"
done_testing
