#!/bin/sh
# The gallery with 10,000 clips in headless chromium: the first cards come
# soon, the DOM stays bounded while scrolling to the end, the scrubber
# jumps, the position survives a reload. One reconciled clip, copied in
# the metastore by SQL (its documented schema) with its real poster.
. "$MEDUSA_SRC/tests/lib.sh"
. "$MEDUSA_SRC/tests/web/lib.sh"
web_require
[ -x "$MEDUSA_BIN/medusa-reconcile" ] || web_skip "medusa-reconcile is not built"
command -v sqlite3 >/dev/null 2>&1 || web_skip "sqlite3 is not installed"

by=$T/backyard
mkbackyard "$by"
jq '.profiles = {"poster": .profiles.poster}' "$by/backyard.medusa.json" > "$T/cfg" && mv "$T/cfg" "$by/backyard.medusa.json"
mkvideo "$by/a.mp4" 1
printf '{"clips": [{"id": "c00000", "start": 0, "end": 1, "tags": {"place": "p0", "rating": 0}}]}\n' > "$by/a.mp4.medusa.json"
medusa-reconcile -q -C "$by" >"$T/reconcile.out" 2>"$T/reconcile.err" || {
	echo "1..1"; echo "not ok 1 - medusa-reconcile of the fixture"; sed 's/^/#   /' "$T/reconcile.err"; exit 1; }
sqlite3 "$T/frontyard/metastore.sqlite" <<'SQL'
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 9999)
INSERT INTO clips(n, id, video, start, "end", duration, tags, fingerprint, generation, updated)
SELECT 1000 + i, printf('c%05d', i), video, start, "end", duration,
  json_object('place', 'p' || (i % 50), 'rating', i % 5, 'kind', 'other', 'public', json('false')),
  fingerprint, generation, updated - i FROM clips, k WHERE clips.id = 'c00000';
INSERT INTO renditions(clip, profile, kind, key, version, url, bytes, hash, mime, width, height, duration, start)
SELECT c.n, r.profile, r.kind, r.key, r.version, r.url, r.bytes, r.hash, r.mime, r.width, r.height, r.duration, r.start
FROM clips c, renditions r JOIN clips o ON o.n = r.clip AND o.id = 'c00000' WHERE c.n >= 1000;
INSERT INTO tags(clip, name, value, num)
SELECT n, 'place', json_extract(tags, '$.place'), NULL FROM clips WHERE n >= 1000 UNION ALL
SELECT n, 'rating', CAST(json_extract(tags, '$.rating') AS TEXT), json_extract(tags, '$.rating') FROM clips WHERE n >= 1000 UNION ALL
SELECT n, 'kind', 'other', NULL FROM clips WHERE n >= 1000 UNION ALL
SELECT n, 'public', 'false', NULL FROM clips WHERE n >= 1000;
UPDATE meta SET value = value + 1 WHERE key = 'generation';
COMMIT;
SQL
web_serve frontyard -C "$by"
total=$(curl -sf "$BASE/api/clips?limit=1" | jq -se '.[0].total')
[ "$total" = 10000 ] || { echo "1..1"; echo "not ok 1 - the API lists 10,000 clips (got $total)"; exit 1; }
node "$MEDUSA_SRC/tests/web/gallery-scale.mjs"
