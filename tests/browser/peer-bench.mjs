// Side-by-side bench: this playground vs its TensorFlow.js twin (benches/peers/tfjs), the same
// default model (reverse 4-8, batch 32, embedding 32, hidden 64, GRU + additive attention, Adam
// 0.005 with epsilon 1e-5, clip 1, teacher forcing 1) from the very same initial weights and
// batch order (written by `seq2seq-playground dataset` per seed), both reading their loss back
// once per 10 steps, in one headless Chromium (software WebGPU on machines without a GPU).
// Prints, per backend of each side:
//   - training steps/s: median and min-max over N windows, the windows of all pages alternating
//     (ours cpu, peer wasm, ours webgpu, ... then again), after a warm-up;
//   - time to 95% exact validation accuracy (validating every 100 steps on both sides): median
//     and range over S seeds, the two sides alternating seed by seed;
//   - peak memory (JS heap + wasm memory), time from navigation to the first training step, and
//     the shipped size of each page (raw and gzip).
//   node peer-bench.mjs [--windows 5] [--window-seconds 4] [--warmup-seconds 3]
//     [--ours cpu,webgpu] [--peer wasm,webgl,webgpu,cpu] [--seeds 1,2,3,4,5]
//     [--time-to-95 cpu:wasm] [--time-to-95-cap 240] [--no-time-to-95]
// Run it through benches/compare_tfjs.sh, which builds both pages and the shared data first.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { serve, launch, openPage, pageUrl, ROOT, commandLineOption } from './harness.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => commandLineOption(argv, name, fallback);
const windows = Number(option('--windows', 5));
const windowSeconds = Number(option('--window-seconds', 4));
const warmupSeconds = Number(option('--warmup-seconds', 3));
const oursBackends = option('--ours', 'cpu,webgpu').split(',').filter(Boolean);
const peerBackends = option('--peer', 'wasm,webgl,webgpu,cpu').split(',').filter(Boolean);
const seeds = option('--seeds', '1,2,3,4,5').split(',').filter(Boolean).map(Number);
const [to95Ours, to95Peer] = option('--time-to-95', 'cpu:wasm').split(':');
const capSeconds = Number(option('--time-to-95-cap', 240));
const timeTo95 = !argv.includes('--no-time-to-95');
const EVAL_EVERY = 100;
const OURS = 'playground (burn, Rust/wasm)';
const PEER = 'TensorFlow.js 4.22 twin';

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs, digits = 2) => {
  const s = sorted(xs);
  return `${median(s).toFixed(digits)} (${s[0].toFixed(digits)}-${s.at(-1).toFixed(digits)})`;
};
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const seedConfig = (seed) => (seed === undefined ? {} : { task: { seed }, train: { seed } });
const dataFile = (seed) => (seed === undefined ? 'data.json' : `data-seed${seed}.json`);

async function shippedSize(files) {
  let raw = 0, gzip = 0;
  for (const file of files) {
    const body = await readFile(join(ROOT, file));
    raw += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { raw, gzip };
}

// --- this playground -------------------------------------------------------------------------
async function openOurs(context, backend, { evalEvery, seed }) {
  const t0 = Date.now();
  const query = `?backend=${backend}&plot-every=0&eval-every=${evalEvery}&eval-examples=1000`;
  const { page } = await openPage(context, pageUrl(url, seedConfig(seed), query), { newTab: true });
  await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
  const shown = await page.getAttribute('#backend', 'data-backend');
  if (shown !== backend) throw new Error(`asked for ${backend}, the page runs on ${shown}`);
  await page.click('#start');
  await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 1, null, { timeout: 600_000, polling: 20 });
  const firstStepMs = Date.now() - t0;
  return { page, firstStepMs, startedAt: await page.evaluate(() => performance.now()) };
}

const oursSide = (backend) => ({
  side: OURS, backend,
  async open(context) {
    const run = await openOurs(context, backend, { evalEvery: 1_000_000 });
    Object.assign(this, run);
    await this.page.waitForTimeout(warmupSeconds * 1000);
    await this.pause();
  },
  async pause() {
    await this.page.click('#pause');
    await this.page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
  },
  // One window: train for windowSeconds, counting steps between two readings of the counter.
  async window() {
    const read = () => this.page.evaluate(() => [performance.now(), Number(document.querySelector('#step').textContent)]);
    await this.page.click('#start');
    await this.page.waitForFunction((n) => Number(document.querySelector('#step').textContent) > n, (await read())[1], { timeout: 300_000, polling: 10 });
    const [ta, sa] = await read();
    await this.page.waitForTimeout(windowSeconds * 1000);
    const [tb, sb] = await read();
    await this.pause();
    return ((sb - sa) * 1000) / (tb - ta);
  },
  async peak() { return this.page.evaluate(() => window.__seq2seq.peakMemoryBytes || 0); },
  async close() { await this.page.close(); },
});

async function oursTo95(context, backend, seed) {
  const run = await openOurs(context, backend, { evalEvery: EVAL_EVERY, seed });
  const reached = await run.page.waitForFunction(() => {
    const hit = window.__seq2seq.history.find((h) => h.evaluation && h.evaluation.exact_accuracy >= 0.95);
    return hit ? { step: hit.step, at: performance.now() } : false;
  }, null, { timeout: capSeconds * 1000, polling: 100 }).then((h) => h.jsonValue()).catch(() => null);
  const evals = await run.page.evaluate(() => window.__seq2seq.history.filter((h) => h.evaluation).map((h) => h.evaluation));
  await run.page.click('#pause');
  await run.page.close();
  return reached
    ? { seconds: (reached.at - run.startedAt) / 1000, step: reached.step }
    : { seconds: null, best: Math.max(0, ...evals.map((e) => e.exact_accuracy)) };
}

// --- the TF.js twin --------------------------------------------------------------------------
async function openPeer(context, backend, seed) {
  const t0 = Date.now();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${url}benches/peers/tfjs/index.html?data=${dataFile(seed)}`);
  await page.waitForFunction(() => window.peerReady, null, { timeout: 120_000 });
  const setup = await page.evaluate((b) => window.peer.setup(b).then((r) => ({ ok: true, r }), (e) => ({ ok: false, error: String(e.message || e) })), backend);
  if (!setup.ok) throw new Error(setup.error);
  await page.evaluate(() => window.peer.train(1));
  return { page, problems, firstStepMs: Date.now() - t0, startedAt: await page.evaluate(() => performance.now()) };
}

const peerSide = (backend) => ({
  side: PEER, backend,
  async open(context) {
    Object.assign(this, await openPeer(context, backend));
    await this.page.evaluate((ms) => window.peer.trainFor(ms), warmupSeconds * 1000);
  },
  async window() {
    // samples[0] is the window's start; each further one ends a chunk of 10 steps.
    const { samples } = await this.page.evaluate((ms) => window.peer.trainFor(ms), windowSeconds * 1000);
    const a = samples[0], b = samples.at(-1);
    return ((b.step - a.step) * 1000) / (b.t - a.t);
  },
  async peak() { return this.page.evaluate(() => window.peer.peakBytes()); },
  async close() { await this.page.close(); },
});

async function peerTo95(context, backend, seed) {
  const run = await openPeer(context, backend, seed);
  const result = await run.page.evaluate(async ({ every, cap, startedAt }) => {
    let best = 0;
    for (;;) {
      const done = (await window.peer.train(0)).step;
      const evaluation = await window.peer.evaluate();
      best = Math.max(best, evaluation.exact_accuracy);
      if (done > 1 && evaluation.exact_accuracy >= 0.95) {
        return { seconds: (performance.now() - startedAt) / 1000, step: done };
      }
      if ((performance.now() - startedAt) / 1000 > cap) return { seconds: null, best };
      await window.peer.train(every - (done % every));
    }
  }, { every: EVAL_EVERY, cap: capSeconds, startedAt: run.startedAt });
  await run.page.close();
  return result;
}

// --- the runs ----------------------------------------------------------------------------------
const { server, url } = await serve();
const context = await launch({ webgpu: true, extraArgs: ['--enable-precise-memory-info'] });
const sides = [];
const to95 = { ours: [], peer: [] };
const browserVersion = context.browser()?.version?.() ?? '';
try {
  for (let i = 0; i < Math.max(oursBackends.length, peerBackends.length); i++) {
    if (oursBackends[i]) sides.push(oursSide(oursBackends[i]));
    if (peerBackends[i]) sides.push(peerSide(peerBackends[i]));
  }
  for (const side of sides) {
    process.stderr.write(`opening ${side.side} ${side.backend}…\n`);
    try {
      await side.open(context);
      side.rates = [];
    } catch (e) {
      side.error = String(e.message || e);
    }
  }
  const live = sides.filter((s) => !s.error);
  for (let round = 0; round < windows; round++) {
    for (const side of live) {
      process.stderr.write(`window ${round + 1}/${windows}: ${side.side} ${side.backend}\n`);
      side.rates.push(await side.window());
    }
  }
  for (const side of live) {
    side.peakBytes = await side.peak();
    await side.close();
  }
  if (timeTo95) {
    for (const seed of seeds) {
      process.stderr.write(`time to 95%, seed ${seed}: ${OURS} ${to95Ours}, ${PEER} ${to95Peer}\n`);
      to95.ours.push({ seed, ...(await oursTo95(context, to95Ours, seed)) });
      to95.peer.push({ seed, ...(await peerTo95(context, to95Peer, seed)) });
    }
  }
} finally {
  await context.close();
  server.close();
}

const oursSize = await shippedSize(['index.html', 'www/app.js', 'www/worker.js', 'www/plots.js', 'www/controls.js', 'www/files.js', 'www/experiments.js', 'www/style.css', 'pkg/seq2seq_playground.js', 'pkg/seq2seq_playground_bg.wasm']);
const tf = 'benches/peers/tfjs/node_modules/@tensorflow';
const peerSize = await shippedSize(['benches/peers/tfjs/index.html', 'benches/peers/tfjs/peer.js', 'benches/peers/tfjs/seq2seq.js',
  `${tf}/tfjs/dist/tf.min.js`, `${tf}/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js`, `${tf}/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`,
  `${tf}/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm`]);

console.log(`\nside-by-side bench, ${new Date().toISOString().slice(0, 10)}, headless Chromium ${browserVersion}; "webgpu"/"webgl" are software (SwiftShader) unless SEQ2SEQ_GPU=1`);
console.log(`model: reverse 4-8, batch 32, embedding 32, hidden 64, GRU + additive attention, same initial weights and batches on both sides, loss read once per 10 steps on both`);
console.log(`steps/s: median (min-max) of ${windows} alternating windows of ${windowSeconds} s after ${warmupSeconds} s warm-up\n`);
console.log(`${'side'.padEnd(30)} ${'backend'.padEnd(8)} ${'steps/s: median (min-max)'.padStart(26)} ${'peak mem'.padStart(9)} ${'1st step'.padStart(9)}`);
for (const s of sides) {
  if (s.error) {
    console.log(`${s.side.padEnd(30)} ${s.backend.padEnd(8)} unavailable: ${s.error}`);
    continue;
  }
  console.log(`${s.side.padEnd(30)} ${s.backend.padEnd(8)} ${spread(s.rates).padStart(26)} ${mb(s.peakBytes).padStart(9)} ${(s.firstStepMs / 1000).toFixed(1).padStart(7)} s`);
}
const ok = sides.filter((s) => !s.error);
const bestOf = (name) => ok.filter((s) => s.side === name).sort((a, b) => median(b.rates) - median(a.rates))[0];
const [bestOurs, bestPeer] = [bestOf(OURS), bestOf(PEER)];
if (bestOurs && bestPeer) {
  const ratios = bestOurs.rates.map((r, i) => r / bestPeer.rates[i]);
  console.log(`\nbest against best: playground ${bestOurs.backend} / TF.js ${bestPeer.backend} = ${spread(ratios)}x steps/s (window by window)`);
  for (const o of ok.filter((s) => s.side === OURS)) {
    for (const p of ok.filter((s) => s.side === PEER)) {
      console.log(`  playground ${o.backend} / TF.js ${p.backend}: ${(median(o.rates) / median(p.rates)).toFixed(2)}x (medians)`);
    }
  }
}
if (timeTo95) {
  console.log(`\ntime to 95% exact (validating every ${EVAL_EVERY} steps, cap ${capSeconds} s), seeds ${seeds.join(', ')}, alternating:`);
  for (const [name, backend, runs] of [[OURS, to95Ours, to95.ours], [PEER, to95Peer, to95.peer]]) {
    const reached = runs.filter((r) => r.seconds != null);
    const line = reached.length
      ? `${spread(reached.map((r) => r.seconds), 1)} s, steps ${spread(reached.map((r) => r.step), 0)}`
      : 'never within the cap';
    const missed = runs.length - reached.length;
    console.log(`  ${name.padEnd(30)} ${backend.padEnd(8)} ${line}${missed ? ` (${missed} of ${runs.length} seeds not within the cap)` : ''}`);
    console.log(`    per seed: ${runs.map((r) => `${r.seed}: ${r.seconds != null ? `${r.seconds.toFixed(1)} s / step ${r.step}` : `> cap (best ${(r.best * 100).toFixed(0)}%)`}`).join('; ')}`);
  }
}
console.log(`\nshipped size: playground ${mb(oursSize.raw)} raw, ${mb(oursSize.gzip)} gzip; TF.js page ${mb(peerSize.raw)} raw, ${mb(peerSize.gzip)} gzip`);
