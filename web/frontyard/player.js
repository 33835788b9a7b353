// The clip dialog: the player (every video profile a <source>, the browser
// plays the first it can), a speed menu, a link to the clip at the current
// time, autoplay of the next clip (off unless chosen), arrow keys that seek
// while the video has the focus and step clips otherwise, and swiping
// between clips on a touch screen.
import { $, h, fmtDur, fmtBytes, fmtVal } from './dom.js';
import { url } from './api.js';
import { poster, caption } from './grid.js';

const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];
const P = {speed: 1, hooks: {}};   // hooks: step(d), close(), shareURL(t)

const playable = c => (c.renditions || []).filter(r => (r.kind === 'video' || r.kind === 'copy') && r.url);
const autoplayNext = () => { try { return localStorage.getItem('medusa.autoplay') === '1'; } catch { return false; } };

export function initPlayer(hooks) {
	P.hooks = hooks;
	const dlg = $('#clip');
	$('#prev').addEventListener('click', () => hooks.step(-1));
	$('#next').addEventListener('click', () => hooks.step(1));
	$('#close').addEventListener('click', hooks.close);
	dlg.addEventListener('cancel', e => { e.preventDefault(); hooks.close(); });
	dlg.addEventListener('click', e => { if (e.target === dlg) hooks.close(); });
	document.addEventListener('keydown', e => {
		if (!dlg.open || e.altKey || e.ctrlKey || e.metaKey) return;
		if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
		if (e.target.closest('input, select, textarea')) return;
		e.preventDefault();
		e.stopPropagation();
		const d = e.key === 'ArrowLeft' ? -1 : 1, v = $('#player');
		// the focused video takes the arrows for itself: five seconds a press
		if (v && e.target === v) v.currentTime = Math.max(0, Math.min(v.duration || Infinity, v.currentTime + 5 * d));
		else hooks.step(d);
	}, true);
	// a swipe across the dialog steps to the next or previous clip
	let x0 = null, y0 = 0;
	dlg.addEventListener('pointerdown', e => { if (e.pointerType !== 'mouse') { x0 = e.clientX; y0 = e.clientY; } });
	dlg.addEventListener('pointerup', e => {
		if (x0 === null) return;
		const dx = e.clientX - x0, dy = e.clientY - y0;
		x0 = null;
		if (Math.abs(dx) > 60 && Math.abs(dy) < Math.abs(dx) / 2) hooks.step(dx < 0 ? 1 : -1);
	});
	dlg.addEventListener('pointercancel', () => { x0 = null; });
}

function speedMenu(video) {
	const sel = h('select#speed', {'aria-label': 'Playback speed', onchange: () => { P.speed = Number(sel.value); video.playbackRate = P.speed; }},
		SPEEDS.map(s => h('option', {value: String(s), text: s === 1 ? 'normal speed' : s + '×'})));
	sel.value = String(P.speed);
	return h('label.speed', {}, 'Speed ', sel);
}

function shareButton(video, note) {
	const btn = h('button#share', {type: 'button', onclick: async () => {
		const link = P.hooks.shareURL(Math.floor(video.currentTime * 10) / 10);
		try {
			if (navigator.share && matchMedia('(pointer: coarse)').matches) await navigator.share({url: link});
			else await navigator.clipboard.writeText(link);
			note.textContent = 'Link copied: ' + link;
		} catch {
			note.replaceChildren('Copy this link: ', h('input', {type: 'text', readonly: true, value: link, 'aria-label': 'Link to this moment', size: 40}));
		}
	}}, 'Share at 0:00');
	video.addEventListener('timeupdate', () => { btn.textContent = 'Share at ' + fmtDur(video.currentTime); });
	return btn;
}

function autoplayBox() {
	const box = h('input#autoplay', {type: 'checkbox', onchange: () => {
		try { localStorage.setItem('medusa.autoplay', box.checked ? '1' : '0'); } catch { /* private mode */ }
	}});
	box.checked = autoplayNext();
	return h('label.autoplay', {}, box, ' Play the next clip at the end');
}

// Shows clip c in the dialog; t: where to start (seconds), or null.
export function showClip(c, t, tagOrder) {
	const dlg = $('#clip');
	const pr = poster(c), srcs = playable(c);
	const video = h('video#player', {controls: true, autoplay: true, playsinline: true, preload: 'auto',
		poster: pr ? pr.url : null, width: (srcs[0] && srcs[0].width) || null, height: (srcs[0] && srcs[0].height) || null},
	srcs.map(r => h('source', {src: r.url, type: r.mime || null})),
	h('p', {}, 'This browser plays none of the formats of this clip; download one below.'));
	const rank = k => { const i = tagOrder.indexOf(k); return i < 0 ? tagOrder.length : i; };
	const tags = Object.entries(c.tags || {}).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && !v.length))
		.sort(([a], [b]) => rank(a) - rank(b));
	const files = (c.renditions || []).filter(r => r.url);
	$('#clip-title').textContent = caption(c);
	const now = h('p.now', {'aria-live': 'polite'});
	$('#clip-body').replaceChildren(video,
		h('div.pcontrols', {}, speedMenu(video), shareButton(video, now), autoplayBox()),
		now,
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
		video.playbackRate = P.speed;
		if (t > 0) video.currentTime = Math.min(t, video.duration || t);
		const r = srcs.find(x => video.currentSrc === url(x.url));
		now.textContent = r ? 'Playing ' + r.profile : '';
	});
	video.addEventListener('ended', () => { if (autoplayNext()) P.hooks.step(1, true); });
	if (!dlg.open) dlg.showModal();
	video.focus();
	video.play().catch(() => { /* autoplay refused: the controls are there */ });
}

export function closeDialog() {
	const dlg = $('#clip');
	if (dlg.open) dlg.close();
	const v = $('#player');
	if (v) v.pause();
	$('#clip-body').replaceChildren();
}
