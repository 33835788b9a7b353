# tests/s3.sh: a real S3 server for the 05xx tests (sourced after
# tests/lib.sh). s3rver from npm on 127.0.0.1, started and stopped here.
#   s3_require                   skip the test when node or s3rver is missing
#   s3_start [-c] BUCKET...      start s3rver (-c: the fork that checks
#                                signatures); exports AWS_* for it
#   s3_stop                      stop it (data stays in $S3_DIR)
#   s3_proxy ARGS...             start tests/s3proxy.py in front of it (see
#                                there) and point AWS_ENDPOINT_URL at it
#   s3_proxy_stop
S3_NODE=$MEDUSA_SRC/tests/node/node_modules
S3_PID= S3_PORT= S3_DIR=$T/s3data S3_PROXY_PID= S3_PROXY_PORT=

s3_require() {
	if ! command -v node >/dev/null 2>&1 || [ ! -f "$S3_NODE/s3rver/bin/s3rver.js" ]; then
		echo "1..0 # SKIP s3rver is not installed (make deps: npm install --prefix tests/node)"
		exit 0
	fi
}

# waits until something answers HTTP on port $1 (at most ~30 s)
s3_wait_port() {
	_i=0
	while ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; do
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || { echo "# nothing listens on port $1" >&2; return 1; }
		sleep 0.1
	done
}

s3_start() {
	_fork=
	if [ "${1:-}" = -c ]; then _fork=1; shift; fi
	_buckets=
	for _b in "$@"; do _buckets="$_buckets --configure-bucket $_b"; done
	[ -n "$S3_PORT" ] || S3_PORT=$(free_port)
	mkdir -p "$S3_DIR"
	if [ -n "$_fork" ]; then
		# shellcheck disable=SC2086
		(cd "$MEDUSA_SRC/tests/node" && exec node --openssl-legacy-provider -e \
		  'require("@20minutes/s3rver/lib/cli.js").parseAsync(["node","s3rver"].concat(process.argv.slice(1)))' \
		  -- -d "$S3_DIR" -a 127.0.0.1 -p "$S3_PORT" $_buckets) >> "$T/s3rver.log" 2>&1 &
	else
		# shellcheck disable=SC2086
		# s3rver 3.7 makes continuation tokens with a cipher OpenSSL 3 hides
		node --openssl-legacy-provider "$S3_NODE/s3rver/bin/s3rver.js" -d "$S3_DIR" -a 127.0.0.1 -p "$S3_PORT" \
		  $_buckets >> "$T/s3rver.log" 2>&1 &
	fi
	S3_PID=$!
	at_exit "s3_stop"
	s3_wait_port "$S3_PORT"
	export AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT" AWS_ACCESS_KEY_ID=S3RVER \
	  AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
	unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION || true
	# fail fast in tests: a dead peer must not cost seconds of backoff
	export MEDUSA_S3_RETRIES="${MEDUSA_S3_RETRIES:-2}" MEDUSA_S3_TIMEOUT="${MEDUSA_S3_TIMEOUT:-10}"
}

s3_stop() {
	if [ -n "$S3_PID" ]; then
		kill "$S3_PID" 2>/dev/null || true
		wait "$S3_PID" 2>/dev/null || true
		S3_PID=
	fi
}

s3_proxy() {
	S3_PROXY_PORT=$(free_port)
	# the parent removes it: a stale "ready" must not pass for this one's
	rm -f "$T/s3proxy.out"
	/usr/bin/python3 "$MEDUSA_SRC/tests/s3proxy.py" "$S3_PROXY_PORT" "$S3_PORT" "$@" \
	  > "$T/s3proxy.out" 2>>"$T/s3proxy.err" &
	S3_PROXY_PID=$!
	at_exit "s3_proxy_stop"
	_i=0
	while ! grep -q ready "$T/s3proxy.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || { echo "# s3proxy did not start" >&2; cat "$T/s3proxy.err" >&2; return 1; }
		sleep 0.1
	done
	export AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PROXY_PORT"
}

s3_proxy_stop() {
	if [ -n "$S3_PROXY_PID" ]; then
		kill "$S3_PROXY_PID" 2>/dev/null || true
		wait "$S3_PROXY_PID" 2>/dev/null || true
		S3_PROXY_PID=
	fi
	[ -z "$S3_PORT" ] || export AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
}

# A local frontyard without the other tools: a metastore with the tables
# medusa-sync reads (schema of medusa-files(5)) and files in a directory.
#   fy_init DIR; fy_add DIR KEY BYTES; fy_del DIR KEY; fy_bump DIR
fy_init() {
	mkdir -p "$1/files"
	sqlite3 "$1/metastore.sqlite" <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('generation', 0), ('updated', 0);
CREATE TABLE renditions (clip INTEGER NOT NULL, profile TEXT NOT NULL, kind TEXT NOT NULL,
  key TEXT NOT NULL, version TEXT NOT NULL, url TEXT NOT NULL, bytes INTEGER NOT NULL,
  hash TEXT NOT NULL, mime TEXT NOT NULL, width INTEGER, height INTEGER, duration REAL,
  start REAL, PRIMARY KEY (clip, profile)) WITHOUT ROWID;
SQL
}
fy_add() {
	mkdir -p "$(dirname "$1/files/$2")"
	head -c "$3" /dev/urandom > "$1/files/$2"
	_h=$(b2sum -l 256 "$1/files/$2" | cut -d' ' -f1)
	_k=$(printf '%s' "$2" | sed "s/'/''/g")
	sqlite3 "$1/metastore.sqlite" "INSERT INTO renditions VALUES ((SELECT coalesce(max(clip), 0) + 1 FROM renditions), 'p', 'video',
	  '$_k', 'v', '', $3, '$_h', 'video/mp4', 1, 1, 1, NULL);
	  UPDATE meta SET value = value + 1 WHERE key = 'generation';"
}
fy_del() {
	_k=$(printf '%s' "$2" | sed "s/'/''/g")
	sqlite3 "$1/metastore.sqlite" "DELETE FROM renditions WHERE key = '$_k';
	  UPDATE meta SET value = value + 1 WHERE key = 'generation';"
	rm -f "$1/files/$2"
}
fy_gen() { sqlite3 "$1/metastore.sqlite" "SELECT value FROM meta WHERE key = 'generation'"; }

# Every key the remote's live generation references is there with its
# hash: the remote serves one whole generation. Prints the generation.
remote_whole() {
	_d=$T/.whole
	rm -rf "$_d"; mkdir -p "$_d"
	medusa-store -s "$1" fetch "$_d/m.sqlite" >/dev/null 2>"$_d/err" || { cat "$_d/err" >&2; return 1; }
	medusa-store -s "$1" keys -m "$_d/m.sqlite" > "$_d/keys" || return 1
	jq -r .key "$_d/keys" > "$_d/list"
	if [ -s "$_d/list" ]; then
		medusa-store -s "$1" stat - < "$_d/list" > "$_d/stat" 2>/dev/null || true
	fi
	_want=$(jq -r '[.key, .hash] | @tsv' "$_d/keys" | sort)
	_got=$(jq -r 'select(.hash) | [.key, .hash] | @tsv' "$_d/stat" 2>/dev/null | sort)
	[ "$_want" = "$_got" ] || { echo "# remote misses files of its generation" >&2; return 1; }
	sqlite3 "$_d/m.sqlite" "SELECT value FROM meta WHERE key = 'generation'"
}
