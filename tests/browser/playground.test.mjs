// The page in a real browser: it trains on WebGPU (software, SwiftShader) and, with WebGPU
// disabled, on the CPU fallback; the loss falls, accuracy rises, nothing errors or panics.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, pageUrl, screenshot, TINY } from './harness.mjs';

const { server, url } = await serve();
after(() => server.close());

async function trainsAndLearns({ webgpu, expectedBackend, steps, query, screenshotName, crosscheck, loseDevice }) {
  const context = await launch({ webgpu });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, query));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    assert.equal(await page.getAttribute('#backend', 'data-backend'), expectedBackend);
    if (expectedBackend === 'cpu') {
      assert.match(await page.textContent('#status'), /CPU/, 'a visible notice says it fell back to the CPU');
    }
    const trainingFrom = await page.evaluate(() => performance.now());
    await page.click('#start');
    await page.waitForFunction(
      (n) => Number(document.querySelector('#step').textContent) >= n, steps, { timeout: 600_000, polling: 500 });
    await page.click('#pause');
    await page.waitForSelector('#start:not([disabled])');
    const history = await page.evaluate(() => window.__seq2seq.history);
    const losses = history.map((h) => h.loss);
    const evals = history.map((h) => h.evaluation).filter(Boolean);
    const early = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const late = losses.slice(-3).reduce((a, b) => a + b) / 3;
    assert.ok(late < early * 0.8, `loss fell: ${early.toFixed(3)} -> ${late.toFixed(3)}`);
    assert.ok(evals.length >= 2, 'validated more than once');
    assert.ok(evals.at(-1).token_accuracy > evals[0].token_accuracy + 0.1,
      `accuracy rose: ${evals[0].token_accuracy} -> ${evals.at(-1).token_accuracy}`);
    assert.match(await page.textContent('#loss'), /^\d+\.\d{4}$/);
    assert.match(await page.textContent('#accuracy'), /%$/);
    assert.ok(Number(await page.textContent('#steps-per-second')) > 0);
    const longTasks = await page.evaluate((t) => window.__longTasks.filter((x) => x.start >= t), trainingFrom);
    const over100 = longTasks.filter((x) => x.duration > 100);
    if (webgpu) {
      // SwiftShader runs the shaders on the same two cores as the page's main thread, so how
      // long its tasks take depends on the machine's load (it failed 2 runs in 6 here, 100-150
      // ms tasks): reported, not asserted. The CPU run below asserts it.
      console.log(`main-thread tasks over 100 ms while training on ${expectedBackend}: ${over100.length}`);
    } else {
      assert.deepEqual(over100, [], 'no main-thread task over 100 ms while training');
    }
    await screenshot(page, screenshotName);
    if (crosscheck) {
      // The same two steps from the same weights on this backend and on the CPU agree.
      await page.evaluate(() => window.__seq2seq.worker.postMessage({ type: 'crosscheck', steps: 2 }));
      const rows = await (await page.waitForFunction(() => window.__seq2seq.crosscheck, null, { timeout: 300_000 })).jsonValue();
      assert.equal(rows.length, 2);
      for (const row of rows) {
        for (const [a, b] of [[row.cpu_loss, row.device_loss], [row.cpu_grad_norm, row.device_grad_norm]]) {
          assert.ok(Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a)), `CPU ${a} vs ${expectedBackend} ${b}`);
        }
        // Adam moves a weight by about the learning rate whatever its gradient: only a broken
        // step (not a gradient wrong in size) shows here
        assert.ok(row.max_weight_difference <= 1e-3, `weights ${row.max_weight_difference} apart after a step`);
      }
      // With plain SGD a weight moves by the learning rate times its gradient: every gradient
      // agrees one by one (a wrong one of size 1e-3 would move its weight 2e-5 further)
      await page.evaluate(() => { window.__seq2seq.crosscheck = null; });
      await page.evaluate(() => window.__seq2seq.worker.postMessage({ type: 'crosscheck', steps: 2, sgd: true }));
      const sgd = await (await page.waitForFunction(() => window.__seq2seq.crosscheck, null, { timeout: 300_000 })).jsonValue();
      assert.equal(sgd.length, 2);
      for (const row of sgd) {
        assert.ok(row.max_weight_difference <= 2e-6 * Math.max(1, row.largest_weight),
          `SGD: weights ${row.max_weight_difference} apart after a step (largest ${row.largest_weight})`);
      }
    }
    if (crosscheck) {
      // Beam search and sampling run on this backend too (top-k, gathers, async reads only).
      for (const strategy of [{ kind: 'beam', width: 3, alpha: 0.6 }, { kind: 'sample', temperature: 1, top_k: 3, seed: 2 }]) {
        await page.evaluate(() => { window.__seq2seq.translation = null; });
        await page.evaluate((s) => window.__seq2seq.worker.postMessage({ type: 'translate', text: 'abcd', strategy: s }), strategy);
        const result = await (await page.waitForFunction(() => window.__seq2seq.translation, null, { timeout: 300_000 })).jsonValue();
        assert.ok(result.nbest.length >= 1, `${strategy.kind} on ${expectedBackend}`);
        if (strategy.kind === 'beam') assert.ok(result.beam && result.beam.steps.length > 0, 'a beam lattice');
      }
    }
    if (loseDevice) {
      // The GPU goes away (as in a driver reset): the run goes on on the CPU from its last save.
      await page.waitForFunction(() => window.__seq2seq.lastSave, null, { timeout: 120_000 });
      const saved = await page.evaluate(() => window.__seq2seq.lastSave.step);
      await page.evaluate(() => window.__seq2seq.worker.postMessage({ type: 'lose-device' }));
      await page.waitForFunction(() => document.querySelector('#backend').dataset.backend === 'cpu', null, { timeout: 120_000 });
      assert.match(await page.textContent('#status'), /GPU device was lost.*moved to the CPU.*step \d+/);
      await page.waitForSelector('#start:not([disabled])', { timeout: 60_000 });
      assert.equal(Number(await page.textContent('#step')), saved, 'resumed from the last save');
      await page.click('#start');
      await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n + 10, saved, { timeout: 120_000 });
      await page.click('#pause');
      await screenshot(page, 'device-lost.png');
    }
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

test('trains on WebGPU: loss falls, accuracy rises, agrees with the CPU, decodes by beam search and sampling, and survives losing the device', { timeout: 900_000 }, async () => {
  // SwiftShader runs shaders on the CPU (a few steps/s here): a tiny model, few steps.
  await trainsAndLearns({
    webgpu: true, expectedBackend: 'webgpu', steps: 40, query: '?backend=webgpu&eval-every=10&eval-examples=64',
    screenshotName: 'webgpu.png', crosscheck: true, loseDevice: true,
  });
});

// The hand-written recurrent kernels in their variants, each against the CPU after two plain-SGD
// steps from the same weights (a weight moves by the learning rate times its gradient, so every
// gradient is compared one by one). The page's WebGPU caps cubes at 256 units, so past 256 hidden
// units each unit takes two hidden units: a path native tests on lavapipe (cubes up to 1024) do
// not take.
const SHORT = { kind: 'reverse', min_len: 3, max_len: 6, dataset_size: 400 };
const SGD = { learning_rate: 0.5, batch_size: 8, clip_norm: 100 };
const KERNEL_VARIANTS = [
  ['LSTM + additive at batch 256 (two batch rows a cube)', {
    task: { kind: 'reverse', min_len: 8, max_len: 12, dataset_size: 600 },
    model: { embedding_size: 16, hidden_size: 32, cell: 'lstm', attention: 'additive' },
    train: { ...SGD, batch_size: 256 },
  }],
  ['RNN + dot, two encoder layers', {
    task: SHORT, model: { embedding_size: 8, hidden_size: 16, cell: 'rnn', attention: 'dot', layers: 2 }, train: SGD,
  }],
  ['GRU + general, 300 hidden units', {
    task: SHORT, model: { embedding_size: 8, hidden_size: 300, cell: 'gru', attention: 'general' }, train: SGD,
  }],
  ['LSTM without attention, 300 hidden units', {
    task: SHORT, model: { embedding_size: 8, hidden_size: 300, cell: 'lstm', attention: 'none' }, train: SGD,
  }],
  // the decoder's initial-state gradient past 256 units: what lavapipe computed wrong
  ['GRU + additive, 300 hidden units', {
    task: SHORT, model: { embedding_size: 8, hidden_size: 300, cell: 'gru', attention: 'additive' }, train: SGD,
  }],
];

test('every recurrent kernel variant agrees with the CPU on WebGPU, gradient by gradient (cells, attentions, layers, batch rows a cube, 300 hidden units)', { timeout: 900_000 }, async () => {
  const context = await launch({ webgpu: true });
  try {
    for (const [variant, config] of KERNEL_VARIANTS) {
      // a tab each: the config is in the URL's hash, which a same-tab navigation would not reload
      const { page, problems } = await openPage(context, pageUrl(url, config, '?backend=webgpu&eval-every=1000&plot-every=0'), { newTab: true });
      await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
      assert.equal(await page.getAttribute('#backend', 'data-backend'), 'webgpu', variant);
      assert.equal(await page.evaluate(() => window.__seq2seq.config.model.hidden_size), config.model.hidden_size, variant);
      await page.evaluate(() => window.__seq2seq.worker.postMessage({ type: 'crosscheck', steps: 2, sgd: true }));
      const rows = await (await page.waitForFunction(() => window.__seq2seq.crosscheck, null, { timeout: 240_000 })).jsonValue();
      assert.equal(rows.length, 2, variant);
      for (const row of rows) {
        assert.ok(Math.abs(row.cpu_loss - row.device_loss) <= 1e-5 * Math.abs(row.cpu_loss),
          `${variant}: CPU ${row.cpu_loss} vs WebGPU ${row.device_loss}`);
        assert.ok(row.max_weight_difference <= 2e-6 * Math.max(1, row.largest_weight),
          `${variant}: weights ${row.max_weight_difference} apart after a step (largest ${row.largest_weight})`);
      }
      console.log(`${variant}: weights at most ${rows.map((r) => r.max_weight_difference.toExponential(1)).join(', ')} apart`);
      assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null, variant);
      assert.deepEqual(problems, [], variant);
      await page.close();
    }
  } finally {
    await context.close();
  }
});

test('falls back to the CPU without WebGPU, with a notice, and trains', { timeout: 900_000 }, async () => {
  await trainsAndLearns({
    webgpu: false, expectedBackend: 'cpu', steps: 150, query: '?eval-every=20', screenshotName: 'cpu.png',
  });
});

test('training settings change mid-run without a reset; a bad value is refused beside its control', { timeout: 300_000 }, async () => {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, '?eval-every=50'));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    const stepNow = () => page.evaluate(() => Number(document.querySelector('#step').textContent));
    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 40, null, { timeout: 120_000 });
    await page.fill('#learning-rate', '0.001');
    await page.dispatchEvent('#learning-rate', 'change');
    await page.waitForFunction(() => window.__seq2seq.config.train.learning_rate === 0.001, null, { timeout: 60_000 });
    const after = await stepNow();
    assert.ok(after >= 40, `the step count was kept (${after})`);
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) > n + 20, after, { timeout: 120_000 });

    await page.fill('#learning-rate', '-1');
    await page.dispatchEvent('#learning-rate', 'change');
    await page.waitForFunction(() => document.querySelector('#learning-rate-message').textContent.length > 0, null, { timeout: 60_000 });
    assert.match(await page.textContent('#learning-rate-message'), /learning_rate/);
    const refusedAt = await stepNow();
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) > n + 20, refusedAt, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => window.__seq2seq.config.train.learning_rate), 0.001, 'the refused value changed nothing');
    // The other settings that apply between steps take the same path.
    await page.fill('#batch-size', '8');
    await page.dispatchEvent('#batch-size', 'change');
    await page.waitForFunction(() => window.__seq2seq.config.train.batch_size === 8, null, { timeout: 60_000 });
    // Moving the focus from batch size to teacher forcing fires batch size's change once more;
    // its answer used to arrive between the fill and the change below and reset the field being
    // typed in to the run's value (1), so the bad value was never sent (seen once in three runs).
    // The page no longer overwrites the focused control.
    await page.fill('#teacher-forcing', '2');
    await page.dispatchEvent('#teacher-forcing', 'change');
    await page.waitForFunction(() => document.querySelector('#teacher-forcing-message').textContent.length > 0, null, { timeout: 60_000 });
    assert.notEqual(await page.evaluate(() => window.__seq2seq.config.train.teacher_forcing), 2, 'never accepted');
    assert.match(await page.textContent('#teacher-forcing-message'), /teacher_forcing/);
    assert.equal(await page.textContent('#batch-size-message'), '');
    await page.click('#pause');
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
