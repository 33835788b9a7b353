#!/bin/sh
# Keys that XML and URLs make hard, put into the bucket by another tool:
# listed exactly (entities decoded once, by expat; URL encoding undone only
# when the reply says it applied one), and garbage-collected exactly: the
# foreign keys go, the live generation's keys stay.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
s3_require
s3_start media
cd "$T"
S=s3://media/g

# a generation on the remote that references two keys of clip k1
{ mkrec work k1 a.mp4 0 1; summary 1; } > recs.ndjson
ok "publish" medusa-publish -q -s "$T/files" -m "$T/ms.sqlite" < recs.ndjson
ok "sync" medusa-sync -q -m "$T/ms.sqlite" -s "$T/files" -t $S
live=$(sqlite3 "$T/ms.sqlite" 'SELECT key FROM renditions ORDER BY key' | head -1)

nl='
'
# the keys, as a JSON array (jq writes the odd bytes)
foreign() {
	jq -n -c --arg live "$live" --arg nl "$nl" '[
	  "clips/f/1/a&b.mp4", "clips/f/1/a<b>c.mp4", "clips/f/1/\"q\u0027.mp4",
	  "clips/f/1/ü€😀.mp4", "clips/f/1/new\($nl)line.mp4", ($live + "&lt;/Key&gt;b"),
	  "clips/f/1/tab\tx", "clips/f/1/plus+and space", "clips/f/1/%41%2F"
	] + $ARGS.positional' --args "$@"
}
# puts a foreign object under each key (the raw bytes, URL-encoded here)
putall() {
	foreign "$@" | jq -r '.[] | @base64' | while read -r b; do
		k=$(printf '%s' "$b" | base64 -d)
		_k=$(printf '%s' "$b" | /usr/bin/python3 -c 'import sys, base64, urllib.parse; print(urllib.parse.quote(base64.b64decode(sys.stdin.read()), safe="/"))')
		curl -sf -o /dev/null -X PUT --aws-sigv4 aws:amz:us-east-1:s3 -u S3RVER:S3RVER \
		    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --data-binary x "$AWS_ENDPOINT_URL/media/g/$_k" ||
		    { echo "# cannot put $k"; return 1; }
	done
}
keys() { medusa-store -s $S ls "$@" | jq -s -c 'map(.key) | sort'; }

ok "put nine foreign objects" putall
before=$(keys)
is "$(printf '%s' "$before" | jq -c 'map(select(startswith("clips/f/") or endswith("&lt;/Key&gt;b"))) | sort')" \
   "$(foreign | jq -c sort)" "ls lists each foreign key exactly"
ok "the live key is listed once" test "$(printf '%s' "$before" | jq --arg k "$live" 'map(select(. == $k)) | length')" = 1
ok "gc" medusa-store -s $S gc
is "$(lastout | jq -s -c 'map(.delete) | sort')" "$(foreign | jq -c sort)" "gc deletes exactly the foreign keys"
after=$(keys)
is "$(printf '%s' "$after" | jq -c 'map(select(startswith("clips/")))')" \
   "$(sqlite3 "$T/ms.sqlite" 'SELECT key FROM renditions ORDER BY key' | jq -R . | jq -s -c .)" "the live keys stay, nothing else"
ok "the live generation is whole" medusa-store -s $S get "$live" "$T/back"
ok "... byte for byte" cmp "$T/back" "$T/files/$live"

# the same as AWS answers it: keys URL-encoded (encoding-type=url), and so
# also a key with a control character that no XML could carry, and one
# with a carriage return (an XML parser must read it as a line feed)
s3_proxy --aws-list --log "$T/req.log"
ctl=$(printf 'clips/f/2/ctl\001x')
cr=$(printf 'clips/f/2/cr\rx')
ok "put the foreign objects again, and two with control characters" putall "$ctl" "$cr"
is "$(keys clips/f/ | jq -c 'map(select(startswith("clips/f/")))')" \
   "$(foreign "$ctl" "$cr" | jq -c 'map(select(startswith("clips/f/"))) | sort')" "listed exactly from URL-encoded keys"
like "$(cat "$T/req.log")" 'encoding-type=url&list-type=2' "the listing asks for URL-encoded keys"
ok "gc" medusa-store -s $S gc
is "$(lastout | jq -s -c 'map(.delete) | sort')" "$(foreign "$ctl" "$cr" | jq -c sort)" "gc deletes exactly them"
like "$(cat "$T/req.log")" '^DELETE /media/g/clips/f/2/ctl%01x' "the control character key went by a DELETE of its own"
is "$(keys | jq -c 'map(select(startswith("clips/")))')" \
   "$(sqlite3 "$T/ms.sqlite" 'SELECT key FROM renditions ORDER BY key' | jq -R . | jq -s -c .)" "the live keys stay"
s3_proxy_stop

# plain s3rver writes keys into its XML as they are: a carriage return
# comes back as a line feed (said so), a control character is not XML
ok "a foreign key with a carriage return" putall "$cr"
ok "ls" medusa-store -s $S ls
like "$(lasterr)" 'a carriage return' "warns that a key may not be what it seems"
ok "a foreign key with a control character" putall "$ctl"
fails "ls against a reply that is no XML" 1 medusa-store -s $S ls
like "$(lasterr)" 's3://media/g/: LIST: the reply is not XML (line [0-9]*: not well-formed' "says so"
fails "gc then deletes nothing" 1 medusa-store -s $S gc
ok "... and the live key is there" medusa-store -s $S stat "$live"
done_testing
