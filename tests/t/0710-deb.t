#!/bin/sh
# The Debian package: `make deb` (mk/deb.sh) builds it from a clean copy of
# the tree and lintian finds no error; its Build-Depends are what mk-build-deps
# installs; the package unpacked into a scratch root (dpkg -x) holds every
# tool, page, web page, unit and completion, and its tools run the demo from
# there; the units verify and the frontyard's scores "OK" or better with
# systemd-analyze; none is enabled on install; completion offers the demo's
# profiles. Built once, in the run without sanitizers.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "${MEDUSA_SAN:-}" = 1 ] && { echo "1..0 # SKIP the package is built in the run without sanitizers"; exit 0; }
for t in dpkg-buildpackage dh lintian; do
	command -v $t >/dev/null || { echo "1..0 # SKIP no $t (make deps installs it)"; exit 0; }
done
ver=$(dpkg-parsechangelog -l "$MEDUSA_SRC/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)

ok "the package builds, lintian finds no error" sh "$MEDUSA_SRC/mk/deb.sh" "$T/deb"
lastout | grep '^deb: lintian: [WE]:' | sed 's/^/# /' || :
D=$T/deb/medusa_${ver}_$arch.deb
ok "medusa_${ver}_$arch.deb" test -s "$D"
ok "and its -dbgsym" test -s "$T/deb/medusa-dbgsym_${ver}_$arch.deb"
is "$(grep -c '^E:' "$T/deb/lintian.txt" || :)" 0 "no lintian error"
like "$(dpkg-deb -f "$D" Depends)" 'libavformat[0-9]* .*libsqlite3-0' "Depends computed from the libraries (shlibs)"

# the Build-Depends: satisfied here, and the package mk-build-deps makes of
# them is installable
ok "dpkg-checkbuilddeps: Build-Depends satisfied" sh -c "cd '$MEDUSA_SRC' && dpkg-checkbuilddeps"
if command -v mk-build-deps >/dev/null && command -v equivs-build >/dev/null; then
	ok "mk-build-deps makes the build-deps package" sh -c "cd '$T' && mk-build-deps '$MEDUSA_SRC/debian/control'"
	bd=$(ls "$T"/medusa-build-deps_*.deb 2>/dev/null | head -1)
	ok "apt could install it" apt-get install -s -qq "$bd"
else
	echo "# no mk-build-deps (devscripts, equivs): not tried"
fi

# what is in it
R=$T/root
ok "dpkg -x into a scratch root" dpkg -x "$D" "$R"
for t in "$MEDUSA_SRC"/tools/medusa-*.c "$MEDUSA_SRC"/tools/medusa-*.sh; do
	b=$(basename "$t"); b=${b%.*}
	[ -x "$R/usr/bin/$b" ] || echo "not in /usr/bin: $b"
	[ -e "$R/usr/share/bash-completion/completions/$b" ] || echo "no completion: $b"
done > "$T/missing"
for m in "$MEDUSA_SRC"/man/*.[1-8]; do
	b=${m##*/}
	[ -f "$R/usr/share/man/man${b##*.}/$b.gz" ] || echo "no man page: $b"
done >> "$T/missing"
for f in usr/share/medusa/web/backyard/index.html usr/share/medusa/web/frontyard/index.html \
    usr/share/doc/medusa/examples/mkdemo.sh usr/share/doc/medusa/examples/serve/README \
    etc/default/medusa usr/lib/sysusers.d/medusa.conf; do
	[ -f "$R/$f" ] || echo "missing: /$f"
done >> "$T/missing"
U=$R/lib/systemd/system
units="medusa-backyard.socket medusa-backyard@.service medusa-frontyard.socket
medusa-frontyard@.service medusa-reconcile.service medusa-reconcile.timer"
for u in $units; do
	[ -f "$U/$u" ] || echo "missing unit: $u"
done >> "$T/missing"
is "$(cat "$T/missing")" "" "tools, completions, man pages, web pages, examples, settings and units installed"

# none is enabled or started on install
dpkg-deb -e "$D" "$T/control"
is "$(grep -c 'deb-systemd-invoke\|systemctl.*start' "$T/control/postinst" || :)" 0 "postinst starts nothing"
is "$(grep 'deb-systemd-helper enable' "$T/control/postinst" | wc -l | tr -d ' ')" \
  "$(grep 'was-enabled' "$T/control/postinst" | wc -l | tr -d ' ')" "postinst enables only what was enabled before (an upgrade)"

# the units verify (with ExecStart pointed into the scratch root, so that
# the binaries checked are the package's)
if command -v systemd-analyze >/dev/null; then
	mkdir "$T/units"
	for u in $units; do sed "s|/usr/bin/|$R/usr/bin/|g" "$U/$u" > "$T/units/$u"; done
	ok "systemd-analyze verify: every unit" sh -c "cd '$T/units' && systemd-analyze verify --man=no $(echo $units | sed 's|[^ ]*|./&|g')"
	is "$(lasterr)" "" "no message from verify"
	systemd-analyze security --offline=yes "$T/units/medusa-frontyard@.service" > "$T/sec" 2>&1 || :
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$T/sec")
	echo "# systemd-analyze security medusa-frontyard@.service: $level"
	like "$level" '^[0-9.]* \(OK\|SAFE\)$' "the frontyard service scores OK or better"
	for u in medusa-backyard@.service medusa-reconcile.service; do
		echo "# systemd-analyze security $u: $(systemd-analyze security --offline=yes "$T/units/$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: //p')"
	done
else
	echo "# no systemd-analyze: the units are not verified"
fi

# the installed tools over the demo backyard, nothing from the build tree
P="$R/usr/bin:/usr/bin:/bin"
ok "the packaged mkdemo.sh makes the demo" env PATH="$P" sh "$R/usr/share/doc/medusa/examples/mkdemo.sh" "$T/demo/backyard"
ok "the packaged medusa-reconcile reconciles it" env PATH="$P" medusa-reconcile -q -C "$T/demo/backyard"
n=$(env PATH="$P" medusa-scan -C "$T/demo/backyard" | env PATH="$P" medusa-meta -C "$T/demo/backyard" clips | jq -c 'select(.clip)' | wc -l)
is "$(sqlite3 "$T/demo/frontyard/metastore.sqlite" 'SELECT count(*) FROM clips')" "$(echo $n)" "every clip of the demo published"
for mode in backyard frontyard; do
	printf 'GET / HTTP/1.0\r\n\r\n' | env PATH="$P" medusa-serve $mode -C "$T/demo/backyard" > "$T/$mode.http" 2>"$T/$mode.err" || :
	like "$(head -1 "$T/$mode.http")" '^HTTP/1.[01] 200' "medusa-serve $mode finds its web pages in /usr/share/medusa/web without -w"
	ok "and serves the packaged index.html" sh -c "sed '1,/^\r\$/d' '$T/$mode.http' | cmp -s - '$R/usr/share/medusa/web/$mode/index.html'"
done

# completion: the demo's profiles for medusa-cut -p, its tags for medusa-meta add
if command -v bash >/dev/null; then
	comp() {
		(cd "$T/demo/backyard/home" && PATH="$P" bash -c '. "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _medusa "$1"; printf "%s\n" "${COMPREPLY[@]}"' \
			sh "$R/usr/share/bash-completion/completions/medusa-cut" "$@") | sort | tr '\n' ' '
	}
	is "$(comp medusa-cut -p '')" "360p poster " "completion: medusa-cut -p offers the demo's profiles"
	is "$(comp medusa-meta add home/cat.webm 0 1 ki)" "kind= " "completion: medusa-meta add offers its tags"
	is "$(comp medusa-meta add home/cat.webm 0 1 kind=t)" "kind=travel  " "and an enum's values, then a space"
	is "$(comp medusa-meta get trips/kyoto/te)" "trips/kyoto/temple.mp4  " "and paths inside the backyard from a folder below its root"
fi
done_testing
