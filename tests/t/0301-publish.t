#!/bin/sh
# medusa-publish: files into directory storage under immutable keys, clips
# into the metastore, records out with urls; a repeat changes nothing.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/t/0300-records.sh"
cd "$T"
S=$T/front/files M=$T/front/ms.sqlite
{ mkrec work a1 trips/kyoto.mp4 0 2 '{"place":"Kyoto","rating":4,"people":["ann","bob"],"public":true}'
  mkrec work a2 trips/kyoto.mp4 3 5.5 '{"place":"Kyoto","rating":2}'
  mkrec work b1 'odd name/ä b.mp4' 1 2 '{"place":"Nara"}'
  summary 2; } > in.ndjson

ok "publish three clips" medusa-publish -s "$S" -m "$M" -u http://127.0.0.1:8080/files/ < in.ndjson
cp "$T/.out" out1.ndjson
is "$(grep -c '"clip"' out1.ndjson)" 3 "three records out"
is "$(jq -r 'select(.clip=="a1") | .renditions[0].url' out1.ndjson)" \
   "http://127.0.0.1:8080/files/$(jq -r 'select(.clip=="a1") | .renditions[0].key' in.ndjson)" \
   "url is the base url + key"
is "$(tail -n 1 out1.ndjson | jq -c '.summary | {complete, p: .publish.changed}')" \
   '{"complete":true,"p":3}' "summary passed through with the publish counts"
k=$(jq -r 'select(.clip=="b1") | .renditions[1].key' in.ndjson)
f=$(jq -r 'select(.clip=="b1") | .renditions[1].file' in.ndjson)
ok "file under its key" test -f "$S/$k"
like "$k" '^clips/b1/[0-9a-f]\{16\}/poster\.jpg$' "key is clips/<clip>/<version>/<profile>.<ext>"
is "$(stat -c %i "$S/$k")" "$(stat -c %i "$f")" "same filesystem: a hard link, no copy"
is "$(b2 "$S/$k")" "$(jq -r 'select(.clip=="b1") | .renditions[1].hash' in.ndjson)" "stored bytes have the hash"
is "$(sqlite3 "$M" 'SELECT count(*) FROM clips; SELECT count(*) FROM renditions')" "3
6" "three clips, six renditions in the metastore"
is "$(gen_of "$M")" 1 "one batch, one generation"
is "$(find "$S" -name '*.tmp*' | wc -l)" 0 "no temporary file left"

# the same input again: nothing written, generation kept
tree "$S" > before
cp "$M" ms.before
ok "publish again" medusa-publish -s "$S" -m "$M" -u http://127.0.0.1:8080/files/ < in.ndjson
is "$(tail -n 1 "$T/.out" | jq -c '.summary.publish | [.changed, .unchanged]')" '[0,3]' "nothing changed"
tree "$S" > after
ok "storage untouched" cmp before after
is "$(gen_of "$M")" 1 "generation unchanged"
sqlite3 "$M" .dump > dump.after; sqlite3 ms.before .dump > dump.before
ok "metastore rows unchanged" cmp dump.before dump.after

# a changed clip: new version in, old version out after the commit
mkrec work a2 trips/kyoto.mp4 3 6 '{"place":"Kyoto","rating":2}' > a2new.ndjson
oldk=$(jq -r 'select(.clip=="a2") | .renditions[0].key' in.ndjson)
newk=$(jq -r '.renditions[0].key' a2new.ndjson)
ok "publish a changed clip" medusa-publish -s "$S" -m "$M" -u http://127.0.0.1:8080/files/ < a2new.ndjson
ok "new version stored" test -f "$S/$newk"
ok "old version kept for the grace period" test -f "$S/$oldk"
is "$(sqlite3 "$M" "SELECT count(*) FROM garbage WHERE key = '$oldk'")" 1 "... listed as unused"
ok "a run after the grace period" medusa-publish --grace 0 -s "$S" -m "$M" < /dev/null
ok "old version removed" test ! -e "$S/$oldk"
ok "old version's folder removed" test ! -e "$S/$(dirname "$oldk")"
is "$(sqlite3 "$M" "SELECT key FROM renditions r JOIN clips c ON c.n = r.clip WHERE c.id = 'a2' AND profile = '360p'")" "$newk" "row names the new key"
is "$(gen_of "$M")" 2 "generation bumped"
is "$(sqlite3 "$M" "SELECT generation FROM clips WHERE id = 'a2'")" 2 "clip row stamped with the generation"

# only a tag changed: same files, new row, generation bumps
sed 's/"rating":4/"rating":5/' in.ndjson | grep '"a1"' > a1tag.ndjson
ok "publish a tag change" medusa-publish -s "$S" -m "$M" -u http://127.0.0.1:8080/files/ < a1tag.ndjson
is "$(sqlite3 "$M" "SELECT value FROM tags t JOIN clips c ON c.n = t.clip WHERE c.id = 'a1' AND name = 'rating'")" 5 "tag updated"
is "$(gen_of "$M")" 3 "generation bumped for a tag"

# the base URL defaults to /files/ (the frontyard server's file path)
ok "publish without -u" medusa-publish -s "file:$S" -m "$M" < a2new.ndjson
like "$(lastout)" '"url":"/files/clips/a2/' "default base url /files/"

# a rendition file that is a symlink: its target is stored, not the link
mkrec work s1 sym.mp4 0 1 > s1.ndjson
f=$(jq -r '.renditions[0].file' s1.ndjson)
mv "$f" "$f.real" && ln -s "$(basename "$f").real" "$f"
ok "publish a symlinked file" medusa-publish -s "$S" -m "$M" < s1.ndjson
k=$(jq -r '.renditions[0].key' s1.ndjson)
ok "a regular file under the key" test -f "$S/$k" -a ! -L "$S/$k"
is "$(b2 "$S/$k")" "$(jq -r '.renditions[0].hash' s1.ndjson)" "with the target's bytes"

# across filesystems: a copy through a temporary name
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ] &&
   W=$(mktemp -d /dev/shm/medusa-test.XXXXXX); then
	at_exit "rm -rf '$W'"
	mkrec "$W" c1 other.mp4 0 1 > c1.ndjson
	ok "publish from another filesystem" medusa-publish -s "$S" -m "$M" < c1.ndjson
	k=$(jq -r '.renditions[0].key' c1.ndjson)
	ok "copied" test -f "$S/$k"
	is "$(b2 "$S/$k")" "$(jq -r '.renditions[0].hash' c1.ndjson)" "copy has the hash"
	is "$(stat -c %a "$S/$k")" 644 "copy is readable by a web server"
else
	echo "ok - # SKIP no second filesystem"
fi
done_testing
