// Exact resume in the page: a run saved to a file and loaded in a fresh browser goes on with the
// very same losses, bit for bit, as the run that was never interrupted (weights, Adam's moments,
// batch order and position, and the scheduled-sampling draws all come back).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, launch, openPage, pageUrl, TINY } from './harness.mjs';

const { server, url } = await serve();
after(() => server.close());

// Batches of 64 out of 360 training pairs: the epoch turns every 6 steps. Teacher forcing 0.5
// makes every step draw its scheduled-sampling coins.
const CONFIG = { ...TINY, train: { ...TINY.train, batch_size: 64, teacher_forcing: 0.5 } };
const stepOf = (page) => page.evaluate(() => Number(document.querySelector('#step').textContent));

async function open(context) {
  const { page, problems } = await openPage(context, pageUrl(url, CONFIG, '?backend=cpu&eval-every=1000&plot-every=0'));
  await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
  return { page, problems };
}

// Steps one at a time with the Step button; returns each step's loss.
async function steps(page, n) {
  const losses = [];
  for (let i = 0; i < n; i++) {
    const before = await stepOf(page);
    await page.click('#step-once');
    await page.waitForFunction((s) => Number(document.querySelector('#step').textContent) > s, before, { timeout: 60_000, polling: 20 });
    losses.push(await page.evaluate(() => window.__seq2seq.history.at(-1).loss));
  }
  return losses;
}

async function clean(page, problems) {
  assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
  assert.deepEqual(problems, []);
}

test('save, load in a fresh browser, and go on: the same losses as training straight through', { timeout: 300_000 }, async () => {
  const [n, m] = [8, 7];
  let straight;
  let context = await launch({ webgpu: false });
  try {
    const { page, problems } = await open(context);
    straight = await steps(page, n + m);
    await clean(page, problems);
  } finally {
    await context.close();
  }

  let saved;
  context = await launch({ webgpu: false });
  try {
    const { page, problems } = await open(context);
    const first = await steps(page, n);
    assert.deepEqual(first, straight.slice(0, n), 'the same run up to the save');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click('#save')]);
    saved = await readFile(await download.path());
    await clean(page, problems);
  } finally {
    await context.close();
  }

  context = await launch({ webgpu: false });
  try {
    const { page, problems } = await open(context);
    await page.setInputFiles('#load', { name: 'run.s2s', mimeType: 'application/octet-stream', buffer: saved });
    await page.waitForFunction((s) => Number(document.querySelector('#step').textContent) === s, n, { timeout: 60_000 });
    const rest = await steps(page, m);
    assert.deepEqual(rest, straight.slice(n), 'bit for bit the losses of the uninterrupted run');
    await clean(page, problems);
  } finally {
    await context.close();
  }
});
