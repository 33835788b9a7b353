// The frontyard API of medusa-serve(8), and the view in the URL.
export const url = p => new URL(p, document.baseURI).href;

// A failed request says what failed: offline (the server cannot be
// reached), or the server's own message with its status.
export async function getJSON(p) {
	let r;
	try { r = await fetch(url(p), {headers: {Accept: 'application/json'}}); } catch {
		throw Object.assign(new Error('the gallery server cannot be reached'), {offline: true});
	}
	let body = null;
	try { body = await r.json(); } catch { /* not JSON */ }
	if (!r.ok) throw Object.assign(new Error((body && body.error) || `the server answered ${r.status}`), {status: r.status});
	return body;
}

export function normTags(t) {
	const list = Array.isArray(t) ? t : Object.entries(t || {}).map(([name, d]) => ({name, ...d}));
	return list.map(d => ({name: d.name, type: d.type || 'string', values: d.values || []}));
}

export const params = () => new URLSearchParams(location.search);
// What the grid lists: the filters, q and sort (not the open clip, the
// position, the time), in a stable order.
export function listParams(p) {
	const out = new URLSearchParams();
	for (const [k, v] of p) if (!['clip', 'at', 't'].includes(k) && v !== '') out.append(k, v);
	out.sort();
	return out;
}
