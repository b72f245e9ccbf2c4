// Load bench: how long a person waits, from navigation to the first training step, per backend,
// with the page served as `scripts/serve.sh` serves it (tools/serve: brotli copies, ETags).
// Run through benches/size_and_load.sh, which builds the page, precompresses it and prints the
// shipped bytes first. Each backend is loaded RUNS times, alternating, in a fresh browser
// profile (nothing cached); printed: median (min-max) of "ready" (the Start button enabled) and
// "first step" (the step counter at 1, Start clicked the moment it was enabled), both on the
// page's clock from the navigation's start (a script in the page watches the two elements and
// clicks, so the automation's own reaction time is not counted), and the bytes sent for the
// module.
// `--compare DIR` loads a second build of the page too (DIR holds its index.html, www/ and pkg/,
// precompressed: benches/size_and_load.sh --compare DIR), alternating with this one, load by load.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, launch } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(opt('--runs', 3));
const backends = opt('--backends', 'cpu,webgpu').split(',').filter(Boolean);
const server = join(ROOT, 'target/serve/release/seq2seq-serve');
const other = opt('--compare', null);
const roots = other ? [['this build', ROOT], [other, other]] : [['', ROOT]];

function start(root) {
  const child = spawn(server, ['--port', '0', '--root', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = new Promise((ok, fail) => {
    child.on('error', fail);
    child.stdout.on('data', (d) => {
      const m = String(d).match(/http:\/\/localhost:(\d+)\//);
      if (m) ok(`http://127.0.0.1:${m[1]}/`);
    });
  });
  return { child, url };
}
const servers = roots.map(([name, root]) => ({ name, ...start(root) }));
for (const s of servers) s.url = await s.url;

// In the page, before its scripts: notes when Start is enabled and clicks it at once (in the next
// task, as a person's click would come), notes when the step counter reaches 1; milliseconds
// since the navigation started.
function watchFirstStep() {
  const marks = (window.__loadMarks = {});
  const watch = () => {
    const start = document.querySelector('#start');
    const step = document.querySelector('#step');
    const check = () => {
      if (marks.ready === undefined && !start.disabled) {
        marks.ready = performance.now();
        setTimeout(() => start.click(), 0);
      }
      if (marks.firstStep === undefined && Number(step.textContent) >= 1) marks.firstStep = performance.now();
    };
    new MutationObserver(check).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
    check();
  };
  document.addEventListener('DOMContentLoaded', watch);
}

async function load(url, backend) {
  const context = await launch({ webgpu: backend === 'webgpu' });
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.addInitScript(watchFirstStep);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The default model, as a person first sees it; the tiny one on software WebGPU would be
    // another page. Measurement of both backends is skipped by forcing one.
    await page.goto(`${url}?backend=${backend}&plot-every=0`);
    await page.waitForFunction(() => window.__loadMarks.firstStep !== undefined, null, { timeout: 600_000, polling: 50 });
    const { ready, firstStep } = await page.evaluate(() => window.__loadMarks);
    const shown = await page.getAttribute('#backend', 'data-backend');
    if (shown !== backend) throw new Error(`asked for ${backend}, the page runs on ${shown}`);
    const wasm = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.name.endsWith('.wasm'))
      .map((e) => ({ transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize })));
    await page.click('#pause');
    if (errors.length) throw new Error(errors.join('\n'));
    return { ready, firstStep, wasm: wasm[0] };
  } finally {
    await context.close();
  }
}

const sides = servers.flatMap(({ name, url }) => backends.map((backend) => ({ name, url, backend, results: [] })));
for (let i = 0; i < runs; i += 1) {
  for (const side of sides) side.results.push(await load(side.url, side.backend));
}
for (const { child } of servers) child.kill();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${(median(xs) / 1000).toFixed(2)} (${(Math.min(...xs) / 1000).toFixed(2)}-${(Math.max(...xs) / 1000).toFixed(2)}) s`;
const what = other ? `builds (this one, ${other}) and backends` : 'backend';
console.log(`load bench, ${new Date().toISOString().slice(0, 10)}, ${runs} fresh page loads per ${what}, alternating, served by tools/serve`);
console.log('(page clock from the navigation; Start clicked by the page the moment it was enabled)');
const width = Math.max(8, ...sides.map(({ name, backend }) => `${name} ${backend}`.trim().length));
console.log(`${'backend'.padEnd(width)} ${'ready: median (min-max)'.padStart(26)} ${'first step: median (min-max)'.padStart(30)} ${'module sent / decoded'.padStart(26)}`);
for (const { name, backend, results: r } of sides) {
  const w = r[0].wasm || {};
  const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
  console.log(`${`${name} ${backend}`.trim().padEnd(width)} ${spread(r.map((x) => x.ready)).padStart(26)} ${spread(r.map((x) => x.firstStep)).padStart(30)} ${`${mb(w.encoded || 0)} / ${mb(w.decoded || 0)}`.padStart(26)}`);
}
