# tests/lib.sh: shared by the shell tests (sourced). Every test:
#   . "$MEDUSA_SRC/tests/lib.sh"
# gets set -eu, LC_ALL=C, a work area $T removed on exit, PATH with the
# tools under test first, and TAP helpers.
set -eu
LC_ALL=C
export LC_ALL
: "${MEDUSA_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MEDUSA_BIN:=$MEDUSA_SRC/build}"
PATH="$MEDUSA_BIN:$PATH"
export PATH MEDUSA_SRC MEDUSA_BIN
unset MEDUSA_BACKYARD MEDUSA_TOKEN || true
# ASan: leaks in the media libraries are not ours to fix
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$MEDUSA_SRC/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
T=$(mktemp -d "${TMPDIR:-/tmp}/medusa-test.XXXXXX")
_cleanups=
cleanup() { eval "$_cleanups"; rm -rf "$T"; }
at_exit() { _cleanups="$1; $_cleanups"; }
# on a signal, exit (which runs the EXIT trap once) instead of going on
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_n=0
_failed=0
plan() { echo "1..$1"; }
ok() {  # ok DESCRIPTION COMMAND...
	_d=$1; shift
	_n=$((_n + 1))
	if "$@" >"$T/.out" 2>"$T/.err"; then
		echo "ok $_n - $_d"
	else
		echo "not ok $_n - $_d"; _failed=$((_failed + 1))
		sed 's/^/#   /' "$T/.out" "$T/.err" | head -40
	fi
}
fails() {  # fails DESCRIPTION EXPECTED_STATUS COMMAND...: must exit with that status
	_d=$1; _want=$2; shift 2
	_n=$((_n + 1))
	set +e; "$@" >"$T/.out" 2>"$T/.err"; _st=$?; set -e
	if [ "$_st" = "$_want" ]; then
		echo "ok $_n - $_d"
	else
		echo "not ok $_n - $_d (exit $_st, want $_want)"; _failed=$((_failed + 1))
		sed 's/^/#   /' "$T/.out" "$T/.err" | head -40
	fi
}
# the last command's stderr / stdout (from ok or fails)
lasterr() { cat "$T/.err"; }
lastout() { cat "$T/.out"; }
is() {  # is GOT WANT DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_n - $3"; else
		echo "not ok $_n - $3"; _failed=$((_failed + 1))
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}
like() {  # like TEXT GREP-PATTERN DESCRIPTION
	_n=$((_n + 1))
	if printf '%s\n' "$1" | grep -q -e "$2"; then echo "ok $_n - $3"; else
		echo "not ok $_n - $3"; _failed=$((_failed + 1))
		printf '%s\n' "$1" | head -20 | sed 's/^/#   /'; printf '#   want match: %s\n' "$2"; fi
}
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1:0")->sockport,"\n"'
}

# Small test videos from lavfi sources: mkvideo OUT [SECONDS] [extra ffmpeg args]
mkvideo() {
	_out=$1; _secs=${2:-2}; shift; [ $# -gt 0 ] && shift
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=320x240:rate=25:duration=$_secs" \
	  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$_secs" \
	  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 -c:a aac -b:a 64k -shortest "$@" "$_out"
}

# A backyard with the example config: mkbackyard DIR
mkbackyard() {
	mkdir -p "$1"
	cat > "$1/backyard.medusa.json" <<'JSON'
{
  "tags": {
    "place":  {"type": "string"},
    "people": {"type": "list"},
    "rating": {"type": "integer", "default": 3},
    "kind":   {"type": "enum", "values": ["family", "travel", "nature", "other"], "default": "other", "required": true},
    "public": {"type": "boolean", "default": false}
  },
  "profiles": {
    "360p":   {"kind": "video", "container": "mp4", "codec": "h264", "height": 360, "crf": 28, "preset": "ultrafast", "audio": "aac", "audio_bitrate": 64000},
    "poster": {"kind": "image", "format": "jpeg", "width": 160, "at": 0.5}
  }
}
JSON
}

# A listing of a tree (names, types, sizes, modes, contents' hashes), to
# assert that a failed command changed nothing: snapshot DIR > FILE
snapshot() {
	(cd "$1" && find . -printf '%p %y %s %m %l\n' | sort &&
	  find . -type f -exec md5sum {} + | sort)
}

# Runs a command as an unprivileged user, so that file modes apply even
# when the tests run as root (root ignores them). The paths it needs must
# be reachable by that user.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
	else
		"$@"
	fi
}
