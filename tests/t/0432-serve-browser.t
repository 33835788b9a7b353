#!/bin/sh
# The backyard against a hostile page, in headless chromium: its pages
# cannot be framed (same origin or another site), a <video> on another
# site's page learns nothing of a private video (while the same probe reads
# a video another server does not protect), and a page under another name
# that resolves to 127.0.0.1 (DNS rebinding, chromium's host resolver
# rules) gets nothing and writes nothing.
. "$MEDUSA_SRC/tests/lib.sh"
. "$MEDUSA_SRC/tests/web/lib.sh"
. "$MEDUSA_SRC/tests/t/0400-serve-suite.sh"
web_require

by=$T/by
mkbackyard "$by"
mkvideo "$by/beach.mp4" 1
printf '{"clips": [{"id": "pv0001", "start": 0, "end": 1}]}\n' > "$by/beach.mp4.medusa.json"
# the editor's pages, and one more of the same origin that frames them
cp -R "$MEDUSA_SRC/web/backyard" "$T/web"
# the script makes the frame, so its load event cannot come before the
# listener (a refused frame may load before a script after it has run)
printf '<!doctype html><title>frame</title><body><script src="frame.js"></script></body>\n' > "$T/web/frame.html"
cat > "$T/web/frame.js" <<'JS'
const f = document.createElement('iframe');
f.id = 'f';
f.addEventListener('load', () => { document.body.dataset.loaded = '1'; });
f.src = 'index.html';
document.body.append(f);
JS
P=$(free_port)
start_tcpserver "$P" backyard -C "$by" -w "$T/web" -t 5

# another site: a static server with the hostile page and an unprotected video
mkdir -p "$T/evil"
cp "$by/beach.mp4" "$T/evil/public.mp4"
cat > "$T/evil/evil.html" <<'HTML'
<!doctype html><title>elsewhere</title>
<iframe id="f"></iframe>
<script>
// probe(url): what a <video> learns of url: metadata and duration, or an error
window.probe = url => new Promise(done => {
	const v = document.createElement('video');
	v.muted = true;
	v.preload = 'metadata';
	v.addEventListener('loadedmetadata', () => done({loaded: true, duration: v.duration}));
	v.addEventListener('error', () => done({loaded: false, error: v.error && v.error.code, duration: String(v.duration)}));
	v.src = url;
	document.body.append(v);
});
window.frame = url => new Promise(done => {
	const f = document.getElementById('f');
	f.addEventListener('load', () => done(true), {once: true});
	f.src = url;
});
</script>
HTML
PE=$(free_port)
start_static "$PE" "$T/evil"

BASE=http://127.0.0.1:$P EVIL=http://evil.test:$PE PUBLIC=http://127.0.0.1:$PE REBIND=http://rebind.test:$P \
  BACKYARD=$by node "$MEDUSA_SRC/tests/web/privacy.mjs"
