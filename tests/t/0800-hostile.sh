# tests/t/0800-hostile.sh: sourced by the 08xx tests (hostile clients).
# medusa-serve straight on a pipe (one connection on stdin/stdout, the
# peer is "local") and the checks every answer must pass.

# hostile_fixture: a backyard $T/by with a video, a sidecar, web pages, a
# secret beside the backyard and symlinks out of it and in circles.
hostile_fixture() {
	mkbackyard "$T/by"
	mkdir -p "$T/by/a" "$T/web"
	head -c 100000 /dev/urandom > "$T/by/a/v.mp4"
	echo '{"clips": [{"id": "k3v9q2", "start": 1, "end": 2}]}' > "$T/by/a/v.mp4.medusa.json"
	echo '<!doctype html><title>medusa</title>' > "$T/web/index.html"
	echo 'TOPSECRET' > "$T/secret.mp4"
	ln -s ../../secret.mp4 "$T/by/a/link.mp4"
	ln -s /etc "$T/by/etc"
	ln -s loop2 "$T/by/loop1"
	ln -s loop1 "$T/by/loop2"
	ln -s self.mp4 "$T/by/self.mp4"
}

# The exit status of a server run that hung (timeout) or crashed, or
# whose stderr has a sanitizer report, is a failure; so is any byte of
# the secret in an answer.
HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-10}
[ "${MEDUSA_SAN:-}" = 1 ] && HOSTILE_TIMEOUT=30
# for a request that hangs while the bug is there (a FIFO): long enough
# for a fixed server to answer
HANG_TIMEOUT=2
[ "${MEDUSA_SAN:-}" = 1 ] && HANG_TIMEOUT=5

# ask NAME ARGS...: the request in $T/req.NAME goes to medusa-serve ARGS on
# a pipe; the answer lands in $T/ans.NAME, stderr in $T/err.NAME, and the
# status of the first answer in $T/st.NAME ("hang", "crash-N" or "san"
# when the server misbehaved).
ask() {
	_nm=$1; shift
	set +e
	timeout -s KILL "$HOSTILE_TIMEOUT" "$MEDUSA_BIN/medusa-serve" "$@" \
	  < "$T/req.$_nm" > "$T/ans.$_nm" 2> "$T/err.$_nm"
	_rc=$?
	set -e
	if [ $_rc -eq 137 ] || [ $_rc -eq 124 ]; then
		echo hang > "$T/st.$_nm"
	elif grep -q -e AddressSanitizer -e LeakSanitizer -e 'runtime error' "$T/err.$_nm"; then
		echo san > "$T/st.$_nm"
	elif [ $_rc -ge 128 ]; then
		echo "crash-$_rc" > "$T/st.$_nm"
	else
		head -n 1 "$T/ans.$_nm" | tr -d '\r' |
		  sed -n 's|^HTTP/1\.[01] \([0-9][0-9][0-9]\) .*|\1|p' > "$T/st.$_nm"
		[ -s "$T/st.$_nm" ] || echo none > "$T/st.$_nm"
	fi
	cat "$T/st.$_nm"
}

# req NAME PRINTF-FORMAT: writes a request
req() { printf "$2" > "$T/req.$1"; }

# status_in STATUS LIST...: STATUS is one of LIST
status_in() {
	_s=$1; shift
	for _w in "$@"; do [ "$_s" = "$_w" ] && return 0; done
	return 1
}

# expect NAME "WANT..." DESC ARGS...: ask, then the status must be one of WANT
expect() {
	_nm=$1; _want=$2; _d=$3; shift 3
	_got=$(ask "$_nm" "$@")
	# shellcheck disable=SC2086
	if status_in "$_got" $_want; then
		is ok ok "$_d ($_got)"
	else
		is "$_got" "$_want" "$_d"
		head -c 600 "$T/ans.$_nm" "$T/err.$_nm" | sed 's/^/#   /'
	fi
}

# no_secret: no answer so far holds a byte of the secret file
no_secret() { ! cat "$T"/ans.* 2>/dev/null | grep -q TOPSECRET; }
