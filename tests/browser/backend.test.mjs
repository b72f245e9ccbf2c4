// The page picks its backend by measurement and shows both figures; a person can move the run
// between the CPU and (software) WebGPU mid-run without losing progress.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, pageUrl, screenshot, TINY } from './harness.mjs';

const { server, url } = await serve();
after(() => server.close());

const stepNow = (page) => page.evaluate(() => Number(document.querySelector('#step').textContent));
const lossesAfter = (page, step) => page.evaluate(
  (s) => window.__seq2seq.history.filter((h) => h.step > s && !h.diverged).map((h) => h.loss), step);

async function trainTo(page, steps) {
  await page.click('#start');
  await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n, steps, { timeout: 600_000, polling: 250 });
  await page.click('#pause');
  await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
}

async function switchTo(page, backend) {
  await page.selectOption('#backend-choice', backend);
  await page.waitForFunction((b) => document.querySelector('#backend').dataset.backend === b, backend, { timeout: 300_000 });
  await page.waitForFunction(() => document.querySelector('#backend-choice-message').textContent === '', null, { timeout: 60_000 });
}

test('measures both backends, trains on the faster, and moves the run between them', { timeout: 900_000 }, async () => {
  const context = await launch({ webgpu: true });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, '?eval-every=1000&plot-every=0'));
    await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
    const speeds = await page.evaluate(() => window.__seq2seq.backendSpeeds);
    assert.ok(speeds && speeds.cpu > 0 && speeds.webgpu > 0, `both measured: ${JSON.stringify(speeds)}`);
    const faster = speeds.webgpu > speeds.cpu ? 'webgpu' : 'cpu';
    assert.equal(await page.getAttribute('#backend', 'data-backend'), faster, 'trains on the faster backend');
    assert.match(await page.textContent('#backend-speeds'), /WebGPU [\d.]+ steps\/s, CPU [\d.]+ steps\/s/);
    assert.match(await page.textContent('#status'), /WebGPU [\d.]+ steps\/s, CPU [\d.]+ steps\/s: training on/);
    assert.equal(await stepNow(page), 0, 'the measured steps are not part of the run');

    const other = faster === 'cpu' ? 'webgpu' : 'cpu';
    await trainTo(page, 20);
    const before = await stepNow(page);
    const recent = await lossesAfter(page, before - 5);
    await switchTo(page, other);
    assert.equal(await stepNow(page), before, 'the step count moved with the run');
    await page.click('#step-once');
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) > n, before, { timeout: 300_000 });
    const [next] = await lossesAfter(page, before);
    const first = (await lossesAfter(page, 0))[0];
    // One batch's loss scatters around the level (late in a run easily by half): the move keeps
    // the progress if the next loss is within the recent ones' spread, far below the start.
    const highest = Math.max(...recent);
    assert.ok(next < first * 0.5 && next < highest * 1.5,
      `the loss goes on from where it was (${recent.map((l) => l.toFixed(3)).join(', ')} before, ${next.toFixed(3)} after; ${first.toFixed(3)} at the start)`);
    await screenshot(page, `backend-moved-to-${other}.png`);

    const atSwitchBack = await stepNow(page);
    await switchTo(page, faster);
    assert.equal(await stepNow(page), atSwitchBack);
    await trainTo(page, atSwitchBack + 10);
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
