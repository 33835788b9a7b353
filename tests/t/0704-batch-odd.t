#!/bin/sh
# examples/batch on odd names: file names with spaces, quotes, '$', '%',
# '#', ':', a newline and UTF-8, and backyard, work and source paths with
# spaces and make-special characters. No name reaches make syntax: targets
# are clip ids, paths go to the recipes through the environment.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
for t in medusa-scan medusa-meta medusa-tags medusa-cut medusa-publish jq b2sum make; do
	command -v $t >/dev/null || { echo "1..0 # SKIP no $t"; exit 0; }
done
[ -f "$MEDUSA_SRC/examples/batch/Makefile" ] || { echo "1..0 # SKIP no examples/batch"; exit 0; }
# a copy of the batch files in a folder whose path make would split or expand
B="$T/src sp\$(X) 'q' #h:c"
mkdir -p "$B"
cp "$MEDUSA_SRC"/examples/batch/* "$B/"
M=$B/Makefile
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f "$M" -j2 "$@"; }
count() { sqlite3 "$1/metastore.sqlite" 'SELECT count(*) FROM clips'; }
gen() { sqlite3 "$1/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'"; }

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
mkvideo "$T/v.mp4" 1 -vf scale=64:48

# each backyard in its own folder, so each has its own frontyard beside it
cd "$T"
mkdir one
nl=$(printf 'new\nline.mp4')
mkyard one/by "sp ace.mp4" "q'uote.mp4" 'dq"uote.mp4' 'dol$ar.mp4' '$(shell touch pwned).mp4' \
    'pct%s.mp4' '#hash.mp4' 'co:lon.mp4' '-dash.mp4' 'ütf-8 ☃.mp4' "$nl" 'back\slash.mp4'
ok "batch with odd names" mk BACKYARD=one/by
is "$(count one/frontyard)" 12 "every clip published"
is "$(sqlite3 one/frontyard/metastore.sqlite 'SELECT count(*) FROM renditions')" 12 "each in its profile"
ok "no name was run as make" test ! -e pwned -a ! -e one/frontyard/batch/pwned
g=$(gen one/frontyard)
touch marker
ok "a second run" mk BACKYARD=one/by
is "$(gen one/frontyard)" "$g" "changes nothing (same generation)"
is "$(find one/frontyard -type f -newer marker | wc -l)" 0 "rewrites no file"
# change the clip of the name with a newline, remove the one with a colon
id=$(jq -r '.clips[0].id' "one/by/$nl.medusa.json")
printf '{"tags": {}, "clips": [{"id": "%s", "start": 0.25, "end": 0.75}]}\n' "$id" > "one/by/$nl.medusa.json"
rm "one/by/co:lon.mp4" "one/by/co:lon.mp4.medusa.json"
touch marker
ok "a run after a change" mk BACKYARD=one/by
is "$(cd one/frontyard/batch && find . -name '*.rec' -newer "$T/marker")" "./$id.rec" "only the changed clip is cut again"
is "$(sqlite3 one/frontyard/metastore.sqlite "SELECT start FROM clips WHERE id = '$id'")" 0.25 "and published"
is "$(count one/frontyard)" 11 "the removed one is pruned"

# backyard, frontyard and work folder paths with spaces and make-special characters
mkdir -p "two s\$p 'a' #:"
Y="$T/two s\$p 'a' #:/b y"
mkyard "$Y" "plain.mp4" "other one.mp4"
ok "batch in a backyard whose path has a space" mk BACKYARD="$Y"
is "$(count "$T/two s\$p 'a' #:/frontyard")" 2 "its clips published beside it"
ok "a relative backyard and a work folder with a space" \
    sh -c 'cd "$1" && shift && "$@"' sh "$T/two s\$p 'a' #:" \
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f "$M" BACKYARD="b y" W="w o%rk" -j2
ok "its work folder" test -f "$T/two s\$p 'a' #:/w o%rk/published.ndjson"
mkdir three && cp -R "$Y" three/-by
ok "a backyard and work folder named with a leading dash" \
    sh -c 'cd three && "$@"' sh \
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f "$M" BACKYARD=-by W=-w -j2
is "$(count three/frontyard)" 2 "its clips published"

# a missing backyard: a clear message, nothing made
fails "a missing backyard" 2 mk BACKYARD="$T/nowhere"
like "$(lasterr)" "nowhere: no such backyard" "says so"
ok "nothing made" test ! -e "$T/frontyard"
done_testing
