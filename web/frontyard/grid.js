// The grid of clips, virtualized: only the rows in and near the view are
// in the DOM, however many clips match, and the clips themselves load by
// the page as the view reaches them. The position is the index of the
// first clip in view (?at= in the URL). A card plays the clip's preview
// (or its smallest video, muted) while the mouse rests on it or after a
// long press.
import { $, h, fmtDur, fmtDate, fmtVal } from './dom.js';
import { getJSON } from './api.js';

const PAGE = 60, GAP = 12, CAP = 58, OVERSCAN = 2;
const minWidth = w => w < 520 ? 140 : 176;
export const G = {
	key: null,        // the listing's query (api.listParams)
	total: -1,        // -1 until the first page came
	clips: [],        // sparse, by index
	pages: new Map(), // page number -> promise
	next: [],         // the "next" cursor after each page
	offsets: null,    // whether the server's cursors are offsets (random access)
	failed: null,     // the last load's error
	tags: [], distinct: [], common: {},
	hooks: {},        // open(index), changed(), error(e)
	seq: 0,
};
let layoutCache = null;

export function resetGrid(key) {
	G.key = key;
	G.total = -1;
	G.clips = [];
	G.pages = new Map();
	G.next = [];
	G.failed = null;
	G.seq++;
	layoutCache = null;
	$('#grid').replaceChildren();
	$('#grid').style.height = '0px';
}

// Page n of the listing. With offset cursors any page loads at once;
// otherwise the pages before it load first, each from the one before.
export function loadPage(n) {
	if (G.pages.has(n)) return G.pages.get(n);
	const seq = G.seq;
	const run = async () => {
		if (n > 0 && !G.offsets) await loadPage(n - 1);
		const q = new URLSearchParams(G.key);
		q.set('limit', String(PAGE));
		const cursor = n === 0 ? null : G.offsets ? String(n * PAGE) : G.next[n - 1];
		if (n > 0 && !cursor) return;
		if (cursor) q.set('cursor', cursor);
		const r = await getJSON('api/clips?' + q);
		if (seq !== G.seq) return;
		if (n === 0) G.offsets = r.next === String(PAGE) || (r.next === null && G.offsets);
		G.next[n] = r.next || null;
		G.total = Number.isFinite(r.total) ? r.total : (r.clips || []).length;
		(r.clips || []).forEach((c, i) => { G.clips[n * PAGE + i] = c; });
		G.failed = null;
	};
	const p = run().catch(e => {
		if (seq !== G.seq) return;
		G.pages.delete(n);
		G.failed = e;
		G.hooks.error(e);
	}).finally(() => { if (seq === G.seq) render(); });
	G.pages.set(n, p);
	return p;
}
export const pageOf = i => Math.floor(i / PAGE);
export async function clipAt(i) {
	if (i < 0 || (G.total >= 0 && i >= G.total)) return null;
	if (!G.clips[i]) await loadPage(pageOf(i));
	return G.clips[i] || null;
}
export const retry = () => { G.failed = null; render(); };

/* ---------- layout ---------- */

function layout() {
	const el = $('#grid');
	const w = el.clientWidth || document.documentElement.clientWidth;
	if (layoutCache && layoutCache.w === w) return layoutCache;
	const cols = Math.max(1, Math.floor((w + GAP) / (minWidth(w) + GAP)));
	const cw = (w - GAP * (cols - 1)) / cols;
	layoutCache = {w, cols, cw, rowH: Math.round(cw * 9 / 16 + CAP + GAP)};
	return layoutCache;
}

export function firstInView() {
	const el = $('#grid'), L = layout();
	const top = window.scrollY - (el.getBoundingClientRect().top + window.scrollY);
	return Math.max(0, Math.floor(Math.max(0, top) / L.rowH) * L.cols);
}
export function scrollToIndex(i) {
	const el = $('#grid'), L = layout();
	const top = el.getBoundingClientRect().top + window.scrollY;
	window.scrollTo(0, top + Math.floor(i / L.cols) * L.rowH - (i ? GAP : top));
}

/* ---------- cards ---------- */

const images = c => (c.renditions || []).filter(r => r.kind === 'image' && r.url);
export function poster(c) {
	const imgs = images(c).sort((a, b) => (a.width || 0) - (b.width || 0));
	// the smallest that is at least a grid cell wide on a dense screen
	return imgs.find(r => (r.width || 0) >= 320) || imgs[imgs.length - 1] || null;
}

// The tags that tell this clip from the others in view, in the order of
// the tag set: those with more than one value among them; of a menu, a
// number or a yes/no, only a value that is not the most common one.
export function caption(c) {
	const tags = G.distinct.length ? G.distinct : G.tags.filter(t => t.type === 'string' || t.type === 'enum').map(t => t.name);
	const parts = [];
	for (const name of tags) {
		const v = (c.tags || {})[name];
		if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
		const t = G.tags.find(x => x.name === name) || {type: 'string'};
		const scalar = t.type !== 'string' && t.type !== 'list';
		if (scalar && G.distinct.length && String(v) === G.common[name]) continue;
		parts.push(t.type === 'integer' || t.type === 'number' || t.type === 'boolean' ? `${name} ${fmtVal(v)}` : fmtVal(v));
	}
	return parts.slice(0, 3).join(' · ') || 'Clip ' + c.id;
}

function card(c, i, L) {
	const pos = {top: Math.floor(i / L.cols) * L.rowH + 'px', left: (i % L.cols) * (L.cw + GAP) + 'px', width: L.cw + 'px'};
	const li = h('li', {'data-i': String(i), 'aria-setsize': String(G.total), 'aria-posinset': String(i + 1), style: pos});
	if (!c) {
		li.classList.add('ph');
		li.append(h('span.card', {'aria-hidden': 'true'}, h('span.thumb'), h('span.cap', {text: '…'})));
		return li;
	}
	const pr = poster(c);
	const dur = fmtDur(c.duration ?? (c.end - c.start));
	const thumb = h('span.thumb', {},
		pr ? h('img', {src: pr.url, alt: '', decoding: 'async', width: pr.width || 320, height: pr.height || 180})
			: h('span.noposter', {'aria-hidden': 'true', text: '▶'}),
		dur ? h('span.dur', {'aria-label': 'duration ' + dur, text: dur}) : null);
	const a = h('a.card', {href: G.hooks.href(c.id, i), 'data-id': c.id, onclick: e => {
		if (e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
		e.preventDefault();
		if (li.dataset.pressed) { delete li.dataset.pressed; return; }
		G.hooks.open(i);
	}}, thumb, h('span.cap', {text: caption(c)}), h('span.date', {text: fmtDate(c.updated)}));
	wirePreview(li, a, c);
	li.append(a);
	return li;
}

// What is in the DOM: the rows in view and OVERSCAN rows either side.
export function render() {
	const el = $('#grid');
	if (!el || G.total < 0) {
		if (G.total < 0 && !G.pages.size && !G.failed) loadPage(0);
		G.hooks.changed();
		return;
	}
	const L = layout(), rows = Math.ceil(G.total / L.cols);
	el.style.height = rows * L.rowH + 'px';
	const top = window.scrollY - (el.getBoundingClientRect().top + window.scrollY);
	const r0 = Math.max(0, Math.floor(top / L.rowH) - OVERSCAN);
	const r1 = Math.min(rows - 1, Math.ceil((top + window.innerHeight) / L.rowH) + OVERSCAN);
	const from = r0 * L.cols, to = Math.min(G.total, (r1 + 1) * L.cols);
	const keep = new Map();
	for (const li of [...el.children]) {
		const i = Number(li.dataset.i);
		const stale = li.classList.contains('ph') && G.clips[i];
		if (i < from || i >= to || stale || li.dataset.w !== String(L.w)) li.remove(); else keep.set(i, li);
	}
	const add = [];
	for (let i = from; i < to; i++) {
		if (keep.has(i)) continue;
		const li = card(G.clips[i], i, L);
		li.dataset.w = String(L.w);
		add.push(li);
		if (!G.clips[i] && !G.failed) loadPage(pageOf(i));
	}
	el.append(...add);
	G.hooks.changed();
}

/* ---------- previews ---------- */

function previewSource(c) {
	const rs = (c.renditions || []).filter(r => r.url);
	const pv = rs.find(r => r.kind === 'preview');
	if (pv) return pv;
	const vids = rs.filter(r => r.kind === 'video' || r.kind === 'copy')
		.sort((a, b) => (a.width || 0) * (a.height || 0) - (b.width || 0) * (b.height || 0) || (a.bytes || 0) - (b.bytes || 0));
	return vids[0] || null;
}

function startPreview(a, c) {
	const src = previewSource(c), thumb = a.querySelector('.thumb');
	if (!src || thumb.querySelector('.pv')) return;
	const el = /^image\//.test(src.mime || '')
		? h('img.pv', {src: src.url, alt: ''})
		: h('video.pv', {src: src.url, muted: true, loop: true, playsinline: true, autoplay: true, preload: 'auto', 'aria-hidden': 'true'});
	if (el.tagName === 'VIDEO') { el.muted = true; el.play().catch(() => {}); }
	thumb.append(el);
}
function stopPreview(a) {
	const pv = a.querySelector('.pv');
	if (pv) { if (pv.pause) pv.pause(); pv.remove(); }
}

function wirePreview(li, a, c) {
	let timer = null;
	const cancel = () => { clearTimeout(timer); timer = null; };
	a.addEventListener('pointerenter', e => {
		if (e.pointerType !== 'mouse') return;
		cancel();
		timer = setTimeout(() => startPreview(a, c), 250);
	});
	a.addEventListener('pointerleave', () => { cancel(); stopPreview(a); });
	a.addEventListener('focus', () => { timer = setTimeout(() => startPreview(a, c), 600); });
	a.addEventListener('blur', () => { cancel(); stopPreview(a); });
	// a long press on a touch screen plays it; the press does not open the clip
	a.addEventListener('pointerdown', e => {
		if (e.pointerType === 'mouse') return;
		cancel();
		timer = setTimeout(() => { li.dataset.pressed = '1'; startPreview(a, c); }, 500);
	});
	a.addEventListener('pointerup', e => { if (e.pointerType !== 'mouse') cancel(); });
	a.addEventListener('contextmenu', e => { if (li.dataset.pressed) e.preventDefault(); });
}

window.addEventListener('resize', () => { layoutCache = null; render(); });
let ticking = false;
window.addEventListener('scroll', () => {
	if (ticking) return;
	ticking = true;
	requestAnimationFrame(() => { ticking = false; render(); });
}, {passive: true});
