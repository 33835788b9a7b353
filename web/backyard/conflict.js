// A save conflict: what changed on their side and on mine, in words, and
// my edits replayed onto their version.
import { clone, same, parseTime, fmtTime, fmtValue } from './dom.js';

// What changed between two documents, in words.
export function describe(a, b) {
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
export function rebase(base, mine, theirs, kind, normDoc) {
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

