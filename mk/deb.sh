#!/bin/sh
# deb.sh OUT: `make deb`. Builds the Debian package (debian/) the way a
# fresh clone would, from a copy of the files git knows (with the working
# tree's changes) into OUT, then runs lintian on it. Exits 0 when the
# package builds and lintian reports no error; its warnings are printed
# (OUT/lintian.txt), the build log is OUT/build.log.
set -eu
[ $# -eq 1 ] || { echo "usage: deb.sh OUT" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
for t in dpkg-buildpackage dh lintian; do
	command -v $t >/dev/null || { echo "deb: $t is missing (make deps installs it)" >&2; exit 2; }
done
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
mkdir -p "$1"
out=$(cd "$1" && pwd)
rm -f "$out"/medusa*.deb "$out"/medusa*.changes "$out"/medusa*.buildinfo
w=$(mktemp -d "${TMPDIR:-/tmp}/medusa-deb.XXXXXX")
trap 'rm -rf "$w"' EXIT
tree=$w/medusa-$ver
mkdir "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	# what a clone holds; a file deleted in the working tree is left out
	git -C "$src" ls-files -z --cached --others --exclude-standard |
	    tar -C "$src" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$tree" -xf -
else
	(cd "$src" && tar --exclude=./build --exclude=./build-san --exclude=./build-fuzz \
	    --exclude=./demo --exclude=node_modules -cf - .) | tar -C "$tree" -xf -
fi
echo "deb: dpkg-buildpackage -us -uc -b (log: $out/build.log)"
if ! (cd "$tree" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2} \
    dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
	tail -30 "$out/build.log" >&2
	echo "deb: the package did not build" >&2
	exit 1
fi
mv "$w"/*.deb "$w"/*.changes "$w"/*.buildinfo "$out"/
changes=$(ls "$out"/medusa_"$ver"_*.changes)
st=0
lintian --fail-on error "$changes" > "$out/lintian.txt" 2>&1 || st=$?
sed 's/^/deb: lintian: /' "$out/lintian.txt"
for f in "$out"/*.deb; do echo "deb: $f"; done
if [ "$st" -ne 0 ]; then
	echo "deb: lintian found errors" >&2
	exit 1
fi
