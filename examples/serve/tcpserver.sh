#!/bin/sh
# medusa-serve frontyard under tcpserver (ucspi-tcp): a daemontools or runit
# run script, or run it by hand. -R -H: no ident or DNS lookups; -c: at
# most that many connections at once. Set the variables to yours.
: "${FRONTYARD:=/srv/medusa}"
: "${ADDR:=0.0.0.0}"
: "${PORT:=8081}"
: "${CACHE:=/var/cache/medusa}"
exec tcpserver -R -H -l 0 -c 200 "$ADDR" "$PORT" \
	medusa-serve frontyard -m "$FRONTYARD/metastore.sqlite" -s "$FRONTYARD/files" \
	-k "$FRONTYARD/recache.pub" -c "$CACHE"
