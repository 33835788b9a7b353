// The filter bar: one menu per tag with a check box per value and its
// count (several values of one tag: any of them), a search box inside long
// value lists, chips for the active filters, and the sort order. Counts of
// a tag's own values leave out that tag's filter, so that choosing a second
// value shows how many it would add.
import { $, h, fmtVal } from './dom.js';
import { getJSON, params, listParams } from './api.js';

const SHOW = 200;  // values shown before the list asks for a search
export const F = {tags: [], go: null, seq: 0, open: null};

const numeric = t => t.type === 'integer' || t.type === 'number';
const label = (t, v) => t.type === 'boolean' ? fmtVal(v === 'true') : v;

// Values in the order a person expects: numbers and ratings by value,
// yes before no, the rest most common first.
export function orderValues(t, values, counts) {
	if (numeric(t)) return values.sort((a, b) => Number(a) - Number(b));
	if (t.type === 'boolean') return values.sort((a, b) => (a === 'true' ? 0 : 1) - (b === 'true' ? 0 : 1));
	return values.sort((a, b) => (counts[b] || 0) - (counts[a] || 0) || (a < b ? -1 : a > b ? 1 : 0));
}

export function buildSort() {
	const sel = $('#sort');
	const opts = [['-updated', 'newest'], ['updated', 'oldest'], ['-duration', 'longest'], ['duration', 'shortest']];
	for (const t of F.tags) {
		if (numeric(t)) opts.push(['-' + t.name, t.name + ', highest'], [t.name, t.name + ', lowest']);
		else if (t.type === 'string' || t.type === 'enum') opts.push([t.name, t.name + ', A–Z']);
	}
	sel.append(...opts.map(([v, l]) => h('option', {value: v, text: l})));
}
export function syncSort(v) {
	const sel = $('#sort');
	if (![...sel.options].some(o => o.value === v)) sel.append(h('option', {value: v, text: v}));
	sel.value = v;
}

// Counts for the view (lp), and for each filtered tag the counts without
// its own filter. Returns {TAG: {VALUE: COUNT}} or throws.
async function countsFor(lp) {
	const all = (await getJSON('api/facets?' + lp)).facets || {};
	const own = [...new Set([...lp.keys()].filter(k => F.tags.some(t => t.name === k)))];
	await Promise.all(own.map(async name => {
		const q = new URLSearchParams(lp);
		q.delete(name);
		all[name] = ((await getJSON('api/facets?' + q)).facets || {})[name] || {};
	}));
	return all;
}

// The tags whose values differ among the clips of the view: what a card
// shows to tell its clip from the others.
export function distinct(facets) {
	return F.tags.filter(t => Object.keys(facets[t.name] || {}).length > 1).map(t => t.name);
}
// The most common value of each tag in the view (as facets write it).
export function common(facets) {
	const out = {};
	for (const [name, counts] of Object.entries(facets))
		out[name] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
	return out;
}

export async function loadFacets(lp) {
	const seq = ++F.seq;
	// busy until the counts match the grid's view (for assistive technology,
	// and for tests that read the counts)
	$('#facets').setAttribute('aria-busy', 'true');
	let f;
	try { f = await countsFor(lp); } catch (e) {
		if (seq !== F.seq) return null;
		$('#facets').removeAttribute('aria-busy');
		throw e;
	}
	if (seq !== F.seq) return null;
	renderFacets(f);
	$('#facets').removeAttribute('aria-busy');
	return f;
}

function choose(name, value, on) {
	const p = params();
	const cur = p.getAll(name).filter(v => v !== value);
	if (on) cur.push(value);
	p.delete(name);
	for (const v of cur) p.append(name, v);
	p.delete('clip');
	p.delete('at');
	F.go(p, true);
}

function valueList(t, values, counts, chosen, filter) {
	const q = filter.trim().toLowerCase();
	const hits = q ? values.filter(v => String(label(t, v)).toLowerCase().includes(q)) : values;
	const ul = h('ul.values');
	for (const v of hits.slice(0, SHOW)) {
		const id = `v-${t.name}-${v}`.replace(/[^\w-]/g, '_');
		const box = h('input', {type: 'checkbox', id, 'data-tag': t.name, 'data-value': v,
			onchange: () => choose(t.name, v, box.checked)});
		box.checked = chosen.includes(v);
		ul.append(h('li', {}, box, h('label', {for: id, 'data-count': String(counts[v] || 0)},
			`${label(t, v)} `, h('span.n', {text: `(${counts[v] || 0})`}))));
	}
	if (!hits.length) ul.append(h('li.muted', {text: 'No value matches.'}));
	else if (hits.length > SHOW) ul.append(h('li.muted', {text: `and ${hits.length - SHOW} more: type to narrow them.`}));
	return ul;
}

function facetMenu(t, counts, chosen) {
	const values = Object.keys(counts);
	if (t.type === 'enum') for (const v of t.values) if (!values.includes(v)) values.push(v);
	for (const v of chosen) if (!values.includes(v)) values.push(v);
	if (!values.length) return null;
	orderValues(t, values, counts);
	const det = h('details.facet', {'data-tag': t.name},
		h('summary', {}, t.name, chosen.length ? h('span.badge', {text: String(chosen.length)}) : null));
	let list = valueList(t, values, counts, chosen, '');
	if (values.length > 8) {
		const find = h('input', {type: 'search', placeholder: `find a ${t.name}`, 'aria-label': `Find a value of ${t.name}`,
			autocomplete: 'off', oninput: () => { const nl = valueList(t, values, counts, chosen, find.value); list.replaceWith(nl); list = nl; }});
		det.append(find);
	}
	det.append(list);
	det.addEventListener('toggle', () => { if (det.open) F.open = t.name; else if (F.open === t.name) F.open = null; });
	if (F.open === t.name) det.open = true;
	return det;
}

export function renderFacets(facets) {
	const p = params(), box = $('#facets');
	const focused = document.activeElement && document.activeElement.id;
	box.replaceChildren(...F.tags.map(t => facetMenu(t, facets[t.name] || {}, p.getAll(t.name))).filter(Boolean));
	renderChips();
	if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
}

// The active filters as chips, each removable; the count on the phone's
// Filters button.
export function renderChips() {
	const p = params(), chips = [];
	for (const t of F.tags) for (const v of p.getAll(t.name))
		chips.push(h('li', {}, h('button.chip', {type: 'button', 'aria-label': `Remove filter ${t.name}: ${label(t, v)}`,
			onclick: () => choose(t.name, v, false)}, `${t.name}: ${label(t, v)}`, h('span', {'aria-hidden': 'true', text: ' ✕'}))));
	if (p.get('q')) chips.push(h('li', {}, h('button.chip', {type: 'button', 'aria-label': `Remove search ${p.get('q')}`,
		onclick: () => { const np = params(); np.delete('q'); np.delete('at'); F.go(np, true); }}, `“${p.get('q')}”`, h('span', {'aria-hidden': 'true', text: ' ✕'}))));
	$('#chips').replaceChildren(...chips);
	$('#chips').hidden = !chips.length;
	$('#clear').hidden = !chips.length;
	const n = chips.length;
	$('#filters-btn').textContent = n ? `Filters (${n})` : 'Filters';
}

export const activeKey = () => listParams(params()).toString();
