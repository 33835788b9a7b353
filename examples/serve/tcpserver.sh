#!/bin/sh
# medusa-serve frontyard under tcpserver (ucspi-tcp): a daemontools or runit
# run script, or run it by hand. -R -H: no ident or DNS lookups; -c: at
# most that many connections at once; -b: a listen queue that holds the
# clients waiting for one of them (medusa-serve sees them waiting and
# closes idle connections early); -l 16 on medusa-serve: tcpserver has no
# limit per client address, so medusa-serve answers a client with more
# connections open 503 at once. Set the variables to yours.
: "${FRONTYARD:=/srv/medusa}"
: "${ADDR:=0.0.0.0}"
: "${PORT:=8081}"
: "${CACHE:=/var/cache/medusa}"
exec tcpserver -R -H -l 0 -c 200 -b 256 "$ADDR" "$PORT" \
	medusa-serve frontyard -l 16 -m "$FRONTYARD/metastore.sqlite" -s "$FRONTYARD/files" \
	-k "$FRONTYARD/recache.pub" -c "$CACHE"
