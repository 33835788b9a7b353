// Undo and redo of every edit of the open document, deleted clips
// included: a stack of whole snapshots (a sidecar is small). Typing in one
// field is one step; the field's own text undo (Ctrl+Z inside it) is the
// browser's and is left alone (editor.js sends no Ctrl+Z from a text field
// here).
import { clone } from './dom.js';

const MAX = 200;

const snapshot = v => ({doc: clone(v.doc), clips: v.clips.map(x => ({k: x.k, c: clone(x.c)})), sel: v.sel});
function restore(v, s) {
	v.doc = clone(s.doc);
	v.clips = s.clips.map(x => ({k: x.k, c: clone(x.c)}));
	v.sel = s.sel;
}

export const newHistory = () => ({undo: [], redo: [], group: null});

// Before an edit: label says what it is ("delete clip 2"); edits with the
// same group (one field being typed in) make one step.
export function record(v, label, group) {
	const hs = v.hist;
	if (group && hs.group === group) return;
	hs.undo.push({label, snap: snapshot(v)});
	if (hs.undo.length > MAX) hs.undo.shift();
	hs.redo = [];
	hs.group = group || null;
}
export function endGroup(v) { if (v && v.hist) v.hist.group = null; }

function move(v, from, to) {
	const e = from.pop();
	if (!e) return null;
	to.push({label: e.label, snap: snapshot(v)});
	restore(v, e.snap);
	v.hist.group = null;
	return e.label;
}
// The label of what was undone / redone, or null when there is nothing.
export const undo = v => move(v, v.hist.undo, v.hist.redo);
export const redo = v => move(v, v.hist.redo, v.hist.undo);
