#!/bin/sh
# mk/layers.sh, the layer check of `make lint`: on tiny objects compiled
# here it passes a clean stack and fails on a call cycle, an upward call, a
# file outside the layers, a stale known line and no input at all; then
# the tree's own objects pass against mk/layers and mk/layers.known.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
CC=${CC:-cc}
check() { sh "$MEDUSA_SRC/mk/layers.sh" "$@"; }

# cobj DIR NAME SOURCE: DIR/NAME.o from one line of C
cobj() {
	mkdir -p "$T/$1"
	printf '%s\n' "$3" >"$T/$1/$2.c"
	"$CC" -c -o "$T/$1/$2.o" "$T/$1/$2.c"
}
# a stack: t (top) calls m (mid) and reads u's data, m calls u (base)
cobj clean u 'int u_count; int u_one(void) { return 1; }'
cobj clean m 'int u_one(void); int m_two(void) { return u_one() + 1; }'
cobj clean t 'extern int u_count; int m_two(void); int t_three(void) { return m_two() + u_count; }'
cat >"$T/clean/layers" <<'EOF'
# bottom first
base: u
mid: m
mid -> base
top: t
top -> mid base
EOF
: >"$T/none"
ok "a clean stack passes" check "$T/clean/layers" "$T/none" "$T"/clean/*.o
like "$(lastout)" "3 files in 3 layers, 3 calls between files, 0 known violations" "it counts files, layers and calls"

# the same objects when top may not call base: t reads u_count
grep -v '^top ->' "$T/clean/layers" >"$T/clean/layers-narrow"
echo 'top -> mid' >>"$T/clean/layers-narrow"
fails "a call to a layer not declared fails" 1 check "$T/clean/layers-narrow" "$T/none" "$T"/clean/*.o
like "$(lasterr)" "^layers: t -> u: layer top may not call layer base: u_count$" "it names the files, the layers and the data symbol"

# base calls top
cobj up u 'int t_three(void); int u_one(void) { return t_three(); }'
cobj up t 'int t_three(void) { return 3; }'
printf 'base: u\ntop: t\ntop -> base\n' >"$T/up/layers"
fails "an upward call fails" 1 check "$T/up/layers" "$T/none" "$T"/up/*.o
like "$(lasterr)" "^layers: u -> t: layer base may not call layer top (an upward call): t_three$" "it names the files, the layers and the symbol"

# a -> b -> c -> a inside one layer
cobj cycle a 'int b_f(void); int a_f(void) { return b_f(); }'
cobj cycle b 'int c_f(void); int b_f(void) { return c_f(); }'
cobj cycle c 'int a_f(void); int c_f(void) { return a_f() + 1; }'
echo 'base: a b c' >"$T/cycle/layers"
fails "a call cycle fails" 1 check "$T/cycle/layers" "$T/none" "$T"/cycle/*.o
like "$(lasterr)" "^layers: a -> b: a call cycle (a -> b -> c -> a): b_f$" "it names the way round and the symbol"
like "$(lasterr)" "^layers: c -> a: a call cycle (c -> a -> b -> c): a_f$" "every edge of the cycle is named"
like "$(lasterr)" "^layers: 3 problem(s)" "and counted"

# the same cycle listed as known
cat >"$T/cycle/known" <<'EOF'
# why they are still there
a -> b # being moved
b -> c # being moved
c -> a # being moved
EOF
ok "known violations pass" check "$T/cycle/layers" "$T/cycle/known" "$T"/cycle/*.o
like "$(lastout)" "^layers: known: b -> c: a call cycle (b -> c -> a -> b): c_f$" "and are reported as known"
like "$(lastout)" "3 known violations, no new ones" "and counted"
grep -v '^c ->' "$T/cycle/known" >"$T/cycle/known2"
fails "a violation not in the known list fails" 1 check "$T/cycle/layers" "$T/cycle/known2" "$T"/cycle/*.o
like "$(lasterr)" "^layers: c -> a: a call cycle" "it is named"
like "$(lastout)" "^layers: known: a -> b" "beside the known ones"

# the known list stays true
printf 'm -> t # gone long ago\n' >"$T/stale"
fails "a known edge that is no call fails" 1 check "$T/clean/layers" "$T/stale" "$T"/clean/*.o
like "$(lasterr)" "stale:1: m -> t: no longer a violation (remove the line)" "it names the line"
printf 't -> m # fixed since\n' >"$T/stale"
fails "a known edge that is no longer a violation fails" 1 check "$T/clean/layers" "$T/stale" "$T"/clean/*.o
printf 'a -> b\n' >"$T/noreason"
fails "a known edge without a reason is refused" 2 check "$T/cycle/layers" "$T/noreason" "$T"/cycle/*.o
like "$(lasterr)" "noreason:1: a -> b: say why" "it names the line"

# every file in one layer, every name of the layers a file
printf 'base: u\ntop: t\ntop -> base\n' >"$T/clean/layers-short"
fails "a file in no layer fails" 1 check "$T/clean/layers-short" "$T/none" "$T"/clean/*.o
like "$(lasterr)" "^layers: m: in no layer of" "it names the file"
fails "a layer naming a file that is not built fails" 1 check "$T/clean/layers" "$T/none" "$T/clean/u.o" "$T/clean/m.o"
like "$(lasterr)" "layers:5: t: no such file among the objects" "it names the line"
printf 'base: u m\nmid: m\nmid -> base\ntop: t\ntop -> mid base\n' >"$T/clean/layers-twice"
fails "a file in two layers fails" 1 check "$T/clean/layers-twice" "$T/none" "$T"/clean/*.o
printf 'low: *\n' >"$T/clean/layers-glob"
ok "a pattern takes every file it matches" check "$T/clean/layers-glob" "$T/none" "$T"/clean/*.o
printf 'base: u\nmid: m\nmid -> base top\ntop: t\ntop -> mid base\n' >"$T/clean/layers-loop"
fails "layers that call each other are refused" 2 check "$T/clean/layers-loop" "$T/none" "$T"/clean/*.o
like "$(lasterr)" "may call itself again through other layers" "it says so"
printf 'base u\n' >"$T/bad-layers"
fails "a line that is no declaration is refused" 2 check "$T/bad-layers" "$T/none" "$T"/clean/*.o

# no input passes nothing
fails "no objects is an error" 2 check "$T/clean/layers" "$T/none"
like "$(lasterr)" "no object files to check" "it says so"
printf 'not an object\n' >"$T/junk.o"
fails "an object nm cannot read is an error" 2 check "$T/clean/layers" "$T/none" "$T/junk.o"
like "$(lasterr)" "junk.o: nm:" "it names the file"
fails "a missing layers file is an error" 2 check "$T/nothing" "$T/none" "$T"/clean/*.o

# the tree: its objects against its own layers
set --
for c in "$MEDUSA_SRC"/lib/*.c; do
	n=${c##*/}
	set -- "$@" "$MEDUSA_BIN/lib/${n%.c}.o"
done
ok "lib/ keeps to mk/layers" check "$MEDUSA_SRC/mk/layers" "$MEDUSA_SRC/mk/layers.known" "$@"
like "$(lastout)" "^layers: $# files in " "every file of lib/ was checked"

# SQL only in the metastore (mk/sqlite.sh)
sq() { (cd "$T/sq" && sh "$MEDUSA_SRC/mk/sqlite.sh" "$@"); }
mkdir -p "$T/sq/lib" "$T/sq/tools"
printf '#include <sqlite3.h>\nint f(sqlite3 *d) { return sqlite3_changes(d); }\n' >"$T/sq/lib/metastore_x.c"
printf 'int g(void) { return 1; }\n' >"$T/sq/tools/t.c"
: >"$T/sq/none"
ok "SQLite in lib/metastore*.c passes" sq none lib/metastore_x.c tools/t.c
like "$(lastout)" "^sqlite: 2 files, SQLite only in lib/metastore" "it counts the files"
printf '#include <sqlite3.h>\nint g(void) { return 1; }\n' >"$T/sq/tools/t.c"
fails "sqlite3.h included outside the metastore fails" 1 sq none lib/metastore_x.c tools/t.c
like "$(lasterr)" "^sqlite: tools/t.c: 1: SQLite outside lib/metastore" "it names the file and the line"
printf 'tools/t.c # being moved\n' >"$T/sq/known"
ok "a known file passes" sq known lib/metastore_x.c tools/t.c
printf 'int g(void) { return 1; }\n' >"$T/sq/tools/t.c"
fails "a known file that no longer uses SQLite fails" 1 sq known lib/metastore_x.c tools/t.c
like "$(lasterr)" "known: tools/t.c: no longer uses SQLite (remove the line)" "it names the line"
printf 'tools/t.c\n' >"$T/sq/noreason"
fails "a known file without a reason is refused" 2 sq noreason tools/t.c
printf '#include <sqlite3.h>\nint f(sqlite3 *d);\n' >"$T/sq/lib/metastore_int.h"
cp "$T/sq/lib/metastore_int.h" "$T/sq/lib/metastore.h"
ok "the metastore's private header may use SQLite" sq none lib/metastore_x.c lib/metastore_int.h
fails "its public header may not" 1 sq none lib/metastore_x.c lib/metastore_int.h lib/metastore.h
like "$(lasterr)" "^sqlite: lib/metastore.h: 1: SQLite outside lib/metastore" "it names the header"
cd "$MEDUSA_SRC"
ok "the tree keeps SQL in the metastore" sh mk/sqlite.sh mk/sqlite.known lib/*.c lib/*.h tools/*.c
done_testing
