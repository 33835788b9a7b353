// Messages in the page's words: "Clip 2 ends before it starts", never
// "clips[1].end: ...". The same checks run as the user types; the server's
// own messages are turned into these words too.
import { parseTime, fmtTime } from './dom.js';

// "clips[1].tags.rating: must be an integer" -> "Clip 2, rating: must be a whole number"
export function plain(msg) {
	return String(msg || '')
		.replace(/^(?:\$\.)?clips\[(\d+)\](?: \(id [^)]*\))?(?:\.tags)?\.?([\w-]*):?\s*/, (m, i, f) =>
			`Clip ${Number(i) + 1}${f ? ', ' + f : ''}: `)
		.replace(/^tags\.([\w-]+):\s*/, 'Video tag $1: ')
		.replace(/must be an integer/, 'must be a whole number')
		.replace(/tag "([^"]+)": required, and no value is set/, '$1 is required');
}

function valueProblem(t, v) {
	if (v === undefined || v === null) return null;
	if (t.type === 'integer' && !Number.isInteger(v)) return 'must be a whole number';
	if (t.type === 'number' && !Number.isFinite(v)) return 'must be a number';
	if (t.type === 'enum' && !t.values.includes(v)) return `must be one of ${t.values.join(', ')}`;
	return null;
}

// Problems of the open video's clips: [{path, message, clip (index), block}]
// where block means the server would refuse the save.
export function problems(v, tags, duration, inherited) {
	const out = [];
	v.clips.forEach((x, i) => {
		const n = `Clip ${i + 1}`, s = parseTime(x.c.start), e = parseTime(x.c.end);
		if (!Number.isFinite(s)) out.push({path: `clips[${i}].start`, clip: i, block: true, message: `${n}: the start is not a time (write 12.5 or 1:02.5)`});
		if (!Number.isFinite(e)) out.push({path: `clips[${i}].end`, clip: i, block: true, message: `${n}: the end is not a time (write 12.5 or 1:02.5)`});
		if (Number.isFinite(s) && Number.isFinite(e) && e <= s)
			out.push({path: `clips[${i}].end`, clip: i, block: true, message: e < s ? `${n} ends before it starts` : `${n} ends where it starts`});
		if (duration && Number.isFinite(e) && e > duration + 0.5)
			out.push({path: `clips[${i}].end`, clip: i, block: true, message: `${n} ends after the video (${fmtTime(duration)})`});
		for (const t of tags) {
			const own = (x.c.tags || {})[t.name];
			const p = valueProblem(t, own);
			if (p) out.push({path: `clips[${i}].tags.${t.name}`, clip: i, block: true, message: `${n}, ${t.name}: ${p}`});
			const inh = inherited[t.name];
			if (t.required && (own === undefined || own === null) && !(inh && inh.value !== undefined && inh.value !== null))
				out.push({path: `clips[${i}].tags.${t.name}`, clip: i, block: false, message: `${n} will not be published: ${t.name} is required`});
		}
	});
	return out;
}
