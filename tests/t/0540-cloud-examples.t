#!/bin/sh
# The cloud examples work: examples/cloud/try.sh runs start to end, and the
# EXAMPLES of medusa-store(1) that need only s3rver work when pasted.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
ok "examples/cloud/try.sh" env PORT="$(free_port)" TMPDIR="$T" sh "$MEDUSA_SRC/examples/cloud/try.sh"
like "$(lastout)" 'k3v9q2|Kyoto' "a replica reads the synced clips"
like "$(lasterr)" 'is at generation 1 already: nothing to do' "the second sync does nothing"
is "$(ls "$T" | grep -c medusa-cloud)" 0 "it cleans up after itself"

# medusa-store(1): the first example block, against s3rver on its port
s3_start media
cd "$T"
head -c 1000 /dev/urandom > 360p.mp4
awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Bd -literal/ { n++; if (n == 1) { on = 1; next } }
     on && /^\.Ed/ { exit } on { gsub(/\\e/, "\\"); print }' "$MEDUSA_SRC/man/medusa-store.1" |
    sed "s|127.0.0.1:4568|127.0.0.1:$S3_PORT|" > ex1.sh
ok "medusa-store(1) first example" sh ex1.sh
like "$(lastout)" 'clips/x/v1/360p.mp4' "lists what it put"
done_testing
