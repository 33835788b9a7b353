// The backyard against hostile pages (tests/t/0432): framing, a
// cross-origin <video> probe, DNS rebinding. BASE is the backyard, EVIL a
// page of another site, PUBLIC the same video on a server that does not
// protect it, REBIND the backyard under a name that resolves to it.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ok, is, done, newContext, newPage, until } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(path.join(here, '../node/package.json'))('playwright-core');
const { BASE, EVIL, PUBLIC, REBIND, BACKYARD } = process.env;
const SIDECAR = path.join(BACKYARD, 'beach.mp4.medusa.json');
const host = u => new URL(u).hostname;

// both names resolve to 127.0.0.1, as an attacker's DNS would make them
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
		`--host-resolver-rules=MAP ${host(EVIL)} 127.0.0.1, MAP ${host(REBIND)} 127.0.0.1`],
});
const ctx = await newContext(browser);
// the frame of a page: its only child
const child = p => p.mainFrame().childFrames()[0];
const hasEditor = async f => f && (await f.locator('#tree').count().catch(() => 0)) > 0;
let failed = false;
try {
	// the editor itself works under its headers
	const a = await newPage(ctx);
	await a.goto(BASE + '/');
	ok(await until(a, () => document.querySelectorAll('#tree a').length > 0), 'the editor loads on its own origin');
	const own = await a.evaluate(url => new Promise(done => {
		const v = document.createElement('video');
		v.muted = true;
		v.addEventListener('loadedmetadata', () => done({loaded: true, duration: v.duration}));
		v.addEventListener('error', () => done({loaded: false}));
		v.src = url;
	}), BASE + '/media/beach.mp4');
	ok(own.loaded && own.duration > 0.5, 'its own page reads the video\'s duration', own);
	is(a.errors, [], 'no console errors on the editor (its Content-Security-Policy allows what it does)');

	// framed by a page of its own origin: the browser refuses (X-Frame-Options, frame-ancestors)
	const b = await newPage(ctx);
	await b.goto(BASE + '/frame.html');
	ok(await until(b, () => document.body.dataset.loaded === '1'), 'a same-origin frame of the editor loads something');
	ok(!(await hasEditor(child(b))), 'but not the editor: the browser refuses to frame it', child(b) && child(b).url());

	// framed by another site
	const e = await newPage(ctx);
	await e.goto(EVIL + '/evil.html');
	ok(await e.evaluate(u => window.frame(u), BASE + '/'), 'another site\'s frame of the editor loads something');
	ok(!(await hasEditor(child(e))), 'but not the editor', child(e) && child(e).url());

	// a <video> on another site's page
	const pub = await e.evaluate(u => window.probe(u), PUBLIC + '/public.mp4');
	ok(pub.loaded && pub.duration > 0.5, 'the probe reads the duration of an unprotected video elsewhere', pub);
	const priv = await e.evaluate(u => window.probe(u), BASE + '/media/beach.mp4');
	ok(!priv.loaded, 'the same probe learns no metadata of the backyard\'s video', priv);
	is(priv.duration, 'NaN', 'nor its duration');
	const missing = await e.evaluate(u => window.probe(u), BASE + '/media/nope.mp4');
	is(JSON.stringify(missing), JSON.stringify(priv), 'a video that exists looks like one that does not');

	// DNS rebinding: the backyard under another name
	const before = fs.readFileSync(SIDECAR, 'utf8');
	const r = await newPage(ctx);
	const resp = await r.goto(REBIND + '/');
	is(resp.status(), 421, 'the editor under another name: 421');
	ok(!(await hasEditor(r.mainFrame())), 'no editor');
	const api = await r.evaluate(async () => {
		const g = await fetch('api/videos');
		const text = await g.text();
		const p = await fetch('api/videos/beach.mp4/meta', {method: 'PUT', headers: {'If-Match': '"x"'}, body: '{"clips":[]}'});
		return {get: g.status, text, put: p.status};
	});
	is([api.get, api.put], [421, 421], 'the page\'s own fetches under that name: 421, read and write');
	ok(!api.text.includes('beach'), 'no video named in the answer', api.text);
	is(fs.readFileSync(SIDECAR, 'utf8'), before, 'the sidecar is unchanged');
} catch (err) {
	failed = true;
	ok(false, 'the test ran to the end', err.stack);
}
await browser.close();
process.exit(done() && !failed ? 0 : 1);
