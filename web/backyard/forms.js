// The tag forms: one field per tag of the tag set, showing what each
// inherits and from where.
import { h, fmtValue, fmtSource } from './dom.js';
import { S } from './state.js';

let uid = 0;

// wrap.setProblem(msg, focus): a problem beside the field's control ctl in
// err (null: none), the focus moved there when asked; wrap.showError(msg)
// does both.
export function problemSlot(wrap, ctl, err) {
	wrap.setProblem = (msg, focus) => {
		err.textContent = msg || '';
		err.hidden = !msg;
		if (msg) ctl.setAttribute('aria-invalid', 'true'); else ctl.removeAttribute('aria-invalid');
		if (msg && focus) ctl.focus();
	};
	wrap.showError = msg => wrap.setProblem(msg, true);
}

// A form with one field per tag. get() returns the tags object being
// edited (own values only), set(name, value, group) changes it (undefined
// removes the override; group names the field while it is typed in, so
// that the editor's undo takes the typing as one step), inherited is {name: {value, source}}, path the JSON path
// of the tags object in the document (for the server's 422 messages).
export function tagForm(legend, get, set, inherited, path) {
	const fs = h('fieldset.tags', {}, h('legend', {text: legend}));
	if (!S.tags.length) fs.append(h('p.muted', {text: 'The backyard has no tags.'}));
	for (const t of S.tags) fs.append(tagField(t, get, set, inherited[t.name], path + '.' + t.name));
	return fs;
}

function tagField(t, get, set, inh, path) {
	const id = 'f' + (++uid);
	const own = () => { const v = get()[t.name]; return v === null ? undefined : v; };
	const eff = () => own() !== undefined ? own() : inh ? inh.value : undefined;
	const note = h('p.note', {id: id + '-n'});
	const err = h('p.err', {id: id + '-e', hidden: true});
	const clear = h('button.clear', {type: 'button', onclick: () => { set(t.name, undefined, null); sync(); ctl.focus(); }},
		'Inherit', h('span.vh', {text: ' ' + t.name}));
	const wrap = h('div.field', {'data-path': path, 'data-tag': t.name});
	const label = h('label', {for: id}, t.name,
		t.required ? h('abbr.req', {title: 'required', 'aria-label': '(required)', text: ' *'}) : null,
		t.description ? h('span.desc', {text: ' ' + t.description}) : null);
	const described = id + '-n ' + id + '-e';
	let ctl, chips;
	const change = (v, typing) => { set(t.name, v, typing ? path : null); sync(); };

	switch (t.type) {
	case 'boolean':
		ctl = h('input', {type: 'checkbox', id, 'aria-describedby': described,
			onchange: () => change(ctl.checked)});
		break;
	case 'enum':
		ctl = h('select', {id, 'aria-describedby': described, onchange: () => change(ctl.value === '' ? undefined : ctl.value)},
			h('option', {value: ''}, 'inherit'),
			t.values.map(v => h('option', {value: v, text: v})));
		break;
	case 'integer':
	case 'number':
		ctl = h('input', {type: 'number', id, step: t.type === 'integer' ? '1' : 'any', inputmode: t.type === 'integer' ? 'numeric' : 'decimal',
			'aria-describedby': described,
			oninput: () => change(ctl.value === '' ? undefined : Number(ctl.value), true)});
		break;
	case 'list': {
		chips = h('ul.chips', {'aria-label': t.name + ' values'});
		ctl = h('input', {type: 'text', id, placeholder: 'add a value, Enter', 'aria-describedby': described,
			autocomplete: 'off',
			onkeydown: e => {
				if ((e.key === 'Enter' || e.key === ',') && ctl.value.trim()) {
					e.preventDefault();
					const cur = Array.isArray(eff()) ? eff().slice() : [];
					const v = ctl.value.trim();
					if (!cur.includes(v)) cur.push(v);
					ctl.value = '';
					change(cur);
				}
			}});
		break;
	}
	default:
		ctl = h('input', {type: 'text', id, 'aria-describedby': described, autocomplete: 'off',
			oninput: () => change(ctl.value === '' ? undefined : ctl.value, true)});
	}
	if (t.required) ctl.setAttribute('aria-required', 'true');

	function sync() {
		const o = own(), e = eff(), overridden = o !== undefined;
		wrap.classList.toggle('overridden', overridden);
		clear.hidden = !overridden;
		const ivalue = inh && inh.value !== undefined && inh.value !== null;
		const from = ivalue ? `${fmtValue(inh.value)} from ${fmtSource(inh.source)}` : '';
		note.textContent = overridden
			? (ivalue ? `Set here; overrides ${from}.` : 'Set here.')
			: (ivalue ? `Inherits ${from}.` : (t.required ? 'Required: no value yet.' : 'No value.'));
		note.classList.toggle('warn', !overridden && !ivalue && t.required);
		if (t.type === 'boolean') ctl.checked = !!e;
		else if (t.type === 'enum') {
			ctl.value = overridden ? String(o) : '';
			ctl.options[0].textContent = ivalue ? `inherit: ${inh.value}` : 'inherit: nothing';
		} else if (t.type === 'list') {
			const list = Array.isArray(e) ? e : [];
			chips.replaceChildren(...list.map(v => h('li' + (overridden ? '' : '.inh'), {}, h('span', {text: v}),
				h('button', {type: 'button', 'aria-label': `Remove ${v} from ${t.name}`, text: '×',
					onclick: () => { change(list.filter(x => x !== v)); ctl.focus(); }}))));
		} else {
			if (document.activeElement !== ctl) ctl.value = overridden ? String(o) : '';
			ctl.placeholder = ivalue ? String(inh.value) : '';
		}
	}
	problemSlot(wrap, ctl, err);
	sync();
	wrap.append(label, h('div.ctl', {}, chips, ctl, clear), note, err);
	return wrap;
}

