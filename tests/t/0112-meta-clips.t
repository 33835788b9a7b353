#!/bin/sh
# medusa-meta clips: video records in, clip records with effective tags out.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/demo
sh "$MEDUSA_SRC/examples/mkdemo.sh" "$B"
cd "$B"

medusa-scan -p > "$T/videos"
ok "clips from the demo" sh -c "medusa-meta clips < '$T/videos'"
lastout > "$T/clips"
is "$(jq -r 'select(.clip) | .clip' "$T/clips" | wc -l | tr -d ' ')" 6 "six clips"
is "$(jq -c 'select(.clip == "temple-bell") | [.video, .path, .start, .end, .width]' "$T/clips")" \
   '["trips/kyoto/temple.mp4","trips/kyoto/temple.mp4",2,3.5,320]' "clip record: video, times in seconds, the scan fields kept"
is "$(jq -c 'select(.clip == "temple-bell") | .tags' "$T/clips")" \
   '{"rating":5,"kind":"travel","public":true,"place":"Kyoto, Chion-in","people":["Ann","Bo"]}' \
   "effective tags: default <- root folder <- trips <- kyoto <- video <- clip"
is "$(jq -c 'select(.clip == "song") | .tags' "$T/clips")" \
   '{"rating":3,"kind":"family","public":false,"people":["Ann","Cy"]}' "a video overrides its folders and keeps defaults"
is "$(tail -n 1 "$T/clips")" "$(tail -n 1 "$T/videos")" "the summary passes through"
gid=$(jq -r 'select(.video == "trips/kyoto/garden.mov") | .clip' "$T/clips")
like "$gid" '^[0-9a-z]\{12\}$' "a hand-written clip without id gets one"
is "$(medusa-meta clips < "$T/videos" | jq -r 'select(.video == "trips/kyoto/garden.mov") | .clip')" "$gid" "and the same one next time"
is "$(grep -c garden.mov.medusa.json "$T/clips")" 1 "the sidecar was not rewritten (read only)"
is "$(jq -c '.clips[0] | has("id")' trips/kyoto/garden.mov.medusa.json)" false "no id written into the file"

# a broken sidecar is an error record for that video; the rest goes on
before=$(snapshot "$B")
printf '{"clips": [\n {"start": 0, "end": 1}\n' > home/birthday.mkv.medusa.json
fails "broken sidecar: exit 1" 1 sh -c "medusa-meta clips < '$T/videos'"
lastout > "$T/clips2"
is "$(jq -c 'select(.error)' "$T/clips2")" \
   '{"video":"home/birthday.mkv","error":"home/birthday.mkv.medusa.json: malformed JSON: line 3: unexpected end of document"}' "error record"
like "$(lasterr)" '^medusa-meta: home/birthday.mkv: home/birthday.mkv.medusa.json: malformed JSON: line 3' "message names the video and the file"
is "$(jq -r 'select(.clip) | .clip' "$T/clips2" | wc -l | tr -d ' ')" 4 "the other clips go on"

# invalid against the tag set, or the video
echo '{"tags": {"rating": "high"}, "clips": [{"start": 0, "end": 1}]}' > home/birthday.mkv.medusa.json
fails "wrong type: exit 1" 1 sh -c "medusa-meta clips < '$T/videos'"
is "$(lastout | jq -r 'select(.error) | .error')" 'home/birthday.mkv.medusa.json: tags.rating: must be an integer' "wrong type: error record"
echo '{"clips": [{"start": 0, "end": 9}]}' > home/birthday.mkv.medusa.json
fails "past the end (with -p records): exit 1" 1 sh -c "medusa-meta clips < '$T/videos'"
like "$(lastout | jq -r 'select(.error) | .error')" \
   '^home/birthday.mkv.medusa.json: clips\[0\].end: 00:00:09.000 is past the end of the video (00:00:04.0[0-9][0-9])$' "past the end: error record"
ok "without -p the duration is unknown" sh -c "medusa-scan | medusa-meta clips"

# a broken folder file: every video below it is an error record
echo '{"clips": [{"start": 0, "end": 1}]}' > home/birthday.mkv.medusa.json
echo '{"tags": {"kind": "holiday"}}' > trips/folder.medusa.json
fails "bad folder file: exit 1" 1 sh -c "medusa-meta clips < '$T/videos'"
is "$(lastout | jq -r 'select(.error) | .video' | tr '\n' ' ')" "trips/kyoto/garden.mov trips/kyoto/temple.mp4 " "error records for the videos below"
is "$(lastout | jq -r 'select(.error) | .error' | sort -u)" \
   'trips/folder.medusa.json: tags.kind: "holiday" is not one of family, travel, nature, other' "the folder file named"
echo '{"tags": {"kind": "travel"}}' > trips/folder.medusa.json

# a clip whose effective tags miss a required tag: an error record for it
jq '.tags.kind |= del(.default)' backyard.medusa.json > "$T/cfg" && cp "$T/cfg" backyard.medusa.json
echo '{"clips": [{"id": "c1", "start": 0, "end": 1}, {"id": "c2", "start": 1, "end": 2, "tags": {"kind": "other"}}]}' > home/cat.webm.medusa.json
rm home/birthday.mkv.medusa.json
fails "required missing: exit 1" 1 sh -c "medusa-scan | medusa-meta clips"
is "$(lastout | jq -c 'select(.video == "home/cat.webm") | [.clip, .error]')" \
   '["c1","tag \"kind\": required, and no value is set"]
["c2",null]' "one clip refused, the other passes"
is "$(snapshot "$B" | grep -c medusa.json)" "$(echo "$before" | grep -c medusa.json)" "clips writes no files"

# a sidecar that is a symlink out of the backyard is not read
mkdir -p "$T/outside"
echo '{"clips": [{"id": "secret", "start": 0, "end": 1, "tags": {"kind": "other"}}]}' > "$T/outside/s.json"
ln -sf "$T/outside/s.json" home/cat.webm.medusa.json
fails "sidecar symlink out: exit 1" 1 sh -c "medusa-scan | medusa-meta clips"
is "$(lastout | jq -c 'select(.video == "home/cat.webm")')" \
   '{"video":"home/cat.webm","error":"home/cat.webm.medusa.json: a symbolic link leads out of the backyard"}' "error record, nothing read"
rm home/cat.webm.medusa.json

# records from elsewhere
printf '%s\n' '{"video":"x.mp4","error":"upstream"}' '{"path":"../etc/x.mp4"}' 'not json' '{"size":1}' > "$T/odd"
fails "odd records: exit 1" 1 sh -c "medusa-meta clips < '$T/odd'"
is "$(lastout | jq -c .)" '{"video":"x.mp4","error":"upstream"}
{"video":"../etc/x.mp4","error":"\"..\" in path"}
{"video":null,"error":"a record without \"path\""}' "error records pass, bad paths and records refused"
like "$(lasterr)" '^medusa-meta: stdin:3: malformed JSON' "a malformed line named by its number"
ok "an error record alone passes (exit 0)" sh -c "echo '{\"video\":\"x.mp4\",\"error\":\"e\"}' | medusa-meta clips"
done_testing
