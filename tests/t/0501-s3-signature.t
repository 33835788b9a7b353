#!/bin/sh
# Our SigV4 signatures, checked by two independent implementations:
# botocore's S3SigV4Auth recomputing every recorded request (payload hash
# included) in tests/s3proxy.py, and the signature-checking s3rver fork.
# Wrong keys get a clear 403 message naming bucket and key.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
/usr/bin/python3 -c 'import botocore' 2>/dev/null || { echo "1..0 # SKIP python3-botocore missing"; exit 0; }
s3_start media
head -c 50000 /dev/urandom > "$T/small"
head -c 11000000 /dev/urandom > "$T/big"
V=$T/verify.log
s3_proxy --verify "$V"
S=s3://media/sig
ops() {
	medusa-store -s $S put 'clips/a b/ü+%/360p.mp4' "$T/small" video/mp4 &&
	MEDUSA_S3_PART_SIZE=5242880 medusa-store -s $S put clips/big/v/720p.mp4 "$T/big" &&
	medusa-store -s $S stat clips/big/v/720p.mp4 >/dev/null &&
	medusa-store -s $S get 'clips/a b/ü+%/360p.mp4' "$T/back" &&
	cmp "$T/small" "$T/back" &&
	MEDUSA_S3_PAGE=1 medusa-store -s $S ls clips/ >/dev/null &&
	medusa-store -s $S rm 'clips/a b/ü+%/360p.mp4' clips/big/v/720p.mp4
}
ok "every operation passes botocore's check" ops
is "$(grep -c '^BAD' "$V")" 0 "no signature mismatch"
for m in 'HEAD ' 'PUT /media/sig/clips/a%20b/%C3%BC%2B%25/360p.mp4' 'POST .*?uploads=' 'PUT .*partNumber=2&uploadId=' \
         'POST .*?uploadId=' 'GET /media/sig/clips' 'GET /media?continuation-token=' 'POST /media?delete='; do
	like "$(cat "$V")" "^ok $m" "checked: $m"
done
: > "$V"
ok "with a session token and another region" env AWS_SESSION_TOKEN=tok/en+= AWS_REGION=eu-west-3 \
    medusa-store -s $S put clips/t/v/p.mp4 "$T/small"
like "$(cat "$V")" '^ok PUT' "botocore agrees"
: > "$V"
fails "a wrong secret is caught by the checker" 1 env AWS_SECRET_ACCESS_KEY=wrong medusa-store -s $S ls
like "$(cat "$V")" '^BAD GET .*signature mismatch' "the checker really checks"
s3_proxy_stop

fails "plain s3rver refuses an unknown access key" 1 env AWS_ACCESS_KEY_ID=NOBODY \
    medusa-store -s $S put clips/n/v/p.mp4 "$T/small"
like "$(lasterr)" "medusa-store: s3://media/sig/clips/n/v/p.mp4: .*access denied (HTTP 403" "403 names bucket and key"
like "$(lasterr)" "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the permissions on bucket media" "... and says what to check"
s3_stop

S3_PORT= S3_DIR=$T/s3fork
s3_start -c media
ok "the signature-checking fork accepts ours" ops
fails "a wrong secret" 1 env AWS_SECRET_ACCESS_KEY=wrong medusa-store -s $S put clips/w/v/p.mp4 "$T/small"
like "$(lasterr)" 's3://media/sig/clips/w/v/p.mp4: .*access denied (HTTP 403' "names bucket and key"
ok "nothing was stored" sh -c "! find '$T/s3fork' -path '*clips/w*' | grep -q ."
fails "ls with a wrong secret" 1 env AWS_SECRET_ACCESS_KEY=wrong medusa-store -s $S ls
like "$(lasterr)" 'SignatureDoesNotMatch' "says what S3 said"
done_testing
