// The timeline under the player: the filmstrip and the waveform the server
// made (api.timelineOf), the clips in lanes (overlapping clips never share
// one), scene changes as snap points and "split here" marks, the playhead.
// Wheel or pinch zooms around the pointer, a drag pans, a click seeks,
// dragging a clip's edge retimes it (snapping to scene changes, the other
// clips' edges, the playhead, else to whole frames).
import { $, h, parseTime, fmtTime } from './dom.js';
import { S } from './state.js';
import { vid, seek, fps } from './player.js';

const STRIP = 48, WAVE = 30, SCENES = 16, LANE = 28, SNAP_PX = 8;
let hooks = {};

// select(k), edit(label) before a change, retimed(k) after a drag,
// split(t): the editor's side
export function initTimeline(h0) { hooks = h0; }

const duration = () => { const v = vid(); return v && Number.isFinite(v.duration) && v.duration > 0 ? v.duration : 0; };
const tl = () => S.view && S.view.tl;
const width = () => { const el = $('#timeline'); return el ? el.clientWidth : 0; };

export function xOf(t) { const w = tl(); return (t - w.from) / w.span * width(); }
export function timeAt(x) { const w = tl(); return w.from + x / width() * w.span; }

// Clips in lanes: each clip in the first lane free at its start.
export function lanes(clips) {
	const ends = [], out = new Map();
	const sorted = clips.map(x => ({x, s: parseTime(x.c.start), e: parseTime(x.c.end)}))
		.filter(o => Number.isFinite(o.s) && Number.isFinite(o.e))
		.sort((a, b) => a.s - b.s || a.e - b.e);
	for (const o of sorted) {
		let i = ends.findIndex(e => e <= o.s + 1e-6);
		if (i < 0) { i = ends.length; ends.push(0); }
		ends[i] = o.e;
		out.set(o.x.k, i);
	}
	return {lane: out, count: Math.max(1, ends.length)};
}

export async function loadTimeline(api, path) {
	const view = S.view;
	view.tl = {from: 0, span: 0, data: null, fps: 0, state: 'loading'};
	draw();
	try {
		const data = await api.timelineOf(path);
		if (S.view !== view) return;
		view.tl.data = data;
		view.tl.fps = data.tiles.fps || 0;
		view.tl.state = data.sheet ? 'ready' : 'nosheet';
	} catch (e) {
		if (S.view !== view) return;
		view.tl.state = 'failed';
		view.tl.error = e.message;
	}
	renderTimeline();
}

function clampView() {
	const w = tl(), d = duration();
	if (!w || !d) return;
	const min = Math.min(d, 20 / fps());  // at most zoomed to about 20 frames
	if (!w.span || w.span > d) w.span = d;
	w.span = Math.max(min, w.span);
	w.from = Math.max(0, Math.min(d - w.span, w.from));
}

export function zoom(f, at) {
	const w = tl();
	if (!w || !duration()) return;
	const t = at ?? (w.from + w.span / 2);
	const k = (t - w.from) / w.span;
	w.span *= f;
	clampView();
	w.from = t - k * w.span;
	clampView();
	renderTimeline();
}
export function fit() { const w = tl(); if (w) { w.from = 0; w.span = duration(); renderTimeline(); } }

// Where a dragged edge lands: a snap point within a few pixels, else the
// nearest frame.
function snap(t, skipK) {
	const w = tl(), v = S.view, px = SNAP_PX / width() * w.span;
	const pts = [...((w.data && w.data.scenes) || [])];
	for (const x of v.clips) if (x.k !== skipK) pts.push(parseTime(x.c.start), parseTime(x.c.end));
	if (vid()) pts.push(vid().currentTime);
	let best = null;
	for (const p of pts) if (Number.isFinite(p) && Math.abs(p - t) <= px && (best === null || Math.abs(p - t) < Math.abs(best - t))) best = p;
	const f = fps();
	return Math.round((best ?? Math.round(t * f) / f) * 1000) / 1000;
}

/* ---------- drawing ---------- */

function tileIndex(times, t) {
	let lo = 0, hi = times.length - 1;
	if (hi < 0) return -1;
	while (lo < hi) {
		const mid = (lo + hi + 1) >> 1;
		if (times[mid] <= t + 1e-6) lo = mid; else hi = mid - 1;
	}
	return lo;
}

// Each tile starts where its frame's time is on the timeline and fills
// the space to the next one (repeated when zoomed in); tiles that would
// overlap the one before (zoomed out) are left out.
function drawStrip(ctx, w, d) {
	const tiles = d.tiles, img = d.sheet, times = tiles.times;
	const tw = Math.max(8, STRIP * tiles.width / tiles.height);
	const shown = [];
	for (let i = Math.max(0, tileIndex(times, timeAt(0))); i < times.length; i++) {
		const x = xOf(times[i]);
		if (x > w) break;
		if (!shown.length || x >= shown[shown.length - 1].x + tw) shown.push({i, x});
	}
	shown.forEach(({i, x}, k) => {
		const end = Math.max(x + tw, k + 1 < shown.length ? shown[k + 1].x : w);
		const sx = (i % tiles.columns) * tiles.width, sy = Math.floor(i / tiles.columns) * tiles.height;
		ctx.save();
		ctx.beginPath();
		ctx.rect(x, 0, end - x, STRIP);
		ctx.clip();
		for (let xx = x; xx < end && xx < w; xx += tw) ctx.drawImage(img, sx, sy, tiles.width, tiles.height, xx, 0, tw, STRIP);
		ctx.restore();
	});
}

function drawWave(ctx, w, peaks, color) {
	const mid = STRIP + WAVE / 2;
	ctx.fillStyle = color;
	ctx.fillRect(0, mid, w, 1);
	if (!peaks || !peaks.peaks || !peaks.peaks.length) return;
	const p = peaks.peaks, r = peaks.rate;
	for (let x = 0; x < w; x++) {
		const a = Math.max(0, Math.floor(timeAt(x) * r)), b = Math.max(a + 1, Math.floor(timeAt(x + 1) * r));
		let m = 0;
		for (let i = a; i < b && i < p.length; i++) if (p[i] > m) m = p[i];
		// square root: quiet sound still shows
		const hh = Math.sqrt(m / 255) * (WAVE / 2 - 1);
		if (hh > 0.5) ctx.fillRect(x, mid - hh, 1, 2 * hh);
	}
}

function draw() {
	const c = $('#tlcanvas'), w = tl();
	if (!c || !w) return;
	const cw = c.clientWidth, dpr = window.devicePixelRatio || 1;
	c.width = Math.max(1, Math.round(cw * dpr));
	c.height = Math.round((STRIP + WAVE) * dpr);
	const ctx = c.getContext('2d');
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	const css = getComputedStyle(c);
	ctx.fillStyle = css.getPropertyValue('--strip-bg') || '#222';
	ctx.fillRect(0, 0, cw, STRIP + WAVE);
	const note = $('#tlnote');
	if (!duration() || !w.span) { if (note) note.textContent = ''; return; }
	if (w.data && w.data.sheet) drawStrip(ctx, cw, w.data);
	drawWave(ctx, cw, w.data && w.data.peaks, css.getPropertyValue('--wave') || '#7bc47f');
	if (note) note.textContent = w.state === 'loading' ? 'Making the filmstrip and the waveform (one pass over the video)…'
		: w.state === 'failed' ? 'No filmstrip: ' + w.error : '';
}

/* ---------- the clips, the scene marks, the playhead ---------- */

function clipBar(x, i, lane) {
	const v = S.view, s = parseTime(x.c.start), e = parseTime(x.c.end);
	const left = xOf(s), right = xOf(e);
	const bar = h('button.clipbar', {type: 'button', 'aria-pressed': String(v.sel === x.k), 'data-k': String(x.k),
		'data-lane': String(lane),
		'aria-label': `Clip ${i + 1}: ${fmtTime(s)} to ${fmtTime(e)}, lane ${lane + 1}; select`,
		style: {left: left + 'px', width: Math.max(6, right - left) + 'px', top: (STRIP + WAVE + SCENES + lane * LANE) + 'px'},
		// the keyboard's click (a pointer's is handled on pointerup)
		onclick: ev => { if (ev.detail === 0) hooks.select(x.k); }},
	h('span.edge.start', {'aria-hidden': 'true', 'data-edge': 'start'}),
	h('span.lbl', {text: String(i + 1)}),
	h('span.edge.end', {'aria-hidden': 'true', 'data-edge': 'end'}));
	return bar;
}

function sceneMark(t) {
	const inside = S.view.clips.find(x => parseTime(x.c.start) < t - 1e-3 && parseTime(x.c.end) > t + 1e-3);
	return h('button.scene', {type: 'button', 'data-t': String(t),
		'aria-label': inside ? `Scene change at ${fmtTime(t)}: split clip ${S.view.clips.indexOf(inside) + 1} here`
			: `Scene change at ${fmtTime(t)}: go there`,
		title: inside ? 'Split here' : 'Scene change',
		style: {left: (xOf(t) - 6) + 'px', top: (STRIP + WAVE) + 'px'},
		onclick: ev => { ev.stopPropagation(); if (inside) hooks.split(t, inside.k); else seek(t); }});
}

export function renderTimeline() {
	const el = $('#timeline'), v = S.view;
	if (!el || !v || !v.tl) return;
	clampView();
	const w = v.tl, d = duration();
	const {lane, count} = lanes(v.clips);
	el.style.height = (STRIP + WAVE + SCENES + count * LANE + 4) + 'px';
	el.dataset.from = String(w.from);
	el.dataset.span = String(w.span);
	const box = $('#tlitems');
	box.replaceChildren();
	if (d && w.span) {
		v.clips.forEach((x, i) => { if (lane.has(x.k)) box.append(clipBar(x, i, lane.get(x.k))); });
		for (const t of (w.data && w.data.scenes) || []) if (t >= w.from && t <= w.from + w.span) box.append(sceneMark(t));
		for (const [t, c] of [[v.inMark, 'in'], [v.outMark, 'out']])
			if (t !== null) box.append(h('div.mk.' + c, {'aria-hidden': 'true', style: {left: xOf(t) + 'px'}}));
	}
	const r = $('#tlrange');
	if (r) r.textContent = d ? `${fmtTime(w.from)} – ${fmtTime(w.from + w.span)}` : '';
	draw();
	tickTimeline();
}

export function tickTimeline() {
	const ph = $('#playhead'), video = vid();
	if (!ph || !video || !tl() || !tl().span) return;
	const x = xOf(video.currentTime);
	ph.hidden = x < 0 || x > width();
	ph.style.left = x + 'px';
}

/* ---------- pointer and wheel ---------- */

let drag = null;
const pointers = new Map();

function onDown(ev) {
	if (!tl() || !duration() || ev.button > 0) return;
	const el = $('#timeline'), r = el.getBoundingClientRect();
	pointers.set(ev.pointerId, ev.clientX);
	if (pointers.size === 2) {
		const [a, b] = [...pointers.values()];
		drag = {pinch: true, dist: Math.abs(a - b) || 1, span: tl().span, at: timeAt((a + b) / 2 - r.left)};
		return;
	}
	const edge = ev.target.closest('.edge'), bar = ev.target.closest('.clipbar');
	if (ev.target.closest('.scene')) return;
	el.setPointerCapture(ev.pointerId);
	drag = {x0: ev.clientX, from0: tl().from, moved: false, left: r.left,
		edge: edge && bar ? {k: Number(bar.dataset.k), which: edge.dataset.edge} : null,
		bar: bar ? Number(bar.dataset.k) : null};
	if (drag.edge) ev.preventDefault();
}

function onMove(ev) {
	if (!drag) return;
	if (pointers.has(ev.pointerId)) pointers.set(ev.pointerId, ev.clientX);
	if (drag.pinch) {
		if (pointers.size < 2) return;
		const [a, b] = [...pointers.values()];
		tl().span = drag.span * drag.dist / (Math.abs(a - b) || 1);
		zoom(1, drag.at);
		return;
	}
	const dx = ev.clientX - drag.x0;
	if (!drag.moved && Math.abs(dx) > 4) {
		drag.moved = true;
		if (drag.edge) hooks.edit(`retime clip ${S.view.clips.findIndex(c => c.k === drag.edge.k) + 1}`);
	}
	if (!drag.moved) return;
	if (drag.edge) {
		const x = S.view.clips.find(c => c.k === drag.edge.k);
		if (!x) return;
		const t = snap(Math.max(0, Math.min(duration(), timeAt(ev.clientX - drag.left))), x.k);
		const other = parseTime(x.c[drag.edge.which === 'start' ? 'end' : 'start']);
		// an edge never passes the other one: at least one frame between
		if (drag.edge.which === 'start' ? t < other - 0.5 / fps() : t > other + 0.5 / fps()) x.c[drag.edge.which] = t;
		hooks.retiming(x.k);
		return;
	}
	tl().from = drag.from0 - dx / width() * tl().span;
	renderTimeline();
}

function onUp(ev) {
	pointers.delete(ev.pointerId);
	const d = drag;
	if (!d || (d.pinch && pointers.size)) return;
	drag = null;
	if (d.pinch) return;
	if (d.edge) { if (d.moved) hooks.retimed(d.edge.k); return; }
	if (d.moved) return;
	// a click: seek there; on a clip, select it too
	seek(timeAt(ev.clientX - d.left));
	if (d.bar !== null) hooks.select(d.bar);
}

function onWheel(ev) {
	if (!tl() || !duration()) return;
	ev.preventDefault();
	const r = $('#timeline').getBoundingClientRect();
	const horizontal = ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY);
	if (horizontal && !ev.ctrlKey) {
		tl().from += (ev.deltaX || ev.deltaY) / width() * tl().span;
		renderTimeline();
	} else {
		zoom(Math.exp(ev.deltaY * (ev.ctrlKey ? 0.01 : 0.002)), timeAt(ev.clientX - r.left));
	}
}

export function wireTimeline(el) {
	el.addEventListener('pointerdown', onDown);
	el.addEventListener('pointermove', onMove);
	el.addEventListener('pointerup', onUp);
	el.addEventListener('pointercancel', ev => { pointers.delete(ev.pointerId); drag = null; });
	el.addEventListener('wheel', onWheel, {passive: false});
}

window.addEventListener('resize', () => { if (tl()) renderTimeline(); });
