#!/bin/sh
# The sandbox of medusa-serve stops a request that tries to escape. A
# request cannot be made to escape on purpose (that would be a bug to fix),
# so a preloaded library plays the compromised request path: on the first
# sendfile(2) of an answer it tries to write outside the writable trees,
# to make a socket, to ptrace another process and to run a shell, then
# lets the answer go out. Without the sandbox (a control run in another
# program) every attempt succeeds; inside medusa-serve each is refused and
# the answer still arrives whole.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
. "$MEDUSA_SRC/tests/t/0800-hostile.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || { echo "1..0 # SKIP no C compiler to build the escaping library"; exit 0; }
python3 -c 'import os; os.sendfile' 2>/dev/null || { echo "1..0 # SKIP python3 with os.sendfile is needed for the control"; exit 0; }

cat > "$T/escape.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
static void say(const char *what, long rc)
{
	dprintf(2, "escape %s: %s\n", what, rc >= 0 ? "done" : strerror(errno));
}
static void escape(void)
{
	const char *out = getenv("ESCAPE_OUT"), *in = getenv("ESCAPE_IN"), *pid = getenv("ESCAPE_PID");
	int fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	say("write-outside", fd);
	if (fd >= 0) close(fd);
	fd = open(in, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	say("write-inside", fd);
	if (fd >= 0) close(fd);
	say("socket", socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	long p = ptrace(PTRACE_SEIZE, atoi(pid), NULL, NULL);
	say("ptrace", p);
	if (p == 0) ptrace(PTRACE_DETACH, atoi(pid), NULL, NULL);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "echo escaped > '%s.exec'", out);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	say("exec", -1);
}
typedef ssize_t (*sendfile_fn)(int, int, off_t *, size_t);
static ssize_t hooked(const char *name, int o, int i, off_t *off, size_t n)
{
	static int once;
	sendfile_fn real = (sendfile_fn)dlsym(RTLD_NEXT, name);
	if (!once++ && getenv("ESCAPE_OUT"))
		escape();
	return real(o, i, off, n);
}
ssize_t sendfile(int o, int i, off_t *off, size_t n) { return hooked("sendfile", o, i, off, n); }
/* what a program built with 64-bit offsets (python) calls */
ssize_t sendfile64(int o, int i, off_t *off, size_t n) { return hooked("sendfile64", o, i, off, n); }
C
"$CC" -shared -fPIC -O1 -o "$T/escape.so" "$T/escape.c" -ldl
# an ASan build wants its runtime first; this library has none
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

# a process to ptrace: ours, stopped by nothing but a tracer
sleep 300 &
victim=$!
at_exit "kill $victim 2>/dev/null || true"
export ESCAPE_PID=$victim

# escape_run NAME OUT IN COMMAND...: the library in COMMAND, attempts
# logged to $T/esc.NAME
escape_run() {
	_nm=$1; ESCAPE_OUT=$2 ESCAPE_IN=$3; shift 3
	export ESCAPE_OUT ESCAPE_IN
	LD_PRELOAD=$T/escape.so "$@" 2> "$T/esc.$_nm" || true
	unset ESCAPE_OUT ESCAPE_IN
}
said() { grep "^escape $2: " "$T/esc.$1" | sed 's/^[^:]*: //'; }

# what this kernel has: the sandbox leaves out what it lacks (and -v says
# so), and so do these checks, with a skip that says why
ll_abi=$(python3 -c 'import ctypes; print(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1))' 2>/dev/null) || ll_abi=-1
has_seccomp=
grep -q '^Seccomp:' /proc/self/status && has_seccomp=1
# with landlock|seccomp CHECK ARGS...: the check, or a skip naming what is missing
with() {
	_k=$1; shift
	if { [ "$_k" = landlock ] && [ "$ll_abi" -ge 1 ]; } || { [ "$_k" = seccomp ] && [ -n "$has_seccomp" ]; }; then
		"$@"
	else
		_n=$((_n + 1)); echo "ok $_n # skip this kernel has no $_k"
	fi
}

# --- the control: the same library in a program without a sandbox ---
mkdir -p "$T/ctl"
echo data > "$T/ctl/src"
escape_run ctl "$T/ctl/out" "$T/ctl/in" python3 -c \
  'import os, sys; f = os.open(sys.argv[1], os.O_RDONLY); os.sendfile(1, f, 0, 5)' "$T/ctl/src" > /dev/null
is "$(said ctl write-outside)" done "control: the library writes where it likes"
is "$(said ctl socket)" done "control: it makes a socket"
is "$(said ctl ptrace)" done "control: it traces another process"
ok "control: it runs a shell" test -s "$T/ctl/out.exec"

# --- the backyard: writes only in the backyard ---
hostile_fixture
mkdir -p "$T/elsewhere"
req media "GET /media/a/v.mp4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
escape_run by "$T/elsewhere/out" "$T/by/a/in" "$MEDUSA_BIN/medusa-serve" backyard -v -C "$T/by" -w "$T/web" \
  < "$T/req.media" > "$T/ans.by"
like "$(head -n 1 "$T/ans.by")" "HTTP/1.1 200" "backyard: the video is served"
sed '1,/^\r$/d' "$T/ans.by" > "$T/body.by"
ok "backyard: whole" cmp "$T/body.by" "$T/by/a/v.mp4"
with landlock like "$(said by write-outside)" "Permission denied" "backyard: no file written outside the backyard (Landlock)"
with landlock ok "backyard: none there" test ! -e "$T/elsewhere/out"
is "$(said by write-inside)" done "backyard: the sidecar tree stays writable"
with seccomp is "$(said by socket)" "Operation not permitted" "backyard: no socket (seccomp)"
with seccomp is "$(said by ptrace)" "Operation not permitted" "backyard: no ptrace"
with seccomp is "$(said by exec)" "Operation not permitted" "backyard: no exec"
with seccomp ok "backyard: the shell never ran" test ! -e "$T/elsewhere/out.exec"
with landlock like "$(grep '^medusa-serve: sandbox' "$T/esc.by")" "Landlock ABI [0-9]*: read-only but for $T/by, $T/frontyard/cache; seccomp: no exec" \
  "backyard: -v says what applies"
with seccomp like "$(sed -n 's/^State:[[:space:]]*//p' /proc/$victim/status)" '^S' "the other process was never stopped"

# --- the frontyard: writes only in its cache; the storage is read-only ---
clip k1 a/one.mp4 0 2 '{"place":"Kyoto","kind":"travel"}' > "$T/recs"
medusa-publish -C "$T/by" -q < "$T/recs" > /dev/null
key=$(cd "$T/frontyard/files" && find clips -name '*.mp4' | head -n 1)
req file "GET /files/$key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
escape_run fy "$T/frontyard/files/out" "$T/frontyard/cache/in" "$MEDUSA_BIN/medusa-serve" frontyard -v -C "$T/by" \
  < "$T/req.file" > "$T/ans.fy"
like "$(head -n 1 "$T/ans.fy")" "HTTP/1.1 200" "frontyard: the file is served"
with landlock like "$(said fy write-outside)" "Permission denied" "frontyard: nothing written into the storage"
with landlock ok "frontyard: none there" test ! -e "$T/frontyard/files/out"
is "$(said fy write-inside)" done "frontyard: the cache directory stays writable"
with seccomp is "$(said fy socket)" "Operation not permitted" "frontyard: no socket"
with seccomp is "$(said fy exec)" "Operation not permitted" "frontyard: no exec"
with landlock like "$(grep '^medusa-serve: sandbox' "$T/esc.fy")" "but for $T/frontyard/metastore.sqlite-wal, $T/frontyard/metastore.sqlite-shm, $T/frontyard/cache;" \
  "frontyard: writable are the cache and the metastore's -wal and -shm files, nothing else"
ok "no sanitizer report" sh -c "! grep -q -e AddressSanitizer -e 'runtime error' '$T/esc.by' '$T/esc.fy'"
done_testing
