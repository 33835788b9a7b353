// The folder tree on the left, and the box that finds a video by part of
// its path.
import { $, h } from './dom.js';
import { S } from './state.js';

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

export function renderTree() {
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

export function markCurrent() {
	for (const a of document.querySelectorAll('#tree a[aria-current]')) a.removeAttribute('aria-current');
	for (const a of document.querySelectorAll('#tree a'))
		if (a.getAttribute('href') === S.hash) a.setAttribute('aria-current', 'page');
}

