#!/bin/sh
# The README's tour works line by line when pasted: each line runs in one
# shell, in order, from the source tree, and exits 0 (with /tmp/ this
# test's folder, the port a free one, and build/ the tools under test).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v tcpserver >/dev/null || { echo "1..0 # SKIP no tcpserver (ucspi-tcp)"; exit 0; }
port=$(free_port)
awk '/^A tour$/ { t = 1; next } t && /^[A-Z]/ && !/^After/ { exit }
	t && /^    / { sub(/^    /, ""); print }' "$MEDUSA_SRC/README" |
    sed -e "s|/tmp/|$T/|g" -e "s| 8080 | $port |; s|:8080/|:$port/|" \
        -e "s|\$PWD/build|$MEDUSA_BIN|" > "$T/tour"
ok "the tour has its lines" test "$(grep -c . "$T/tour")" -ge 10
# one line at a time in one shell; after a server, wait for its port
{
	echo "cd '$MEDUSA_SRC'"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		case $line in '#'*) continue ;; esac
		printf '%s\n' "$line" > "$T/line.$n"
		printf '{ %s\n} > "%s/out.%s" 2> "%s/err.%s"; echo $? > "%s/st.%s"\n' "$line" "$T" $n "$T" $n "$T" $n
		case $line in tcpserver*'&'*) echo "echo \$! > '$T/server'; i=0; until curl -s -o /dev/null http://127.0.0.1:$port/; do i=\$((i + 1)); [ \$i -lt 300 ] || break; sleep 0.1; done" ;; esac
	done < "$T/tour"
} > "$T/tour.sh"
at_exit "[ -s '$T/server' ] && kill \$(cat '$T/server') 2>/dev/null || :"
sh "$T/tour.sh" < /dev/null > /dev/null 2>&1 || :
for n in $(ls "$T" | sed -n 's/^line\.//p' | sort -n); do
	f=$T/line.$n
	is "$(cat "$T/st.$n" 2>/dev/null || echo none)" 0 "tour line $n: $(cut -c1-60 "$f")"
	[ "$(cat "$T/st.$n" 2>/dev/null)" = 0 ] || cat "$T/err.$n" 2>/dev/null | head -5 | sed 's/^/#   /'
done
is "$(jq -sc 'map(select(.clip == null))' "$T/out.7" 2>/dev/null)" "[]" "the jq line prints clips only, no summary record"
is "$(jq -s '.[0].total' "$T/out.12" 2>/dev/null)" \
  "$(sqlite3 "$T/frontyard/metastore.sqlite" "SELECT count(*) FROM clips c JOIN tags t ON t.clip = c.n WHERE t.name = 'kind' AND t.value = 'travel'")" \
  "curl lists the travel clips"
done_testing
