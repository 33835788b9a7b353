// The editor's timeline in a real browser against a real medusa-serve:
// BASE (server URL), BACKYARD (its root), WEB_OUT (screenshots).
import fs from 'node:fs';
import path from 'node:path';
import { weight, ok, is, done, launch, newContext, newPage, axe, outdir, until, strictCSP } from './lib.mjs';

const BASE = process.env.BASE;
const BY = process.env.BACKYARD;
const out = outdir('backyard');
const VIDEO = 'cuts.mp4';
const SIDECAR = path.join(BY, VIDEO + '.medusa.json');
const sidecar = () => JSON.parse(fs.readFileSync(SIDECAR, 'utf8'));
const api = p => fetch(BASE + '/api/videos/' + VIDEO + '/' + p).then(async r => ({status: r.status, headers: r.headers, body: await r.json().catch(() => null)}));
const FRAME = 1 / 25;

const browser = await launch();
const ctx = await newContext(browser, {viewport: {width: 1280, height: 900}});
await strictCSP(ctx);

async function openVideo(p) {
	await p.goto('about:blank');
	await p.goto(BASE + '/#v=' + encodeURIComponent(VIDEO));
	return until(p, () => { const v = document.querySelector('#vid'); return v && v.readyState >= 2 && v.duration > 0 &&
		document.querySelectorAll('#tlitems .scene').length > 0; });
}
async function seek(p, t) {
	await p.evaluate(t0 => { document.querySelector('#vid').currentTime = t0; }, t);
	return until(p, t0 => { const v = document.querySelector('#vid'); return !v.seeking && Math.abs(v.currentTime - t0) < 0.01 && v.readyState >= 2; }, t);
}
// x on the page of time t on the timeline
const xOf = (p, t) => p.evaluate(t0 => {
	const el = document.querySelector('#timeline'), r = el.getBoundingClientRect();
	return r.left + (t0 - Number(el.dataset.from)) / Number(el.dataset.span) * el.clientWidth;
}, t);
const status = p => p.textContent('#status');

// PSNR (dB) of two RGBA pixel arrays
const psnrJS = `(a, b) => { let se = 0, n = 0; for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) { const d = a[i + c] - b[i + c]; se += d * d; n++; } return se === 0 ? 99 : 10 * Math.log10(255 * 255 / (se / n)); }`;

try {
	// the API: one decode made all four, the version caches for good
	const tiles = await api('filmstrip.json');
	is(tiles.status, 200, 'GET filmstrip.json answers');
	const T = tiles.body;
	ok(T && T.width > 0 && T.height > 0 && T.columns > 0 && Array.isArray(T.times) && T.times.length >= 8,
		'it gives the tile size, the layout and each tile\'s time', T);
	ok(T.times.includes(2), 'a tile at 2.0 s', T.times);
	const sheet = await fetch(`${BASE}/api/videos/${VIDEO}/filmstrip?v=${encodeURIComponent(T.version)}`);
	is([sheet.status, sheet.headers.get('content-type')], [200, 'image/jpeg'], 'the filmstrip is a JPEG');
	ok(/immutable/.test(sheet.headers.get('cache-control') || ''), 'the versioned filmstrip may be cached for good', sheet.headers.get('cache-control'));
	const plainFs = await fetch(`${BASE}/api/videos/${VIDEO}/filmstrip`);
	ok(/no-cache/.test(plainFs.headers.get('cache-control') || ''), 'the unversioned one is revalidated', plainFs.headers.get('cache-control'));
	const scenes = (await api('scenes')).body.scenes;
	ok(scenes.length === 2 && Math.abs(scenes[0] - 2.4) <= FRAME && Math.abs(scenes[1] - 3.2) <= FRAME,
		'the scene changes are the two cuts, within a frame', scenes);
	const W = (await api('waveform')).body;
	const peak = t => W.peaks[Math.floor(t * W.rate)];
	ok(W.rate > 0 && peak(1.5) > 20 && peak(0.5) < 5 && peak(3) < 5, 'the waveform has the tone at 1-2 s and silence around it',
		{rate: W.rate, at05: peak(0.5), at15: peak(1.5), at3: peak(3)});
	is((await fetch(BASE + '/api/videos/nope.mp4/scenes')).status, 404, 'an unknown video is a 404');

	const p = await newPage(ctx);
	ok(await openVideo(p), 'the editor opens the video and its timeline');

	// a thumbnail at 2.0 s is the frame at 2.0 s (against the frame at 1.5 s)
	await seek(p, 2.0);
	const cmp = await p.evaluate(async ([fsj, psnrSrc]) => {
		const psnr = eval(psnrSrc);
		const img = new Image();
		img.src = 'api/videos/cuts.mp4/filmstrip?v=' + encodeURIComponent(fsj.version);
		await img.decode();
		const grab = (src, sx, sy, sw, sh) => {
			const c = document.createElement('canvas');
			c.width = fsj.width; c.height = fsj.height;
			const x = c.getContext('2d');
			if (sw) x.drawImage(src, sx, sy, sw, sh, 0, 0, c.width, c.height); else x.drawImage(src, 0, 0, c.width, c.height);
			return x.getImageData(0, 0, c.width, c.height).data;
		};
		const tile = t => { const i = fsj.times.indexOf(t); return grab(img, (i % fsj.columns) * fsj.width, Math.floor(i / fsj.columns) * fsj.height, fsj.width, fsj.height); };
		const v = document.querySelector('#vid');
		const at2 = grab(v);
		v.currentTime = 1.0;
		await new Promise(r => v.addEventListener('seeked', r, {once: true}));
		await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
		const at1 = grab(v);
		return {same: psnr(tile(2), at2), other: psnr(tile(2), at1), tile1: psnr(tile(1), at1)};
	}, [T, psnrJS]);
	ok(cmp.same > 18 && cmp.same > cmp.other + 5 && cmp.tile1 > 18, 'the 2.0 s tile matches the frame at 2.0 s, not the one at 1.0 s (PSNR)', cmp);

	// on the timeline: zoomed in, the strip at 2.0 s shows that tile
	await seek(p, 2.0);
	await p.locator('#main').focus();
	for (let i = 0; i < 2; i++) await p.keyboard.press('+');
	ok(await until(p, () => Number(document.querySelector('#timeline').dataset.span) < 1.5), 'the + key zooms in',
		await p.evaluate(() => document.querySelector('#timeline').dataset.span));
	const drawn = await p.evaluate(async ([fsj, psnrSrc]) => {
		const psnr = eval(psnrSrc);
		const el = document.querySelector('#timeline'), c = document.querySelector('#tlcanvas');
		const dpr = c.width / c.clientWidth, xs = t => (t - Number(el.dataset.from)) / Number(el.dataset.span) * c.clientWidth;
		const h = 48 * dpr, w = Math.round(h * fsj.width / fsj.height);
		const region = t => c.getContext('2d').getImageData(Math.round(xs(t) * dpr), 0, w, h).data;
		const img = new Image();
		img.src = 'api/videos/cuts.mp4/filmstrip?v=' + encodeURIComponent(fsj.version);
		await img.decode();
		const ref = t => {
			const i = fsj.times.indexOf(t), k = document.createElement('canvas');
			k.width = w; k.height = h;
			k.getContext('2d').drawImage(img, (i % fsj.columns) * fsj.width, Math.floor(i / fsj.columns) * fsj.height, fsj.width, fsj.height, 0, 0, w, h);
			return k.getContext('2d').getImageData(0, 0, w, h).data;
		};
		// the waveform row: drawn at 1.5 s (the tone) only if it is in view
		return {at2: psnr(region(2), ref(2)), vs1: psnr(region(2), ref(1))};
	}, [T, psnrJS]);
	ok(drawn.at2 > 18 && drawn.at2 > drawn.vs1 + 6, 'the strip shows the 2.0 s tile where 2.0 s is on the timeline', drawn);
	await p.getByRole('button', {name: 'Whole video'}).click();
	const wv = await p.evaluate(() => {
		const el = document.querySelector('#timeline'), c = document.querySelector('#tlcanvas');
		const dpr = c.width / c.clientWidth, x = t => Math.round((t - Number(el.dataset.from)) / Number(el.dataset.span) * c.clientWidth * dpr);
		const col = t => { const d = c.getContext('2d').getImageData(x(t), 48 * dpr, 1, 30 * dpr).data; let lit = 0;
			for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 90) lit++; return lit; };
		return {tone: col(1.5), quiet: col(0.5)};
	});
	ok(wv.tone > 6 && wv.quiet < 3, 'the waveform under the strip shows the tone at 1.5 s and silence at 0.5 s', wv);

	// lanes: the two overlapping clips in two lanes, the third back in the first
	const lanes = await p.$$eval('#tlitems .clipbar', bs => bs.map(b => b.dataset.lane));
	is(lanes, ['0', '1', '0'], 'overlapping clips are in lanes of their own');
	const tops = await p.$$eval('#tlitems .clipbar', bs => bs.map(b => b.getBoundingClientRect().top));
	ok(tops[1] > tops[0] && tops[2] === tops[0], 'and the lanes do not overlap on the screen', tops);

	// a click on empty timeline seeks
	const sy = (await p.locator('#timeline').boundingBox()).y + 20;
	await p.mouse.click(await xOf(p, 3.0), sy);
	ok(await until(p, () => { const v = document.querySelector('#vid'); return !v.seeking && Math.abs(v.currentTime - 3.0) < 0.1; }),
		'a click on the filmstrip seeks there');
	is(await p.locator('#clipform form').count(), 0, 'and selects no clip');
	await p.screenshot({path: path.join(out, 'timeline.png')});

	// scene changes: "split here" on the clip that spans them
	await p.locator('#tlitems .clipbar').nth(2).click();
	const splits = await p.$$eval('#clipform .split', bs => bs.map(b => b.textContent));
	is(splits, ['Split at 0:02.400', 'Split at 0:03.200'], 'the clip form offers its scene changes as splits');
	await p.locator('#clipform .split').first().click();
	is(await p.locator('#cliplist > li[data-k]').count(), 4, 'a split makes two clips of one');
	// drag the new clip's end from 3.8 s to near 3.2 s: it snaps to the scene change
	const bar = p.locator('#tlitems .clipbar[aria-pressed=true]');
	const bb = await bar.boundingBox();
	await p.mouse.move(bb.x + bb.width - 3, bb.y + bb.height / 2);
	await p.mouse.down();
	const target = await xOf(p, 3.22);
	await p.mouse.move((bb.x + bb.width + target) / 2, bb.y + bb.height / 2, {steps: 3});
	await p.mouse.move(target, bb.y + bb.height / 2, {steps: 3});
	await p.mouse.up();
	ok(await until(p, () => document.querySelector('#ct-end') && document.querySelector('#ct-end').value === '0:03.200'),
		'dragging an edge near a scene change snaps to it', await p.inputValue('#ct-end').catch(() => null));
	await p.click('#save');
	ok(await until(p, () => /^Saved/.test(document.querySelector('#status').textContent)), 'saved', await status(p));
	const sc = sidecar();
	ok(sc.clips.length === 4 && sc.clips[2].end === 2.4 && sc.clips[3].start === 2.4 && sc.clips[3].end === 3.2,
		'the sidecar has the split and the retimed end', sc.clips);

	// the publish status line: one reconcile ran before these edits
	ok(await until(p, () => /not in the gallery yet/.test(document.querySelector('#publish').textContent)),
		'the status line says saved clips are not in the gallery yet', await p.textContent('#publish'));
	const pub = await p.textContent('#publish');
	ok(/Last reconcile .* ago/.test(pub) && pub.includes('medusa-reconcile -C ' + BY), 'with the last reconcile and the command to run', pub);
	const ps = await (await fetch(BASE + '/api/publish')).json();
	is([ps.saved, ps.pending], [4, 2], 'GET /api/publish counts the saved clips and those not published as saved');

	// undo brings a deleted clip back, with its tags, exactly
	const before = sidecar().clips[0];
	await p.locator('#cliplist > li[data-k] button').first().click();
	await p.keyboard.press('k');
	await p.getByRole('button', {name: 'Delete clip'}).click();
	is(await p.locator('#cliplist > li[data-k]').count(), 3, 'a clip is deleted');
	await p.locator('#main').focus();
	await p.keyboard.press('Control+z');
	ok(await until(p, () => document.querySelectorAll('#cliplist > li[data-k]').length === 4), 'Ctrl+Z brings it back', await status(p));
	await p.keyboard.press('Control+Shift+z');
	ok(await until(p, () => document.querySelectorAll('#cliplist > li[data-k]').length === 3), 'Ctrl+Shift+Z deletes it again');
	await p.click('#undo');
	ok(await until(p, () => document.querySelectorAll('#cliplist > li[data-k]').length === 4), 'the Undo button brings it back again');
	await p.click('#save');
	ok(await until(p, () => /^Saved/.test(document.querySelector('#status').textContent)), 'saved again');
	is(sidecar().clips[0], before, 'the sidecar has the clip as it was: id, times and tags');

	// typing: the field's own undo, and problems in words as one types
	await p.locator('#cliplist > li[data-k] button').nth(1).click();
	await p.keyboard.press('k');
	const place = p.locator('#clipform [data-tag="place"] input');
	await place.fill('Nara');
	await place.press('Control+z');
	is(await p.locator('#cliplist > li[data-k]').count(), 4, 'Ctrl+Z in a text field leaves the clips alone');
	ok(!/Undone/.test(await status(p)), 'and is not the page\'s undo', await status(p));
	await place.fill('');
	await p.fill('#ct-end', '0.5');
	ok(await until(p, () => /Clip 2 ends before it starts/.test(document.querySelector('#problems').textContent)),
		'a clip that ends before it starts is said so as one types', await p.textContent('#problems'));
	ok(/ends before it starts/.test(await p.textContent('#clipform [data-path="clips[1].end"] .err')), 'beside the field too');
	const bytes = fs.readFileSync(SIDECAR);
	await p.click('#save');
	ok(/^Not saved: Clip 2 ends before it starts/.test(await status(p)), 'save says why it does not save', await status(p));
	ok(Buffer.compare(bytes, fs.readFileSync(SIDECAR)) === 0, 'and writes nothing');
	await p.fill('#ct-end', '2');
	ok(await until(p, () => document.querySelector('#problems').hidden), 'fixing it clears the problem');

	// a save warning, the server's own: Clip 2 is saved without the required
	// kind (the config gives it no default), so it cannot be published
	const kind = p.locator('#clipform [data-tag="kind"] select');
	await kind.selectOption('');
	ok(await until(p, () => /will not be published: kind is required/.test(document.querySelector('#cliplist > li[data-k]:nth-child(2) .missing').textContent)),
		'clearing a required tag says the clip will not be published', await p.textContent('#cliplist > li[data-k]:nth-child(2)'));
	await p.click('#save');
	const warned = 'Saved, but Clip 2 will not be published: kind is required: no value from the clip, the video, ' +
		'its folders or a default, so this clip is not published.';
	ok(await until(p, w => document.querySelector('#status').textContent === w, warned),
		'the server\'s save warning is said on the page, naming the clip', await status(p));
	ok(/Not published: kind is required: no value/.test(await p.textContent('#cliplist > li[data-k]:nth-child(2)')), 'and marks the clip in the list');
	const back = await api('meta');
	const c2 = back.body && back.body.meta && back.body.meta.clips[1];
	is([back.status, c2 && c2.id, c2 && c2.start, c2 && c2.end, c2 && c2.tags && c2.tags.kind], [200, 'middle2', 1, 2, undefined],
		'the clip was saved without kind: GET meta gives it back so', back.body);
	is(sidecar().clips[1], c2, 'and the sidecar holds it as the server answered');

	const vv = await axe(p);
	ok(vv.length === 0, 'the timeline view has no serious accessibility violations', vv);
	ok(weight(p) > 0 && weight(p) < 150000, `the page weighs under 150 KB without media (${weight(p)} bytes)`, [...p.weight]);

	// a phone: the player and the marking buttons stay in view, above the save bar
	const phone = await newContext(browser, {viewport: {width: 390, height: 844}, isMobile: true, hasTouch: true});
	await strictCSP(phone);
	const m = await newPage(phone);
	ok(await openVideo(m), 'the editor opens on a phone');
	await m.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
	const seen = await m.evaluate(() => ['#vid', '.mark-out', '.mark-in', '#timeline'].map(s => {
		const r = document.querySelector(s).getBoundingClientRect(), x = r.left + Math.min(r.width / 2, 20), y = r.top + Math.min(r.height / 2, 10);
		const hit = document.elementFromPoint(x, y);
		return r.bottom > 0 && r.top < innerHeight && !!hit && (hit === document.querySelector(s) || document.querySelector(s).contains(hit));
	}));
	is(seen, [true, true, true, true], 'scrolled to the end, the video, Mark in/out and the timeline are in view and not covered');
	await m.screenshot({path: path.join(out, 'phone.png')});
	const mv = await axe(m);
	ok(mv.length === 0, 'no serious accessibility violations on the phone', mv);
	fs.writeFileSync(path.join(out, 'timeline-console-errors.txt'), [...p.errors, ...m.errors].join('\n') + '\n');
	ok(p.errors.length === 0 && m.errors.length === 0, 'no console errors (CSP violations included)', [...p.errors, ...m.errors]);
	await phone.close();
} catch (e) {
	ok(false, 'the test ran to the end', e.stack);
} finally {
	await browser.close();
}
process.exit(done() ? 0 : 1);
