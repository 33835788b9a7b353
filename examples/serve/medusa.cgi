#!/bin/sh
# The CGI wrapper for lighttpd.conf (or any web server's CGI): put it in the
# document root, executable.
exec /usr/local/bin/medusa-serve backyard -C /home/medusa/videos
