// The frontyard gallery in a real browser against a real medusa-serve over a
// reconciled frontyard: BASE (server URL), WEB_OUT (screenshots),
// SECRETS (strings that must never show: backyard paths).
import fs from 'node:fs';
import path from 'node:path';
import { weight, ok, is, done, launch, newContext, newPage, axe, outdir, until, strictCSP } from './lib.mjs';

const BASE = process.env.BASE;
const SECRETS = (process.env.SECRETS || '').split(':').filter(Boolean);
const out = outdir('frontyard');

const browser = await launch();
const ctx = await newContext(browser, {viewport: {width: 1000, height: 800}});
await strictCSP(ctx);
const cards = p => p.locator('#grid a.card');
const ids = p => p.$$eval('#grid a.card', as => as.map(a => a.dataset.id));
const apiGet = async q => (await fetch(BASE + q)).json();
// the grid shows n clips and the filter bar has the counts for the same
// view (the two requests answer in any order)
const loaded = (p, n) => until(p, want => document.querySelectorAll('#grid a.card').length === want &&
	!/Loading/.test(document.querySelector('#count').textContent) &&
	document.querySelector('#facets').getAttribute('aria-busy') !== 'true', n);
// a value's check box in a tag's menu (the menu opened first)
async function pick(p, tag, value) {
	const det = p.locator(`details.facet[data-tag="${tag}"]`);
	if (!(await det.getAttribute('open') !== null)) await det.locator('summary').click();
	await p.locator(`input[data-tag="${tag}"][data-value="${value}"]`).check();
}
const countOf = (p, tag, value) => p.$eval(`input[data-tag="${tag}"][data-value="${value}"] + label`, l => Number(l.dataset.count)).catch(() => -1);

try {
	const p = await newPage(ctx);
	await p.goto(BASE + '/');
	ok(await loaded(p, 6), 'the gallery shows every clip', await p.textContent('#count'));
	is(await p.textContent('#count'), '6 clips', 'it says how many');
	ok(await until(p, () => [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0) &&
		document.querySelectorAll('#grid img').length === 6), 'the posters load');
	const caps = await p.$$eval('#grid .cap', cs => cs.map(c => c.textContent));
	ok(new Set(caps).size === 6, 'each card reads differently (the tags that tell the clips apart)', caps);
	ok(await p.$$eval('#grid .date', ds => ds.every(d => /\d{4}/.test(d.textContent))), 'each card has its date');
	await p.screenshot({path: path.join(out, 'gallery.png')});
	const gv = await axe(p);
	ok(gv.length === 0, 'the grid has no serious accessibility violations', gv);

	// hover plays the clip's smallest video, muted
	await cards(p).first().hover();
	ok(await until(p, () => { const v = document.querySelector('#grid .pv'); return v && v.muted && v.currentTime > 0.1; }),
		'resting the mouse on a card plays its preview, muted');
	const pvSrc = await p.$eval('#grid .pv', v => v.currentSrc);
	ok(/\/small\.mp4$/.test(pvSrc), 'the smallest video of the clip', pvSrc);
	await p.mouse.move(5, 5);
	ok(await until(p, () => !document.querySelector('#grid .pv')), 'and stops when the mouse leaves');

	// multi-value filters: counts and the grid as the API has them
	await pick(p, 'kind', 'travel');
	ok(await loaded(p, 5), 'choosing kind travel narrows the grid');
	ok(/[?&]kind=travel(&|$)/.test(p.url()), 'the URL holds the filter', p.url());
	ok((await countOf(p, 'place', 'Home')) <= 0, 'the other tags\' counts narrow too (no travel clip is at Home)');
	is(await countOf(p, 'kind', 'family'), 1, 'the tag\'s own counts do not: family would add one');
	await pick(p, 'kind', 'family');
	ok(await loaded(p, 6), 'a second value of the same tag widens it again (either value)');
	const both = await apiGet('/api/clips?kind=travel&kind=family');
	is(await p.textContent('#count'), `${both.total} clips`, 'the count is the API\'s for kind=travel&kind=family');
	const fb = (await apiGet('/api/facets?kind=travel&kind=family')).facets;
	is(await countOf(p, 'place', 'Kyoto'), fb.place.Kyoto, 'the facet counts are the API\'s');
	is(await p.$$eval('#chips .chip', cs => cs.map(c => c.textContent.replace(/\s*✕$/, ''))), ['kind: travel', 'kind: family'],
		'chips show the active filters');
	const ratings = await p.$$eval('input[data-tag="rating"]', is => is.map(i => i.dataset.value));
	is(ratings, [...ratings].sort((a, b) => a - b), 'rating values are in the order of their value');
	await p.locator('#chips .chip').first().click();
	ok(await loaded(p, 1), 'removing a chip removes its filter');
	await p.click('#clear');
	ok(await loaded(p, 6), '"Clear filters" shows every clip again');

	// text search on string tags; the URL round-trips the view
	await pick(p, 'kind', 'travel');
	await loaded(p, 5);
	await p.fill('#q', 'Nara');
	ok(await loaded(p, 1), 'searching "Nara" finds the one clip tagged so');
	const view = p.url(), shown = await ids(p);
	const p2 = await newPage(ctx);
	await p2.goto(view);
	ok(await loaded(p2, 1), 'the same URL in a new page shows the same view');
	is(await ids(p2), shown, 'the same clips');
	is([await p2.inputValue('#q'), await p2.isChecked('input[data-tag="kind"][data-value="travel"]')], ['Nara', true], 'with the same search and filter');
	await p2.close();
	await p.goBack();
	ok(await loaded(p, 5), 'back: the search is undone');
	await p.goBack();
	ok(await loaded(p, 6), 'back again: the filter is undone');

	// sort
	await p.selectOption('#sort', '-rating');
	ok(await loaded(p, 6), 'sorting keeps every clip');
	const r = await apiGet('/api/clips/' + (await ids(p))[0]);
	is(r.tags.rating, 5, 'sorted by rating, highest first');

	// play a clip: the first source is one no browser can play
	await p.goto(BASE + '/?kind=travel');
	await loaded(p, 5);
	const order = await ids(p);
	await cards(p).first().click();
	ok(await until(p, () => document.querySelector('#clip').open), 'a click on a poster opens the clip');
	ok(p.url().includes('clip=' + order[0]), 'the URL holds the open clip', p.url());
	const srcs = await p.$$eval('#player source', ss => ss.map(s => s.getAttribute('src')));
	ok(srcs.length === 2 && srcs[0].endsWith('/' + process.env.BAD + '.mp4'), 'every video profile is a <source>, the unplayable first', srcs);
	ok(await until(p, () => document.querySelector('#player').currentTime > 0.2), 'the clip plays');
	const cur = await p.evaluate(() => document.querySelector('#player').currentSrc);
	ok(cur && !cur.endsWith('/' + process.env.BAD + '.mp4'), 'the rendition it cannot play was skipped', cur);
	await p.selectOption('#speed', '2');
	is(await p.evaluate(() => document.querySelector('#player').playbackRate), 2, 'the speed menu sets the speed');
	ok(!(await p.isChecked('#autoplay')), 'autoplay of the next clip is off by default');
	await p.click('#share');
	ok(await until(p, () => /[?&]t=/.test(document.querySelector('.now').textContent + (document.querySelector('.now input') || {value: ''}).value)),
		'"Share at" gives a link to this moment', await p.textContent('.now'));
	await p.screenshot({path: path.join(out, 'clip.png')});
	const cv = await axe(p);
	ok(cv.length === 0, 'the clip dialog has no serious accessibility violations', cv);
	// arrows: the focused video seeks; elsewhere they step through the clips
	await p.evaluate(() => { const v = document.querySelector('#player'); v.pause(); v.currentTime = 0; v.focus(); });
	await p.keyboard.press('ArrowRight');
	ok(await until(p, () => document.querySelector('#player').currentTime > 0.5), 'the right arrow seeks while the video has the focus');
	ok(p.url().includes('clip=' + order[0]), 'and stays on the clip');
	await p.focus('#close');
	await p.keyboard.press('ArrowRight');
	ok(await until(p, id => location.search.includes('clip=' + id), order[1]), 'elsewhere the right arrow steps to the next clip');
	await p.focus('#close');
	await p.keyboard.press('ArrowLeft');
	ok(await until(p, id => location.search.includes('clip=' + id), order[0]), 'the left arrow steps back');
	await p.keyboard.press('Escape');
	ok(await until(p, () => !document.querySelector('#clip').open && !location.search.includes('clip=')), 'Escape closes it and the URL follows');
	await p.goForward();
	ok(await until(p, () => document.querySelector('#clip').open), 'forward opens it again');
	await p.goBack();
	ok(await until(p, () => !document.querySelector('#clip').open), 'back closes it');
	await p.focus('#grid a.card');
	await p.keyboard.press('Enter');
	ok(await until(p, () => document.querySelector('#clip').open), 'Enter on a focused poster opens the clip');
	await p.keyboard.press('Escape');
	ok(await until(p, () => !document.querySelector('#clip').open && document.activeElement.matches('a.card')),
		'closing it gives the focus back to the poster');

	// a shared link to a clip opens it with its neighbours; a dead one says so
	const p3 = await newPage(ctx);
	await p3.goto(BASE + '/?kind=travel&clip=' + order[2]);
	ok(await until(p3, () => document.querySelector('#clip').open && !document.querySelector('#prev').disabled &&
		!document.querySelector('#next').disabled), 'a shared clip link opens it with its neighbours (previous and next)');
	await p3.click('#next');
	ok(await until(p3, id => location.search.includes('clip=' + id), order[3]), 'and next goes to the one after it');
	await p3.goto(BASE + '/?kind=travel&clip=' + order[2] + '&t=0.5');
	ok(await until(p3, () => { const v = document.querySelector('#player'); return v && v.readyState >= 1 && v.currentTime >= 0.45; }),
		'a link shared at a time starts the clip there');
	await p3.goto(BASE + '/?clip=gone0000');
	ok(await until(p3, () => /That clip is gone/.test(document.querySelector('#notice').textContent) &&
		!document.querySelector('#notice').hidden), 'a dead clip link says the clip is gone', await p3.textContent('#notice'));
	ok(await loaded(p3, 6), 'and shows the gallery');
	p3.expected.push(404);

	// offline: a clear word and a real retry
	const p4 = await newPage(ctx);
	await p4.route('**/api/clips?*', route => route.abort('connectionrefused'));
	p4.expected.push('ERR_CONNECTION_REFUSED', 'net::');
	await p4.goto(BASE + '/');
	ok(await until(p4, () => /cannot be reached/.test(document.querySelector('#notice').textContent)), 'a server that cannot be reached is said so',
		await p4.textContent('#notice'));
	ok(!/^0 clips/.test(await p4.textContent('#count')), 'and no count of 0 is shown', await p4.textContent('#count'));
	await p4.unroute('**/api/clips?*');
	await p4.click('#retry');
	ok(await loaded(p4, 6), '"Try again" loads the clips');
	ok(await p4.isHidden('#notice'), 'and the notice goes');
	await p4.close();

	// a phone: the filters fold into a sheet; a swipe steps clips
	const phone = await newContext(browser, {viewport: {width: 390, height: 844}, isMobile: true, hasTouch: true});
	await strictCSP(phone);
	const m = await newPage(phone);
	await m.goto(BASE + '/?kind=travel');
	ok(await loaded(m, 5), 'the gallery on a phone');
	ok(await m.isVisible('#filters-btn') && await m.isHidden('#bar'), 'the filters are folded behind one button');
	is(await m.textContent('#filters-btn'), 'Filters (1)', 'which counts the active filters');
	await m.screenshot({path: path.join(out, 'phone.png')});
	await m.click('#filters-btn');
	ok(await m.isVisible('#bar'), 'the button opens the filter sheet');
	await m.click('#filters-btn');
	await m.locator('#grid a.card').first().click();
	ok(await until(m, () => document.querySelector('#clip').open), 'a tap opens a clip');
	await m.evaluate(() => {
		const d = document.querySelector('#clip'), o = {pointerType: 'touch', bubbles: true, clientY: 300, pointerId: 7};
		d.dispatchEvent(new PointerEvent('pointerdown', {...o, clientX: 320}));
		d.dispatchEvent(new PointerEvent('pointerup', {...o, clientX: 120}));
	});
	ok(await until(m, id => location.search.includes('clip=' + id), order[1]), 'a swipe to the left goes to the next clip');
	const nav = await m.evaluate(() => { const r = document.querySelector('#next').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; });
	ok(nav, 'the clip\'s buttons are in view');
	await m.screenshot({path: path.join(out, 'phone-clip.png')});
	const mv = await axe(m);
	ok(mv.length === 0, 'no serious accessibility violations on the phone', mv);
	await phone.close();

	const html = await p.content();
	is(SECRETS.filter(s => html.includes(s)), [], 'no backyard path shows in the page');
	ok(weight(p) > 0 && weight(p) < 150000, `the page weighs under 150 KB without media (${weight(p)} bytes)`, [...p.weight]);
	const errs = [...p.errors, ...p3.errors].filter(e => !/status of 404/.test(e));
	fs.writeFileSync(path.join(out, 'console-errors.txt'), errs.join('\n') + '\n');
	ok(errs.length === 0, 'no console errors (CSP violations included)', errs);
} catch (e) {
	ok(false, 'the test ran to the end', e.stack);
} finally {
	await browser.close();
}
process.exit(done() ? 0 : 1);
