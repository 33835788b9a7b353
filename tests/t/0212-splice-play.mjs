// Accurate copies in headless chromium (tests/t/0212-cut-accurate-play.t):
// each plays from its first frame to its end, through its splices, without
// an error, a corrupt frame or a step back in time, and decodes every one
// of its frames; a clip whose type this chromium cannot play at all (HEVC
// in a build without it) is skipped, saying so. CLIPS: [{url, type,
// frames, duration, splices: [seconds]}].
import { ok, is, done, launch, newContext, newPage, until } from '../web/lib.mjs';

const clips = JSON.parse(process.env.CLIPS);
const browser = await launch();
try {
	const ctx = await newContext(browser);
	const p = await newPage(ctx);
	await p.goto(process.env.BASE + '/');
	for (const c of clips) {
		const can = await p.evaluate(t => ({play: document.createElement('video').canPlayType(t),
			mse: !!window.MediaSource && MediaSource.isTypeSupported(t)}), c.type);
		if (!can.play && !can.mse) {
			ok(true, `${c.url}: plays through its splices # skip this chromium cannot play ${c.type} (canPlayType "", isTypeSupported false)`);
			continue;
		}
		await p.evaluate(url => {
			const v = document.createElement('video');
			v.id = 'splice';
			v.muted = true;
			const s = window.splice = {shown: [], errors: []};
			v.addEventListener('error', () => s.errors.push(v.error ? v.error.message || String(v.error.code) : 'error'));
			const each = (now, m) => { s.shown.push(m.mediaTime); v.requestVideoFrameCallback(each); };
			v.requestVideoFrameCallback(each);
			v.src = url;
			document.body.append(v);
			v.play().catch(e => s.errors.push('play: ' + e.message));
		}, c.url);
		const ended = await until(p, () => document.getElementById('splice').ended || window.splice.errors.length);
		const r = await p.evaluate(() => {
			const v = document.getElementById('splice'), s = window.splice;
			const q = v.getVideoPlaybackQuality();
			let back = 0;
			for (let i = 1; i < s.shown.length; i++)
				if (s.shown[i] < s.shown[i - 1]) back++;
			const out = {ended: v.ended, errors: s.errors, total: q.totalVideoFrames,
				corrupt: q.corruptedVideoFrames, at: v.currentTime, shown: s.shown, back};
			v.remove();
			return out;
		});
		ok(ended && r.ended, `${c.url}: plays to its end`, r.errors);
		is(r.errors, [], `${c.url}: no media error`);
		is(r.total, c.frames, `${c.url}: every frame decoded (${c.frames})`);
		is(r.corrupt, 0, `${c.url}: no corrupt frame`);
		is(r.back, 0, `${c.url}: time never steps back`);
		ok(Math.abs(r.at - c.duration) < 0.05, `${c.url}: ends at its duration (${r.at} of ${c.duration})`);
		for (const t of c.splices)
			ok(r.shown.some(m => m >= t - 0.2 && m < t) && r.shown.some(m => m >= t && m < t + 0.2),
			    `${c.url}: frames shown on both sides of the splice at ${t} s`, r.shown);
	}
	is(p.errors, [], 'no console errors');
} finally {
	await browser.close();
}
process.exit(done() ? 0 : 1);
