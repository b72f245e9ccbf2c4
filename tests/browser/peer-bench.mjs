// Side-by-side bench: this playground vs its TensorFlow.js peer (benches/peers/tfjs), the same
// default model (reverse 4-8, batch 32, embedding 32, hidden 64, GRU + additive attention, Adam
// 0.005, clip 1, teacher forcing 1), in one headless Chromium (software WebGPU on machines
// without a GPU), alternating between the two sides. Prints per backend of each side:
// training steps/s (median of windows after warm-up), time to 95% exact validation accuracy,
// peak memory (JS heap + wasm memory + GPU tensors where known), time from navigation to the
// first training step, and the shipped size of each page (raw and gzip).
//   node peer-bench.mjs [--windows 5] [--window-seconds 4] [--warmup-seconds 3]
//     [--ours cpu,webgpu] [--peer wasm,webgl,webgpu,cpu] [--time-to-95-cap 240] [--no-time-to-95]
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
const capSeconds = Number(option('--time-to-95-cap', 240));
const timeTo95 = !argv.includes('--no-time-to-95');
const EVAL_EVERY = 100;
const DEFAULT = {}; // the playground's default config is the benchmarked model

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

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
async function ours(context, backend) {
  // Steps/s: a page that validates rarely (pure training, as the peer's windows); then, for the
  // time to 95%, a fresh page that validates every EVAL_EVERY steps, as the peer does.
  const open = async (evalEvery) => {
    const t0 = Date.now();
    const query = `?backend=${backend === 'cpu' ? 'cpu' : 'auto'}&plot-every=0&eval-every=${evalEvery}&eval-examples=1000`;
    const { page } = await openPage(context, pageUrl(url, DEFAULT, query));
    await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
    const shown = await page.getAttribute('#backend', 'data-backend');
    if (shown !== backend) throw new Error(`asked for ${backend}, the page runs on ${shown}`);
    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 1, null, { timeout: 600_000, polling: 20 });
    return { page, firstStepMs: Date.now() - t0, startedAt: await page.evaluate(() => performance.now()) };
  };
  const { page, firstStepMs } = await open(1_000_000);
  const step = () => page.evaluate(() => [performance.now(), Number(document.querySelector('#step').textContent)]);
  await page.waitForTimeout(warmupSeconds * 1000);
  const rates = [];
  for (let i = 0; i < windows; i++) {
    const [ta, sa] = await step();
    await page.waitForTimeout(windowSeconds * 1000);
    const [tb, sb] = await step();
    rates.push(((sb - sa) * 1000) / (tb - ta));
  }
  let peak = await page.evaluate(() => window.__seq2seq.peakMemoryBytes || 0);
  await page.click('#pause');
  await page.close();
  let to95 = null;
  if (timeTo95) {
    const run = await open(EVAL_EVERY);
    const reached = await run.page.waitForFunction(() => {
      const hit = window.__seq2seq.history.find((h) => h.evaluation && h.evaluation.exact_accuracy >= 0.95);
      return hit ? { step: hit.step, at: performance.now() } : false;
    }, null, { timeout: capSeconds * 1000, polling: 100 }).then((h) => h.jsonValue()).catch(() => null);
    const evals = await run.page.evaluate(() => window.__seq2seq.history.filter((h) => h.evaluation).map((h) => h.evaluation));
    to95 = reached
      ? { seconds: (reached.at - run.startedAt) / 1000, step: reached.step }
      : { seconds: null, best: Math.max(0, ...evals.map((e) => e.exact_accuracy)) };
    peak = Math.max(peak, await run.page.evaluate(() => window.__seq2seq.peakMemoryBytes || 0));
    await run.page.click('#pause');
    await run.page.close();
  }
  return { side: 'playground (burn, Rust/wasm)', backend, stepsPerSecond: median(rates), rates, firstStepMs, to95, peak };
}

// --- the TF.js peer --------------------------------------------------------------------------
async function peer(context, backend) {
  const t0 = Date.now();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${url}benches/peers/tfjs/index.html`);
  await page.waitForFunction(() => window.peerReady, null, { timeout: 120_000 });
  const setup = await page.evaluate((b) => window.peer.setup(b).then((r) => ({ ok: true, r }), (e) => ({ ok: false, error: String(e.message || e) })), backend);
  if (!setup.ok) return { side: 'TensorFlow.js 4.22', backend, error: setup.error };
  await page.evaluate(() => window.peer.train(1));
  const firstStepMs = Date.now() - t0;
  const startedAt = await page.evaluate(() => performance.now());
  await page.evaluate((ms) => window.peer.trainFor(ms), warmupSeconds * 1000);
  const rates = [];
  for (let i = 0; i < windows; i++) {
    const { samples } = await page.evaluate((ms) => window.peer.trainFor(ms), windowSeconds * 1000);
    if (samples.length >= 2) {
      const a = samples[0], b = samples.at(-1);
      rates.push(((b.step - a.step) * 1000) / (b.t - a.t));
    } else {
      rates.push(samples.length / windowSeconds);
    }
  }
  let to95 = null;
  if (timeTo95) {
    to95 = await page.evaluate(async ({ every, cap, startedAt }) => {
      let best = 0;
      for (;;) {
        const done = (await window.peer.train(0)).step;
        const evaluation = await window.peer.evaluate();
        best = Math.max(best, evaluation.exact_accuracy);
        if (done > 0 && done % every === 0 && evaluation.exact_accuracy >= 0.95) {
          return { seconds: (performance.now() - startedAt) / 1000, step: done };
        }
        if ((performance.now() - startedAt) / 1000 > cap) return { seconds: null, best };
        await window.peer.train(every - (done % every));
      }
    }, { every: EVAL_EVERY, cap: capSeconds, startedAt });
  }
  const peak = await page.evaluate(() => window.peer.peakBytes());
  await page.close();
  return { side: 'TensorFlow.js 4.22', backend, stepsPerSecond: median(rates), rates, firstStepMs, to95, peak, problems };
}

const { server, url } = await serve();
const context = await launch({ webgpu: true, extraArgs: ['--enable-precise-memory-info'] });
const rows = [];
try {
  // Alternate: one of ours, one of the peer's, and so on.
  const queue = [];
  for (let i = 0; i < Math.max(oursBackends.length, peerBackends.length); i++) {
    if (oursBackends[i]) queue.push(['ours', oursBackends[i]]);
    if (peerBackends[i]) queue.push(['peer', peerBackends[i]]);
  }
  for (const [side, backend] of queue) {
    process.stderr.write(`measuring ${side} ${backend}…\n`);
    try {
      rows.push(side === 'ours' ? await ours(context, backend) : await peer(context, backend));
    } catch (e) {
      rows.push({ side: side === 'ours' ? 'playground (burn, Rust/wasm)' : 'TensorFlow.js 4.22', backend, error: String(e.message || e) });
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

const adapter = rows.find((r) => r.adapter)?.adapter || 'software WebGPU (SwiftShader) when no GPU';
console.log(`\nside-by-side bench, ${new Date().toISOString().slice(0, 10)}, headless Chromium ${context.browser()?.version?.() ?? ''}, ${adapter}`);
console.log(`model: reverse 4-8, batch 32, embedding 32, hidden 64, GRU + additive attention; ${windows} windows of ${windowSeconds} s after ${warmupSeconds} s warm-up; validation every ${EVAL_EVERY} steps for time to 95%\n`);
console.log(`${'side'.padEnd(30)} ${'backend'.padEnd(8)} ${'steps/s'.padStart(8)} ${'to 95% exact'.padStart(22)} ${'peak mem'.padStart(9)} ${'1st step'.padStart(9)}`);
for (const r of rows) {
  if (r.error) {
    console.log(`${r.side.padEnd(30)} ${r.backend.padEnd(8)} unavailable: ${r.error}`);
    continue;
  }
  const to95 = !r.to95 ? 'not measured' : r.to95.seconds != null ? `${r.to95.seconds.toFixed(1)} s (step ${r.to95.step})` : `> cap (best ${(r.to95.best * 100).toFixed(0)}%)`;
  console.log(`${r.side.padEnd(30)} ${r.backend.padEnd(8)} ${r.stepsPerSecond.toFixed(2).padStart(8)} ${to95.padStart(22)} ${mb(r.peak).padStart(9)} ${(r.firstStepMs / 1000).toFixed(1).padStart(7)} s`);
}
const ok = rows.filter((r) => !r.error);
const bestOf = (side) => ok.filter((r) => r.side.startsWith(side)).sort((a, b) => b.stepsPerSecond - a.stepsPerSecond)[0];
const [bestOurs, bestPeer] = [bestOf('playground'), bestOf('TensorFlow')];
if (bestOurs && bestPeer) {
  console.log(`\nbest steps/s: playground ${bestOurs.stepsPerSecond.toFixed(2)} (${bestOurs.backend}) / TF.js ${bestPeer.stepsPerSecond.toFixed(2)} (${bestPeer.backend}) = ${(bestOurs.stepsPerSecond / bestPeer.stepsPerSecond).toFixed(2)}x`);
  for (const o of ok.filter((r) => r.side.startsWith('playground'))) {
    for (const p of ok.filter((r) => r.side.startsWith('TensorFlow'))) {
      console.log(`  ratio playground ${o.backend} / TF.js ${p.backend}: ${(o.stepsPerSecond / p.stepsPerSecond).toFixed(2)}x steps/s`);
    }
  }
}
console.log(`\nshipped size: playground ${mb(oursSize.raw)} raw, ${mb(oursSize.gzip)} gzip; TF.js page ${mb(peerSize.raw)} raw, ${mb(peerSize.gzip)} gzip`);
