// The backyard editor in a real browser against a real medusa-serve:
// BASE (server URL), BACKYARD (its root), WEB_OUT (screenshots).
import fs from 'node:fs';
import path from 'node:path';
import { weight, ok, is, done, launch, newContext, newPage, axe, outdir, until, dialogOf, strictCSP } from './lib.mjs';

const BASE = process.env.BASE;
const BY = process.env.BACKYARD;
const out = outdir('backyard');
const VIDEO = 'trips/kyoto/temple.mp4';
const SIDECAR = path.join(BY, VIDEO + '.medusa.json');
const sidecar = () => JSON.parse(fs.readFileSync(SIDECAR, 'utf8'));
const videoURL = BASE + '/#v=' + encodeURIComponent(VIDEO);

const browser = await launch();
const ctx = await newContext(browser, {viewport: {width: 1280, height: 860}});
await strictCSP(ctx);

// A real page load (a goto that only changes the fragment would not be one).
async function fresh(p, u) {
	await p.goto('about:blank');
	await p.goto(u);
}
async function openVideo(p) {
	await fresh(p, videoURL);
	return until(p, () => { const v = document.querySelector('#vid'); return v && v.readyState >= 1 && v.duration > 0; });
}
// Seeks by clicking the timeline at a fraction of its width.
async function seekTo(p, t) {
	const d = await p.evaluate(() => document.querySelector('#vid').duration);
	const box = await p.locator('#timeline').boundingBox();
	await p.mouse.click(box.x + box.width * (t / d), box.y + 3);
	const r = await until(p, want => { const v = document.querySelector('#vid'); return !v.seeking && Math.abs(v.currentTime - want) < 0.1; }, t);
	// a failed seek is a failure even where the caller does not check it
	if (!r) ok(false, `the timeline seeks to ${t} s`, await p.evaluate(() => document.querySelector('#vid').currentTime));
	return r;
}
const field = (p, scope, tag) => p.locator(`${scope} [data-tag="${tag}"]`);

try {
	const a = await newPage(ctx);
	ok(await openVideo(a), 'the editor opens a video from the tree link and loads it from /media');
	await a.screenshot({path: path.join(out, 'tree.png')});
	is(await a.locator('#tree a[aria-current]').getAttribute('data-path'), VIDEO, 'the tree marks the open video');
	is(await a.locator(`#tree a[data-path="beach.mp4"]`).getAttribute('data-state'), 'none', 'a video without a sidecar is marked "none"');
	await a.locator('#tree summary', {hasText: 'home'}).click();
	is(await a.locator(`#tree a[data-path="home/cat.mp4"]`).getAttribute('data-state'), 'broken', 'a video with a broken sidecar is marked "broken"');
	await a.locator(`#tree a[data-path="home/cat.mp4"]`).click();
	ok(await until(a, () => /cannot be read/.test(document.querySelector('#status').textContent)), 'opening it says the sidecar cannot be read',
		await a.textContent('#status'));
	await a.fill('#find', 'TEMP');
	is(await a.$$eval('#found a', as => as.map(x => x.dataset.path)), [VIDEO], 'the find box lists the videos whose path matches');
	await a.locator(`#found a[data-path="${VIDEO}"]`).click();
	await a.fill('#find', '');
	ok(await until(a, () => { const v = document.querySelector('#vid'); return v && v.src.endsWith('temple.mp4') && v.readyState >= 1; }),
		'a click on a found video opens it');
	// the focus on the video's link in the tree: space plays all the same
	await a.focus(`#folders a[data-path="${VIDEO}"]`);
	await a.keyboard.press('Space');
	ok(await until(a, () => { const v = document.querySelector('#vid'); return !v.paused || v.ended; }), 'space right after picking a video plays it');
	await a.keyboard.press('k');
	await until(a, () => document.querySelector('#vid').paused);

	// seek and step through frames
	ok(await seekTo(a, 1.0), 'clicking the timeline seeks the video (Range on /media)');
	// a step is measured from a still picture: under load the play above
	// may have begun after the K, and a playing video moves between reads
	await a.evaluate(() => document.querySelector('#vid').pause());
	await until(a, () => { const v = document.querySelector('#vid'); return v.paused && !v.seeking; });
	const t0 = await a.evaluate(() => document.querySelector('#vid').currentTime);
	await a.keyboard.press('.');
	await until(a, () => !document.querySelector('#vid').seeking);
	const t1 = await a.evaluate(() => document.querySelector('#vid').currentTime);
	ok(t1 > t0 && t1 - t0 < 0.1, '"." steps one frame forward', {t0, t1});
	await a.keyboard.press(',');
	await until(a, () => !document.querySelector('#vid').seeking);
	const t2 = await a.evaluate(() => document.querySelector('#vid').currentTime);
	ok(t2 < t1, '"," steps one frame back', {t1, t2});
	await a.keyboard.press('Space');
	// playing, or already played to the end (a slow poll may come after it)
	ok(await until(a, () => { const v = document.querySelector('#vid'); return (!v.paused || v.ended) && v.currentTime > 1.1; }),
		'space plays the video');
	await a.keyboard.press('k');
	ok(await until(a, () => document.querySelector('#vid').paused), 'K stops it');
	await a.keyboard.press('l');
	await a.keyboard.press('l');
	ok(await until(a, () => { const v = document.querySelector('#vid'); return (!v.paused || v.ended) && v.playbackRate === 2; }), 'L twice plays forwards at 2×');
	await a.keyboard.press('k');
	await until(a, () => document.querySelector('#vid').paused);
	const tj = await a.evaluate(() => document.querySelector('#vid').currentTime);
	await a.keyboard.press('j');
	ok(await until(a, t => document.querySelector('#vid').currentTime < t - 0.3, tj), 'J goes backwards');
	await a.keyboard.press('k');
	ok(await until(a, () => { const v = document.querySelector('#vid'); return v.paused && v.playbackRate === 1; }), 'K stops the shuttle');

	// mark a clip with the keyboard
	await seekTo(a, 0.5);
	await a.keyboard.press('i');
	await seekTo(a, 1.5);
	await a.keyboard.press('o');
	is(await a.locator('#cliplist > li button').count(), 1, 'I then O make a clip in the list');
	is(await a.locator('#timeline .clipbar').count(), 1, 'the clip is on the timeline');

	// its tags: inherited from the folder until overridden
	const kindNote = await field(a, '#clipform', 'kind').locator('.note').textContent();
	ok(/travel/.test(kindNote) && /folder trips/.test(kindNote), 'the clip form shows the inherited value and its folder', kindNote);
	await field(a, '#clipform', 'place').locator('input').fill('Kyoto');
	await field(a, '#clipform', 'rating').locator('input').fill('5');
	await field(a, '#clipform', 'people').locator('input').fill('Alice');
	await field(a, '#clipform', 'people').locator('input').press('Enter');
	await field(a, '#clipform', 'public').locator('input').check();
	ok(await a.locator('#savebar.dirty').count() === 1, 'the page knows it has unsaved changes');
	await a.evaluate(() => { document.activeElement.blur(); scrollTo(0, 0); });
	await a.screenshot({path: path.join(out, 'editor.png')});
	await a.click('#save');
	ok(await until(a, () => document.querySelector('#status').textContent === 'Saved.'), 'save answers "Saved."',
		await a.textContent('#status'));

	let sc = sidecar();
	const c = (sc.clips || [])[0] || {};
	ok(sc.clips && sc.clips.length === 1 && Math.abs(c.start - 0.5) < 0.05 && Math.abs(c.end - 1.5) < 0.05,
		'the sidecar on disk has the clip with its times', sc);
	is([c.tags && c.tags.place, c.tags && c.tags.rating, c.tags && c.tags.people, c.tags && c.tags.public],
		['Kyoto', 5, ['Alice'], true], 'the sidecar has the clip tags as set');
	ok(typeof c.id === 'string' && c.id.length > 0, 'the server gave the new clip an id');
	ok(!('kind' in (c.tags || {})), 'an inherited tag is not written into the clip');

	// reload shows it
	ok(await openVideo(a), 'the page reloads');
	is(await a.locator('#cliplist > li button').count(), 1, 'after reload the clip is listed');
	await a.locator('#cliplist > li button').first().click();
	is(await field(a, '#clipform', 'place').locator('input').inputValue(), 'Kyoto', 'after reload the clip form shows its tags');
	ok(await until(a, () => { const v = document.querySelector('#vid'); return !v.paused && v.currentTime >= 0.4 && v.currentTime <= 1.6; }),
		'clicking a clip plays it from its start');
	await a.evaluate(() => {
		const v = document.querySelector('#vid');
		window.loopSeen = {late: false, wrapped: false, past: false};
		v.addEventListener('timeupdate', () => {
			if (v.currentTime > 1.2) window.loopSeen.late = true;
			if (v.currentTime > 1.7) window.loopSeen.past = true;
			if (window.loopSeen.late && v.currentTime < 0.9) window.loopSeen.wrapped = true;
		});
	});
	ok(await until(a, () => window.loopSeen.wrapped), 'the clip plays in a loop');
	ok(!(await a.evaluate(() => window.loopSeen.past)), 'the loop stays inside the clip');
	await a.keyboard.press('k');

	// required tags are marked; an override goes back to inheriting
	const kindLabel = field(a, '#clipform', 'kind').locator('label');
	ok(/\*/.test(await kindLabel.textContent()) &&
		await field(a, '#clipform', 'kind').locator('select').getAttribute('aria-required') === 'true', 'a required tag is marked');
	await field(a, '#clipform', 'public').getByRole('button', {name: /Inherit/}).click();
	ok(/Inherits false from the default/.test(await field(a, '#clipform', 'public').locator('.note').textContent()),
		'"Inherit" clears the override and shows the inherited value again');
	await a.click('#save');
	ok(await until(a, () => document.querySelector('#status').textContent === 'Saved.'), 'saved');
	ok(!('public' in (sidecar().clips[0].tags || {})), 'the cleared override is gone from the sidecar', sidecar());

	// two pages, one video: the second save is a conflict, and both edits stay
	const b = await newPage(ctx);
	ok(await openVideo(b), 'a second page opens the same video');
	await seekTo(a, 2.0);
	await a.keyboard.press('Escape');
	await a.keyboard.press('i');
	await seekTo(a, 2.5);
	await a.keyboard.press('o');
	await a.click('#save');
	ok(await until(a, () => document.querySelector('#status').textContent === 'Saved.'), 'the first page saves a second clip');
	await b.locator('.vtags [data-tag="place"] input').fill('Japan');
	b.expected.push(412);
	await b.click('#save');
	ok(await until(b, () => !document.querySelector('#conflict').hidden), 'the second page gets the conflict view');
	const ctext = await b.textContent('#conflict');
	ok(/added/.test(ctext) && /place/.test(ctext), 'the conflict view says what they changed and what you changed', ctext);
	is(sidecar().tags.place, undefined, 'the refused save changed nothing on disk');
	await b.locator('#conflict').scrollIntoViewIfNeeded();
	await b.screenshot({path: path.join(out, 'conflict.png')});
	await b.getByRole('button', {name: 'Reload and keep my edits'}).click();
	is(await b.locator('.vtags [data-tag="place"] input').inputValue(), 'Japan', 'after reload the unsaved edit is still there');
	is(await b.locator('#cliplist > li button').count(), 2, 'after reload the other page\'s clip is there too');
	await b.click('#save');
	ok(await until(b, () => document.querySelector('#status').textContent === 'Saved.'), 'the merged document saves');
	sc = sidecar();
	ok(sc.clips.length === 2 && sc.tags.place === 'Japan', 'both edits are in the sidecar', sc);

	// an invalid value: the message beside the field as one types, nothing written
	const before = fs.readFileSync(SIDECAR);
	await b.locator('#cliplist > li button').first().click();
	await b.keyboard.press('k');
	await field(b, '#clipform', 'rating').locator('input').fill('2.5');
	const err = field(b, '#clipform', 'rating').locator('.err');
	ok(await until(b, () => { const e = document.querySelector('#clipform [data-tag="rating"] .err'); return e && !e.hidden; }),
		'an invalid value gets a message beside the field as it is typed');
	const msg = await err.textContent();
	ok(/whole number/.test(msg), 'the message is in plain words', msg);
	await b.click('#save');
	ok(/^Not saved: Clip 1, rating: must be a whole number/.test(await b.textContent('#status')), 'save says why it does not save',
		await b.textContent('#status'));
	ok(Buffer.compare(before, fs.readFileSync(SIDECAR)) === 0, 'the refused value wrote nothing');
	await b.screenshot({path: path.join(out, 'invalid.png')});

	// moving to another video with unsaved changes asks first; no keeps them
	const asked = await dialogOf(b, () => b.locator('#tree a[data-path="beach.mp4"]').click());
	ok(asked && asked.type === 'confirm' && /unsaved/.test(asked.message), 'opening another video with unsaved changes asks first', asked);
	ok(await until(b, want => document.querySelector('h2.path').textContent === want &&
		/temple/.test(decodeURIComponent(location.href)) &&
		document.querySelector('#clipform [data-tag="rating"] input').value === '2.5', VIDEO),
	'saying no keeps the page and the edit', await b.evaluate(() => [location.href, document.querySelector('h2.path').textContent]));

	// leaving with unsaved changes asks first
	const warned = await dialogOf(b, () => b.close({runBeforeUnload: true}));
	ok(warned && warned.type === 'beforeunload', 'closing a page with unsaved changes warns first', warned);

	// an odd file name: through the tree, the URL, the API and back to disk
	const ODD = "odd dir/it's #1 (ü) & <b>%20.mp4";
	await fresh(a, BASE + '/');
	await a.locator('#tree summary', {hasText: 'odd dir'}).click();
	await a.locator('#tree a.video', {hasText: 'it\'s #1'}).click();
	ok(await until(a, () => { const v = document.querySelector('#vid'); return v && v.readyState >= 1 && v.duration > 0; }),
		'a video with an odd name opens from the tree');
	is(await a.textContent('h2.path'), ODD, 'its name shows as it is');
	await seekTo(a, 0.2);
	await a.keyboard.press('i');
	await seekTo(a, 0.8);
	await a.keyboard.press('o');
	await a.click('#save');
	ok(await until(a, () => document.querySelector('#status').textContent === 'Saved.'), 'a clip of it saves');
	let odd = null;
	try { odd = JSON.parse(fs.readFileSync(path.join(BY, ODD + '.medusa.json'), 'utf8')); } catch { /* missing */ }
	ok(odd && odd.clips && odd.clips.length === 1, 'its sidecar is beside it on disk', odd);

	// the folder view edits folder.medusa.json
	await fresh(a, BASE + '/#f=trips');
	ok(await until(a, () => document.querySelector('#editor h2').textContent === 'Folder trips' &&
		document.querySelector('#editor [data-tag="kind"] select')), 'the folder view opens');
	is(await field(a, '#editor', 'kind').locator('select').inputValue(), 'travel', 'it shows the folder\'s own value');
	await field(a, '#editor', 'rating').locator('input').fill('4');
	await a.click('#save');
	ok(await until(a, () => document.querySelector('#status').textContent === 'Saved.'), 'the folder saves');
	const ff = JSON.parse(fs.readFileSync(path.join(BY, 'trips/folder.medusa.json'), 'utf8'));
	is([ff.tags.kind, ff.tags.rating], ['travel', 4], 'folder.medusa.json has the new value and kept the old');
	await a.screenshot({path: path.join(out, 'folder.png')});
	const vf = await axe(a);
	ok(vf.length === 0, 'the folder view has no serious accessibility violations', vf);

	await openVideo(a);
	await a.locator('#cliplist > li button').first().click();
	await a.keyboard.press('k');
	const vv = await axe(a);
	ok(vv.length === 0, 'the video view has no serious accessibility violations', vv);
	ok(weight(a) > 0 && weight(a) < 150000, `the page weighs under 150 KB without media (${weight(a)} bytes)`, [...a.weight]);
	fs.writeFileSync(path.join(out, 'console-errors.txt'), [...a.errors, ...b.errors].join('\n') + '\n');
	ok(a.errors.length === 0 && b.errors.length === 0, 'no console errors', [...a.errors, ...b.errors]);
} catch (e) {
	ok(false, 'the test ran to the end', e.stack);
} finally {
	await browser.close();
}
process.exit(done() ? 0 : 1);
