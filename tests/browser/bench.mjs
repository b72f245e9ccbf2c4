// Page bench: opens the playground headless and prints training steps/s for each backend on the
// default model (batch 32, embedding 32, hidden 64, GRU + additive attention, reverse 8-12).
//   node bench.mjs [--seconds 30] [--warmup-steps 5] [--tiny]
import { serve, launch, openPage, pageUrl, TINY } from './harness.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const seconds = option('--seconds', 30);
const warmupSteps = option('--warmup-steps', 5);
const DEFAULT_MODEL = { task: { kind: 'reverse', min_len: 8, max_len: 12 } };
const config = argv.includes('--tiny') ? TINY : DEFAULT_MODEL;

const readStep = (page) => page.evaluate(() => Number(document.querySelector('#step').textContent));

const { server, url } = await serve();
const rows = [];
for (const webgpu of [true, false]) {
  const context = await launch({ webgpu });
  try {
    const t0 = performance.now();
    const { page, problems } = await openPage(context, pageUrl(url, config));
    await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
    const backend = await page.textContent('#backend');
    const ready = performance.now();
    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 1, null, { timeout: 300_000 });
    const firstStep = performance.now();
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n, warmupSteps, { timeout: 600_000 });
    const s0 = await readStep(page);
    const w0 = performance.now();
    await page.waitForTimeout(seconds * 1000);
    const s1 = await readStep(page);
    const w1 = performance.now();
    await page.click('#pause');
    rows.push({
      backend,
      stepsPerSecond: ((s1 - s0) * 1000) / (w1 - w0),
      steps: s1 - s0,
      loadMs: ready - t0,
      firstStepMs: firstStep - t0,
      problems: problems.length,
    });
  } finally {
    await context.close();
  }
}
server.close();
console.log(`page bench, ${argv.includes('--tiny') ? 'tiny model' : 'default model (batch 32, emb 32, hidden 64, GRU + additive, reverse 8-12)'}, ${seconds} s window after ${warmupSteps} warm-up steps`);
for (const r of rows) {
  console.log(`${r.backend.padEnd(70)} ${r.stepsPerSecond.toFixed(2).padStart(8)} steps/s  (${r.steps} steps; page ready ${(r.loadMs / 1000).toFixed(1)} s, first step ${(r.firstStepMs / 1000).toFixed(1)} s; ${r.problems} console errors)`);
}
