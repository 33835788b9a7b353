// The small things every module of the editor uses: a DOM builder that
// never writes a style attribute (the pages run under a Content-Security-
// Policy without 'unsafe-inline'), times, and JSON comparison.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h('tag#id.class', {attr: value, onclick: fn, style: {left: '3px'}}, child...)
export function h(spec, attrs, ...kids) {
	const m = spec.match(/^[a-z0-9]+|[#.][\w-]+/g);
	const el = document.createElement(m[0]);
	for (const p of m.slice(1)) {
		if (p[0] === '#') el.id = p.slice(1); else el.classList.add(p.slice(1));
	}
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'text') el.textContent = v;
		else if (k === 'style') Object.assign(el.style, v);
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

export const clone = v => v === undefined ? undefined : JSON.parse(JSON.stringify(v));
// JSON with sorted keys, so that key order never makes a document look changed
export const stable = v => v && typeof v === 'object'
	? (Array.isArray(v) ? '[' + v.map(stable).join(',') + ']'
		: '{' + Object.keys(v).sort().filter(k => v[k] !== undefined).map(k => JSON.stringify(k) + ':' + stable(v[k])).join(',') + '}')
	: JSON.stringify(v);
export const same = (a, b) => stable(a) === stable(b);
export const unquote = e => (e || '').replace(/^W\//, '').replace(/^"|"$/g, '');

// Times: seconds, or [HH:]MM:SS[.fff] as in a sidecar.
export function parseTime(v) {
	if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : NaN;
	const s = String(v).trim();
	if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
	const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(s);
	if (!m) return NaN;
	return (Number(m[1] || 0) * 60 + Number(m[2])) * 60 + Number(m[3]);
}
export function fmtTime(t) {
	if (!Number.isFinite(t)) return '–';
	const ms = Math.round(t * 1000);
	const hh = Math.floor(ms / 3600000), mm = Math.floor(ms / 60000) % 60;
	const ss = ((ms % 60000) / 1000).toFixed(3).padStart(6, '0');
	return (hh ? hh + ':' + String(mm).padStart(2, '0') : String(mm)) + ':' + ss;
}
export const round3 = t => Math.round(t * 1000) / 1000;

export function fmtValue(v) {
	if (v === undefined || v === null) return 'nothing';
	if (Array.isArray(v)) return v.length ? v.join(', ') : 'an empty list';
	if (typeof v === 'string') return '“' + v + '”';
	return String(v);
}
export function fmtSource(s) {
	if (!s) return 'nowhere';
	if (s === 'default') return 'the default';
	if (s === 'video') return 'this video';
	if (s === 'folder:.' || s === 'folder:') return 'the root folder';
	if (s.startsWith('folder:')) return 'folder ' + s.slice(7);
	return s;
}
// "3 minutes ago" for a unix time
export function fmtAgo(unix) {
	const s = Math.max(0, Date.now() / 1000 - unix);
	const [n, u] = s < 90 ? [Math.round(s), 'second'] : s < 5400 ? [Math.round(s / 60), 'minute']
		: s < 129600 ? [Math.round(s / 3600), 'hour'] : [Math.round(s / 86400), 'day'];
	return `${n} ${u}${n === 1 ? '' : 's'} ago`;
}
