// The editor's state, shared by its modules, and the status line.
import { $ } from './dom.js';

export const S = {
	tags: [],        // [{name, type, values, default, required}]
	videos: [],      // from GET /api/videos
	view: null,      // the open video or folder (editor.js)
	hash: '',        // the hash the view belongs to (to undo a refused navigation)
};

export function status(msg, kind) {
	const el = $('#status');
	el.textContent = msg;
	el.className = kind || '';
}
