#!/bin/sh
# demo.sh [DIR]: `make demo`. Makes a demo backyard (examples/mkdemo.sh),
# reconciles it for real into its embedded frontyard, and says where the
# results are, ending with the two commands that serve the editor and the
# gallery. DIR defaults to demo/ in the source tree; run it again and the
# second reconcile has nothing to do.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
PATH=${MEDUSA_BIN:-$src/build}:$PATH
export PATH
dir=${1:-$src/demo}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
echo "demo: making the demo backyard in $dir/backyard"
sh "$src/examples/mkdemo.sh" "$dir/backyard"
echo "demo: medusa-reconcile -C $dir/backyard -j 2"
medusa-reconcile -C "$dir/backyard" -j 2
eval "$(medusa-publish -E -C "$dir/backyard")"
echo
echo "demo: the backyard (videos and their .medusa.json sidecars): $MEDUSA_ROOT"
echo "demo: the frontyard: $MEDUSA_FRONTYARD"
echo "demo:   storage    $MEDUSA_STORAGE ($(find "$MEDUSA_STORAGE" -type f | wc -l) files)"
echo "demo:   metastore  $MEDUSA_METASTORE"
echo "demo:   work dir   $MEDUSA_WORKDIR (medusa-cut's renditions, reused next time)"
echo "demo: clips published:"
sqlite3 -separator '  ' "$MEDUSA_METASTORE" \
    "SELECT id, printf('%5.1f s', duration), tags FROM clips ORDER BY id" | sed 's/^/demo:   /'
echo "demo: one clip's files:"
sqlite3 "$MEDUSA_METASTORE" "SELECT key FROM renditions WHERE clip = (SELECT min(n) FROM clips)" |
    while IFS= read -r k; do echo "demo:   $MEDUSA_STORAGE/$k"; done
echo "demo: run it again: make demo (nothing is converted twice); see medusa-reconcile(1)"
# a word as the shell reads it back: quoted when it has to be
q() {
	case $1 in
	*[!A-Za-z0-9/._+-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}
serve=$(q "$(command -v medusa-serve)") root=$(q "$MEDUSA_ROOT")
echo "demo: the editor (http://127.0.0.1:8080/) and the gallery (http://127.0.0.1:8081/):"
echo "tcpserver -R -H -l 0 127.0.0.1 8080 $serve backyard -C $root &"
echo "tcpserver -R -H -l 0 127.0.0.1 8081 $serve frontyard -C $root &"
