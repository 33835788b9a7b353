#!/bin/sh
# medusa-serve frontyard with a remote metastore and no -c keeps its copy in
# $CACHE_DIRECTORY (systemd's CacheDirectory=), else $XDG_CACHE_HOME/medusa,
# else ~/.cache/medusa, made when missing; with none of them it says what is
# missing. The remote here answers nothing, so the copy is named in the
# message and the request gets a 503, never a listing made up.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
port=$(free_port)   # nothing listens there
remote=http://127.0.0.1:$port/gallery/
get() {  # get ENV...: one request, the status line; the messages in $T/err
	printf 'GET /api/clips HTTP/1.0\r\n\r\n' |
	    env -u CACHE_DIRECTORY -u XDG_CACHE_HOME "$@" medusa-serve frontyard -m "$remote" 2>"$T/err" | head -1
}
like "$(get HOME="$T/home" CACHE_DIRECTORY="$T/sd" XDG_CACHE_HOME="$T/xdg")" '^HTTP/1.0 503' "no remote: 503"
like "$(cat "$T/err")" "$T/sd/metastore.sqlite" "CACHE_DIRECTORY first"
ok "made" test -d "$T/sd"
get HOME="$T/home" CACHE_DIRECTORY="$T/sd2:$T/other" >/dev/null
like "$(cat "$T/err")" "$T/sd2/metastore.sqlite" "the first of several CACHE_DIRECTORY entries"
get HOME="$T/home" XDG_CACHE_HOME="$T/xdg" >/dev/null
like "$(cat "$T/err")" "$T/xdg/medusa/metastore.sqlite" "then XDG_CACHE_HOME/medusa"
get HOME="$T/home" XDG_CACHE_HOME=relative >/dev/null
like "$(cat "$T/err")" "$T/home/.cache/medusa/metastore.sqlite" "a relative XDG_CACHE_HOME is ignored: ~/.cache/medusa"
ok "made" test -d "$T/home/.cache/medusa"
fails "none of them: usage error" 2 env -u HOME -u CACHE_DIRECTORY -u XDG_CACHE_HOME medusa-serve frontyard -m "$remote"
like "$(lasterr)" "needs a cache directory (-c, CACHE_DIRECTORY, XDG_CACHE_HOME or HOME)" "says what is missing"
ok "-c still wins" sh -c "printf 'GET /api/clips HTTP/1.0\r\n\r\n' | CACHE_DIRECTORY='$T/sd' medusa-serve frontyard -m '$remote' -c '$T/given' 2>&1 | grep -q '$T/given/metastore.sqlite'"
done_testing
