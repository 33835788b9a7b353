#!/bin/sh
# medusa-serve and medusa-recache: usage and configuration errors exit 2
# with a message naming the problem; the server then writes nothing.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
mkbackyard "$T/by"
req() { printf 'GET /api/tags HTTP/1.0\r\n\r\n'; }

fails "no mode" 2 medusa-serve
like "$(lasterr)" "^usage: medusa-serve" "usage"
fails "an unknown mode" 2 medusa-serve sideyard
fails "an unknown option" 2 medusa-serve backyard -Z
fails "a bad timeout" 2 medusa-serve backyard -C "$T/by" -t 0
like "$(lasterr)" "medusa-serve: -t: 0: want seconds" "names the option"
fails "a bad body cap" 2 medusa-serve backyard -C "$T/by" -b 12x
fails "a missing web directory" 2 medusa-serve backyard -C "$T/by" -w "$T/nope"
like "$(lasterr)" "medusa-serve: $T/nope: web directory: not a directory" "names it"
fails "no backyard" 2 medusa-serve backyard -C "$T"
like "$(lasterr)" "not a backyard" "says so"
echo short > "$T/tok"
fails "a short token" 2 medusa-serve backyard -C "$T/by" -a "$T/tok"
like "$(lasterr)" "medusa-serve: $T/tok: token file: a token needs at least 16 characters" "names the file"
fails "a missing token file" 2 medusa-serve backyard -C "$T/by" -a "$T/none"
MEDUSA_TOKEN=short fails "a short MEDUSA_TOKEN" 2 medusa-serve backyard -C "$T/by"
echo garbage > "$T/bad.pub"
fails "a bad public key" 2 medusa-serve frontyard -C "$T/by" -k "$T/bad.pub"
like "$(lasterr)" "medusa-serve: $T/bad.pub: not a medusa recache public key" "names the key"
fails "a remote metastore without a cache directory" 2 env -u HOME -u XDG_CACHE_HOME -u CACHE_DIRECTORY medusa-serve frontyard -m https://cdn.example/x/
like "$(lasterr)" "needs a cache directory" "says what is missing"
req | medusa-serve backyard -C "$T/by" -t 0 > "$T/out" 2>/dev/null || true
is "$(wc -c < "$T/out" | tr -d ' ')" 0 "nothing is written on a usage error"
req | medusa-serve backyard -C "$T/by" > "$T/out"
like "$(head -1 "$T/out")" "^HTTP/1.0 200 OK" "one request on stdin and stdout"

fails "recache: no url" 2 medusa-recache -C "$T/by"
like "$(lasterr)" "^usage: medusa-recache" "usage"
fails "recache: no key yet" 2 medusa-recache -C "$T/by" http://127.0.0.1:9/
like "$(lasterr)" "medusa-recache: $T/frontyard/recache.key: No such file" "names the key file"
medusa-recache -g "$T/k" 2>/dev/null
echo garbage > "$T/k2"; chmod 600 "$T/k2"
fails "recache: a bad secret key" 2 medusa-recache -k "$T/k2" http://127.0.0.1:9/
like "$(lasterr)" "not a medusa recache secret key" "says so"
fails "recache: a bad -G" 2 medusa-recache -k "$T/k/recache.key" -G x http://127.0.0.1:9/
fails "recache: -g with a url" 2 medusa-recache -g "$T/k3" http://127.0.0.1:9/
ok "recache: -g with a url made nothing" test ! -e "$T/k3"
done_testing
