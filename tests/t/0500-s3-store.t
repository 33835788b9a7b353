#!/bin/sh
# The S3 backend of lib/store.h through medusa-store, against s3rver: put,
# stat (size and BLAKE2b metadata), get, ls with paging, batched rm,
# headers, odd keys, multipart byte-identical, idempotent put.
. "${MEDUSA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MEDUSA_SRC/tests/s3.sh"
s3_require
s3_start media
S=s3://media/pre/fix
head -c 70000 /dev/urandom > "$T/small"
h=$(b2sum -l 256 "$T/small" | cut -d' ' -f1)

ok "put" medusa-store -s $S put clips/x/v/360p.mp4 "$T/small" video/mp4
ok "stat" medusa-store -s $S stat clips/x/v/360p.mp4
is "$(lastout)" "{\"key\":\"clips/x/v/360p.mp4\",\"size\":70000,\"hash\":\"$h\"}" "stat gives size and BLAKE2b"
fails "stat of a missing key" 1 medusa-store -s $S stat clips/none
is "$(lastout)" '{"key":"clips/none","missing":true}' "... says missing"
ok "get" medusa-store -s $S get clips/x/v/360p.mp4 "$T/back"
ok "byte-identical" cmp "$T/small" "$T/back"
hdr=$(curl -sI "$AWS_ENDPOINT_URL/media/pre/fix/clips/x/v/360p.mp4")
like "$hdr" 'Content-Type: video/mp4' "Content-Type set"
like "$hdr" 'Cache-Control: public, max-age=31536000, immutable' "Cache-Control immutable"
like "$hdr" "x-amz-meta-blake2b: $h" "hash metadata"

: >> "$T/s3rver.log"; n0=$(grep -ac 'Stored object' "$T/s3rver.log")
ok "put of the same bytes again" medusa-store -s $S put clips/x/v/360p.mp4 "$T/small" video/mp4
is "$(grep -ac 'Stored object' "$T/s3rver.log")" "$n0" "... uploads nothing"

odd='clips/a b+c&d=e?f#g%h~ü/v/it'"'"'s "x".mp4'
ok "a key with spaces, +&=?#%~, UTF-8 and quotes" medusa-store -s $S put "$odd" "$T/small"
ok "... comes back" medusa-store -s $S get "$odd" "$T/odd"
ok "... identical" cmp "$T/small" "$T/odd"
like "$(medusa-store -s $S ls)" 'it'"'"'s \\"x\\".mp4' "ls lists it (JSON-escaped)"
fails "a key with .." 2 medusa-store -s $S put clips/../x "$T/small"
like "$(lasterr)" 'clips/../x: not a valid key' "... refused by name"

# paging: 7 keys at 3 a page
for i in 1 2 3 4 5 6 7; do echo "{\"key\":\"page/k$i\",\"file\":\"$T/small\"}"; done > "$T/many"
ok "put - (parallel)" medusa-store -s $S -j 4 put - < "$T/many"
is "$(lastout | wc -l)" 7 "one line per upload"
is "$(MEDUSA_S3_PAGE=3 medusa-store -s $S ls page/ | jq -r .key | tr '\n' ' ')" \
   "page/k1 page/k2 page/k3 page/k4 page/k5 page/k6 page/k7 " "ls follows continuation tokens"
like "$(grep -a 'continuation-token' "$T/s3rver.log" | head -1)" 'continuation-token=' "... it did page"
ok "rm - (batched)" sh -c "printf 'page/k%s\n' 1 2 3 4 5 6 | medusa-store -s $S rm -"
is "$(medusa-store -s $S ls page/ | jq -r .key)" "page/k7" "rm removed those"
ok "rm of a missing key is fine" medusa-store -s $S rm page/none
ok "get to a file in a missing dir fails cleanly" true
fails "get of a missing key" 1 medusa-store -s $S get clips/none "$T/none"
like "$(lasterr)" 's3://media/pre/fix/clips/none: no such key' "names bucket and key"
ok "no file left" test ! -e "$T/none"
ok "no temporary left" sh -c "! ls -a '$T' | grep -q tmp"

# multipart: 12 MB at 5 MiB parts, byte-identical, hash kept
head -c 12000000 /dev/urandom > "$T/big"
hb=$(b2sum -l 256 "$T/big" | cut -d' ' -f1)
ok "multipart put" env MEDUSA_S3_PART_SIZE=5242880 medusa-store -s $S put clips/big/v/720p.mp4 "$T/big" video/mp4
is "$(grep -ac 'Stored part' "$T/s3rver.log")" 3 "went up in 3 parts"
ok "multipart get" medusa-store -s $S get clips/big/v/720p.mp4 "$T/bigback"
ok "byte-identical" cmp "$T/big" "$T/bigback"
like "$(medusa-store -s $S stat clips/big/v/720p.mp4)" "\"size\":12000000,\"hash\":\"$hb\"" "size and hash of the whole"
like "$(curl -sI "$AWS_ENDPOINT_URL/media/pre/fix/clips/big/v/720p.mp4")" 'Cache-Control: public, max-age=31536000, immutable' "headers on multipart too"

# one connection for many requests
s3_proxy --conn-log "$T/conn.log"
ok "stat of five keys" medusa-store -s $S stat page/k7 clips/big/v/720p.mp4 page/k7 clips/big/v/720p.mp4 page/k7
is "$(wc -l < "$T/conn.log")" 5 "five requests"
is "$(sort -u "$T/conn.log" | wc -l)" 1 "over one connection"
s3_proxy_stop

fails "usage" 2 medusa-store
fails "unknown subcommand" 2 medusa-store -s $S frob
fails "--keep that is not a number" 2 medusa-store -s $S --keep x gc
like "$(lasterr)" 'medusa-store: --keep x: want a number from 0 to 1000' "says so"
fails "-j 0" 2 medusa-store -s $S -j 0 put -
fails "bad bucket name" 2 medusa-store -s s3://A_B/x ls
like "$(lasterr)" 's3://A_B: not a valid bucket name' "names the bucket"
fails "no keys" 2 env -u AWS_ACCESS_KEY_ID medusa-store -s $S ls
like "$(lasterr)" 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set' "says which"
mkdir -p "$T/home/.aws"
printf '[default]\naws_access_key_id = NOBODY\naws_secret_access_key = x\n\n[media]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > "$T/home/.aws/credentials"
printf '[profile media]\nregion = eu-west-3\n' > "$T/home/.aws/config"
ok "keys from ~/.aws/credentials (AWS_PROFILE)" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION \
    HOME="$T/home" AWS_PROFILE=media medusa-store -s $S stat page/k7
fails "the default profile's keys are refused by s3rver" 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    HOME="$T/home" medusa-store -s $S stat page/k7
like "$(lasterr)" 'access denied (HTTP 403' "... so the file was read"
fails "a bad region" 2 env AWS_REGION='x:y' medusa-store -s $S ls
like "$(lasterr)" 'AWS_REGION=x:y: not a region name' "names it"
fails "bad endpoint" 2 env AWS_ENDPOINT_URL=ftp://x medusa-store -s $S ls
done_testing
