// medusa backyard editor: cut videos into clips and tag them, on the
// backyard API of medusa-serve (medusa-serve(8)). Plain ES modules, no
// build: dom, api, state, player, timeline, history, messages, forms,
// tree, conflict, and this one, which holds the views together.
import { $, $$, h, clone, same, unquote, parseTime, fmtTime, round3, fmtAgo } from './dom.js';
import * as api from './api.js';
import { S, status } from './state.js';
import { vid, seek, watchFrames, stopShuttle, shuttle, togglePlay, pause, stepFrame } from './player.js';
import { initTimeline, wireTimeline, loadTimeline, renderTimeline, tickTimeline, zoom, fit } from './timeline.js';
import { newHistory, record, endGroup, undo, redo } from './history.js';
import { plain, problems } from './messages.js';
import { tagForm, problemSlot } from './forms.js';
import { renderTree, markCurrent } from './tree.js';
import { describe, rebase } from './conflict.js';

function normTags(t) {
	const list = Array.isArray(t) ? t : Object.entries(t || {}).map(([name, d]) => ({name, ...d}));
	return list.map(d => ({name: d.name, type: d.type || 'string', values: d.values || [],
		default: d.default, required: !!d.required, description: d.description || ''}));
}

/* ---------- the document being edited ---------- */

let keyN = 0;
const withKeys = doc => (doc.clips || []).map(c => ({k: ++keyN, c: clone(c)}));
// The document as it would be saved: tags without nulls, clips in order.
function canon(doc, kind) {
	const d = clone(doc || {});
	d.tags = d.tags || {};
	for (const k of Object.keys(d.tags)) if (d.tags[k] === null) delete d.tags[k];
	if (kind === 'video') d.clips = d.clips || [];
	else delete d.clips;
	return d;
}
function currentDoc() {
	const v = S.view;
	return canon(v.kind === 'video' ? {...v.doc, clips: v.clips.map(x => x.c)} : v.doc, v.kind);
}
const dirty = () => !!S.view && !same(currentDoc(), S.view.base);
const selected = () => S.view && S.view.clips.find(x => x.k === S.view.sel) || null;
const clipNo = x => S.view.clips.indexOf(x) + 1;
const duration = () => { const d = vid() && vid().duration; return Number.isFinite(d) ? d : 0; };

// Every edit goes through here first, for undo.
const edit = (label, group) => record(S.view, label, group);

function clipInherited() {
	const v = S.view, out = {};
	for (const t of S.tags) {
		const own = v.doc.tags[t.name];
		if (own !== undefined && own !== null) out[t.name] = {value: own, source: 'video'};
		else if (v.inherited[t.name]) out[t.name] = v.inherited[t.name];
	}
	return out;
}

// The state after an edit: unsaved mark, undo buttons, and the problems
// checked as the user types.
function updated() {
	const v = S.view, b = $('#savebar');
	if (!v || !b) return;
	const d = dirty();
	b.classList.toggle('dirty', d);
	$('#dirtynote').textContent = d ? 'Unsaved changes.' : 'All changes saved.';
	$('#undo').disabled = !v.hist.undo.length;
	$('#redo').disabled = !v.hist.redo.length;
	$('#undo').title = v.hist.undo.length ? `Undo ${v.hist.undo[v.hist.undo.length - 1].label} (Ctrl+Z)` : 'Nothing to undo';
	$('#redo').title = v.hist.redo.length ? `Redo ${v.hist.redo[v.hist.redo.length - 1].label} (Ctrl+Shift+Z)` : 'Nothing to redo';
	showProblems();
}

function showProblems() {
	const v = S.view;
	if (v.kind !== 'video') return;
	const list = problems(v, S.tags, duration(), clipInherited());
	v.problems = list;
	for (const f of $$('#editor [data-path]')) if (f.setProblem) f.setProblem(null);
	const x = selected(), i = x ? v.clips.indexOf(x) : -1;
	for (const p of list) {
		if (p.clip !== i && p.clip !== undefined) continue;
		const f = document.querySelector(`#clipform [data-path="${CSS.escape(p.path)}"]`);
		if (f && f.setProblem && p.block) f.setProblem(p.message.replace(/^Clip \d+(, [\w-]+)?: /, ''));
	}
	for (const li of $$('#cliplist > li[data-k]')) {
		const idx = v.clips.findIndex(c => String(c.k) === li.dataset.k);
		const mine = list.filter(p => p.clip === idx);
		const el = li.querySelector('.missing');
		const txt = mine.map(p => p.message.replace(/^Clip \d+,? ?/, '')).join('; ');
		el.hidden = !txt;
		el.textContent = txt ? '⚠ ' + txt : '';
	}
	const blocking = list.filter(p => p.block);
	const box = $('#problems');
	box.hidden = !blocking.length;
	box.replaceChildren(...blocking.map(p => h('li', {text: p.message})));
}

/* ---------- opening a video or a folder ---------- */

let openSeq = 0;
async function open(kind, path) {
	status('Loading…');
	const seq = ++openSeq;
	let r;
	try { r = await api.getJSON(api.metaPath(kind, path)); } catch (e) {
		if (seq !== openSeq) return;
		status(e.message, 'error');
		$('#editor').hidden = true;
		return;
	}
	if (seq !== openSeq) return;   // another one was opened meanwhile
	const body = r.body;
	const doc = canon(body.meta, kind);
	S.view = {kind, path, etag: unquote(body.etag) || r.etag, base: null, doc, inherited: body.inherited || {},
		clips: kind === 'video' ? withKeys(doc) : [], sel: null, inMark: null, outMark: null, fps: 0, loop: false,
		hist: newHistory(), warnings: {}, tl: null};
	S.view.base = currentDoc();
	status(body.error ? `This ${kind === 'video' ? 'sidecar' : 'folder file'} cannot be read (${body.error}): saving replaces it with what you see here.`
		: body.inherited_error ? 'The inherited values are incomplete: ' + body.inherited_error : '', body.error ? 'error' : '');
	$('#welcome').hidden = true;
	$('#editor').hidden = false;
	if (kind === 'video') { renderVideo(); loadTimeline(api, path); } else renderFolder();
	updated();
}

function saveBar() {
	return [h('p#publish.publish', {'aria-live': 'polite'}), h('div#savebar.savebar', {},
		h('button#save.primary', {type: 'button', onclick: save, 'aria-keyshortcuts': 'Control+S'}, 'Save'),
		h('button#undo', {type: 'button', onclick: doUndo, 'aria-keyshortcuts': 'Control+Z'}, 'Undo'),
		h('button#redo', {type: 'button', onclick: doRedo, 'aria-keyshortcuts': 'Control+Shift+Z'}, 'Redo'),
		h('button', {type: 'button', onclick: revert}, 'Revert'),
		h('span#dirtynote', {}))];
}

function renderFolder() {
	const v = S.view;
	const name = v.path ? 'Folder ' + v.path : 'The whole backyard';
	const videosHere = S.videos.filter(x => !v.path || x.path.startsWith(v.path + '/'));
	$('#editor').replaceChildren(h('div', {},
		h('h2', {text: name}),
		h('p', {text: `Tag values set here apply to every clip of every video below ${v.path ? 'this folder' : 'the backyard root'} (${videosHere.length} video${videosHere.length === 1 ? '' : 's'}); a nearer folder, the video and the clip override them.`}),
		h('form', {onsubmit: e => { e.preventDefault(); save(); }},
			tagForm('Folder tags', () => v.doc.tags, setDocTag, v.inherited, 'tags')),
		h('div#conflict.conflict', {hidden: true}),
		saveBar()));
	showPublish();
}

function setDocTag(name, value, group) {
	edit(`tag ${name}`, group);
	if (value === undefined) delete S.view.doc.tags[name]; else S.view.doc.tags[name] = value;
	if (S.view.kind === 'video') { renderList(); renderClipForm(); }
	updated();
}

/* ---------- the video view ---------- */

function renderVideo() {
	const v = S.view;
	const video = h('video#vid', {preload: 'auto', controls: true, src: api.url('media/' + api.encPath(v.path)),
		'aria-label': 'Video ' + v.path});
	video.addEventListener('loadedmetadata', () => { renderTimeline(); tick(); updated(); });
	video.addEventListener('timeupdate', tick);
	video.addEventListener('seeked', tick);
	video.addEventListener('play', () => { tick(); watchFrames(tick); });
	video.addEventListener('pause', tick);
	video.addEventListener('error', () => status('The video cannot be played in this browser; you can still edit its clips by time.', 'error'));
	const btn = (label, key, fn, extra) => h('button', {type: 'button', onclick: fn, 'aria-keyshortcuts': key, title: `${label} (${key})`, ...extra}, label);
	const tl = h('div#timeline.timeline', {role: 'group',
		'aria-label': 'Timeline: click to seek, drag to pan, wheel or pinch to zoom, drag a clip edge to retime it'},
	h('canvas#tlcanvas', {'aria-hidden': 'true'}), h('div#tlitems'), h('div#playhead.playhead'));
	wireTimeline(tl);
	$('#editor').replaceChildren(h('div', {},
		h('div.cols', {},
			h('div.col-a', {},
				h('h2.path', {text: v.path}),
				h('div.player', {}, video,
					h('div.transport', {role: 'toolbar', 'aria-label': 'Player'},
						btn('◀ frame', ',', () => stepFrame(-1), {'aria-label': 'Frame back'}),
						btn('J', 'J', () => shuttle(-1), {'aria-label': 'Play backwards'}),
						btn('Play', 'Space', togglePlay, {id: 'playbtn'}),
						btn('L', 'L', () => shuttle(1), {'aria-label': 'Play forwards, faster'}),
						btn('frame ▶', '.', () => stepFrame(1), {'aria-label': 'Frame forward'}),
						h('output#clock', {'aria-live': 'off'}, '0:00.000'),
						btn('Mark in', 'I', markIn, {class: 'mark-in'}),
						btn('Mark out', 'O', markOut, {class: 'mark-out'})),
					tl,
					h('div.tlbar', {role: 'toolbar', 'aria-label': 'Timeline zoom'},
						btn('−', '-', () => zoom(2), {'aria-label': 'Zoom out'}),
						btn('+', '+', () => zoom(0.5, vid() && vid().currentTime), {'aria-label': 'Zoom in'}),
						h('button', {type: 'button', onclick: fit}, 'Whole video'),
						h('output#tlrange', {'aria-live': 'off'}),
						h('span#tlnote.muted', {'aria-live': 'polite'}))),
				h('p#marks.marks', {'aria-live': 'polite'}),
				h('ul#problems.problems', {hidden: true, 'aria-label': 'Problems to fix before saving'}),
				h('section.clips', {'aria-labelledby': 'clips-h'},
					h('h3#clips-h', {}, 'Clips'),
					h('ol#cliplist.cliplist'),
					h('button', {type: 'button', onclick: () => { selectClip(null); status('Mark in and out (I, O) to make a new clip.'); }}, 'New clip'))),
			h('div.col-b', {},
				h('div#clipform'),
				h('section.vtags', {},
					h('h3', {text: 'Tags for every clip of this video'}),
					h('form', {onsubmit: e => { e.preventDefault(); save(); }},
						tagForm('Video tags', () => v.doc.tags, setDocTag, v.inherited, 'tags'))),
				h('div#conflict.conflict', {hidden: true}))),
		saveBar()));
	renderClips();
	showPublish();
}

function renderClips() {
	renderList();
	renderClipForm();
	updated();
}

function clipItem(x, i) {
	const v = S.view;
	const tags = Object.entries(x.c.tags || {}).filter(([, val]) => val !== null)
		.map(([k, val]) => `${k}: ${Array.isArray(val) ? val.join(', ') : val}`).join(' · ');
	const warn = x.c.id && v.warnings[x.c.id];
	return h('li', {'data-k': String(x.k)}, h('button', {type: 'button', 'aria-pressed': String(v.sel === x.k),
		onclick: () => { selectClip(x.k); playClip(); }},
	h('span', {text: `Clip ${i + 1}: ${fmtTime(parseTime(x.c.start))} to ${fmtTime(parseTime(x.c.end))}`}),
	x.c.id ? h('small', {text: ' ' + x.c.id}) : h('small', {text: ' new'}),
	h('span.ctags', {text: tags}),
	h('span.missing', {hidden: true}),
	warn ? h('span.warned', {text: 'Not published: ' + warn}) : null));
}

// The clip list and the timeline, without touching the clip form (so that
// typing in the form keeps its focus).
function renderList() {
	const v = S.view, list = $('#cliplist');
	if (!list) return;
	list.replaceChildren(...v.clips.map(clipItem));
	if (!v.clips.length) list.append(h('li.muted', {text: 'No clips yet: play the video and mark in and out (I, O).'}));
	renderTimeline();
}

// One clip's line, when only its tags changed (typing stays fast with
// hundreds of clips).
function renderItem(x) {
	const li = document.querySelector(`#cliplist > li[data-k="${x.k}"]`);
	if (li) li.replaceWith(clipItem(x, S.view.clips.indexOf(x)));
}

function tick() {
	const video = vid();
	// a video left in the DOM still sends events after the view closed
	if (!video || !S.view || S.view.kind !== 'video') return;
	$('#clock').textContent = fmtTime(video.currentTime) + ' / ' + fmtTime(video.duration);
	$('#playbtn').textContent = video.paused ? 'Play' : 'Pause';
	tickTimeline();
	const v = S.view, sel = selected();
	if (v.loop && sel && !video.paused) {
		const s = parseTime(sel.c.start), e = parseTime(sel.c.end);
		if (video.currentTime >= e || video.currentTime < s - 0.25) video.currentTime = s;
	}
	const m = $('#marks');
	const txt = v.inMark !== null || v.outMark !== null
		? `New clip: in ${fmtTime(v.inMark)}, out ${fmtTime(v.outMark)}` : '';
	if (m.textContent !== txt) m.textContent = txt;
}

function selectClip(k) {
	S.view.sel = k;
	S.view.inMark = S.view.outMark = null;
	if (k === null) S.view.loop = false;
	renderClips();
}
function playClip() {
	const x = selected(), video = vid();
	if (!x || !video) return;
	stopShuttle();
	S.view.loop = true;
	video.currentTime = parseTime(x.c.start);
	video.play().catch(() => {});
}

function markIn() { mark('start'); }
function markOut() { mark('end'); }
function mark(which) {
	const v = S.view, video = vid();
	if (!video || v.kind !== 'video') return;
	const t = round3(video.currentTime);
	const x = selected();
	if (x) {
		edit(`clip ${clipNo(x)} ${which}`);
		x.c[which] = t;
		status(`Clip ${clipNo(x)} ${which} set to ${fmtTime(t)}.`);
		renderClips();
		return;
	}
	if (which === 'start') v.inMark = t; else v.outMark = t;
	if (v.inMark !== null && v.outMark !== null) {
		if (v.outMark <= v.inMark) {
			status('Out must be after in: mark again.', 'error');
			renderTimeline();
			return;
		}
		edit(`new clip ${v.clips.length + 1}`);
		const k = ++keyN;
		v.clips.push({k, c: {start: v.inMark, end: v.outMark, tags: {}}});
		v.sel = k;
		status(`Clip ${v.clips.length} added, ${fmtTime(v.inMark)} to ${fmtTime(v.outMark)}; give it tags, then save.`);
		v.inMark = v.outMark = null;
		renderClips();
		return;
	}
	status(which === 'start' ? `In at ${fmtTime(t)}: now mark out (O).` : `Out at ${fmtTime(t)}: now mark in (I).`);
	renderTimeline();
}

// Splits a clip at t: the second part keeps the clip's tags, as a new clip.
function split(t, k) {
	const v = S.view, i = v.clips.findIndex(x => x.k === k);
	if (i < 0) return;
	const x = v.clips[i], end = x.c.end;
	edit(`split clip ${i + 1}`);
	x.c.end = round3(t);
	const nk = ++keyN;
	v.clips.splice(i + 1, 0, {k: nk, c: {start: round3(t), end, tags: clone(x.c.tags || {})}});
	v.sel = nk;
	status(`Clip ${i + 1} split at ${fmtTime(t)}: clips ${i + 1} and ${i + 2}.`);
	renderClips();
}

function deleteClip(x) {
	const v = S.view, i = v.clips.indexOf(x);
	edit(`delete clip ${i + 1}`);
	v.clips.splice(i, 1);
	v.sel = null;
	status(`Clip ${i + 1} deleted (not saved yet; Undo brings it back).`);
	renderClips();
}

function timeField(x, which) {
	const id = 'ct-' + which, i = S.view.clips.indexOf(x);
	const err = h('p.err', {id: id + '-e', hidden: true});
	const inp = h('input', {type: 'text', id, inputmode: 'decimal', value: fmtTime(parseTime(x.c[which])),
		'aria-describedby': id + '-e', size: 10, autocomplete: 'off',
		oninput: () => {
			const t = parseTime(inp.value);
			edit(`clip ${i + 1} ${which}`, `clips[${i}].${which}`);
			x.c[which] = Number.isFinite(t) ? round3(t) : inp.value;
			renderList();
			updated();
		},
		onchange: () => { if (Number.isFinite(parseTime(inp.value))) inp.value = fmtTime(parseTime(x.c[which])); }});
	const wrap = h('div.field.time', {'data-path': `clips[${i}].${which}`},
		h('label', {for: id, text: which === 'start' ? 'Start' : 'End'}),
		h('div.ctl', {}, inp, h('button', {type: 'button', onclick: which === 'start' ? markIn : markOut},
			'Set to playhead', h('span.vh', {text: ` (${which === 'start' ? 'I' : 'O'})`}))), err);
	problemSlot(wrap, inp, err);
	return wrap;
}

function renderClipForm() {
	const box = $('#clipform'), v = S.view;
	if (!box) return;
	const x = selected();
	if (!x) { box.replaceChildren(); return; }
	const i = v.clips.indexOf(x);
	x.c.tags = x.c.tags || {};
	const setClipTag = (name, value, group) => {
		edit(`clip ${i + 1} ${name}`, group);
		if (value === undefined) delete x.c.tags[name]; else x.c.tags[name] = value;
		renderItem(x);
		updated();
	};
	const s = parseTime(x.c.start), e = parseTime(x.c.end);
	const scenes = ((v.tl && v.tl.data && v.tl.data.scenes) || []).filter(t => t > s + 1e-3 && t < e - 1e-3);
	box.replaceChildren(h('form.clipform', {'aria-label': `Clip ${i + 1}`, onsubmit: ev => { ev.preventDefault(); save(); }},
		h('h4', {}, `Clip ${i + 1}`, x.c.id ? h('small', {text: ' id ' + x.c.id}) : h('small', {text: ' (new: gets its id when saved)'})),
		h('div.times', {}, timeField(x, 'start'), timeField(x, 'end'),
			h('button', {type: 'button', onclick: playClip}, 'Loop clip'),
			h('button.danger', {type: 'button', onclick: () => deleteClip(x)}, 'Delete clip')),
		scenes.length ? h('p.splits', {}, 'Scene changes in this clip: ',
			scenes.map(t => h('button.split', {type: 'button', onclick: () => split(t, x.k)}, `Split at ${fmtTime(t)}`))) : null,
		tagForm('Clip tags', () => x.c.tags, setClipTag, clipInherited(), `clips[${i}].tags`)));
}

/* ---------- undo, redo ---------- */

function afterHistory(label, what) {
	if (!label) { status(`Nothing to ${what}.`); return; }
	const v = S.view;
	if (v.kind === 'video') { renderClips(); renderVideoTags(); } else renderFolder();
	updated();
	status(`${what === 'undo' ? 'Undone' : 'Redone'}: ${label}.`);
}
// the video's own tag form, after an undo changed its values
function renderVideoTags() {
	const f = $('.vtags form');
	if (f) f.replaceChildren(tagForm('Video tags', () => S.view.doc.tags, setDocTag, S.view.inherited, 'tags'));
}
function doUndo() { if (S.view) afterHistory(undo(S.view), 'undo'); }
function doRedo() { if (S.view) afterHistory(redo(S.view), 'redo'); }

/* ---------- save, conflicts, errors ---------- */

async function save() {
	const v = S.view;
	if (!v) return;
	endGroup(v);
	const block = (v.problems || []).find(p => p.block);
	if (block) {
		status('Not saved: ' + block.message + '.', 'error');
		return showAt(block.path, block.message);
	}
	const doc = currentDoc();
	status('Saving…');
	let res;
	try { res = await api.putMeta(v.kind, v.path, v.etag, doc); } catch (e) {
		status('Not saved: the server cannot be reached (' + e.message + '). Your edits are still here.', 'error');
		return;
	}
	const {r, body} = res;
	if (S.view !== v) return;
	if (r.ok) return saved(v, body, doc, r);
	if (r.status === 412) return conflict();
	if (r.status === 422 || r.status === 400) return invalid(body || {});
	status(`Not saved: ${(body && body.error) || 'HTTP ' + r.status}. Your edits are still here.`, 'error');
}

function saved(v, body, doc, r) {
	const meta = canon(body && body.meta ? body.meta : doc, v.kind);
	v.etag = unquote(body && body.etag) || unquote(r.headers.get('ETag'));
	v.doc = meta;
	const selIdx = v.clips.findIndex(x => x.k === v.sel);
	if (v.kind === 'video') {
		// the same keys: undo after a save still finds its clips
		const old = v.clips;
		v.clips = (meta.clips || []).map((c, i) => ({k: old[i] ? old[i].k : ++keyN, c: clone(c)}));
		v.sel = selIdx >= 0 && v.clips[selIdx] ? v.clips[selIdx].k : null;
	}
	v.base = currentDoc();
	// the server's word on clips that will not be published
	const warnings = (body && Array.isArray(body.warnings)) ? body.warnings : [];
	v.warnings = {};
	const words = warnings.map(w => {
		const i = v.clips.findIndex(x => x.c.id === w.clip);
		if (w.clip) v.warnings[w.clip] = w.message;
		return `${i >= 0 ? 'Clip ' + (i + 1) : w.clip ? 'clip ' + w.clip : 'a clip'} will not be published: ${plain(w.message)}`;
	});
	$('#conflict').hidden = true;
	if (v.kind === 'video') {
		const rec = S.videos.find(x => x.path === v.path);
		if (rec) { rec.clips = v.clips.length; rec.state = v.clips.length ? 'clips' : 'none'; renderTree(); }
		renderClips();
	} else renderFolder();
	updated();
	status(words.length ? 'Saved, but ' + words.join('; ') + '.' : 'Saved.', words.length ? 'warn' : 'ok');
	showPublish();
}

// "clips[1].tags.rating", "$.clips[1].end", "/clips/1/end" -> "clips[1].end"
function normPath(p) {
	if (!p) return '';
	p = String(p);
	if (p.startsWith('/')) p = p.slice(1).split('/').map(s => /^\d+$/.test(s) ? `[${s}]` : '.' + s).join('').replace(/^\./, '');
	return p.replace(/^\$\.?/, '').replace(/\.\[/g, '[');
}

// The message beside the field at path, selecting its clip first.
function showAt(path, msg) {
	const v = S.view;
	const m = /^clips\[(\d+)\]/.exec(path);
	if (m && v.kind === 'video' && v.clips[Number(m[1])] && v.sel !== v.clips[Number(m[1])].k) {
		v.sel = v.clips[Number(m[1])].k;
		renderClips();
	}
	// the field itself, else the nearest enclosing path that has a field
	for (let p = path; p; p = p.replace(/(\.[^.[]*|\[\d+\])$/, '')) {
		const f = document.querySelector(`#editor [data-path="${CSS.escape(p)}"]`);
		if (f && f.showError) { f.showError(msg.replace(/^Clip \d+(, [\w-]+)?: /, '')); return; }
		if (!/(\.[^.[]*|\[\d+\])$/.test(p)) break;
	}
}

function invalid(body) {
	const msg = body.error || 'the server refused the values';
	let path = normPath(body.path);
	if (!path) { const m = /^([A-Za-z_$][\w$]*(?:\[\d+\]|\.[\w$-]+)*):/.exec(msg); if (m) path = normPath(m[1]); }
	status('Not saved: ' + plain(msg), 'error');
	showAt(path, plain(msg));
}

async function conflict() {
	const v = S.view;
	let r;
	try { r = await api.getJSON(api.metaPath(v.kind, v.path)); } catch (e) {
		status('Someone else saved, and the new version cannot be read: ' + e.message, 'error');
		return;
	}
	const theirs = canon(r.body.meta, v.kind), mine = currentDoc();
	const box = $('#conflict');
	const li = s => h('li', {text: s});
	const theirChanges = describe(v.base, theirs), myChanges = describe(v.base, mine);
	box.replaceChildren(
		h('h3#conflict-h', {tabindex: '-1', text: 'Not saved: someone else saved this ' + (v.kind === 'video' ? 'video' : 'folder') + ' while you were editing'}),
		h('p', {text: 'Their changes:'}), h('ul', {}, theirChanges.length ? theirChanges.map(li) : li('no visible changes')),
		h('p', {text: 'Your unsaved changes:'}), h('ul', {}, myChanges.length ? myChanges.map(li) : li('none')),
		h('div.actions', {},
			h('button.primary', {type: 'button', onclick: () => {
				const merged = rebase(v.base, mine, theirs, v.kind, canon);
				edit('reload with their changes');
				v.etag = unquote(r.body.etag) || r.etag;
				v.inherited = r.body.inherited || v.inherited;
				v.base = canon(theirs, v.kind);
				v.doc = merged;
				v.clips = v.kind === 'video' ? withKeys(merged) : [];
				v.sel = null;
				box.hidden = true;
				if (v.kind === 'video') { renderVideo(); loadTimeline(api, v.path); } else renderFolder();
				updated();
				status('Reloaded their version with your edits on top: check, then save.', 'ok');
			}}, 'Reload and keep my edits'),
			h('button', {type: 'button', onclick: () => { v.base = currentDoc(); open(v.kind, v.path); }}, 'Discard my edits and reload')));
	box.hidden = false;
	box.setAttribute('role', 'alert');
	status('Not saved: someone else saved first.', 'error');
	$('#conflict-h').focus();
}

function revert() {
	const v = S.view;
	if (!v) return;
	edit('revert');
	v.doc = canon(clone(v.base), v.kind);
	v.clips = v.kind === 'video' ? withKeys(v.base) : [];
	v.sel = null;
	if (v.kind === 'video') { renderClips(); renderVideoTags(); } else renderFolder();
	updated();
	status('Reverted to the saved version (Undo brings your edits back).');
}

/* ---------- the publish status line ---------- */

async function showPublish() {
	const el = $('#publish');
	if (!el) return;
	let p;
	try { p = await api.publishStatus(); } catch (e) {
		el.replaceChildren(`Publish status unknown: ${e.message}`);
		return;
	}
	if (!$('#publish')) return;
	const last = p.reconcile ? `Last reconcile ${fmtAgo(p.reconcile.time)} (generation ${p.reconcile.generation}).`
		: 'Not reconciled yet: the gallery has none of these clips.';
	const due = p.pending ? ` ${p.pending} saved clip${p.pending === 1 ? ' is' : 's are'} not in the gallery yet: run ` : ' The gallery is up to date.';
	const extra = p.invalid ? ` ${p.invalid} clip${p.invalid === 1 ? '' : 's'} cannot be published (required tags missing).` : '';
	el.replaceChildren(last, due, p.pending ? h('code#pubcmd', {text: p.command}) : '',
		p.pending ? h('button.copy', {type: 'button', onclick: () => copyCommand(p.command)}, 'Copy') : '', extra);
}
async function copyCommand(cmd) {
	try { await navigator.clipboard.writeText(cmd); status('Copied: ' + cmd, 'ok'); } catch {
		const r = document.createRange();
		r.selectNodeContents($('#pubcmd'));
		getSelection().removeAllRanges();
		getSelection().addRange(r);
		status('Selected the command: copy it with Ctrl+C.');
	}
}

/* ---------- navigation and keys ---------- */

function route() {
	const hash = location.hash;
	if (S.view && hash !== S.hash && dirty() &&
	    !confirm(`You have unsaved changes to ${S.view.path || 'the backyard folder'}. Leave them?`)) {
		history.replaceState(null, '', S.hash || location.pathname);
		return;
	}
	stopShuttle();
	S.hash = hash;
	markCurrent();
	const m = /^#([vf])=(.*)$/.exec(hash);
	if (!m) {
		S.view = null;
		$('#editor').hidden = true;
		$('#welcome').hidden = false;
		return;
	}
	let path;
	try { path = decodeURIComponent(m[2]); } catch { path = m[2]; }
	open(m[1] === 'v' ? 'video' : 'folder', path);
}

window.addEventListener('hashchange', route);
window.addEventListener('beforeunload', e => {
	if (dirty()) { e.preventDefault(); e.returnValue = ''; }
});
// leaving a field ends its typing step
document.addEventListener('focusout', () => endGroup(S.view));

window.addEventListener('keydown', e => {
	const t = e.target;
	const inField = !!(t.closest && t.closest('input, textarea, select, [contenteditable]'));
	// letters go to text fields, but a check box takes none
	const typing = inField && !(t.type === 'checkbox' || t.type === 'radio');
	const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
	if ((e.ctrlKey || e.metaKey) && key === 's') {
		if (S.view) { e.preventDefault(); save(); }
		return;
	}
	// Ctrl+Z in a text field is that field's own undo
	if ((e.ctrlKey || e.metaKey) && (key === 'z' || key === 'y') && !typing && S.view) {
		e.preventDefault();
		if (key === 'y' || e.shiftKey) doRedo(); else doUndo();
		return;
	}
	if (typing || e.ctrlKey || e.metaKey || e.altKey || !S.view || S.view.kind !== 'video') return;
	// space belongs to the focused button or check box (a link takes none:
	// right after a video is picked in the tree, space plays it)
	const onControl = inField || (t.closest && t.closest('button, summary'));
	const act = {
		' ': onControl ? null : togglePlay,
		j: () => shuttle(-1), k: pause, l: () => shuttle(1),
		',': () => stepFrame(-1), '.': () => stepFrame(1),
		i: markIn, o: markOut,
		'+': () => zoom(0.5, vid() && vid().currentTime), '=': () => zoom(0.5, vid() && vid().currentTime), '-': () => zoom(2),
		Escape: () => { if (S.view.sel !== null || S.view.inMark !== null || S.view.outMark !== null) selectClip(null); },
	}[key];
	if (!act) return;
	e.preventDefault();
	e.stopPropagation();
	act();
}, true);

initTimeline({
	select: k => { if (S.view.sel !== k) selectClip(k); },
	edit: label => edit(label),
	split,
	retiming: () => renderTimeline(),
	retimed: k => {
		const x = S.view.clips.find(c => c.k === k);
		if (x) status(`Clip ${clipNo(x)} now ${fmtTime(parseTime(x.c.start))} to ${fmtTime(parseTime(x.c.end))}.`);
		renderClips();
	},
});

async function start() {
	try {
		const [tags, videos] = await Promise.all([api.getJSON('api/tags'), api.getJSON('api/videos')]);
		S.tags = normTags(tags.body.tags);
		S.videos = (videos.body.videos || []).slice();
	} catch (e) {
		$('#tree').replaceChildren(h('p.error', {text: 'Cannot load the backyard: ' + e.message}),
			h('button', {type: 'button', onclick: start}, 'Try again'));
		status('Cannot load the backyard: ' + e.message, 'error');
		return;
	}
	S.hash = location.hash;
	renderTree();
	route();
}
start();
