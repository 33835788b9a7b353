#!/bin/sh
# Every EXAMPLES block of every man page works when pasted, against the
# demo backyard: commands run in order in one shell per page (so a cd or an
# export carries on to the next block), JSON is parsed, a Makefile rule is
# made for the demo's videos, a crontab line runs its command and an inetd.conf
# line its program with one request on stdin. A page that makes the demo
# itself (examples/mkdemo.sh) starts in the source tree; the others start at
# the root of a reconciled demo backyard, as their text says.
# What a pasted example meets here instead of the outside world:
#   /tmp/                     this test's folder for the page
#   ~/videos, $HOME/videos    the demo backyard;  /srv/medusa/  its frontyard
#   /usr/local/bin/           the tools under test;  /var/lib/medusa/  a folder
#   ports 8080, 8081          free ports (a server started without & is
#                             started in the background; each is waited for)
#   s3://, 127.0.0.1:4568 and :9000, AKIA... keys
#                             s3rver with every bucket the page names
#   https://NAME.example.com/ a frontyard replica of that page's S3 gallery
# and the files a page's reader is assumed to have (fixtures below).
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
. "$MEDUSA_SRC/tests/t/0200-cut.sh"
have_s3=1
{ command -v node >/dev/null && [ -f "$S3_NODE/s3rver/bin/s3rver.js" ]; } || have_s3=

# blocks that exit 1 by design: "page:block" (a diff that finds the change,
# a check that finds the bad record)
exit1="medusa-scan.1:4 medusa-tags.1:3"

# the servers the pages and their fixtures start, stopped however the test ends
at_exit 'for pid in $(cat "$T"/*/pids 2>/dev/null); do kill "$pid" 2>/dev/null || :; done'

# the demo, reconciled once, copied for each page
mkdir -p "$T/demo0"
sh "$MEDUSA_SRC/examples/mkdemo.sh" "$T/demo0/demo"
medusa-reconcile -q -C "$T/demo0/demo"

# man_blocks PAGE OUT: each literal block of EXAMPLES into OUT.N, roff
# escapes undone; prints the number of blocks
man_blocks() {
	awk -v out="$2" '
		/^\.Sh / { ex = ($2 == "EXAMPLES") }
		ex && /^\.Bd -literal/ { n++; inb = 1; printf "" > (out "." n); next }
		ex && /^\.Ed/ { inb = 0; next }
		inb {
			gsub(/\\\(dq/, "\""); gsub(/\\\(aq/, "\047"); gsub(/\\&/, ""); gsub(/\\-/, "-")
			gsub(/\\e/, "\\"); print >> (out "." n)
		}
		END { print n + 0 }' "$1"
}

# man_subst: the outside world of an example, here (see the top)
man_subst() {
	sed -e "s|/tmp/|$W/|g" -e "s|~/videos|$W/demo|g" -e "s|\\\$HOME/videos|$W/demo|g" \
	    -e "s|/srv/medusa/|$W/frontyard/|g" -e "s|/usr/local/bin/|$MEDUSA_BIN/|g" \
	    -e "s|/var/lib/medusa/|$W/var/|g" -e "s|127\\.0\\.0\\.1 8080|127.0.0.1 $P1|g" \
	    -e "s|127\\.0\\.0\\.1:8080|127.0.0.1:$P1|g" -e "s|127\\.0\\.0\\.1 8081|127.0.0.1 $P2|g" \
	    -e "s|127\\.0\\.0\\.1:8081|127.0.0.1:$P2|g" -e "s|^8081 stream|$P2 stream|" \
	    -e "s#http://127\\.0\\.0\\.1:\\(4568\\|9000\\)#${AWS_ENDPOINT_URL:-http://127.0.0.1:9}#g" \
	    -e "s|AWS_ACCESS_KEY_ID=AKIA[.A-Z0-9]*|AWS_ACCESS_KEY_ID=S3RVER|g" \
	    -e "s|AWS_SECRET_ACCESS_KEY=\\.\\.\\.|AWS_SECRET_ACCESS_KEY=S3RVER|g" \
	    -e "s|https://\\([a-z]\\)\\.example\\.com/|http://127.0.0.1:\$MAN_HOST_\\1/|g"
}

# man_script BLOCK N: the shell lines that run block N (see the top)
man_script() {
	first=$(sed -n '/[^[:space:]]/{p;q;}' "$1")
	case $first in
	'{'* | '"'*)  # a JSON document, or the members of one
		case $first in
		'"'*) { echo '{'; cat "$1"; echo '}'; } > "$W/json.$2" ;;
		*) cp "$1" "$W/json.$2" ;;
		esac
		echo "jq -e . '$W/json.$2' > /dev/null" ;;
	%*:*)  # a pattern rule: make each target whose prerequisite the demo has
		cp "$1" "$W/rule.mk"
		t=$(printf '%s' "$first" | sed 's/^%\([^:]*\):.*/\1/') p=$(printf '%s' "$first" | sed 's/^[^:]*: *%\([^ ]*\).*/\1/')
		printf 'set -- $(find . -name "*%s" | sed "s/%s\\$/%s/"); make -s -f "%s" "$@" && for f; do test -s "$f" || exit 1; rm -f "$f"; done\n' \
		    "$p" "$(printf '%s' "$p" | sed 's/\./\\\\./g')" "$t" "$W/rule.mk" ;;
	[0-9*]*' '*' '*' '*' '*' '*)  # a crontab line (or an inetd.conf one)
		if printf '%s' "$first" | grep -q '^[0-9]* stream tcp'; then
			# PORT stream tcp nowait USER PROGRAM ARGV0 ARGS: one request
			tr -d '\\\n' < "$1" | awk '{ printf "printf \"GET /api/clips HTTP/1.0\\r\\n\\r\\n\" | %s", $6
				for (i = 8; i <= NF; i++) printf " %s", $i; print " | head -1 | grep \"^HTTP/1.0 200\"" }'
		else
			printf '%s\n' "$first" | cut -d' ' -f6-
		fi ;;
	*)  # commands; a server started in the foreground goes to the background
		awk -v p1="$P1" -v p2="$P2" '
			{ line = line $0 "\n" }
			/\\$/ { next }
			{
				if (line ~ /^tcpserver /) {
					sub(/[ \t]*&?[ \t]*\n$/, " \\&\n", line)
					port = line; sub(/.*127\.0\.0\.1 /, "", port); sub(/[^0-9].*/, "", port)
					line = line "wait_port " port "\n"
				}
				printf "%s", line; line = ""
			}' "$1" ;;
	esac
}

# checks PAGE: what a page's examples made, measured (after its blocks ran)
# (never empty: an empty list would match an empty output)
demo_clips() {
	_c=$(cd "$W/demo" && medusa-scan | medusa-meta clips | jq -r 'select(.clip) | .clip' | sort)
	printf '%s\n' "${_c:-(no clips in the demo)}"
}
checks() {
	case $1 in
	medusa-cut.1)  # every rendition of the demo, and the one clip for a script
		is "$(jq -r 'select(.renditions) | .clip' "$W/cut.ndjson" | sort)" "$(demo_clips)" \
		    "$1: every clip of the demo has its renditions"
		is "$(vprobe "$W/party.mp4" codec_name,width,height)" "h264,320,240" "$1: the single clip is made"
		ok "$1: two seconds long" near "$(vprobe "$W/party.mp4" duration)" 2 0.04 ;;
	medusa-publish.1)  # the publish of every clip, its URLs, and the metastore
		is "$(jq -r 'select(.renditions[0].url) | .clip' "$W/demo/published.ndjson" | sort)" "$(demo_clips)" \
		    "$1: every clip of the demo is published, with its URLs"
		is "$(sqlite3 "$W/frontyard/metastore.sqlite" 'SELECT id FROM clips ORDER BY id')" "$(demo_clips)" \
		    "$1: the metastore holds them"
		# example 2 prints one clip's URLs, example 4 its files' keys
		_files=$(jq -s '[.[] | select(.clip == "temple-gate") | .renditions[]] | length' "$W/demo/published.ndjson")
		ok "$1: the URLs of temple-gate's $_files files" \
		    test "${_files:-0}" -gt 0 -a "$(grep -c '/temple-gate/' "$W/out.2")" = "$_files"
		ok "$1: the clips tagged with a place, and temple-gate's files" \
		    test "$(grep -c '^temple-' "$W/out.3")" -ge 1 -a "$(grep -c 'temple-gate/' "$W/out.3")" -ge 1 ;;
	esac
}

wait_port() {
	_i=0
	until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; do
		_i=$((_i + 1)); [ $_i -lt 300 ] || return 1; sleep 0.1
	done
}

# fixtures PAGE: what the page's reader has that the page does not make
fixtures() {
	case $1 in
	medusa-store.1)  # a file to upload, and a gallery synced to s3://media/gallery
		cp "$(find "$W/frontyard/files" -name '360p.mp4' | head -1)" "$W/demo/360p.mp4"
		medusa-sync -q -C "$W/demo" -t s3://media/gallery ;;
	medusa-sync.1)  # a publisher key pair, its two replicas, a frontyard called front/
		medusa-recache -g "$W/keys" && cp "$W/keys/recache.key" "$W/demo/publisher.key"
		ln -s ../frontyard "$W/demo/front"
		for h in a b; do
			p=$(free_port)
			echo "MAN_HOST_$h=$p" >> "$W/env.sh"
			tcpserver -R -H -l 0 127.0.0.1 "$p" medusa-serve frontyard -k "$W/keys/recache.pub" \
			    -m s3://media.example.com/gallery -c "$W/cache-$h" 2>/dev/null &
			echo $! >> "$W/pids"
			wait_port "$p"
		done ;;
	medusa-serve.8)  # the inetd line's frontyard holds a public key
		medusa-recache -g "$W/frontyard" ;;
	esac
}

for m in "$MEDUSA_SRC"/man/*.[1-8]; do
	page=${m##*/}
	W=$T/$page
	mkdir -p "$W/var"
	P1=$(free_port) P2=$(free_port)
	n=$(man_blocks "$m" "$W/block")
	[ "$n" -gt 0 ] || { ok "$page: has examples" false; continue; }
	if grep -q 's3://' "$W"/block.*; then
		if [ -z "$have_s3" ]; then
			echo "# $page: no s3rver here (make deps): its examples are not run"
			continue
		fi
		S3_PORT= S3_DIR=$W/s3
		s3_start $(cat "$W"/block.* | grep -o 's3://[a-z0-9.-]*' | sed 's|s3://||' | sort -u)
	fi
	if grep -q 'examples/mkdemo.sh' "$W"/block.*; then
		start=$MEDUSA_SRC
	else
		cp -R "$T/demo0/demo" "$T/demo0/frontyard" "$W/"
		start=$W/demo
	fi
	: > "$W/pids"
	[ "$start" = "$MEDUSA_SRC" ] || (cd "$W/demo" && fixtures "$page") > "$W/fixtures.log" 2>&1 ||
	    { ok "$page: fixtures" false; cat "$W/fixtures.log" | sed 's/^/#   /'; }
	# one shell for the page: block i's status in $W/st.i, its output in out.i, err.i
	{
		echo "set +eu; cd '$start'"
		[ -f "$W/env.sh" ] && cat "$W/env.sh"
		i=1
		while [ $i -le "$n" ]; do
			echo "{"
			man_subst < "$W/block.$i" > "$W/block.$i.sub"
			man_script "$W/block.$i.sub" $i
			echo "} > '$W/out.$i' 2> '$W/err.$i' < /dev/null; echo \$? > '$W/st.$i'; jobs -p >> '$W/pids'"
			i=$((i + 1))
		done
	} > "$W/page.sh"
	(
		wait_port() { _i=0; until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; do
			_i=$((_i + 1)); [ $_i -lt 300 ] || return 1; sleep 0.1; done; }
		. "$W/page.sh"
	) > /dev/null 2>&1 || :
	i=1
	while [ $i -le "$n" ]; do
		want=0
		case " $exit1 " in *" $page:$i "*) want=1 ;; esac
		what=$(sed -n '/[^[:space:]]/{p;q;}' "$W/block.$i" | cut -c1-50 | tr -d '\\')
		is "$(cat "$W/st.$i" 2>/dev/null || echo none)" $want "$page example $i runs: $what"
		if [ "$(cat "$W/st.$i" 2>/dev/null)" != $want ]; then
			sed 's/^/#   script: /' "$W/block.$i.sub"
			cat "$W/out.$i" "$W/err.$i" 2>/dev/null | head -20 | sed 's/^/#   /'
		fi
		is "$(grep -E 'usage:|not found|No such file' "$W/err.$i" || true)" "" "$page example $i: no usage error, missing command or file"
		# a block's status is its last command's: an error before it
		# (sqlite3 says "Error: ...", "Parse error: ...") is caught here
		[ $want = 1 ] || is "$(grep -E 'Error|error:' "$W/err.$i" || true)" "" "$page example $i: no error on stderr"
		i=$((i + 1))
	done
	checks "$page"
	for pid in $(sort -u "$W/pids"); do kill "$pid" 2>/dev/null || :; done
	[ -n "$S3_PID" ] && s3_stop
	S3_PID=
done
done_testing
