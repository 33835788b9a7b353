// medusa gallery: browse the published clips on the frontyard API of
// medusa-serve (medusa-serve(8)). Plain ES modules, no build: dom, api,
// filters, grid, player, and this one, which keeps the page in line with
// the URL. The URL holds the whole view (filters, search, sort, position,
// open clip and time), so a link shares it and the back button walks it.
import { $, h } from './dom.js';
import { getJSON, normTags, params, listParams } from './api.js';
import { F, buildSort, syncSort, loadFacets, renderChips, distinct, common } from './filters.js';
import { G, resetGrid, render, retry, clipAt, loadPage, pageOf, firstInView, scrollToIndex } from './grid.js';
import { initPlayer, showClip, closeDialog } from './player.js';

const S = {
	open: null,        // {c, i}: the clip in the dialog and its index (-1: not in the list)
	pushedClip: false, // the dialog's history entry is ours (close = back)
	restoring: null,   // the ?at= to scroll to once the list is there
	problem: null,     // what could not be loaded, for the retry
};

function go(p, push) {
	p = new URLSearchParams(p);
	for (const [k, v] of [...p]) if (v === '') p.delete(k);
	const s = p.toString();
	const href = location.pathname + (s ? '?' + s : '');
	if (push) history.pushState(null, '', href); else history.replaceState(history.state, '', href);
	apply();
}
F.go = go;

// Brings the page in line with the URL.
function apply() {
	const p = params();
	const lp = listParams(p), key = lp.toString();
	$('#q').value = p.get('q') || '';
	syncSort(p.get('sort') || '');
	if (key !== G.key) {
		notice(null);
		resetGrid(key);
		S.restoring = Number(p.get('at')) || 0;
		facets(lp);
		loadPage(S.restoring ? pageOf(S.restoring) : 0);
		render();
	}
	renderChips();
	const id = p.get('clip');
	if (id) openClip(id, Number(p.get('at')), Number(p.get('t')) || 0); else { S.open = null; closeDialog(); }
}

// cards made before the facets came get their captions again
function rerender() {
	for (const li of [...document.querySelectorAll('#grid > li')]) li.remove();
	render();
}

async function facets(lp) {
	try {
		const f = await loadFacets(lp);
		if (f) { G.distinct = distinct(f); G.common = common(f); rerender(); }
	} catch (e) { failed(e); }
}

/* ---------- the count, the scrubber, errors ---------- */

function notice(msg, retryable) {
	const n = $('#notice');
	n.hidden = !msg;
	n.replaceChildren(...(msg ? [h('span', {text: msg}), retryable ? h('button#retry', {type: 'button', onclick: doRetry}, 'Try again') : null] : []));
}
function failed(e) {
	S.problem = e;
	notice(e.offline ? 'The gallery server cannot be reached: check the connection, then try again.'
		: 'The gallery cannot load the clips: ' + e.message, true);
	if (G.total < 0) $('#count').textContent = e.offline ? 'Offline.' : 'No clips loaded.';
}
function doRetry() {
	S.problem = null;
	notice(null);
	const lp = listParams(params());
	if (G.total < 0) { resetGrid(lp.toString()); loadPage(S.restoring ? pageOf(S.restoring) : 0); }
	facets(lp);
	retry();
	const id = params().get('clip');
	if (id && !S.open) openClip(id, Number(params().get('at')), Number(params().get('t')) || 0);
}

let urlTimer = null;
function changed() {
	if (G.total < 0) return;
	const first = firstInView();
	if (S.restoring !== null) {
		const at = S.restoring;
		S.restoring = null;
		if (at > 0) { scrollToIndex(Math.min(at, G.total - 1)); return; }
	}
	$('#count').textContent = G.total === 0 ? 'No clips match.'
		: `${G.total} clip${G.total === 1 ? '' : 's'}` + (first > 0 ? `, from clip ${Math.min(first + 1, G.total)}` : '');
	const sc = $('#scrub');
	sc.max = String(Math.max(0, G.total - 1));
	if (document.activeElement !== sc) sc.value = String(first);
	sc.setAttribute('aria-valuetext', `clip ${first + 1} of ${G.total}`);
	$('#scrubber').hidden = G.total <= 60;
	// the position into the URL, once scrolling rests
	clearTimeout(urlTimer);
	urlTimer = setTimeout(() => {
		const p = params();
		if (p.get('clip') || (Number(p.get('at')) || 0) === first) return;
		if (first) p.set('at', String(first)); else p.delete('at');
		history.replaceState(history.state, '', location.pathname + (p.toString() ? '?' + p : ''));
	}, 250);
	updateNav();
}

/* ---------- the clip dialog ---------- */

function clipHref(id, i) {
	const p = params();
	p.set('clip', id);
	if (i >= 0) p.set('at', String(i)); else p.delete('at');
	p.delete('t');
	return '?' + p;
}

// Finds where clip id stands in the list: at its ?at= first, else by
// walking the pages (a link from before the list changed).
async function indexOf(id, at) {
	if (at >= 0 && (await clipAt(at)) && G.clips[at].id === id) return at;
	const near = G.clips.findIndex(c => c && c.id === id);
	if (near >= 0) return near;
	for (let n = 0; n * 60 < G.total && n < 200; n++) {
		await loadPage(n);
		const i = G.clips.findIndex(c => c && c.id === id);
		if (i >= 0) return i;
		if (G.failed) break;
	}
	return -1;
}

let openSeq = 0;
async function openClip(id, at, t) {
	if (S.open && S.open.c.id === id && $('#clip').open) return;
	const seq = ++openSeq;
	let c = G.clips.find(x => x && x.id === id);
	if (!c) {
		try { c = await getJSON('api/clips/' + encodeURIComponent(id)); } catch (e) {
			if (seq !== openSeq) return;
			if (e.status === 404) notice('That clip is gone: it was removed from the gallery or is no longer published. Here are the others.');
			else failed(e);
			const p = params();
			p.delete('clip');
			p.delete('t');
			go(p, false);
			return;
		}
	}
	if (seq !== openSeq || params().get('clip') !== id) return;
	S.open = {c, i: -1};
	showClip(c, t, G.tags.map(x => x.name));
	updateNav();
	// its neighbours: where it stands in the list
	const i = await indexOf(id, Number.isFinite(at) ? at : -1);
	if (seq !== openSeq || !S.open || S.open.c.id !== id) return;
	S.open.i = i;
	updateNav();
}

function updateNav() {
	if (!S.open) return;
	const i = S.open.i;
	$('#prev').disabled = i <= 0;
	$('#next').disabled = i < 0 || i >= G.total - 1;
}

async function step(d) {
	if (!S.open || S.open.i < 0) return;
	const i = S.open.i + d;
	const c = await clipAt(i);
	if (!c || !S.open) return;
	const p = params();
	p.set('clip', c.id);
	p.set('at', String(i));
	p.delete('t');
	go(p, false);
}

// The user closes the dialog (button, Esc): leave the clip's history entry.
function userClose() {
	const was = S.open;
	if (!params().get('clip')) { closeDialog(); return; }
	if (S.pushedClip) { S.pushedClip = false; history.back(); } else {
		const p = params();
		p.delete('clip');
		p.delete('t');
		go(p, false);
	}
	if (was && was.i >= 0) {
		// back to its card, scrolled into view
		if (!document.querySelector(`#grid li[data-i="${was.i}"]`)) scrollToIndex(was.i);
		requestAnimationFrame(() => {
			const a = document.querySelector(`#grid li[data-i="${was.i}"] a.card`);
			if (a) a.focus({preventScroll: false});
		});
	}
}

function openAt(i) {
	const c = G.clips[i];
	if (!c) return;
	const p = params();
	p.set('clip', c.id);
	p.set('at', String(i));
	S.pushedClip = true;
	go(p, true);
}

/* ---------- wiring ---------- */

function wire() {
	let timer = null;
	$('#q').addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(() => {
			const p = params();
			const typing = (p.get('q') || '') !== '' && $('#q').value !== '';
			p.set('q', $('#q').value.trim());
			p.delete('clip');
			p.delete('at');
			go(p, !typing);
		}, 300);
	});
	$('#bar').addEventListener('submit', e => { e.preventDefault(); clearTimeout(timer); const p = params(); p.set('q', $('#q').value.trim()); p.delete('at'); go(p, true); });
	$('#sort').addEventListener('change', () => { const p = params(); p.set('sort', $('#sort').value); p.delete('clip'); p.delete('at'); go(p, true); });
	$('#clear').addEventListener('click', () => {
		const p = params(), np = new URLSearchParams();
		if (p.get('sort')) np.set('sort', p.get('sort'));
		go(np, true);
		$('#q').focus();
	});
	$('#scrub').addEventListener('input', () => scrollToIndex(Number($('#scrub').value)));
	// the phone's filter sheet
	$('#filters-btn').addEventListener('click', () => {
		const open = $('#filters-btn').getAttribute('aria-expanded') !== 'true';
		$('#filters-btn').setAttribute('aria-expanded', String(open));
		$('#bar').classList.toggle('open', open);
	});
	window.addEventListener('popstate', () => { S.pushedClip = false; apply(); });
	G.hooks = {open: openAt, changed, error: failed, href: clipHref};
	initPlayer({step, close: userClose, shareURL: t => {
		const p = params();
		if (S.open) p.set('clip', S.open.c.id);
		if (t > 0) p.set('t', String(t)); else p.delete('t');
		return new URL('?' + p, location.href).href;
	}});
}

async function start() {
	wire();
	try {
		G.tags = F.tags = normTags((await getJSON('api/tags')).tags);
	} catch (e) {
		G.tags = F.tags = [];
		if (e.offline) failed(e);
	}
	buildSort();
	apply();
}
start();
