// medusa backyard editor: cut videos into clips and tag them, on the
// backyard API of medusa-serve (medusa-serve(8)). No framework, no build.

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
		else if (k === 'class') el.classList.add(...v.split(' '));
		else if (k in el && typeof v !== 'string') el[k] = v;
		else el.setAttribute(k, v === true ? '' : v);
	}
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false) continue;
		el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
	}
	return el;
}

// API URLs are relative to the page, so the editor also works when the
// server is mounted below a prefix (CGI).
const url = p => new URL(p, document.baseURI).href;
const encPath = p => p.split('/').map(encodeURIComponent).join('/');
const clone = v => v === undefined ? undefined : JSON.parse(JSON.stringify(v));
// JSON with sorted keys, so that key order never makes a document look changed
const stable = v => v && typeof v === 'object'
	? (Array.isArray(v) ? '[' + v.map(stable).join(',') + ']'
		: '{' + Object.keys(v).sort().filter(k => v[k] !== undefined).map(k => JSON.stringify(k) + ':' + stable(v[k])).join(',') + '}')
	: JSON.stringify(v);
const same = (a, b) => stable(a) === stable(b);
const unquote = e => (e || '').replace(/^W\//, '').replace(/^"|"$/g, '');

// Times: seconds, or [HH:]MM:SS[.fff] as in a sidecar.
function parseTime(v) {
	if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : NaN;
	const s = String(v).trim();
	if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
	const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(s);
	if (!m) return NaN;
	return (Number(m[1] || 0) * 60 + Number(m[2])) * 60 + Number(m[3]);
}
function fmtTime(t) {
	if (!Number.isFinite(t)) return '–';
	const ms = Math.round(t * 1000);
	const hh = Math.floor(ms / 3600000), mm = Math.floor(ms / 60000) % 60;
	const ss = ((ms % 60000) / 1000).toFixed(3).padStart(6, '0');
	return (hh ? hh + ':' + String(mm).padStart(2, '0') : String(mm)) + ':' + ss;
}
const round3 = t => Math.round(t * 1000) / 1000;

function fmtValue(v) {
	if (v === undefined || v === null) return 'nothing';
	if (Array.isArray(v)) return v.length ? v.join(', ') : 'an empty list';
	if (typeof v === 'string') return '“' + v + '”';
	return String(v);
}
function fmtSource(s) {
	if (!s) return 'nowhere';
	if (s === 'default') return 'the default';
	if (s === 'video') return 'this video';
	if (s === 'folder:.' || s === 'folder:') return 'the root folder';
	if (s.startsWith('folder:')) return 'folder ' + s.slice(7);
	return s;
}

const S = {
	tags: [],        // [{name, type, values, default, required}]
	videos: [],      // from GET /api/videos
	view: null,      // the open video or folder, see openVideo/openFolder
	hash: '',        // the hash the view belongs to (to undo a refused navigation)
};

function status(msg, kind) {
	const el = $('#status');
	el.textContent = msg;
	el.className = kind || '';
}

async function getJSON(p) {
	const r = await fetch(url(p), {headers: {Accept: 'application/json'}});
	let body = null;
	try { body = await r.json(); } catch { /* not JSON */ }
	if (!r.ok) throw new Error((body && body.error) || `${p}: HTTP ${r.status}`);
	return {body, etag: unquote(r.headers.get('ETag'))};
}

// The tag set comes as a list or as an object keyed by name (as written in
// backyard.medusa.json); either way it becomes a list.
function normTags(t) {
	const list = Array.isArray(t) ? t : Object.entries(t || {}).map(([name, d]) => ({name, ...d}));
	return list.map(d => ({name: d.name, type: d.type || 'string', values: d.values || [],
		default: d.default, required: !!d.required, description: d.description || ''}));
}

/* ---------- the folder tree ---------- */

function buildTree(videos) {
	const root = {name: '', path: '', dirs: new Map(), videos: []};
	for (const v of videos) {
		const parts = v.path.split('/');
		let node = root;
		for (const p of parts.slice(0, -1)) {
			if (!node.dirs.has(p))
				node.dirs.set(p, {name: p, path: node.path ? node.path + '/' + p : p, dirs: new Map(), videos: []});
			node = node.dirs.get(p);
		}
		node.videos.push(v);
	}
	return root;
}

const MARKS = {
	clips: ['●', n => `${n} clip${n === 1 ? '' : 's'}`],
	none: ['○', () => 'no clips yet'],
	broken: ['⚠', () => 'broken sidecar'],
};

function treeList(node) {
	const ul = h('ul', {role: 'list'});
	const byName = (a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
	for (const d of [...node.dirs.values()].sort(byName)) {
		const det = h('details', {'data-folder': d.path},
			h('summary', {}, h('span.folder', {text: d.name})));
		let filled = false;
		const fill = () => {
			if (filled) return;
			filled = true;
			det.append(h('a.ftags', {href: '#f=' + encodeURIComponent(d.path)}, 'tags for ', d.name, '/'),
				treeList(d));
			markCurrent();
		};
		det.addEventListener('toggle', () => { if (det.open) fill(); });
		// open the folders on the way to what is selected
		const cur = S.hash.slice(3);
		if (cur && decodeURIComponent(cur).startsWith(d.path + '/')) { det.open = true; fill(); }
		ul.append(h('li', {}, det));
	}
	for (const v of node.videos.sort((a, b) => a.path < b.path ? -1 : 1)) {
		const st = MARKS[v.state] ? v.state : (v.clips ? 'clips' : 'none');
		const [sym, say] = MARKS[st];
		ul.append(h('li', {}, h('a.video', {href: '#v=' + encodeURIComponent(v.path), 'data-path': v.path,
			'data-state': st, title: v.path},
		h('span.mark', {'aria-hidden': 'true', text: sym}),
		h('span.name', {text: v.path.split('/').pop()}),
		h('span.vh', {text: ' (' + say(v.clips || 0) + ')'}))));
	}
	return ul;
}

function renderTree() {
	const nav = $('#tree');
	const root = buildTree(S.videos);
	const find = h('input#find', {type: 'search', placeholder: 'part of a name', autocomplete: 'off',
		'aria-controls': 'found', oninput: () => showFound(find.value)});
	nav.replaceChildren(h('h2', {text: 'Videos'}),
		h('label.find', {for: 'find'}, 'Find a video'), find,
		h('ul#found.found', {hidden: true, 'aria-label': 'Videos found'}),
		h('div#folders', {},
			h('a.ftags', {href: '#f='}, 'tags for the whole backyard'),
			S.videos.length ? treeList(root) : h('p.muted', {text: 'No videos found in the backyard.'})));
	markCurrent();
}

// A flat list of the videos whose path holds the text, in place of the tree.
function showFound(text) {
	const list = $('#found'), folders = $('#folders');
	const q = text.trim().toLowerCase();
	list.hidden = !q;
	folders.hidden = !!q;
	if (!q) return;
	const hits = S.videos.filter(v => v.path.toLowerCase().includes(q));
	list.replaceChildren(...hits.slice(0, 200).map(v => h('li', {}, h('a.video', {href: '#v=' + encodeURIComponent(v.path),
		'data-path': v.path, 'data-state': MARKS[v.state] ? v.state : 'none'},
	h('span.mark', {'aria-hidden': 'true', text: (MARKS[v.state] || MARKS.none)[0]}),
	h('span.name', {text: v.path})))));
	if (!hits.length) list.append(h('li.muted', {text: 'No video matches.'}));
	else if (hits.length > 200) list.append(h('li.muted', {text: `and ${hits.length - 200} more: type more of the name.`}));
	markCurrent();
}

function markCurrent() {
	for (const a of document.querySelectorAll('#tree a[aria-current]')) a.removeAttribute('aria-current');
	for (const a of document.querySelectorAll('#tree a'))
		if (a.getAttribute('href') === S.hash) a.setAttribute('aria-current', 'page');
}

/* ---------- tag forms ---------- */

let uid = 0;

// A form with one field per tag. get() returns the tags object being
// edited (own values only), set(name, value) changes it (undefined removes
// the override), inherited is {name: {value, source}}, path the JSON path
// of the tags object in the document (for the server's 422 messages).
function tagForm(legend, get, set, inherited, path) {
	const fs = h('fieldset.tags', {}, h('legend', {text: legend}));
	if (!S.tags.length) fs.append(h('p.muted', {text: 'The backyard has no tags.'}));
	for (const t of S.tags) fs.append(tagField(t, get, set, inherited[t.name], path + '.' + t.name));
	return fs;
}

function tagField(t, get, set, inh, path) {
	const id = 'f' + (++uid);
	const own = () => { const v = get()[t.name]; return v === null ? undefined : v; };
	const eff = () => own() !== undefined ? own() : inh ? inh.value : undefined;
	const note = h('p.note', {id: id + '-n'});
	const err = h('p.err', {id: id + '-e', hidden: true});
	const clear = h('button.clear', {type: 'button', onclick: () => { set(t.name, undefined); sync(); ctl.focus(); }},
		'Inherit', h('span.vh', {text: ' ' + t.name}));
	const wrap = h('div.field', {'data-path': path, 'data-tag': t.name});
	const label = h('label', {for: id}, t.name,
		t.required ? h('abbr.req', {title: 'required', 'aria-label': '(required)', text: ' *'}) : null,
		t.description ? h('span.desc', {text: ' ' + t.description}) : null);
	const described = id + '-n ' + id + '-e';
	let ctl, chips;
	const change = v => { set(t.name, v); sync(); };

	switch (t.type) {
	case 'boolean':
		ctl = h('input', {type: 'checkbox', id, 'aria-describedby': described,
			onchange: () => change(ctl.checked)});
		break;
	case 'enum':
		ctl = h('select', {id, 'aria-describedby': described, onchange: () => change(ctl.value === '' ? undefined : ctl.value)},
			h('option', {value: ''}, 'inherit'),
			t.values.map(v => h('option', {value: v, text: v})));
		break;
	case 'integer':
	case 'number':
		ctl = h('input', {type: 'number', id, step: t.type === 'integer' ? '1' : 'any', inputmode: t.type === 'integer' ? 'numeric' : 'decimal',
			'aria-describedby': described,
			oninput: () => change(ctl.value === '' ? undefined : Number(ctl.value))});
		break;
	case 'list': {
		chips = h('ul.chips', {'aria-label': t.name + ' values'});
		ctl = h('input', {type: 'text', id, placeholder: 'add a value, Enter', 'aria-describedby': described,
			autocomplete: 'off',
			onkeydown: e => {
				if ((e.key === 'Enter' || e.key === ',') && ctl.value.trim()) {
					e.preventDefault();
					const cur = Array.isArray(eff()) ? eff().slice() : [];
					const v = ctl.value.trim();
					if (!cur.includes(v)) cur.push(v);
					ctl.value = '';
					change(cur);
				}
			}});
		break;
	}
	default:
		ctl = h('input', {type: 'text', id, 'aria-describedby': described, autocomplete: 'off',
			oninput: () => change(ctl.value === '' ? undefined : ctl.value)});
	}
	if (t.required) ctl.setAttribute('aria-required', 'true');

	function sync() {
		const o = own(), e = eff(), overridden = o !== undefined;
		wrap.classList.toggle('overridden', overridden);
		clear.hidden = !overridden;
		const ivalue = inh && inh.value !== undefined && inh.value !== null;
		const from = ivalue ? `${fmtValue(inh.value)} from ${fmtSource(inh.source)}` : '';
		note.textContent = overridden
			? (ivalue ? `Set here; overrides ${from}.` : 'Set here.')
			: (ivalue ? `Inherits ${from}.` : (t.required ? 'Required: no value yet.' : 'No value.'));
		note.classList.toggle('warn', !overridden && !ivalue && t.required);
		err.hidden = true;
		ctl.removeAttribute('aria-invalid');
		if (t.type === 'boolean') ctl.checked = !!e;
		else if (t.type === 'enum') {
			ctl.value = overridden ? String(o) : '';
			ctl.options[0].textContent = ivalue ? `inherit: ${inh.value}` : 'inherit: nothing';
		} else if (t.type === 'list') {
			const list = Array.isArray(e) ? e : [];
			chips.replaceChildren(...list.map(v => h('li' + (overridden ? '' : '.inh'), {}, h('span', {text: v}),
				h('button', {type: 'button', 'aria-label': `Remove ${v} from ${t.name}`, text: '×',
					onclick: () => { change(list.filter(x => x !== v)); ctl.focus(); }}))));
		} else {
			if (document.activeElement !== ctl) ctl.value = overridden ? String(o) : '';
			ctl.placeholder = ivalue ? String(inh.value) : '';
		}
	}
	wrap.showError = msg => {
		err.textContent = msg;
		err.hidden = false;
		ctl.setAttribute('aria-invalid', 'true');
		ctl.focus();
	};
	sync();
	wrap.append(label, h('div.ctl', {}, chips, ctl, clear), note, err);
	return wrap;
}

/* ---------- opening a video or a folder ---------- */

function metaPath(kind, path) {
	if (kind === 'folder') return path ? `api/folders/${encPath(path)}/meta` : 'api/folders/meta';
	return `api/videos/${encPath(path)}/meta`;
}

let keyN = 0;
function withKeys(doc) {
	return (doc.clips || []).map(c => ({k: ++keyN, c: clone(c)}));
}
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
const normDoc = canon;
const dirty = () => !!S.view && !same(currentDoc(), S.view.base);

function updateDirty() {
	const d = dirty();
	const b = $('#savebar');
	if (!b) return;
	b.classList.toggle('dirty', d);
	$('#dirtynote').textContent = d ? 'Unsaved changes.' : 'All changes saved.';
	$('#save').disabled = false;
}

let openSeq = 0;
async function open(kind, path) {
	status('Loading…');
	const seq = ++openSeq;
	let r;
	try { r = await getJSON(metaPath(kind, path)); } catch (e) {
		if (seq !== openSeq) return;
		status(e.message, 'error');
		$('#editor').hidden = true;
		return;
	}
	if (seq !== openSeq) return;   // another one was opened meanwhile
	const body = r.body;
	const doc = normDoc(body.meta, kind);
	S.view = {kind, path, etag: unquote(body.etag) || r.etag, base: null, doc, inherited: body.inherited || {},
		clips: kind === 'video' ? withKeys(doc) : [], sel: null, inMark: null, outMark: null, fps: 0, loop: false};
	S.view.base = currentDoc();
	status(body.error ? `This ${kind === 'video' ? 'sidecar' : 'folder file'} cannot be read (${body.error}): saving replaces it with what you see here.`
		: body.inherited_error ? 'The inherited values are incomplete: ' + body.inherited_error : '', body.error ? 'error' : '');
	$('#welcome').hidden = true;
	const ed = $('#editor');
	ed.hidden = false;
	if (kind === 'video') renderVideo(); else renderFolder();
	updateDirty();
}

function saveBar() {
	return h('div#savebar.savebar', {},
		h('button#save.primary', {type: 'button', onclick: save}, 'Save'),
		h('button', {type: 'button', onclick: revert}, 'Revert'),
		h('span#dirtynote', {}));
}
function renderFolder() {
	const v = S.view;
	const name = v.path ? 'Folder ' + v.path : 'The whole backyard';
	const videosHere = S.videos.filter(x => !v.path || x.path.startsWith(v.path + '/'));
	const ed = $('#editor');
	ed.replaceChildren((h('div', {},
		h('h2', {text: name}),
		h('p', {text: `Tag values set here apply to every clip of every video below ${v.path ? 'this folder' : 'the backyard root'} (${videosHere.length} video${videosHere.length === 1 ? '' : 's'}); a nearer folder, the video and the clip override them.`}),
		h('form', {onsubmit: e => { e.preventDefault(); save(); }},
			tagForm('Folder tags', () => v.doc.tags, setDocTag, v.inherited, 'tags')),
		h('div#conflict.conflict', {hidden: true}),
		saveBar())));
}

function setDocTag(name, value) {
	if (value === undefined) delete S.view.doc.tags[name]; else S.view.doc.tags[name] = value;
	if (S.view.kind === 'video') { renderList(); renderClipForm(); }
	updateDirty();
}

/* ---------- the video editor ---------- */

const vid = () => $('#vid');

function renderVideo() {
	const v = S.view;
	const ed = $('#editor');
	const video = h('video#vid', {preload: 'auto', controls: true, src: url('media/' + encPath(v.path)),
		'aria-label': 'Video ' + v.path});
	video.addEventListener('loadedmetadata', () => { renderTimeline(); tick(); });
	video.addEventListener('timeupdate', tick);
	video.addEventListener('seeked', tick);
	video.addEventListener('play', () => { tick(); watchFrames(); });
	video.addEventListener('pause', tick);
	video.addEventListener('error', () => status('The video cannot be played in this browser; you can still edit its clips by time.', 'error'));
	const btn = (label, key, fn, extra) => h('button', {type: 'button', onclick: fn, 'aria-keyshortcuts': key, title: `${label} (${key})`, ...extra}, label);
	ed.replaceChildren(h('div', {},
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
					h('div#timeline.timeline', {role: 'group', 'aria-label': 'Timeline: click to seek', onclick: timelineClick},
						h('div#playhead.playhead'))),
				h('p#marks.marks', {'aria-live': 'polite'}),
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
}

function clipInherited() {
	const v = S.view, out = {};
	for (const t of S.tags) {
		const own = v.doc.tags[t.name];
		if (own !== undefined && own !== null) out[t.name] = {value: own, source: 'video'};
		else if (v.inherited[t.name]) out[t.name] = v.inherited[t.name];
	}
	return out;
}

function clipLabel(x, i) {
	const s = parseTime(x.c.start), e = parseTime(x.c.end);
	return `Clip ${i + 1}: ${fmtTime(s)} to ${fmtTime(e)}`;
}

function renderClips() {
	renderList();
	renderClipForm();
	updateDirty();
}

// The clip list and the timeline, without touching the clip form (so that
// typing in the form keeps its focus).
function renderList() {
	const v = S.view;
	const list = $('#cliplist');
	if (!list) return;
	list.replaceChildren(...v.clips.map((x, i) => {
		const tags = Object.entries(x.c.tags || {}).filter(([, val]) => val !== null)
			.map(([k, val]) => `${k}: ${Array.isArray(val) ? val.join(', ') : val}`).join(' · ');
		// required tags with no value anywhere: the clip would not be published
		const inh = clipInherited();
		const missing = S.tags.filter(t => t.required && (x.c.tags || {})[t.name] == null && !(inh[t.name] && inh[t.name].value != null))
			.map(t => t.name);
		return h('li', {}, h('button', {type: 'button', 'aria-pressed': String(v.sel === x.k),
			onclick: () => { selectClip(x.k); playClip(); }},
		h('span', {text: clipLabel(x, i)}), x.c.id ? h('small', {text: ' ' + x.c.id}) : h('small', {text: ' new'}),
		tags ? h('span.ctags', {text: tags}) : null,
		missing.length ? h('span.missing', {text: '⚠ needs ' + missing.join(', ')}) : null));
	}));
	if (!v.clips.length) list.append(h('li.muted', {text: 'No clips yet: play the video and mark in and out (I, O).'}));
	renderTimeline();
}

function renderTimeline() {
	const tl = $('#timeline'), v = S.view;
	if (!tl) return;
	const d = vid() && vid().duration;
	for (const el of tl.querySelectorAll('.clipbar, .mk')) el.remove();
	if (!Number.isFinite(d) || d <= 0) return;
	const pct = t => Math.max(0, Math.min(100, t / d * 100));
	v.clips.forEach((x, i) => {
		const s = parseTime(x.c.start), e = parseTime(x.c.end);
		if (!Number.isFinite(s) || !Number.isFinite(e)) return;
		tl.append(h('button.clipbar', {type: 'button', 'aria-pressed': String(v.sel === x.k),
			style: `left:${pct(s)}%;width:${Math.max(0.5, pct(e) - pct(s))}%`,
			'aria-label': clipLabel(x, i) + ', select and loop',
			onclick: ev => { ev.stopPropagation(); selectClip(x.k); playClip(); }}, String(i + 1)));
	});
	for (const [t, c] of [[v.inMark, 'in'], [v.outMark, 'out']])
		if (t !== null) tl.append(h('div.mk.' + c, {style: `left:${pct(t)}%`, 'aria-hidden': 'true'}));
	tick();
}

function timelineClick(e) {
	const tl = $('#timeline'), video = vid();
	if (!video || !Number.isFinite(video.duration)) return;
	const r = tl.getBoundingClientRect();
	video.currentTime = Math.max(0, Math.min(video.duration, (e.clientX - r.left) / r.width * video.duration));
}

function tick() {
	const video = vid();
	// a video left in the DOM still sends events after the view closed
	if (!video || !S.view || S.view.kind !== 'video') return;
	$('#clock').textContent = fmtTime(video.currentTime) + ' / ' + fmtTime(video.duration);
	const d = video.duration;
	if (Number.isFinite(d) && d > 0) $('#playhead').style.left = (video.currentTime / d * 100) + '%';
	$('#playbtn').textContent = video.paused ? 'Play' : 'Pause';
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

// Frame-accurate looping and the frame duration, from the frames themselves.
function watchFrames() {
	const video = vid();
	if (!video || !video.requestVideoFrameCallback) return;
	let last = null;
	const cb = (now, meta) => {
		if (vid() !== video) return;
		if (last !== null) {
			const dt = meta.mediaTime - last;
			if (dt > 0.004 && dt < 0.2 && (!S.view.fps || 1 / dt > S.view.fps + 0.5)) S.view.fps = Math.round(1 / dt * 1000) / 1000;
		}
		last = meta.mediaTime;
		tick();
		if (!video.paused) video.requestVideoFrameCallback(cb);
	};
	video.requestVideoFrameCallback(cb);
}

let shuttleTimer = null, shuttleSpeed = 0;
function stopShuttle() {
	clearInterval(shuttleTimer);
	shuttleTimer = null;
	shuttleSpeed = 0;
	const video = vid();
	if (video) video.playbackRate = 1;
}
function shuttle(dir) {
	const video = vid();
	if (!video) return;
	if (Math.sign(shuttleSpeed) !== dir) stopShuttle();
	shuttleSpeed = shuttleSpeed ? Math.max(-8, Math.min(8, shuttleSpeed * 2)) : dir;
	S.view.loop = false;
	if (dir > 0) {
		video.playbackRate = shuttleSpeed;
		video.play().catch(() => {});
	} else {
		// Browsers cannot play backwards: step back in small seeks instead.
		video.pause();
		clearInterval(shuttleTimer);
		shuttleTimer = setInterval(() => {
			const t = video.currentTime + shuttleSpeed * 0.2;
			video.currentTime = Math.max(0, t);
			if (t <= 0) stopShuttle();
		}, 200);
	}
	status(`Playing ${dir > 0 ? 'forwards' : 'backwards'} at ${Math.abs(shuttleSpeed)}×`);
}
function togglePlay() {
	const video = vid();
	if (!video) return;
	stopShuttle();
	if (video.paused) video.play().catch(() => {}); else video.pause();
}
function stepFrame(n) {
	const video = vid();
	if (!video) return;
	stopShuttle();
	video.pause();
	const fps = S.view.fps || 25;
	const frame = Math.round(video.currentTime * fps) + n;
	video.currentTime = Math.max(0, Math.min(video.duration || Infinity, frame / fps + 0.0005));
}

const selected = () => S.view && S.view.clips.find(x => x.k === S.view.sel) || null;
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
		x.c[which] = t;
		status(`Clip ${v.clips.indexOf(x) + 1} ${which} set to ${fmtTime(t)}.`);
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

function renderClipForm() {
	const box = $('#clipform'), v = S.view;
	if (!box) return;
	const x = selected();
	if (!x) { box.replaceChildren(); return; }
	const i = v.clips.indexOf(x);
	x.c.tags = x.c.tags || {};
	const timeField = which => {
		const id = 'ct-' + which;
		const err = h('p.err', {id: id + '-e', hidden: true});
		const inp = h('input', {type: 'text', id, inputmode: 'decimal', value: fmtTime(parseTime(x.c[which])),
			'aria-describedby': id + '-e', size: 10,
			onchange: () => {
				const t = parseTime(inp.value);
				if (!Number.isFinite(t)) { err.textContent = 'Write seconds (12.5) or [HH:]MM:SS.fff.'; err.hidden = false; inp.setAttribute('aria-invalid', 'true'); return; }
				x.c[which] = round3(t);
				renderClips();
				$('#' + id).focus();
			}});
		const wrap = h('div.field.time', {'data-path': `clips[${i}].${which}`},
			h('label', {for: id, text: which === 'start' ? 'Start' : 'End'}),
			h('div.ctl', {}, inp, h('button', {type: 'button', onclick: which === 'start' ? markIn : markOut},
				'Set to playhead', h('span.vh', {text: ` (${which === 'start' ? 'I' : 'O'})`}))), err);
		wrap.showError = msg => { err.textContent = msg; err.hidden = false; inp.setAttribute('aria-invalid', 'true'); inp.focus(); };
		return wrap;
	};
	const setClipTag = (name, value) => {
		if (value === undefined) delete x.c.tags[name]; else x.c.tags[name] = value;
		renderList();
		updateDirty();
	};
	box.replaceChildren(h('form.clipform', {'aria-label': `Clip ${i + 1}`, onsubmit: e => { e.preventDefault(); save(); }},
		h('h4', {}, `Clip ${i + 1}`, x.c.id ? h('small', {text: ' id ' + x.c.id}) : h('small', {text: ' (new: gets its id when saved)'})),
		h('div.times', {}, timeField('start'), timeField('end'),
			h('button', {type: 'button', onclick: playClip}, 'Loop clip'),
			h('button.danger', {type: 'button', onclick: () => {
				v.clips.splice(i, 1);
				v.sel = null;
				status(`Clip ${i + 1} deleted (not saved yet).`);
				renderClips();
			}}, 'Delete clip')),
		tagForm('Clip tags', () => x.c.tags, setClipTag, clipInherited(), `clips[${i}].tags`)));
}

/* ---------- save, conflicts, errors ---------- */

async function save() {
	const v = S.view;
	if (!v) return;
	for (const e of document.querySelectorAll('#editor .err')) e.hidden = true;
	const doc = currentDoc();
	status('Saving…');
	let r, body = null;
	try {
		r = await fetch(url(metaPath(v.kind, v.path)), {method: 'PUT',
			headers: {'Content-Type': 'application/json', Accept: 'application/json', 'If-Match': `"${v.etag}"`},
			body: JSON.stringify(doc)});
		try { body = await r.json(); } catch { /* empty */ }
	} catch (e) {
		status('Not saved: the server cannot be reached (' + e.message + '). Your edits are still here.', 'error');
		return;
	}
	if (S.view !== v) return;
	if (r.ok) {
		const meta = normDoc(body && body.meta ? body.meta : doc, v.kind);
		v.etag = unquote(body && body.etag) || unquote(r.headers.get('ETag'));
		v.doc = meta;
		const selIdx = v.clips.findIndex(x => x.k === v.sel);
		if (v.kind === 'video') {
			v.clips = withKeys(meta);
			v.sel = selIdx >= 0 && v.clips[selIdx] ? v.clips[selIdx].k : null;
		}
		v.base = currentDoc();
		$('#conflict').hidden = true;
		if (v.kind === 'video') {
			const rec = S.videos.find(x => x.path === v.path);
			if (rec) { rec.clips = v.clips.length; rec.state = v.clips.length ? 'clips' : 'none'; renderTree(); }
			renderClips();
		} else renderFolder();
		updateDirty();
		status('Saved.', 'ok');
		return;
	}
	if (r.status === 412) return conflict();
	if (r.status === 422 || r.status === 400) return invalid(body || {});
	status(`Not saved: ${(body && body.error) || 'HTTP ' + r.status}. Your edits are still here.`, 'error');
}

// "clips[1].tags.rating", "$.clips[1].end", "/clips/1/end" -> "clips[1].end"
function normPath(p) {
	if (!p) return '';
	p = String(p);
	if (p.startsWith('/')) p = p.slice(1).split('/').map(s => /^\d+$/.test(s) ? `[${s}]` : '.' + s).join('').replace(/^\./, '');
	return p.replace(/^\$\.?/, '').replace(/\.\[/g, '[');
}

function invalid(body) {
	const msg = body.error || 'the server refused the values';
	let path = normPath(body.path);
	if (!path) { const m = /^([A-Za-z_$][\w$]*(?:\[\d+\]|\.[\w$-]+)*):/.exec(msg); if (m) path = normPath(m[1]); }
	status('Not saved: ' + msg, 'error');
	const v = S.view;
	const m = /^clips\[(\d+)\]/.exec(path);
	if (m && v.kind === 'video' && v.clips[Number(m[1])] && v.sel !== v.clips[Number(m[1])].k) {
		v.sel = v.clips[Number(m[1])].k;
		renderClips();
	}
	// the field itself, else the nearest enclosing path that has a field
	for (let p = path; p; p = p.replace(/(\.[^.[]*|\[\d+\])$/, '')) {
		const f = document.querySelector(`#editor [data-path="${CSS.escape(p)}"]`);
		if (f && f.showError) { f.showError(msg); return; }
		if (!/(\.[^.[]*|\[\d+\])$/.test(p)) break;
	}
}

// What changed between two documents, in words.
function describe(a, b) {
	const out = [];
	const ta = a.tags || {}, tb = b.tags || {};
	for (const k of new Set([...Object.keys(ta), ...Object.keys(tb)]))
		if (!same(ta[k], tb[k])) out.push(`tag ${k}: ${fmtValue(ta[k])} → ${fmtValue(tb[k])}`);
	if (a.clips || b.clips) {
		const ca = a.clips || [], cb = b.clips || [];
		const name = c => c.id ? 'clip ' + c.id : `new clip ${fmtTime(parseTime(c.start))}–${fmtTime(parseTime(c.end))}`;
		for (const c of cb) {
			const o = c.id && ca.find(x => x.id === c.id);
			if (!o) out.push(`added ${name(c)} (${fmtTime(parseTime(c.start))} to ${fmtTime(parseTime(c.end))})`);
			else if (!same(o, c)) {
				const what = [];
				for (const f of ['start', 'end']) if (!same(o[f], c[f])) what.push(`${f} ${fmtTime(parseTime(o[f]))} → ${fmtTime(parseTime(c[f]))}`);
				const ot = o.tags || {}, ct = c.tags || {};
				for (const k of new Set([...Object.keys(ot), ...Object.keys(ct)]))
					if (!same(ot[k], ct[k])) what.push(`${k} ${fmtValue(ot[k])} → ${fmtValue(ct[k])}`);
				out.push(`changed clip ${c.id}: ${what.join(', ') || 'details'}`);
			}
		}
		for (const c of ca) if (!c.id || !cb.find(x => x.id === c.id)) if (c.id) out.push(`removed clip ${c.id}`);
	}
	return out;
}

// Replays my edits (base -> mine) onto their document.
function rebase(base, mine, theirs, kind) {
	const out = normDoc(clone(theirs), kind);
	const bt = base.tags || {}, mt = mine.tags || {};
	for (const k of new Set([...Object.keys(bt), ...Object.keys(mt)]))
		if (!same(bt[k], mt[k])) { if (mt[k] === undefined) delete out.tags[k]; else out.tags[k] = clone(mt[k]); }
	if (kind === 'video') {
		const bc = base.clips || [];
		for (const c of bc) if (c.id && !mine.clips.find(x => x.id === c.id)) out.clips = out.clips.filter(x => x.id !== c.id);
		for (const c of mine.clips) {
			const o = c.id && bc.find(x => x.id === c.id);
			if (!c.id || !o) { out.clips.push(clone(c)); continue; }
			if (same(o, c)) continue;
			const i = out.clips.findIndex(x => x.id === c.id);
			if (i >= 0) out.clips[i] = clone(c); else out.clips.push(clone(c));
		}
	}
	return out;
}

async function conflict() {
	const v = S.view;
	let r;
	try { r = await getJSON(metaPath(v.kind, v.path)); } catch (e) {
		status('Someone else saved, and the new version cannot be read: ' + e.message, 'error');
		return;
	}
	const theirs = normDoc(r.body.meta, v.kind), mine = currentDoc();
	const box = $('#conflict');
	const li = s => h('li', {text: s});
	const theirChanges = describe(v.base, theirs), myChanges = describe(v.base, mine);
	box.replaceChildren(
		h('h3#conflict-h', {tabindex: '-1', text: 'Not saved: someone else saved this ' + (v.kind === 'video' ? 'video' : 'folder') + ' while you were editing'}),
		h('p', {text: 'Their changes:'}), h('ul', {}, theirChanges.length ? theirChanges.map(li) : li('no visible changes')),
		h('p', {text: 'Your unsaved changes:'}), h('ul', {}, myChanges.length ? myChanges.map(li) : li('none')),
		h('div.actions', {},
			h('button.primary', {type: 'button', onclick: () => {
				const merged = rebase(v.base, mine, theirs, v.kind);
				v.etag = unquote(r.body.etag) || r.etag;
				v.inherited = r.body.inherited || v.inherited;
				v.base = canon(theirs, v.kind);
				v.doc = merged;
				v.clips = v.kind === 'video' ? withKeys(merged) : [];
				v.sel = null;
				box.hidden = true;
				if (v.kind === 'video') renderVideo(); else renderFolder();
				updateDirty();
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
	v.doc = normDoc(clone(v.base), v.kind);
	v.clips = v.kind === 'video' ? withKeys(v.base) : [];
	v.sel = null;
	if (v.kind === 'video') renderVideo(); else renderFolder();
	updateDirty();
	status('Reverted to the saved version.');
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

window.addEventListener('keydown', e => {
	const t = e.target;
	const inField = !!(t.closest && t.closest('input, textarea, select, [contenteditable]'));
	// letters go to text fields, but a check box takes none
	const typing = inField && !(t.type === 'checkbox' || t.type === 'radio');
	if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
		if (S.view) { e.preventDefault(); save(); }
		return;
	}
	if (typing || e.ctrlKey || e.metaKey || e.altKey || !S.view || S.view.kind !== 'video') return;
	// space belongs to the focused button, link or check box
	const onControl = inField || (t.closest && t.closest('button, a, summary'));
	const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
	const act = {
		' ': onControl ? null : togglePlay,
		j: () => shuttle(-1), k: () => { stopShuttle(); vid() && vid().pause(); }, l: () => shuttle(1),
		',': () => stepFrame(-1), '.': () => stepFrame(1),
		i: markIn, o: markOut,
		Escape: () => { if (S.view.sel !== null || S.view.inMark !== null || S.view.outMark !== null) selectClip(null); },
	}[key];
	if (!act) return;
	e.preventDefault();
	e.stopPropagation();
	act();
}, true);

async function start() {
	try {
		const [tags, videos] = await Promise.all([getJSON('api/tags'), getJSON('api/videos')]);
		S.tags = normTags(tags.body.tags);
		S.videos = (videos.body.videos || []).slice();
	} catch (e) {
		$('#tree').replaceChildren(h('p.error', {text: 'Cannot load the backyard: ' + e.message}));
		status('Cannot load the backyard: ' + e.message, 'error');
		return;
	}
	S.hash = location.hash;
	renderTree();
	route();
}
start();
