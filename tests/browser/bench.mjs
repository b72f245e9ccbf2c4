// Page bench: opens the playground headless and prints training steps/s for each backend on the
// default model (batch 32, embedding 32, hidden 64, GRU + additive attention, reverse 8-12),
// with the live plots on and off, and the time each plot takes to draw. `--own-data N` trains on
// N generated dictionary-like pairs pasted as own data instead (20000 is the page's limit: the
// largest snapshot and scatter a person can get), with a vocabulary of thousands of words.
// `--compare DIR` (DIR: another build's index.html, www/ and pkg/) instead times both builds,
// plots on, `--runs N` windows each (3 by default), alternating build by build and backend by
// backend, and prints the median (min-max) steps/s of each.
//   node bench.mjs [--seconds 30] [--warmup-steps 5] [--tiny] [--backends webgpu,cpu] [--plot-every 20] [--own-data 20000] [--compare DIR [--runs N]]
import { serve, serveBuilds, launch, openPage, pageUrl, TINY, commandLineOption } from './harness.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => commandLineOption(argv, name, fallback);
const seconds = Number(option('--seconds', 30));
const warmupSteps = Number(option('--warmup-steps', 5));
const plotEvery = Number(option('--plot-every', 20));
const backends = option('--backends', 'webgpu,cpu').split(',');
const DEFAULT_MODEL = { task: { kind: 'reverse', min_len: 8, max_len: 12 } };
const config = argv.includes('--tiny') ? TINY : DEFAULT_MODEL;
const ownDataPairs = Number(option('--own-data', 0));

/** `count` pairs "w12 w345<TAB>x345 x12": word-level both sides, ~5000 distinct words a side. */
function ownDataText(count) {
  let state = 12345; // xorshift32: integer-exact in JavaScript
  const next = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const lines = [];
  for (let i = 0; i < count; i += 1) {
    const words = [next() % 5000, next() % 300, next() % 5000];
    lines.push(`${words.map((w) => `w${w}`).join(' ')}\t${words.reverse().map((w) => `x${w}`).join(' ')}`);
  }
  return lines.join('\n');
}

async function useOwnData(page, count) {
  await page.$eval('#own-data-text', (area, text) => {
    area.value = text;
    area.dispatchEvent(new Event('input'));
  }, ownDataText(count));
  await page.click('#own-data-check');
  await page.waitForSelector('#own-data-use:not([disabled])', { timeout: 300_000 });
  await page.click('#own-data-use');
  await page.waitForFunction(() => window.__seq2seq.data && window.__seq2seq.data.own_data, null, { timeout: 300_000 });
  await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
  return page.evaluate(() => window.__seq2seq.data);
}

const readStep = (page) => page.evaluate(() => Number(document.querySelector('#step').textContent));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

async function run(backend, plots, url) {
  const context = await launch({ webgpu: backend === 'webgpu' });
  try {
    const t0 = performance.now();
    const query = `?plot-every=${plots ? plotEvery : 0}&backend=${backend}`;
    const { page, problems } = await openPage(context, pageUrl(url, config, query));
    await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
    const shown = await page.textContent('#backend');
    const ready = performance.now();
    const data = ownDataPairs ? await useOwnData(page, ownDataPairs) : null;
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
    const { drawTimes, plotDataMs, longTasks } = await page.evaluate(() => ({
      drawTimes: window.__seq2seq.plots.drawTimes,
      plotDataMs: window.__seq2seq.plotDataMs,
      longTasks: window.__longTasks.length,
    }));
    return {
      backend: shown, plots, stepsPerSecond: ((s1 - s0) * 1000) / (w1 - w0), steps: s1 - s0,
      loadMs: ready - t0, firstStepMs: firstStep - t0, problems: problems.length,
      draw: Object.fromEntries(Object.entries(drawTimes).map(([id, t]) => [id, { median: median(t), max: Math.max(...t), n: t.length }])),
      plotDataMs: median(plotDataMs), plotDataMax: Math.max(...plotDataMs), longTasks, data,
    };
  } finally {
    await context.close();
  }
}

const compare = option('--compare', null);
if (compare) {
  const runs = Number(option('--runs', 3));
  const builds = await serveBuilds(compare);
  const speeds = new Map();
  for (let i = 0; i < runs; i += 1) {
    for (const build of builds) {
      for (const backend of backends) {
        const row = await run(backend, true, build.url);
        const key = `${build.name} ${backend}`;
        speeds.set(key, [...(speeds.get(key) || []), row.stepsPerSecond]);
      }
    }
  }
  for (const build of builds) build.server.close();
  const what = argv.includes('--tiny') ? 'tiny model' : 'default model';
  console.log(`page bench, ${new Date().toISOString().slice(0, 10)}, ${what}, plots every ${plotEvery} steps, ${runs} windows of ${seconds} s per build and backend, alternating`);
  console.log(`${'build, backend'.padEnd(40)} steps/s median (min-max)`);
  for (const [key, xs] of speeds) {
    console.log(`${key.padEnd(40)} ${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
  }
  process.exit(0);
}

const { server, url } = await serve();
const rows = [];
for (const backend of backends) {
  for (const plots of [true, false]) rows.push(await run(backend, plots, url));
}
server.close();

const what = argv.includes('--tiny') ? 'tiny model' : 'default model (batch 32, emb 32, hidden 64, GRU + additive, reverse 8-12)';
const own = rows[0].data ? `; own data: ${rows[0].data.train_pairs + rows[0].data.valid_pairs} pairs, vocabularies ${rows[0].data.source_vocab} / ${rows[0].data.target_vocab} tokens` : '';
console.log(`page bench, ${new Date().toISOString().slice(0, 10)}, ${what}${own}, ${seconds} s window after ${warmupSteps} warm-up steps, plots every ${plotEvery} steps when on`);
for (const r of rows) {
  console.log(`${r.backend.slice(0, 60).padEnd(60)} plots ${r.plots ? 'on ' : 'off'} ${r.stepsPerSecond.toFixed(2).padStart(8)} steps/s  (${r.steps} steps; page ready ${(r.loadMs / 1000).toFixed(1)} s, first step ${(r.firstStepMs / 1000).toFixed(1)} s; ${r.problems} console errors, ${r.longTasks} long tasks)`);
}
for (let i = 0; i + 1 < rows.length; i += 2) {
  const [on, off] = [rows[i], rows[i + 1]];
  console.log(`${on.backend.slice(0, 40)}: steps/s with plots on / off = ${(on.stepsPerSecond / off.stepsPerSecond * 100).toFixed(1)}%; snapshot read in the worker ${on.plotDataMs.toFixed(1)} ms (median), ${on.plotDataMax.toFixed(1)} ms (max)`);
  for (const [id, d] of Object.entries(on.draw)) {
    console.log(`  draw ${id.padEnd(13)} median ${d.median.toFixed(2).padStart(6)} ms  max ${d.max.toFixed(2).padStart(6)} ms  (${d.n} draws)`);
  }
}
