#!/bin/sh
# The EXAMPLES of medusa-cut(1) work when pasted: every literal block that
# starts with a command runs, in order, from the source tree, with /tmp/
# turned into this test's work area.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"

awk -v tmp="$T/" '
	/^\.Sh / { ex = ($2 == "EXAMPLES") }
	ex && /^\.Bd -literal/ { inblock = 1; first = 1; next }
	ex && /^\.Ed/ {
		if (inblock && run) print "} || { echo \"exit $?\" >&2; exit 1; }\n#--"
		inblock = 0; next
	}
	inblock {
		if (first) {
			run = ($1 ~ /^(sh|medusa-[a-z]+|cd|jq|sort)$/); first = 0
			if (run) print "{"
		}
		if (run) { gsub("/tmp/", tmp); gsub(/\\e/, "\\"); print }
	}' "$MEDUSA_SRC/man/medusa-cut.1" > "$T/examples.sh"
is "$(grep -c '^#--' "$T/examples.sh")" 4 "four example blocks to run"
ok "they run" sh -c "cd '$MEDUSA_SRC'; . '$T/examples.sh'"
is "$(grep -E 'usage:|not found|No such file|exit [0-9]' "$T/.err" || true)" "" "no usage errors, missing commands or files"
is "$(jq -c 'select(.renditions) | .clip' "$T/cut.ndjson" | wc -l | tr -d ' ')" \
  "$(cd "$T/demo" && medusa-scan | medusa-meta clips | jq -c 'select(.clip) | .clip' | wc -l | tr -d ' ')" \
  "every clip of the demo has its renditions"
is "$(vprobe "$T/party.mp4" codec_name,width,height)" "h264,320,240" "the single clip is made"
ok "two seconds long" near "$(vprobe "$T/party.mp4" duration)" 2 0.04
done_testing
