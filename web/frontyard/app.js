// medusa gallery: browse the published clips on the frontyard API of
// medusa-serve (medusa-serve(8)). No framework, no build. The URL holds the
// whole view (filters, search, sort, open clip), so a link shares it and the
// back button walks through it.

const $ = (sel, root = document) => root.querySelector(sel);

// h('tag#id.class', {attr: value, onclick: fn}, child...): a small DOM builder.
function h(spec, attrs, ...kids) {
	const m = spec.match(/^[a-z0-9]+|[#.][\w-]+/g);
	const el = document.createElement(m[0]);
	for (const p of m.slice(1)) {
		if (p[0] === '#') el.id = p.slice(1); else el.classList.add(p.slice(1));
	}
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'text') el.textContent = v;
		else el.setAttribute(k, v === true ? '' : v);
	}
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false) continue;
		el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
	}
	return el;
}

const url = p => new URL(p, document.baseURI).href;
const PAGE = 24;

const S = {
	tags: [],        // [{name, type, values}]
	listKey: null,   // the query the grid shows (filters, q, sort)
	clips: [],       // loaded so far, in order
	next: null,      // cursor of the next page
	total: 0,
	loading: null,   // the page request in flight
	seq: 0,          // bumps when the query changes, to drop stale answers
	open: null,      // the clip in the dialog
	pushedClip: false, // the dialog's history entry is ours (close = back)
};

function fmtDur(s) {
	if (!Number.isFinite(s)) return '';
	s = Math.round(s);
	const m = Math.floor(s / 60), h = Math.floor(m / 60);
	return (h ? h + ':' + String(m % 60).padStart(2, '0') : m) + ':' + String(s % 60).padStart(2, '0');
}
function fmtBytes(n) {
	if (!Number.isFinite(n)) return '';
	const u = ['B', 'KB', 'MB', 'GB'];
	let i = 0;
	while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
	return (i ? n.toFixed(1) : n) + ' ' + u[i];
}
const fmtVal = v => Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);

async function getJSON(p) {
	const r = await fetch(url(p), {headers: {Accept: 'application/json'}});
	let body = null;
	try { body = await r.json(); } catch { /* not JSON */ }
	if (!r.ok) throw Object.assign(new Error((body && body.error) || `HTTP ${r.status}`), {status: r.status});
	return body;
}

function normTags(t) {
	const list = Array.isArray(t) ? t : Object.entries(t || {}).map(([name, d]) => ({name, ...d}));
	return list.map(d => ({name: d.name, type: d.type || 'string', values: d.values || []}));
}

/* ---------- the view in the URL ---------- */

function params() { return new URLSearchParams(location.search); }
function listParams(p) {
	const out = new URLSearchParams();
	for (const [k, v] of p) if (k !== 'clip' && v !== '') out.append(k, v);
	out.sort();
	return out;
}
function go(p, push) {
	p = new URLSearchParams(p);
	for (const [k, v] of [...p]) if (v === '') p.delete(k);
	const s = p.toString();
	const href = location.pathname + (s ? '?' + s : '');
	if (push) history.pushState(null, '', href); else history.replaceState(history.state, '', href);
	apply();
}

// Brings the page in line with the URL.
function apply() {
	const p = params();
	const lp = listParams(p);
	const key = lp.toString();
	$('#q').value = p.get('q') || '';
	syncSort(p.get('sort') || '');
	if (key !== S.listKey) {
		S.listKey = key;
		resetList();
		loadFacets(lp);
		loadMore();
	}
	const id = p.get('clip');
	if (id) openClip(id); else closeDialog();
}

/* ---------- filters, facets, sort ---------- */

function syncSort(v) {
	const sel = $('#sort');
	if (![...sel.options].some(o => o.value === v)) sel.append(h('option', {value: v, text: v}));
	sel.value = v;
}

function buildSort() {
	const sel = $('#sort');
	const opts = [['-updated', 'newest'], ['updated', 'oldest'], ['-duration', 'longest'], ['duration', 'shortest']];
	for (const t of S.tags) {
		if (t.type === 'integer' || t.type === 'number') opts.push(['-' + t.name, t.name + ', highest'], [t.name, t.name + ', lowest']);
		else if (t.type === 'string' || t.type === 'enum') opts.push([t.name, t.name + ', A–Z']);
	}
	sel.append(...opts.map(([v, l]) => h('option', {value: v, text: l})));
}

async function loadFacets(lp) {
	const seq = S.seq;
	// busy until the counts match the grid's view (for assistive technology,
	// and for tests that read the counts)
	$('#facets').setAttribute('aria-busy', 'true');
	let f = {};
	try { f = (await getJSON('api/facets?' + lp)).facets || {}; } catch (e) {
		if (e.status !== 404) console.warn('facets:', e.message);
	}
	if (seq !== S.seq) return;
	renderFacets(f);
	$('#facets').removeAttribute('aria-busy');
}

function renderFacets(facets) {
	const p = params();
	const box = $('#facets');
	const focused = document.activeElement && document.activeElement.id;
	box.replaceChildren();
	let any = false;
	for (const t of S.tags) {
		const counts = facets[t.name] || {};
		const chosen = p.getAll(t.name);
		const values = Object.keys(counts);
		if (t.type === 'enum') for (const v of t.values) if (!values.includes(v)) values.push(v);
		for (const v of chosen) if (!values.includes(v)) values.push(v);
		if (!values.length) continue;
		if (chosen.length) any = true;
		values.sort((a, b) => (counts[b] || 0) - (counts[a] || 0) || (a < b ? -1 : a > b ? 1 : 0));
		// a tag with thousands of values: the most common ones, and the chosen
		if (values.length > 100) values.splice(100, Infinity, ...chosen.filter(v => values.indexOf(v) >= 100));
		const id = 'tag-' + t.name.replace(/[^\w-]/g, '_');
		const sel = h('select', {id, 'data-tag': t.name, onchange: () => {
			const np = params();
			np.delete(t.name);
			np.delete('clip');
			if (sel.value !== '') np.set(t.name, sel.value);
			go(np, true);
		}},
		h('option', {value: '', text: 'any'}),
		values.map(v => h('option', {value: v, 'data-count': String(counts[v] || 0),
			text: `${t.type === 'boolean' ? fmtVal(v === 'true') : v} (${counts[v] || 0})`})));
		sel.value = chosen[0] || '';
		box.append(h('label.facet', {}, h('span', {text: t.name}), sel));
	}
	$('#clear').hidden = !any && !p.get('q');
	if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
}

/* ---------- the grid ---------- */

function resetList() {
	S.seq++;
	S.clips = [];
	S.next = null;
	S.total = 0;
	S.loading = null;
	S.done = false;
	$('#grid').replaceChildren();
	$('#more').hidden = true;
	$('#count').textContent = 'Loading…';
}

function loadMore() {
	if (S.loading || S.done) return S.loading;
	const seq = S.seq;
	const q = new URLSearchParams(S.listKey);
	if (!q.has('limit')) q.set('limit', String(PAGE));
	if (S.next) q.set('cursor', S.next);
	$('#more').disabled = true;
	S.loading = getJSON('api/clips?' + q).then(r => {
		if (seq !== S.seq) return;
		const clips = r.clips || [];
		const first = S.clips.length;
		S.clips.push(...clips);
		S.next = r.next || null;
		S.done = !S.next;
		S.total = Number.isFinite(r.total) ? r.total : S.clips.length;
		$('#grid').append(...clips.map((c, i) => card(c, first + i)));
		$('#count').textContent = S.total === 0 ? 'No clips match.' :
			`${S.total} clip${S.total === 1 ? '' : 's'}` + (S.done ? '' : `, ${S.clips.length} shown`);
		$('#more').hidden = S.done;
		updateNav();
		// still in view after this page: observing afresh reports it again
		if (S.io && !S.done) { S.io.unobserve($('#more')); S.io.observe($('#more')); }
	}).catch(e => {
		if (seq !== S.seq) return;
		$('#count').textContent = 'Cannot load the clips: ' + e.message;
		S.done = false;
		$('#more').hidden = false;
	}).finally(() => {
		if (seq !== S.seq) return;
		S.loading = null;
		$('#more').disabled = false;
	});
	return S.loading;
}

const images = c => (c.renditions || []).filter(r => r.kind === 'image' && r.url);
function poster(c) {
	const imgs = images(c).sort((a, b) => (a.width || 0) - (b.width || 0));
	// the smallest that is at least a grid cell wide on a dense screen
	return imgs.find(r => (r.width || 0) >= 320) || imgs[imgs.length - 1] || null;
}
function caption(c) {
	const parts = [];
	for (const t of S.tags) {
		const v = (c.tags || {})[t.name];
		if (v === undefined || v === null || v === '') continue;
		if (t.type === 'string' || t.type === 'enum') parts.push(String(v));
	}
	return parts.slice(0, 3).join(' · ') || 'Clip ' + c.id;
}
function clipHref(id) {
	const p = params();
	p.set('clip', id);
	return '?' + p;
}

function card(c, i) {
	const pr = poster(c);
	const imgs = images(c).filter(r => r.width);
	const dur = fmtDur(c.duration ?? (c.end - c.start));
	const img = pr
		? h('img', {src: pr.url, alt: '', loading: i < 8 ? 'eager' : 'lazy', decoding: 'async',
			width: pr.width || 320, height: pr.height || 180,
			srcset: imgs.length > 1 ? imgs.map(r => `${r.url} ${r.width}w`).join(', ') : null,
			sizes: imgs.length > 1 ? '(max-width: 600px) 50vw, 240px' : null})
		: h('span.noposter', {'aria-hidden': 'true', text: '▶'});
	return h('li', {}, h('a.card', {href: clipHref(c.id), 'data-id': c.id, onclick: e => {
		if (e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
		e.preventDefault();
		const p = params();
		p.set('clip', c.id);
		S.pushedClip = true;
		go(p, true);
	}}, img, h('span.cap', {text: caption(c)}), dur ? h('span.dur', {'aria-label': 'duration ' + dur, text: dur}) : null));
}

/* ---------- the clip dialog ---------- */

const playable = c => (c.renditions || []).filter(r => (r.kind === 'video' || r.kind === 'copy') && r.url);

async function openClip(id) {
	const dlg = $('#clip');
	if (S.open && S.open.id === id && dlg.open) return;
	let c = S.clips.find(x => x.id === id);
	if (!c) {
		try { c = await getJSON('api/clips/' + encodeURIComponent(id)); } catch (e) {
			$('#count').textContent = e.status === 404 ? 'That clip is no longer in the gallery.' : 'Cannot load the clip: ' + e.message;
			const p = params();
			p.delete('clip');
			go(p, false);
			return;
		}
		if (params().get('clip') !== id) return;
	}
	S.open = c;
	const pr = poster(c);
	const srcs = playable(c);
	const video = h('video#player', {controls: true, autoplay: true, playsinline: true, preload: 'auto',
		poster: pr ? pr.url : null, width: (srcs[0] && srcs[0].width) || null, height: (srcs[0] && srcs[0].height) || null},
	// every video profile: the browser plays the first it can
	srcs.map(r => h('source', {src: r.url, type: r.mime || null})),
	h('p', {}, 'This browser plays none of the formats of this clip; download one below.'));
	// in the order of the tag set, then any others
	const order = S.tags.map(t => t.name);
	const rank = k => { const i = order.indexOf(k); return i < 0 ? order.length : i; };
	const tags = Object.entries(c.tags || {}).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && !v.length))
		.sort(([a], [b]) => rank(a) - rank(b));
	const files = (c.renditions || []).filter(r => r.url);
	$('#clip-title').textContent = caption(c);
	const now = h('p.now', {'aria-live': 'polite'});
	$('#clip-body').replaceChildren(video, now,
		h('dl.tags', {}, tags.map(([k, v]) => [h('dt', {text: k}), h('dd', {text: fmtVal(v)})]),
			h('dt', {text: 'length'}), h('dd', {text: fmtDur(c.duration ?? (c.end - c.start))})),
		files.length ? h('details.files', {}, h('summary', {text: 'Files'}),
			h('ul', {}, files.map(r => h('li', {}, h('a', {href: r.url, download: ''}, r.profile),
				` ${r.mime || ''}${r.width ? `, ${r.width}×${r.height}` : ''}${r.bytes ? ', ' + fmtBytes(r.bytes) : ''}`)))) : null);
	// every source failed (or there is none): say so, the files stay listed
	const none = () => { now.textContent = 'This browser can play none of the formats of this clip; its files are listed below.'; };
	const last = video.querySelector('source:last-of-type');
	if (last) last.addEventListener('error', none); else none();
	video.addEventListener('loadedmetadata', () => {
		now.textContent = video.currentSrc ? 'Playing ' + (srcs.find(r => video.currentSrc === new URL(r.url, document.baseURI).href) || {}).profile : '';
	});
	updateNav();
	if (!dlg.open) dlg.showModal();
	video.focus();
	video.play().catch(() => { /* autoplay refused: the controls are there */ });
}

function updateNav() {
	if (!S.open) return;
	const i = S.clips.findIndex(x => x.id === S.open.id);
	$('#prev').disabled = i <= 0;
	$('#next').disabled = i < 0 || (i === S.clips.length - 1 && S.done);
}

async function step(d) {
	if (!S.open) return;
	let i = S.clips.findIndex(x => x.id === S.open.id);
	if (i < 0) return;
	if (i + d >= S.clips.length && !S.done) await loadMore();
	i = S.clips.findIndex(x => x.id === S.open.id);
	const c = S.clips[i + d];
	if (!c) return;
	const p = params();
	p.set('clip', c.id);
	go(p, false);
}

function closeDialog() {
	const dlg = $('#clip');
	const was = S.open;
	S.open = null;
	if (dlg.open) dlg.close();
	$('#clip-body').replaceChildren();
	if (was) {
		const a = document.querySelector(`a.card[data-id="${CSS.escape(was.id)}"]`);
		if (a) a.focus();
	}
}

// The user closes the dialog (button, Esc): leave the clip's history entry.
function userClose() {
	if (!params().get('clip')) return closeDialog();
	if (S.pushedClip) { S.pushedClip = false; history.back(); return; }
	const p = params();
	p.delete('clip');
	go(p, false);
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
			go(p, !typing);
		}, 300);
	});
	$('#bar').addEventListener('submit', e => { e.preventDefault(); clearTimeout(timer); const p = params(); p.set('q', $('#q').value.trim()); go(p, true); });
	$('#sort').addEventListener('change', () => { const p = params(); p.set('sort', $('#sort').value); p.delete('clip'); go(p, true); });
	$('#clear').addEventListener('click', () => {
		const p = params(), np = new URLSearchParams();
		if (p.get('sort')) np.set('sort', p.get('sort'));
		go(np, true);
		$('#q').focus();
	});
	$('#more').addEventListener('click', () => loadMore());
	// infinite scroll: load the next page as the "more" button comes near
	if ('IntersectionObserver' in window) {
		S.io = new IntersectionObserver(es => { if (es.some(e => e.isIntersecting) && !$('#more').hidden) loadMore(); },
			{rootMargin: '600px'});
		S.io.observe($('#more'));
	}
	$('#prev').addEventListener('click', () => step(-1));
	$('#next').addEventListener('click', () => step(1));
	$('#close').addEventListener('click', userClose);
	const dlg = $('#clip');
	dlg.addEventListener('cancel', e => { e.preventDefault(); userClose(); });
	dlg.addEventListener('click', e => { if (e.target === dlg) userClose(); });
	// arrows step through the clips wherever the focus is in the dialog
	document.addEventListener('keydown', e => {
		if (!dlg.open || e.altKey || e.ctrlKey || e.metaKey) return;
		if (e.target.closest('input, select, textarea')) return;
		if (e.key === 'ArrowLeft') { e.preventDefault(); step(-1); }
		else if (e.key === 'ArrowRight') { e.preventDefault(); step(1); }
	}, true);
	window.addEventListener('popstate', () => { S.pushedClip = false; apply(); });
}

async function start() {
	wire();
	try {
		S.tags = normTags((await getJSON('api/tags')).tags);
	} catch (e) {
		S.tags = [];
	}
	buildSort();
	apply();
}
start();
