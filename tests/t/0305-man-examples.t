#!/bin/sh
# The EXAMPLES of medusa-publish(1) and medusa-reconcile(1) work when pasted
# at the root of a backyard (blocks that need a home folder, a server or
# cron are left out).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not built yet"; exit 0; }
done
cd "$T"
mkyard by
for page in medusa-publish.1 medusa-reconcile.1; do
	awk '
		/^\.Sh / { ex = ($2 == "EXAMPLES") }
		ex && /^\.Bd -literal/ { inblock = 1; n = 0; next }
		ex && /^\.Ed/ {
			if (inblock && !skip) { print "{"; for (i = 0; i < n; i++) print line[i]; print "} || exit 1" }
			inblock = 0; skip = 0; next
		}
		inblock { if ($0 ~ /~|127\.0\.0\.1|\* \*/) skip = 1; gsub(/\\e/, "\\"); line[n++] = $0 }
	' "$MEDUSA_SRC/man/$page" > "$T/$page.sh"
	n=$(grep -c '^{' "$T/$page.sh" || true)
	ok "$page: $n example blocks run" sh -c "cd '$T/by' && . '$T/$page.sh'"
	is "$(grep -E 'usage:|not found|No such file|Error|error:' "$T/.err" || true)" "" "$page: no errors"
	ok "$page: has examples" test "$n" -gt 0
done
is "$(ids "$T/frontyard/metastore.sqlite")" "a1 a2 b1 b2 c1 c2 " "the examples published the backyard"
done_testing
