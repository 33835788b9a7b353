#!/bin/sh
# medusa-tags: the tag set, and checking clip records.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

B=$T/by
mkbackyard "$B"
cd "$B"
ok "list" medusa-tags
is "$(lastout | jq -r .name | tr '\n' ' ')" "place people rating kind public " "one record per tag, in config order"
is "$(lastout | jq -c 'select(.name == "kind")')" \
   '{"name":"kind","type":"enum","values":["family","travel","nature","other"],"default":"other","required":true}' "the definition as written"
ok "list = no command" medusa-tags list

cat > "$T/in" <<'JSON'
{"video":"a.mp4","clip":"c1","tags":{"kind":"travel","rating":4,"people":["Ann"]}}
{"video":"a.mp4","clip":"c2","tags":{"kind":"work"}}
{"video":"a.mp4","clip":"c3","tags":{"kind":"other","rating":4.5}}
{"video":"a.mp4","clip":"c4","tags":{"kind":"other","colour":"red"}}
{"video":"a.mp4","clip":"c5","tags":{"rating":1}}
{"video":"b.mp4","error":"upstream"}
{"path":"b.mp4","size":1}
{"summary":{"complete":true,"videos":2,"errors":1}}
JSON
fails "check: exit 1 when some fail" 1 sh -c "medusa-tags check < '$T/in'"
is "$(lastout | jq -c .)" '{"video":"a.mp4","clip":"c1","tags":{"kind":"travel","rating":4,"people":["Ann"]}}
{"video":"a.mp4","clip":"c2","error":"tag \"kind\": \"work\" is not one of family, travel, nature, other"}
{"video":"a.mp4","clip":"c3","error":"tag \"rating\": must be an integer"}
{"video":"a.mp4","clip":"c4","error":"unknown tag \"colour\""}
{"video":"a.mp4","clip":"c5","error":"tag \"kind\": required, and no value is set"}
{"video":"b.mp4","error":"upstream"}
{"video":"b.mp4","error":"not a clip record (no \"clip\" and \"tags\")"}
{"summary":{"complete":true,"videos":2,"errors":1}}' "valid pass, invalid become error records, errors and summary pass"
like "$(lasterr)" '^medusa-tags: stdin:2: a.mp4 clip c2: tag "kind": "work" is not one of' "message: line, video, clip, tag, why"
ok "check: exit 0 when all pass" sh -c "head -n 1 '$T/in' | medusa-tags check"
ok "the demo's clips pass" sh -c "sh '$MEDUSA_SRC/examples/mkdemo.sh' '$T/demo' && medusa-scan -C '$T/demo' | medusa-meta -C '$T/demo' clips | medusa-tags -C '$T/demo' check"
is "$(lastout | grep -c '"clip"')" 6 "six clips checked"
fails "usage: exit 2" 2 medusa-tags frob
like "$(lasterr)" '^usage: medusa-tags' "usage"
done_testing
