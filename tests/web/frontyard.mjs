// The frontyard gallery in a real browser against a real medusa-serve over a
// reconciled frontyard: BASE (server URL), WEB_OUT (screenshots),
// SECRETS (strings that must never show: backyard paths).
import fs from 'node:fs';
import path from 'node:path';
import { weight, ok, is, done, launch, newContext, newPage, axe, outdir, until } from './lib.mjs';

const BASE = process.env.BASE;
const SECRETS = (process.env.SECRETS || '').split(':').filter(Boolean);
const out = outdir('frontyard');

const browser = await launch();
const ctx = await newContext(browser, {viewport: {width: 1000, height: 800}});
const cards = p => p.locator('#grid a.card');
const ids = p => p.$$eval('#grid a.card', as => as.map(a => a.dataset.id));
// the grid shows n clips and the filter bar has the counts for the same
// view (the two requests answer in any order)
const loaded = (p, n) => until(p, want => document.querySelectorAll('#grid a.card').length === want &&
	!/Loading/.test(document.querySelector('#count').textContent) &&
	document.querySelector('#facets').getAttribute('aria-busy') !== 'true', n);

try {
	const p = await newPage(ctx);
	await p.goto(BASE + '/');
	ok(await loaded(p, 6), 'the gallery shows every clip', await p.textContent('#count'));
	is(await p.textContent('#count'), '6 clips', 'it says how many');
	const imgs = await p.$$eval('#grid img', is => is.map(i => [i.getAttribute('width'), i.getAttribute('height'), i.getAttribute('loading'), i.naturalWidth]));
	ok(imgs.length === 6 && imgs.every(([w, h, l]) => +w > 0 && +h > 0 && l), 'every poster has width, height and a loading mode', imgs);
	ok(await until(p, () => [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0)), 'the posters load');
	await p.screenshot({path: path.join(out, 'gallery.png')});
	const gv = await axe(p);
	ok(gv.length === 0, 'the grid has no serious accessibility violations', gv);

	// the filter bar: facets with counts, narrowing the grid and the counts
	const kindOpts = await p.$$eval('#tag-kind option', os => os.map(o => o.textContent));
	ok(kindOpts.includes('travel (5)') && kindOpts.includes('family (1)'), 'the kind filter offers its values with counts', kindOpts);
	await p.selectOption('#tag-kind', 'travel');
	ok(await loaded(p, 5), 'choosing kind=travel narrows the grid');
	ok(/[?&]kind=travel(&|$)/.test(p.url()), 'the URL holds the filter', p.url());
	const homeCount = await p.$eval('#tag-place', s => { const o = [...s.options].find(x => x.value === 'Home'); return o ? o.dataset.count : '0'; });
	const desc = 'the other filters\' counts narrow too (no travel clip is at Home)';
	is(homeCount, '0', desc);

	// text search on string tags
	await p.fill('#q', 'Nara');
	ok(await loaded(p, 1), 'searching "Nara" finds the one clip tagged so');
	ok(/[?&]q=Nara(&|$)/.test(p.url()), 'the URL holds the search', p.url());
	const view = p.url();
	const shown = await ids(p);

	// the URL round-trips the view
	const p2 = await newPage(ctx);
	await p2.goto(view);
	ok(await loaded(p2, 1), 'the same URL in a new page shows the same view');
	is(await ids(p2), shown, 'the same clips, in the same order');
	is([await p2.inputValue('#q'), await p2.inputValue('#tag-kind')], ['Nara', 'travel'], 'with the same search and filter set');
	await p2.close();

	// the back button walks back through the views
	await p.goBack();
	ok(await loaded(p, 5), 'back: the search is undone');
	is(await p.inputValue('#q'), '', 'the search box follows');
	await p.goBack();
	ok(await loaded(p, 6), 'back again: the filter is undone');

	// sort
	await p.selectOption('#sort', '-rating');
	ok(await loaded(p, 6), 'sorting keeps every clip');
	const first = await p.$eval('#grid a.card', a => a.dataset.id);
	const r = await (await fetch(BASE + '/api/clips/' + first)).json();
	is(r.tags.rating, 5, 'sorted by rating, highest first');
	ok(/sort=-rating/.test(p.url()), 'the URL holds the sort');

	// play a clip: the first source is one no browser can play (the test
	// overwrote the files of profile BAD with bytes that are not a video)
	await p.goto(BASE + '/?kind=travel');
	await loaded(p, 5);
	const order = await ids(p);
	await cards(p).first().click();
	ok(await until(p, () => document.querySelector('#clip').open), 'a click on a poster opens the clip');
	ok(p.url().includes('clip=' + order[0]), 'the URL holds the open clip', p.url());
	const srcs = await p.$$eval('#player source', ss => ss.map(s => s.getAttribute('src')));
	const BAD = process.env.BAD;
	ok(srcs.length === 2 && srcs.some(s => /\/hq\.mp4$/.test(s)) && srcs.some(s => /\/small\.mp4$/.test(s)), 'every video profile is a <source>', srcs);
	ok(srcs[0].endsWith('/' + BAD + '.mp4'), 'the unplayable one comes first', {BAD, srcs});
	ok(await until(p, () => { const v = document.querySelector('#player'); return v.currentTime > 0.2; }), 'the clip plays (currentTime advances)',
		await p.evaluate(() => { const v = document.querySelector('#player'); return {t: v.currentTime, src: v.currentSrc, err: v.error && v.error.message}; }));
	const cur = await p.evaluate(() => document.querySelector('#player').currentSrc);
	ok(cur && !cur.endsWith('/' + BAD + '.mp4') && srcs.some(s => cur.endsWith(s)), 'the rendition it cannot play was skipped for the one it can', cur);
	const dl = await p.textContent('#clip .tags');
	ok(/kind/.test(dl) && /travel/.test(dl), 'the clip\'s tags are shown', dl);
	await p.screenshot({path: path.join(out, 'clip.png')});
	const cv = await axe(p);
	ok(cv.length === 0, 'the clip dialog has no serious accessibility violations', cv);
	await p.keyboard.press('ArrowRight');
	ok(await until(p, id => location.search.includes('clip=' + id), order[1]), 'the right arrow steps to the next clip');
	await p.keyboard.press('ArrowLeft');
	ok(await until(p, id => location.search.includes('clip=' + id), order[0]), 'the left arrow steps back');
	await p.keyboard.press('Escape');
	ok(await until(p, () => !document.querySelector('#clip').open && !location.search.includes('clip=')), 'Escape closes it and the URL follows');
	await p.goForward();
	ok(await until(p, () => document.querySelector('#clip').open), 'forward opens it again');
	await p.goBack();
	ok(await until(p, () => !document.querySelector('#clip').open), 'back closes it');

	// keyboard alone: Tab to a poster, Enter opens it
	await p.focus('#grid a.card');
	await p.keyboard.press('Enter');
	ok(await until(p, () => document.querySelector('#clip').open), 'Enter on a focused poster opens the clip');
	await p.keyboard.press('Escape');
	ok(await until(p, () => !document.querySelector('#clip').open && document.activeElement.matches('a.card')),
		'closing it gives the focus back to the poster');

	// a link straight to a clip
	const p3 = await newPage(ctx);
	await p3.goto(BASE + '/?clip=' + order[2]);
	ok(await until(p3, () => document.querySelector('#clip').open), 'a link to a clip opens it');

	// paging: infinite scroll, and the real "more" button without it
	await p3.goto(BASE + '/?limit=2');
	ok(await loaded(p3, 6), 'scrolling loads the next pages by the API cursor');
	await p3.close();
	const p4 = await newPage(ctx);
	await p4.addInitScript(() => { delete window.IntersectionObserver; });
	await p4.goto(BASE + '/?limit=4');
	ok(await loaded(p4, 4), 'without infinite scroll, the first page');
	ok(await p4.isVisible('#more'), 'and a "more" button');
	await p4.click('#more');
	ok(await loaded(p4, 6), '"more" loads the rest');
	ok(await p4.isHidden('#more'), 'and goes away at the end');
	await p4.close();

	// nothing of the backyard shows
	const html = await p.content();
	const leaks = SECRETS.filter(s => html.includes(s));
	is(leaks, [], 'no backyard path shows in the page');
	ok(weight(p) > 0 && weight(p) < 100000, `the page weighs under 100 KB without media (${weight(p)} bytes)`, [...p.weight]);
	fs.writeFileSync(path.join(out, 'console-errors.txt'), [...p.errors, ...p3.errors].join('\n') + '\n');
	ok(p.errors.length === 0 && p3.errors.length === 0, 'no console errors', [...p.errors, ...p3.errors]);
} catch (e) {
	ok(false, 'the test ran to the end', e.stack);
} finally {
	await browser.close();
}
process.exit(done() ? 0 : 1);
