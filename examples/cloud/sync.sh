#!/bin/sh
# Reconcile the home frontyard, then mirror it to the cloud and re-cache the
# replicas. From cron:  */15 * * * *  cd ~/videos && /path/to/sync.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
set -a
. "$here/medusa.env"
set +a
medusa-reconcile -q
# the home gallery shows every clip; the cloud copy only the public ones
medusa-sync -q -t "$MEDUSA_TARGET" -W public=true \
    -r https://a.example.com/ -r https://b.example.com/ \
    -k "${MEDUSA_SIGNING_KEY:-../frontyard/recache.key}"
