#!/bin/sh
# make install into a fresh prefix: every tool and page lands where it
# should, the pages render with man -l, and the installed tools run a
# reconcile on their own (found on PATH, nothing from the build tree).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v make >/dev/null || { echo "1..0 # SKIP no make"; exit 0; }

P=$T/pre\ fix
# the tools are built already: install copies them from $MEDUSA_BIN, named
# relative to the source (make cannot name a target with a space in it)
case $MEDUSA_BIN in
"$MEDUSA_SRC"/*) b=${MEDUSA_BIN#"$MEDUSA_SRC"/} ;;
*) echo "1..0 # SKIP the tools under test are not built in this tree"; exit 0 ;;
esac
ok "make install" make -s -C "$MEDUSA_SRC" install B="$b" SAN="${MEDUSA_SAN:-}" \
    PREFIX="$P" DESTDIR=
for t in scan meta tags; do
	ok "medusa-$t installed, executable" test -x "$P/bin/medusa-$t"
	ok "medusa-$t.1 installed" test -f "$P/share/man/man1/medusa-$t.1"
done
ok "medusa(7) installed" test -f "$P/share/man/man7/medusa.7"
ok "medusa-files(5) installed" test -f "$P/share/man/man5/medusa-files.5"
n=$(ls "$MEDUSA_SRC"/man/*.[1-8] | wc -l)
is "$(find "$P/share/man" -type f | wc -l | tr -d ' ')" "$n" "every page of man/ installed"
for t in "$MEDUSA_SRC"/tools/medusa-*.c "$MEDUSA_SRC"/tools/medusa-*.sh; do
	b=$(basename "$t"); b=${b%.*}
	[ -x "$P/bin/$b" ] || echo "not installed: $b"
done > "$T/missing"
is "$(cat "$T/missing")" "" "every tool installed (scripts without .sh)"
ok "bash completion installed" test -f "$P/share/bash-completion/completions/medusa-meta"

# the installed server finds the installed pages, whatever PREFIX it was
# built with (the build tree's binaries were built for /usr/local)
for mode in backyard frontyard; do
	printf 'GET / HTTP/1.0\r\n\r\n' | "$P/bin/medusa-serve" $mode -C "$MEDUSA_SRC/examples/backyard" > "$T/$mode.http" 2>&1 || :
	like "$(head -1 "$T/$mode.http")" '^HTTP/1.[01] 200' "installed medusa-serve $mode: / is there"
	ok "installed medusa-serve $mode: its index.html is the installed one" \
	    sh -c "sed '1,/^\r\$/d' '$T/$mode.http' | cmp -s - '$P/share/medusa/web/$mode/index.html'"
done

# every page renders without a single warning
if command -v man >/dev/null; then
	for p in "$P"/share/man/man*/*; do
		MANWIDTH=80 man -l "$p" > "$T/page" 2> "$T/page.err" || echo "man -l failed: $p" >> "$T/page.err"
		is "$(cat "$T/page.err")" "" "man -l $(basename "$p"): no warnings"
		like "$(head -5 "$T/page")" "$(basename "$p" | sed 's/\..*//' | tr a-z A-Z)" "$(basename "$p") has its title"
	done
else
	echo "# no man(1) here: pages not rendered"
fi

# the installed tools alone: PATH has the prefix and the system, nothing else
B="$T/yard with space"
mkbackyard "$B"
mkvideo "$B/clip one.mp4" 1 -vf scale=96:72
PATH="$P/bin:/usr/bin:/bin" ok "installed medusa-meta add" sh -c 'cd "$1" && medusa-meta add "clip one.mp4" 0 0.5 kind=family' sh "$B"
PATH="$P/bin:/usr/bin:/bin" ok "installed medusa-reconcile" medusa-reconcile -q -C "$B"
is "$(sqlite3 "$T/frontyard/metastore.sqlite" 'SELECT count(*) FROM clips')" 1 "the clip is published"
done_testing
