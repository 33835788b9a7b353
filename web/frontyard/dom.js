// The small things every module of the gallery uses: a DOM builder that
// never writes a style attribute (the page runs under a Content-Security-
// Policy without 'unsafe-inline'), and formats.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h('tag#id.class', {attr: value, onclick: fn, style: {top: '3px'}}, child...)
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
		else el.setAttribute(k, v === true ? '' : v);
	}
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false) continue;
		el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
	}
	return el;
}

export function fmtDur(s) {
	if (!Number.isFinite(s)) return '';
	s = Math.round(s);
	const m = Math.floor(s / 60), hh = Math.floor(m / 60);
	return (hh ? hh + ':' + String(m % 60).padStart(2, '0') : m) + ':' + String(s % 60).padStart(2, '0');
}
export function fmtBytes(n) {
	if (!Number.isFinite(n)) return '';
	const u = ['B', 'KB', 'MB', 'GB'];
	let i = 0;
	while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
	return (i ? n.toFixed(1) : n) + ' ' + u[i];
}
export const fmtVal = v => Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
const DATE = new Intl.DateTimeFormat(undefined, {year: 'numeric', month: 'short', day: 'numeric'});
export const fmtDate = unix => Number.isFinite(unix) ? DATE.format(new Date(unix * 1000)) : '';
