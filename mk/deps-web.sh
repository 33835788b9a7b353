#!/bin/sh
# The browser tests (tests/t/06*): Debian's chromium, node and npm, and the
# npm packages of tests/node/package.json (playwright-core, axe-core). A
# no-op when everything is there; run by mk/deps.sh.
set -eu
cd "$(dirname "$0")/.."
# by command, not by package: node and npm may come from elsewhere (nodesource)
missing=
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
for m in playwright-core axe-core; do
	if [ ! -d "tests/node/node_modules/$m" ]; then
		echo "deps: npm install --prefix tests/node" >&2
		npm install --prefix tests/node --no-audit --no-fund --no-package-lock >/dev/null
		break
	fi
done
