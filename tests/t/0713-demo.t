#!/bin/sh
# make demo (examples/demo.sh): it reconciles the demo backyard, and its last
# two lines are the commands that serve the editor and the gallery; pasted
# (on free ports), they answer / with the pages and the APIs with the demo.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v tcpserver >/dev/null || { echo "1..0 # SKIP no tcpserver (ucspi-tcp)"; exit 0; }
D="$T/de mo"
ok "demo.sh" sh "$MEDUSA_SRC/examples/demo.sh" "$D"
lastout | tail -2 > "$T/cmds"
like "$(sed -n 1p "$T/cmds")" '^tcpserver .* 8080 .*medusa-serve backyard -C .* &$' "the editor's command"
like "$(sed -n 2p "$T/cmds")" '^tcpserver .* 8081 .*medusa-serve frontyard -C .* &$' "the gallery's command"
like "$(lastout | tail -3 | head -1)" 'http://127.0.0.1:8080/.*http://127.0.0.1:8081/' "and where to open them"
pb=$(free_port) pf=$(free_port)
sed "s/ 8080 / $pb /; s/ 8081 / $pf /" "$T/cmds" > "$T/cmds.sh"
echo 'echo $! > "$1/pids"' >> "$T/cmds.sh"
# both servers from one shell, as pasted; the pids of the two jobs kept
sh -c '. "$1/cmds.sh"; jobs -p > "$1/pids"; wait' sh "$T" 2>/dev/null &
at_exit "for p in \$(cat '$T/pids' 2>/dev/null); do kill \$p 2>/dev/null; done; kill $! 2>/dev/null || :"
for p in $pb $pf; do
	i=0; until curl -s -o /dev/null "http://127.0.0.1:$p/"; do i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1; done
done
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pb/")" 200 "the editor's page"
is "$(curl -s "http://127.0.0.1:$pb/api/videos" | jq '.videos | length')" 5 "the editor sees the demo's five videos"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pf/")" 200 "the gallery's page"
is "$(curl -s "http://127.0.0.1:$pf/api/clips" | jq .total)" \
  "$(sqlite3 "$D/frontyard/metastore.sqlite" 'SELECT count(*) FROM clips')" "the gallery lists every published clip"
done_testing
