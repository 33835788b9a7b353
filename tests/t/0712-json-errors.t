#!/bin/sh
# A config that is not JSON: the message names the file, the line and the
# column of the mistake (for a trailing comma: the comma, not the '}' after
# it), and says what was expected; the same for a record on stdin.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
B=$T/by
mkdir -p "$B"
cat > "$B/backyard.medusa.json" <<'JSON'
{
  "tags": {
    "kind": {"type": "enum", "values": ["a", "b"]},
    "place": {"type": "string"},
  },
  "profiles": {}
}
JSON
fails "a trailing comma in the config: exit 2" 2 medusa-scan -C "$B"
is "$(lasterr)" "medusa-scan: $B/backyard.medusa.json: malformed JSON: line 4: at column 32, a comma before '}' (line 5): expected another \"name\": value after it (JSON has no comma after the last member)" \
  "names the comma's line and column and what was expected"
printf '{"tags": {"kind": {"type": "enum" "values": ["a"]}}}\n' > "$B/backyard.medusa.json"
fails "a missing comma: exit 2" 2 medusa-scan -C "$B"
like "$(lasterr)" "malformed JSON: line 1: at column 35, '\"': expected ',' or '}' after the value$" "names the place and what was expected"
printf '{"video": "a.mp4", "clip": "c",}\n' > "$T/rec"
fails "a record with a trailing comma: exit 1" 1 sh -c 'medusa-tags -C "$1" check < "$2"' sh "$MEDUSA_SRC/examples/backyard" "$T/rec"
like "$(lasterr)" "^medusa-tags: stdin:1: malformed JSON: at column 31, a comma before '}'" "a record: its line and the column"
done_testing
