// The player: play, shuttle (J K L), frame steps, the frame rate measured
// from the frames themselves.
import { $ } from './dom.js';
import { S, status } from './state.js';

export const vid = () => $('#vid');

// The frame duration: the filmstrip's frame rate, else what the frames
// showed while playing, else 25 fps.
export const fps = () => (S.view && (S.view.fps || (S.view.tl && S.view.tl.fps))) || 25;

export function seek(t) {
	const video = vid();
	if (!video || !Number.isFinite(t)) return;
	const d = Number.isFinite(video.duration) ? video.duration : Infinity;
	video.currentTime = Math.max(0, Math.min(d, t));
}

export function watchFrames(onFrame) {
	const video = vid();
	if (!video || !video.requestVideoFrameCallback) return;
	let last = null;
	const cb = (now, meta) => {
		if (vid() !== video || !S.view) return;
		if (last !== null) {
			const dt = meta.mediaTime - last;
			if (dt > 0.004 && dt < 0.2 && (!S.view.fps || 1 / dt > S.view.fps + 0.5)) S.view.fps = Math.round(1 / dt * 1000) / 1000;
		}
		last = meta.mediaTime;
		onFrame();
		if (!video.paused) video.requestVideoFrameCallback(cb);
	};
	video.requestVideoFrameCallback(cb);
}

let shuttleTimer = null, shuttleSpeed = 0;
export function stopShuttle() {
	clearInterval(shuttleTimer);
	shuttleTimer = null;
	shuttleSpeed = 0;
	const video = vid();
	if (video) video.playbackRate = 1;
}
export function shuttle(dir) {
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
export function togglePlay() {
	const video = vid();
	if (!video) return;
	stopShuttle();
	if (video.paused) video.play().catch(() => {}); else video.pause();
}
export function pause() {
	stopShuttle();
	if (vid()) vid().pause();
}
export function stepFrame(n) {
	const video = vid();
	if (!video) return;
	stopShuttle();
	video.pause();
	const f = fps();
	const frame = Math.round(video.currentTime * f) + n;
	seek(frame / f + 0.0005);
}
