#!/bin/sh
# The CGI wrapper of lighttpd-frontyard.conf: in /srv/medusa/cgi/, executable.
exec /usr/local/bin/medusa-serve frontyard -m /srv/medusa/metastore.sqlite -s /srv/medusa/files -k /srv/medusa/recache.pub -c /var/cache/medusa
