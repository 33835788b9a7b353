#!/bin/sh
# Odd file names go through scan, meta and the clip filter unharmed.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/by
mkbackyard "$B"
mkvideo "$T/v.mp4" 1
n=0
while IFS= read -r name; do
	d=$(dirname -- "$name")
	mkdir -p -- "$B/$d"
	cp "$T/v.mp4" "$B/$name"
	n=$((n + 1))
done <<'NAMES'
-dash.mp4
quote"s.mp4
back\slash.mp4
tab	in.mp4
ünïcödé/日本語.mp4
emoji 🎬.MP4
per%cent/a%2F..%2Fb.mp4
$(touch pwned).mp4
a'b/c d.mkv
NAMES
ok "scan" medusa-scan -C "$B"
is "$(lastout | grep -c '"path"')" "$n" "every odd name is a video record"
lastout | jq -r 'select(.path) | .path' > "$T/paths"
ok "the paths are valid JSON strings that name the files" sh -c "while IFS= read -r p; do test -f \"$B/\$p\" || exit 1; done < '$T/paths'"
cd "$B"
while IFS= read -r p; do
	medusa-meta add -- "$p" 0 0.5 place="$p" > /dev/null || echo "add failed: $p"
done < "$T/paths" > "$T/adds" 2>&1
is "$(cat "$T/adds")" "" "add works on every odd name"
ok "clips" sh -c "medusa-scan | medusa-meta clips > '$T/clips'"
is "$(jq -r 'select(.clip) | select(.video == .tags.place) | .video' "$T/clips" | wc -l | tr -d ' ')" "$n" "every clip names its video"
ok "get ./-dash.mp4" medusa-meta get ./-dash.mp4
is "$(lastout | jq -r .path)" "-dash.mp4" "a leading dash, through ./"
ok "nothing was run from a name" test ! -e "$B/pwned"
done_testing
