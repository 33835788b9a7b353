#!/bin/sh
# Install the Debian packages medusa needs to build and test; a no-op when
# every one is there.
set -eu
sh "$(dirname "$0")/deps-web.sh"
pkgs="build-essential pkg-config clang libjson-c-dev libsqlite3-dev
libcurl4-openssl-dev libavformat-dev libavcodec-dev libavfilter-dev
libavutil-dev libswscale-dev libswresample-dev libsodium-dev ffmpeg mandoc
sqlite3 jq curl perl util-linux openbsd-inetd ucspi-tcp lighttpd time e2fsprogs
wrk python3-botocore libclang-rt-14-dev man-db python3 zzuf slowhttptest openssl xxd doona strace
libexpat1-dev libssl-dev debhelper dpkg-dev lintian devscripts equivs libseccomp-dev nftables
parallel rsync openssh-client openssh-server bsdutils"
missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	case $st in *" installed") ;; *) missing="$missing $p" ;; esac
done
# npm packages of the tests (tests/node/package.json): a no-op when present
if command -v npm >/dev/null 2>&1 && [ -f tests/node/package.json ] &&
    ! npm ls --prefix tests/node >/dev/null 2>&1; then
	npm install --prefix tests/node --no-audit --no-fund >/dev/null
fi
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
