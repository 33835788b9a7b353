# tests/web/lib.sh: sourced by the browser tests (tests/t/06NN-*.t) after
# tests/lib.sh. Skips the whole test, with the reason, when a part it needs
# is missing; starts medusa-serve under tcpserver on 127.0.0.1.
web_skip() { echo "1..0 # SKIP $1"; exit 0; }

web_require() {
	[ -x "$MEDUSA_BIN/medusa-serve" ] || web_skip "medusa-serve is not built"
	command -v tcpserver >/dev/null 2>&1 || web_skip "tcpserver (ucspi-tcp) is not installed"
	command -v node >/dev/null 2>&1 || web_skip "node is not installed"
	CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
	[ -x "$CHROMIUM" ] || web_skip "chromium is not installed ($CHROMIUM)"
	for m in playwright-core axe-core; do
		[ -d "$MEDUSA_SRC/tests/node/node_modules/$m" ] ||
			web_skip "npm package $m is missing: npm install --prefix tests/node"
	done
	WEB_OUT=${WEB_OUT:-$MEDUSA_BIN/test-out/web}
	mkdir -p "$WEB_OUT"
	export CHROMIUM WEB_OUT
}

# web_serve MODE ARGS...: medusa-serve MODE ARGS under tcpserver on a free
# port; sets BASE and stops the server when the test exits.
web_serve() {
	_mode=$1; shift
	_port=$(free_port)
	tcpserver -R -H -c 20 127.0.0.1 "$_port" \
	    medusa-serve "$_mode" -w "$MEDUSA_SRC/web/$_mode" "$@" >"$T/serve.out" 2>"$T/serve.err" &
	_pid=$!
	at_exit "kill $_pid 2>/dev/null; wait $_pid 2>/dev/null || true"
	BASE=http://127.0.0.1:$_port
	# ready when it answers (tcpserver may still be starting); the deadline
	# only matters when the server is truly broken
	_end=$(($(date +%s) + ${MEDUSA_WEB_READY:-60}))
	until curl -sf --max-time 10 -o /dev/null "$BASE/api/tags"; do
		if [ "$(date +%s)" -ge $_end ] || ! kill -0 $_pid 2>/dev/null; then
			echo "1..1"
			echo "not ok 1 - medusa-serve $_mode answers on $BASE"
			sed 's/^/#   /' "$T/serve.err"
			exit 1
		fi
		sleep 0.1
	done
	export BASE
}

# With WEB_DOCS=1, the main screenshots also go to docs/screenshots as small
# palette PNGs for the README: web_docshots NAME...  (NAME as in $WEB_OUT)
web_docshots() {
	[ "${WEB_DOCS:-}" = 1 ] || return 0
	mkdir -p "$MEDUSA_SRC/docs/screenshots"
	for _s in "$@"; do
		ffmpeg -nostdin -loglevel error -y -i "$WEB_OUT/$_s.png" \
		    -vf 'scale=800:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=96[p];[b][p]paletteuse=dither=none' \
		    "$MEDUSA_SRC/docs/screenshots/$(echo "$_s" | tr / -).png"
	done
}
