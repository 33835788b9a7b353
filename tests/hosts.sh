# tests/hosts.sh: hosts for the tests of medusa-reconcile -S (sourced after
# tests/lib.sh). Each host is Debian's sshd in a PID and mount namespace of
# its own (unshare), listening on a free port of 127.0.0.1: its own /root
# (so ~/.parallel is its own), its own /run, its own PATH (SetEnv) with its
# own medusa-cut, and the folders given to hosts_hide do not exist there.
# Killing a host's sshd (PID 1 of its namespace) kills every job on it.
#
#   hosts_hide DIR...      an empty folder on every host: nothing below it
#                          exists there (call before hosts_start)
#   hosts_share I SRC DST  host I sees folder SRC (hidden or not) at DST, an
#                          empty folder here (call before hosts_start)
#   hosts_without I CMD... host I has not got these programs (/dev/null
#                          over each: not executable; before hosts_start)
#   hosts_start N          hosts h1..hN; PARALLEL_SSH reaches them by name
#   hosts_bin I            the folder on host I's PATH (medusa-cut is there)
#   hosts_kill I           kill -9 host I: its sshd and every job on it
#   hosts_stop             all of them (also at exit)
#   hosts_yard DIR         a backyard config with tiny profiles (a 72p
#                          H.264 MP4 and a 64 px poster)
# A test that cannot make namespaces or has no sshd skips with a reason.

hosts_skip() { echo "1..0 # SKIP $1"; exit 0; }

hosts_yard() {
	mkdir -p "$1"
	cat > "$1/backyard.medusa.json" <<'JSON'
{
  "tags": {"place": {"type": "string"}},
  "profiles": {
    "tiny":   {"kind": "video", "container": "mp4", "codec": "h264", "height": 72,
               "crf": 35, "preset": "ultrafast", "audio": "aac", "audio_bitrate": 32000},
    "poster": {"kind": "image", "format": "jpeg", "width": 64, "at": 0.2}
  }
}
JSON
}

hosts_check() {
	[ "$(id -u)" -eq 0 ] || hosts_skip "hosts need root (namespaces, sshd)"
	for c in unshare ssh ssh-keygen parallel rsync; do
		command -v $c >/dev/null || hosts_skip "no $c (mk/deps.sh installs it)"
	done
	[ -x /usr/sbin/sshd ] || hosts_skip "no sshd (openssh-server)"
	unshare --fork --pid --mount-proc --mount --propagation private true 2>/dev/null ||
	    hosts_skip "this machine cannot make PID and mount namespaces"
}

HOSTS_DIR=$T/hosts
_hosts_hide=
hosts_hide() { for d; do _hosts_hide="$_hosts_hide $(printf '%s' "$d" | base64 -w0)"; done; }
hosts_share() {
	mkdir -p "$3"
	eval "_hosts_share_$1=\"\${_hosts_share_$1:-} $(printf '%s' "$2" | base64 -w0):$(printf '%s' "$3" | base64 -w0)\""
}
hosts_without() {
	_hwo=$1; shift
	for _c; do
		eval "_hosts_without_$_hwo=\"\${_hosts_without_$_hwo:-} $(command -v "$_c" | base64 -w0)\""
	done
}

# The PID of the process that is PID 1 in host I's namespace (its sshd).
_hosts_init() { cat "/proc/$1/task/$1/children" 2>/dev/null | cut -d' ' -f1; }

hosts_start() {
	hosts_check
	mkdir -p "$HOSTS_DIR"
	ssh-keygen -q -t ed25519 -N '' -f "$HOSTS_DIR/id" -C medusa-test
	: > "$HOSTS_DIR/known_hosts"
	: > "$HOSTS_DIR/ssh_config"
	_i=1
	while [ "$_i" -le "$1" ]; do
		_hosts_one "$_i"
		_i=$((_i + 1))
	done
	cat >> "$HOSTS_DIR/ssh_config" <<EOF
Host *
	User root
	IdentityFile $HOSTS_DIR/id
	IdentitiesOnly yes
	UserKnownHostsFile $HOSTS_DIR/known_hosts
	StrictHostKeyChecking yes
	BatchMode yes
	LogLevel ERROR
	ConnectTimeout 20
	ControlMaster no
EOF
	PARALLEL_SSH="ssh -F $HOSTS_DIR/ssh_config"
	export PARALLEL_SSH
	at_exit hosts_stop
	_i=1
	while [ "$_i" -le "$1" ]; do
		_hosts_wait "$_i"
		_i=$((_i + 1))
	done
}

_hosts_one() {
	_h=$HOSTS_DIR/h$1
	mkdir -p "$_h/bin"
	printf '#!/bin/sh\nexec "%s/medusa-cut" "$@"\n' "$MEDUSA_BIN" > "$_h/bin/medusa-cut"
	chmod +x "$_h/bin/medusa-cut"
	ssh-keygen -q -t ed25519 -N '' -f "$_h/host_key" -C "h$1"
	_p=$(free_port)
	echo "$_p" > "$_h/port"
	printf '[127.0.0.1]:%s %s\n' "$_p" "$(cut -d' ' -f1,2 "$_h/host_key.pub")" >> "$HOSTS_DIR/known_hosts"
	printf 'Host h%s\n\tHostName 127.0.0.1\n\tPort %s\n' "$1" "$_p" >> "$HOSTS_DIR/ssh_config"
	cat > "$_h/sshd_config" <<EOF
ListenAddress 127.0.0.1:$_p
HostKey $_h/host_key
PidFile $_h/sshd.pid
AuthorizedKeysFile $HOSTS_DIR/id.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
LogLevel ERROR
SetEnv PATH=$_h/bin:/usr/bin:/bin ASAN_OPTIONS=$ASAN_OPTIONS LSAN_OPTIONS=$LSAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS
EOF
	# inside: a /root and /run of its own, the shares, then an empty
	# tmpfs over each hidden folder, /dev/null over each missing program
	eval "_sh=\${_hosts_share_$1:-} _wo=\${_hosts_without_$1:-}"
	unshare --fork --pid --mount-proc --mount --propagation private -- sh -c '
		set -e
		mount -t tmpfs -o mode=700 tmpfs /root
		mount -t tmpfs -o mode=755 tmpfs /run
		mkdir -m 755 /run/sshd
		for b in $3; do
			mount --bind "$(printf %s "${b%%:*}" | base64 -d)" "$(printf %s "${b#*:}" | base64 -d)"
		done
		for d in $1; do
			d=$(printf %s "$d" | base64 -d)
			mount -t tmpfs -o mode=755 tmpfs "$d"
		done
		for c in $4; do
			mount --bind /dev/null "$(printf %s "$c" | base64 -d)"
		done
		exec /usr/sbin/sshd -D -e -f "$2"' sh "$_hosts_hide" "$_h/sshd_config" "$_sh" "$_wo" \
	    > "$_h/sshd.log" 2>&1 &
	echo $! > "$_h/unshare.pid"
}

# until host I answers over ssh (at most a minute: a loaded machine)
_hosts_wait() {
	_hw=0
	until $PARALLEL_SSH "h$1" true 2>/dev/null; do
		_hw=$((_hw + 1))
		if [ "$_hw" -gt 300 ] || ! kill -0 "$(cat "$HOSTS_DIR/h$1/unshare.pid")" 2>/dev/null; then
			echo "# host h$1 did not start:"; sed 's/^/#   /' "$HOSTS_DIR/h$1/sshd.log"
			exit 1
		fi
		sleep 0.2
	done
}

hosts_bin() { echo "$HOSTS_DIR/h$1/bin"; }

hosts_kill() {
	_u=$(cat "$HOSTS_DIR/h$1/unshare.pid" 2>/dev/null) || return 0
	_c=$(_hosts_init "$_u")
	[ -n "$_c" ] && kill -9 "$_c" 2>/dev/null
	# unshare exits once its child is gone
	while kill -0 "$_u" 2>/dev/null; do sleep 0.05; done
	rm -f "$HOSTS_DIR/h$1/unshare.pid"
}

hosts_stop() {
	for _f in "$HOSTS_DIR"/h*/unshare.pid; do
		[ -f "$_f" ] || continue
		_hd=${_f%/unshare.pid}
		hosts_kill "${_hd##*/h}"
	done
}
