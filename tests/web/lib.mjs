// tests/web/lib.mjs: shared by the browser tests. TAP output, Debian's
// chromium driven by playwright-core, axe-core, console error capture.
// The npm packages live in tests/node (npm install --prefix tests/node).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../node/package.json'));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let n = 0, failed = 0;
export function ok(cond, desc, diag) {
	n++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
	if (!cond) {
		failed++;
		if (diag !== undefined)
			for (const l of String(typeof diag === 'string' ? diag : JSON.stringify(diag, null, 1)).split('\n').slice(0, 30))
				console.log('#   ' + l);
	}
	return cond;
}
export function is(got, want, desc) {
	return ok(JSON.stringify(got) === JSON.stringify(want), desc, `got:  ${JSON.stringify(got)}\nwant: ${JSON.stringify(want)}`);
}
export function done() {
	console.log(`1..${n}`);
	return failed === 0;
}

export async function launch() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--autoplay-policy=no-user-gesture-required'],
	});
}

// A page that records console errors and uncaught exceptions. Responses
// that a test provokes on purpose (412, 422) are listed in p.expected.
export async function newPage(ctx) {
	const p = await ctx.newPage();
	p.errors = [];
	p.expected = [];
	p.on('console', m => {
		if (m.type() !== 'error') return;
		const t = m.text();
		if (p.expected.some(code => t.includes(`status of ${code}`))) return;
		p.errors.push(t);
	});
	p.on('pageerror', e => p.errors.push('uncaught: ' + e.message));
	// the page's own weight: documents, scripts, style sheets, fonts
	p.weight = new Map();
	p.on('response', async r => {
		if (!['document', 'script', 'stylesheet', 'font'].includes(r.request().resourceType())) return;
		try { p.weight.set(r.url().replace(/[#?].*/, ''), (await r.body()).length); } catch { /* gone */ }
	});
	return p;
}

// axe-core on the page as it is: the violations of impact serious or critical.
export async function axe(p) {
	// evaluated, not a <script>: the pages run under a CSP without inline scripts
	await p.evaluate(axeSource);
	const r = await p.evaluate(async () => {
		const res = await window.axe.run(document, {resultTypes: ['violations']});
		return res.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map(x => x.target.join(' '))}));
	});
	return r.filter(v => v.impact === 'serious' || v.impact === 'critical');
}

export const weight = p => [...p.weight.values()].reduce((a, b) => a + b, 0);

export function outdir(name) {
	const d = path.join(process.env.WEB_OUT || '/tmp', name);
	fs.mkdirSync(d, {recursive: true});
	return d;
}

// How long a wait may take before it counts as a failure: generous, so
// that only something truly broken reaches it, even on a loaded machine or
// under ASan. Tests wait for conditions, never for fixed times.
export const LONG = process.env.MEDUSA_SAN === '1' ? 120000 : 60000;

export async function newContext(browser, opts) {
	const ctx = await browser.newContext(opts);
	ctx.setDefaultTimeout(LONG);
	ctx.setDefaultNavigationTimeout(LONG);
	return ctx;
}

// Waits for fn(arg) (run in the page, polled) to be truthy; false after the
// timeout. A predicate that throws (an element not rendered yet) counts as
// "not yet", not as a failure: waitForFunction alone would give up at once.
// Once a wait has run out, the test has failed already: the later waits get
// a short deadline, so that a truly broken page ends the run in minutes.
let waitedOut = false;
export async function until(p, fn, arg, timeout = waitedOut ? 10000 : LONG) {
	const expr = `(() => { try { return !!((${fn.toString()})(${arg === undefined ? 'undefined' : JSON.stringify(arg)})); } catch { return false; } })()`;
	// polled from here: waitForFunction would evaluate it inside the page,
	// which the pages' Content-Security-Policy (no eval) refuses
	const end = Date.now() + timeout;
	for (;;) {
		try { if (await p.evaluate(expr)) return true; } catch { /* navigating: not yet */ }
		if (Date.now() >= end) { waitedOut = true; return false; }
		await new Promise(r => setTimeout(r, 50));
	}
}

// The next dialog (confirm, beforeunload) that action() provokes on page p,
// dismissed; null if none comes within the timeout. action runs without
// being awaited first, as it may only finish once the dialog is answered.
export async function dialogOf(p, action, timeout = LONG) {
	const dp = p.waitForEvent('dialog', {timeout}).catch(() => null);
	const ap = Promise.resolve().then(action);
	const d = await dp;
	const seen = d && {type: d.type(), message: d.message()};
	if (d) await d.dismiss().catch(() => {});
	await ap;
	return seen;
}

// The Content-Security-Policy the pages must work under (no inline script
// or style, nothing from elsewhere), added to every page this context
// loads; a violation is a console error, which the tests count.
export const CSP = "default-src 'self'";
export async function strictCSP(ctx) {
	await ctx.route('**/*', async route => {
		if (route.request().resourceType() !== 'document') return route.continue();
		const r = await route.fetch();
		await route.fulfill({response: r, headers: {...r.headers(), 'content-security-policy': CSP}});
	});
}
