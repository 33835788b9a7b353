// The backyard API of medusa-serve(8). URLs are relative to the page, so
// the editor also works when the server is mounted below a prefix (CGI).
import { unquote } from './dom.js';

export const url = p => new URL(p, document.baseURI).href;
export const encPath = p => p.split('/').map(encodeURIComponent).join('/');

export async function getJSON(p) {
	const r = await fetch(url(p), {headers: {Accept: 'application/json'}});
	let body = null;
	try { body = await r.json(); } catch { /* not JSON */ }
	if (!r.ok) throw Object.assign(new Error((body && body.error) || `${p}: HTTP ${r.status}`), {status: r.status});
	return {body, etag: unquote(r.headers.get('ETag'))};
}

export function metaPath(kind, path) {
	if (kind === 'folder') return path ? `api/folders/${encPath(path)}/meta` : 'api/folders/meta';
	return `api/videos/${encPath(path)}/meta`;
}

// PUT with the etag it was read with: {r, body}; throws when unreachable.
export async function putMeta(kind, path, etag, doc) {
	const r = await fetch(url(metaPath(kind, path)), {method: 'PUT',
		headers: {'Content-Type': 'application/json', Accept: 'application/json', 'If-Match': `"${etag}"`},
		body: JSON.stringify(doc)});
	let body = null;
	try { body = await r.json(); } catch { /* empty */ }
	return {r, body};
}

// The timeline of a video: the tiles' layout first (it names the version),
// then the sheet, the peaks and the scene changes of that version, which
// the browser may keep for good. Each part that fails is left out.
export async function timelineOf(path) {
	const base = `api/videos/${encPath(path)}/`;
	const tiles = (await getJSON(base + 'filmstrip.json')).body;
	const v = '?v=' + encodeURIComponent(tiles.version);
	const img = new Image();
	img.decoding = 'async';
	img.src = url(base + 'filmstrip' + v);
	const [peaks, scenes] = await Promise.all([
		getJSON(base + 'waveform' + v).then(r => r.body, () => null),
		getJSON(base + 'scenes' + v).then(r => r.body.scenes || [], () => [])]);
	await img.decode().catch(() => {});
	return {tiles, sheet: img.complete && img.naturalWidth ? img : null, peaks, scenes};
}

export const publishStatus = () => getJSON('api/publish').then(r => r.body);
