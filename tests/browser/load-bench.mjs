// Load bench: how long a person waits, from navigation to the first training step, per backend,
// with the page served as `scripts/serve.sh` serves it (tools/serve: brotli copies, ETags).
// Run through benches/size_and_load.sh, which builds the page, precompresses it and prints the
// shipped bytes first. Each backend is loaded RUNS times, alternating, in a fresh browser
// profile (nothing cached); printed: median (min-max) of "ready" (the Start button enabled) and
// "first step" (the step counter at 1 after a click on Start), and the bytes sent for the module.
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

async function load(url, backend) {
  const context = await launch({ webgpu: backend === 'webgpu' });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The default model, as a person first sees it; the tiny one on software WebGPU would be
    // another page. Measurement of both backends is skipped by forcing one.
    const t0 = Date.now();
    await page.goto(`${url}?backend=${backend}&plot-every=0`);
    await page.waitForSelector('#start:not([disabled])', { timeout: 600_000 });
    const ready = Date.now() - t0;
    const shown = await page.getAttribute('#backend', 'data-backend');
    if (shown !== backend) throw new Error(`asked for ${backend}, the page runs on ${shown}`);
    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 1, null, { timeout: 600_000, polling: 10 });
    const firstStep = Date.now() - t0;
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
const width = Math.max(8, ...sides.map(({ name, backend }) => `${name} ${backend}`.trim().length));
console.log(`${'backend'.padEnd(width)} ${'ready: median (min-max)'.padStart(26)} ${'first step: median (min-max)'.padStart(30)} ${'module sent / decoded'.padStart(26)}`);
for (const { name, backend, results: r } of sides) {
  const w = r[0].wasm || {};
  const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
  console.log(`${`${name} ${backend}`.trim().padEnd(width)} ${spread(r.map((x) => x.ready)).padStart(26)} ${spread(r.map((x) => x.firstStep)).padStart(30)} ${`${mb(w.encoded || 0)} / ${mb(w.decoded || 0)}`.padStart(26)}`);
}
