#!/bin/sh
# S3 failures: a missing bucket, an unreachable endpoint, 5xx and 429 with
# retries, a failing part (the multipart upload is aborted), a server that
# stalls (timeout). Each gives a clear message and changes nothing.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
head -c 40000 /dev/urandom > "$T/small"
head -c 11000000 /dev/urandom > "$T/big"

fails "a missing bucket" 1 medusa-store -s s3://nobucket/x put clips/a/v/p.mp4 "$T/small"
like "$(lasterr)" 'medusa-store: s3://nobucket/x/clips/a/v/p.mp4: .*bucket nobucket does not exist' "names the bucket"
fails "ls of a missing bucket" 1 medusa-store -s s3://nobucket ls
like "$(lasterr)" 'bucket nobucket does not exist' "... the same"

port=$(free_port)
fails "an unreachable endpoint" 1 env AWS_ENDPOINT_URL=http://127.0.0.1:$port MEDUSA_S3_RETRIES=1 \
    medusa-store -s s3://media ls
like "$(lasterr)" "s3://media/: LIST: Couldn't connect to server" "says it could not connect"

# the first try of every request fails with 503: the retries carry every
# operation
s3_proxy --fail-first --log "$T/req.log"
S=s3://media/flaky
ok "put through 503s" medusa-store -s $S put clips/f/v/p.mp4 "$T/small"
ok "multipart through 503s" env MEDUSA_S3_PART_SIZE=5242880 medusa-store -s $S put clips/f/v/big.mp4 "$T/big"
ok "get through 503s" medusa-store -s $S get clips/f/v/big.mp4 "$T/bigback"
ok "... byte-identical" cmp "$T/big" "$T/bigback"
ok "ls and rm through 503s" sh -c "medusa-store -s $S ls >/dev/null && medusa-store -s $S rm clips/f/v/p.mp4"
s3_proxy_stop

s3_proxy --fail-first --fail-code 429 --log "$T/req429.log"
ok "put through 429 Too Many Requests" medusa-store -s $S put clips/f/v/q.mp4 "$T/small"
is "$(grep -c '^PUT /media/flaky/clips/f/v/q.mp4' "$T/req429.log")" 2 "retried once"
s3_proxy_stop

# a part that always fails: the upload is aborted, no object appears
s3_proxy --fail-match 'partNumber=2&' --log "$T/req2.log"
fails "a part that keeps failing" 1 env MEDUSA_S3_PART_SIZE=5242880 MEDUSA_S3_RETRIES=1 \
    medusa-store -s $S put clips/f/v/bad.mp4 "$T/big"
like "$(lasterr)" 's3://media/flaky/clips/f/v/bad.mp4: PUT part: HTTP 500 InternalError' "names the key and the part"
like "$(cat "$T/req2.log")" '^DELETE /media/flaky/clips/f/v/bad.mp4?uploadId=' "the multipart upload was aborted"
fails "no object under the key" 1 medusa-store -s $S stat clips/f/v/bad.mp4
is "$(find "$S3_DIR" -path '*bad.mp4*' | wc -l)" 0 "no parts left behind in the store"
s3_proxy_stop

# a stalled server: the request times out instead of hanging
s3_proxy --hold 'GET /media\?.*list-type=' --log "$T/req3.log"
fails "a server that never answers" 1 env MEDUSA_S3_TIMEOUT=1 MEDUSA_S3_RETRIES=0 medusa-store -s $S ls
like "$(lasterr)" 'LIST: Timeout was reached' "says it timed out"
s3_proxy_stop
ok "the store still holds the good files" medusa-store -s $S stat clips/f/v/big.mp4
done_testing
