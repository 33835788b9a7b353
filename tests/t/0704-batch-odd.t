#!/bin/sh
# examples/batch on odd names: names with spaces, quotes, '$' and '%' work;
# a name with a newline and a backyard path with a space do not yet (TODO:
# examples/batch is publish's; see the qa report).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut medusa-publish jq b2sum make; do
	command -v $t >/dev/null || { echo "1..0 # SKIP no $t"; exit 0; }
done
[ -f "$MEDUSA_SRC/examples/batch/Makefile" ] || { echo "1..0 # SKIP no examples/batch"; exit 0; }
# a copy: make cannot name a Makefile whose path has a space (the source tree's may)
cp -R "$MEDUSA_SRC/examples/batch" "$T/batch"
M=$T/batch/Makefile

mkyard() {  # mkyard DIR NAME...: a backyard with a poster profile, a clip per video
	_d=$1; shift
	mkdir -p "$_d"
	printf '{"tags": {}, "profiles": {"poster": {"kind": "image", "format": "jpeg", "width": 32, "at": 0.5}}}\n' \
	    > "$_d/backyard.medusa.json"
	for _f in "$@"; do
		cp "$T/v.mp4" "$_d/$_f"
		(cd "$_d" && medusa-meta add -- "$_f" 0 0.5 > /dev/null)
	done
}
todo() {  # todo DESCRIPTION REASON COMMAND...: a known bug, not counted by prove
	_d=$1 _r=$2; shift 2
	_n=$((_n + 1))
	if "$@" > "$T/.out" 2> "$T/.err"; then echo "ok $_n - $_d # TODO $_r"
	else echo "not ok $_n - $_d # TODO $_r"; fi
}
mkvideo "$T/v.mp4" 1 -vf scale=64:48

cd "$T"
mkyard by "sp ace.mp4" "q'uote.mp4" 'dol$ar.mp4' 'pct%s.mp4' '#hash.mp4' '-dash.mp4'
ok "batch with odd names" make -s -f "$M" BACKYARD=by -j2
is "$(sqlite3 frontyard/metastore.sqlite 'SELECT count(*) FROM clips')" 6 "every clip published"
g=$(sqlite3 frontyard/metastore.sqlite "SELECT value FROM meta WHERE key = 'generation'")
ok "a second run" make -s -f "$M" BACKYARD=by -j2
is "$(sqlite3 frontyard/metastore.sqlite "SELECT value FROM meta WHERE key = 'generation'")" "$g" \
    "changes nothing (same generation)"

rm -rf frontyard
mkyard nl "plain.mp4" "$(printf 'new\nline.mp4')"
todo "batch with a newline in a name" "clips.mk breaks: missing separator" make -s -f "$M" BACKYARD=nl
todo "the other clip is still published" "the whole batch stops" \
    test "$(sqlite3 frontyard/metastore.sqlite 'SELECT count(*) FROM clips' 2>/dev/null)" = 2

mkyard "b y" "plain.mp4"
todo "batch in a backyard whose path has a space" "make splits BACKYARD and W on spaces" \
    make -s -f "$M" BACKYARD="$T/b y"
done_testing
