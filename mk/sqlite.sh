#!/bin/sh
# mk/sqlite.sh: SQL lives in the metastore (HACKING.md, "Layers"): no
# source file but lib/metastore*.c and their private lib/metastore_int.h
# includes sqlite3.h or calls sqlite3_* (so no public header hands out a
# SQLite handle).
#
#   sh mk/sqlite.sh KNOWN FILE...
#
# KNOWN lists the files still tolerated, "FILE # why" a line; a listed
# file that no longer mentions SQLite is an error, so the list only
# shrinks and stays true.
#
# Exit 0: only the metastore's files and the known files use SQLite; 1: another
# file does, or a stale line; 2: usage, a malformed KNOWN or an unreadable
# file.
set -eu
LC_ALL=C
export LC_ALL

prog=sqlite
die() { echo "$prog: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: sh mk/sqlite.sh KNOWN FILE..."
known=$1
shift
[ -f "$known" ] && [ -r "$known" ] || die "$known: cannot read"
# the include, or a call or type of the SQLite API
re='sqlite3\.h|sqlite3_[a-z_0-9]+[[:space:]]*\(|sqlite3[[:space:]]*\*'

nbad=0 nknown=0
say() { echo "$prog: $*" >&2; }
# "FILE # why" lines, comments and blank lines skipped
list=$(sed -e 's/^[[:space:]]*//' -e '/^#/d' -e '/^$/d' "$known")
while IFS= read -r l; do
	[ -n "$l" ] || continue
	case $l in
	*'#'*) why=${l#*#} ;;
	*) why= ;;
	esac
	f=${l%%#*}
	f=$(printf '%s' "$f" | sed 's/[[:space:]]*$//')
	case $why in
	*[![:space:]]*) ;;
	*) die "$known: $f: say why it is still there (# ...)" ;;
	esac
done <<EOF2
$list
EOF2

for f; do
	[ -f "$f" ] && [ -r "$f" ] || die "$f: cannot read"
	case $f in
	lib/metastore*.c|*/lib/metastore*.c|lib/metastore_int.h|*/lib/metastore_int.h) continue ;;
	esac
	listed=0
	printf '%s\n' "$list" | sed 's/[[:space:]]*#.*//' | grep -qxF "$f" && listed=1
	if grep -Eq "$re" "$f"; then
		if [ $listed = 1 ]; then
			echo "$prog: known: $f: $(grep -Ec "$re" "$f") line(s) of SQLite outside the metastore"
			nknown=$((nknown + 1))
		else
			say "$f: $(grep -Enm1 "$re" "$f" | cut -d: -f1): SQLite outside lib/metastore*.c (add a metastore function)"
			nbad=$((nbad + 1))
		fi
	elif [ $listed = 1 ]; then
		say "$known: $f: no longer uses SQLite (remove the line)"
		nbad=$((nbad + 1))
	fi
done
# a known file not among the files checked is stale as well
for f in $(printf '%s\n' "$list" | sed 's/[[:space:]]*#.*//'); do
	found=0
	for g; do [ "$g" = "$f" ] && found=1; done
	if [ $found = 0 ]; then
		say "$known: $f: no such file among the files checked (remove the line)"
		nbad=$((nbad + 1))
	fi
done
if [ $nbad -gt 0 ]; then
	say "$nbad problem(s) with SQLite outside the metastore ($known)"
	exit 1
fi
echo "$prog: $# files, SQLite only in lib/metastore*.c and $nknown known file(s)"
