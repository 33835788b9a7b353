#!/bin/sh
# The EXAMPLES of the backyard tools' man pages work when pasted: every
# literal block there that starts with a command is run, in order, from the
# source tree, with /tmp/ turned into this test's work area.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

for page in medusa-scan.1 medusa-meta.1 medusa-tags.1 medusa-files.5 medusa.7; do
	mkdir -p "$T/$page"
	awk -v tmp="$T/$page/" '
		/^\.Sh / { ex = ($2 == "EXAMPLES") }
		ex && /^\.Bd -literal/ { inblock = 1; first = 1; next }
		ex && /^\.Ed/ {
			if (inblock && run) print "}; st=$?; [ $st -le 1 ] || { echo \"exit $st\" >&2; exit 1; }\n#--"
			inblock = 0; next
		}
		inblock {
			if (first) {
				run = ($1 ~ /^(sh|medusa-[a-z]+|mkdir|cd|echo|jq|cp|diff)$/); first = 0
				if (run) print "{"
			}
			if (run) { gsub("/tmp/", tmp); gsub(/\\\(dq/, "\""); gsub(/\\e/, "\\"); print }
		}' "$MEDUSA_SRC/man/$page" > "$T/$page.sh"
	n=$(grep -c '^#--' "$T/$page.sh" || true)
	# exit 1 is fine (an example may show a failing record or a diff);
	# usage errors, missing commands or files are not
	ok "$page: $n example blocks run" sh -c "cd '$MEDUSA_SRC'; . '$T/$page.sh'"
	is "$(grep -E 'usage:|not found|No such file|exit [0-9]' "$T/.err" || true)" "" "$page: no usage errors, missing commands or files"
	ok "$page: has examples" test "$n" -gt 0
done
done_testing
