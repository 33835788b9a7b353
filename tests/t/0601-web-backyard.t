#!/bin/sh
# The backyard editor in headless chromium against medusa-serve backyard:
# open, seek, frame steps, mark in/out with the keyboard, tags, save to the
# sidecar, reload; a conflict between two pages; a refused value; the folder
# view; accessibility (axe-core); no console errors; screenshots.
. "$MEDUSA_SRC/tests/lib.sh"
. "$MEDUSA_SRC/tests/web/lib.sh"
web_require

by=$T/backyard
mkbackyard "$by"
mkdir -p "$by/trips/kyoto" "$by/home"
mkvideo "$by/trips/kyoto/temple.mp4" 3
mkvideo "$by/beach.mp4" 1
cp "$by/beach.mp4" "$by/home/cat.mp4"
mkdir -p "$by/odd dir"
cp "$by/beach.mp4" "$by/odd dir/it's #1 (ü) & <b>%20.mp4"
printf '{"tags": {"kind": "travel"}}\n' > "$by/trips/folder.medusa.json"
printf '{broken\n' > "$by/home/cat.mp4.medusa.json"

web_serve backyard -C "$by"
BACKYARD=$by node "$MEDUSA_SRC/tests/web/backyard.mjs"
st=$?
[ $st -ne 0 ] || web_docshots backyard/editor backyard/conflict
exit $st
