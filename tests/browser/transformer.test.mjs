// Transformer mode in the page: chosen with the model menu (the RNN-only controls hide, the
// Transformer's show), it trains on the CPU fallback and on software WebGPU (SwiftShader): the
// loss falls, the attention heatmap is drawn, and one step on WebGPU agrees with the CPU.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, pageUrl, screenshot, TINY } from './harness.mjs';

const { server, url } = await serve();
after(() => server.close());

/** The tiny task with a small Transformer (dropout off: the crosscheck compares two devices). */
const TINY_TRANSFORMER = {
  ...TINY,
  model: { kind: 'transformer', embedding_size: 16, heads: 2, layers: 1, ff_size: 32, dropout: 0 },
  train: { ...TINY.train, learning_rate: 0.003 },
};

const visible = (page, id) => page.evaluate((i) => {
  const label = document.getElementById(i).closest('label');
  return !label.hidden && label.offsetParent !== null;
}, id);

async function trainTransformer({ webgpu, backend, steps }) {
  const context = await launch({ webgpu });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY_TRANSFORMER, `?backend=${backend}&eval-every=10`));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    assert.equal(await page.getAttribute('#backend', 'data-backend'), backend);
    assert.equal(await page.inputValue('#model-kind'), 'transformer');
    for (const id of ['heads', 'ff-size', 'dropout', 'norm', 'positions', 'tied-embeddings']) {
      assert.ok(await visible(page, id), `#${id} is shown for a Transformer`);
    }
    for (const id of ['hidden-size', 'cell', 'attention-kind']) {
      assert.ok(!(await visible(page, id)), `#${id} (RNN only) is hidden`);
    }
    await page.click('#start');
    await page.waitForFunction(
      (n) => Number(document.querySelector('#step').textContent) >= n, steps, { timeout: 600_000, polling: 500 });
    await page.click('#pause');
    await page.waitForSelector('#start:not([disabled])');
    const losses = (await page.evaluate(() => window.__seq2seq.history)).map((h) => h.loss);
    const early = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const late = losses.slice(-3).reduce((a, b) => a + b) / 3;
    assert.ok(late < early * 0.8, `loss fell on ${backend}: ${early.toFixed(3)} -> ${late.toFixed(3)}`);
    // The attention heatmap (top layer's cross-attention, heads averaged) has ink.
    const inked = await page.evaluate(() => {
      const canvas = document.getElementById('attention');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured += 1;
      }
      return coloured;
    });
    assert.ok(inked > 500, `the attention heatmap is drawn in colour (${inked} px)`);
    // Every head of the layer, and the positional encodings, are drawn; a click enlarges a head.
    const colouredIn = (id) => page.evaluate((i) => {
      const canvas = document.getElementById(i);
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let coloured = 0;
      for (let j = 0; j < data.length; j += 4) {
        if (Math.max(data[j], data[j + 1], data[j + 2]) - Math.min(data[j], data[j + 1], data[j + 2]) > 40) coloured += 1;
      }
      return coloured;
    }, id);
    await page.waitForFunction(() => window.__seq2seq.plots.draws['attention-heads'] > 1, null, { timeout: 60_000 });
    assert.ok(await colouredIn('attention-heads') > 500, 'the heads are drawn in colour');
    assert.ok(await colouredIn('positional-encoding') > 2000, 'the positional encodings are drawn');
    // The batch's masks add the decoder's causal self-attention mask (hatched cells: 236 grey).
    const causalCells = await page.evaluate(() => {
      const canvas = document.getElementById('padding-mask');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 236 && data[i + 1] === 236 && data[i + 2] === 236) n += 1;
      return n;
    });
    assert.ok(causalCells > 50, `the causal mask is drawn beside the batch (${causalCells} px)`);
    const picture = () => page.evaluate(() => document.getElementById('attention-heads').toDataURL());
    const [before, drawsBefore] = [await picture(), await page.evaluate(() => window.__seq2seq.plots.draws['attention-heads'])];
    const box = await page.locator('#attention-heads').boundingBox();
    // The first head's first cell starts at canvas pixel (6, 62) (viz::heads::head_panels);
    // the canvas may be scaled by CSS. Scrolled into view by the click.
    const scale = box.width / 460;
    await page.locator('#attention-heads').click({ position: { x: 9 * scale, y: 65 * scale } });
    await page.waitForFunction((n) => window.__seq2seq.plots.draws['attention-heads'] > n, drawsBefore, { timeout: 30_000 });
    assert.notEqual(await picture(), before, 'the click enlarged the head');
    if (backend === 'cpu') await screenshot(page, 'transformer-head-enlarged.png');
    if (backend === 'webgpu') {
      await page.evaluate(() => window.__seq2seq.worker.postMessage({ type: 'crosscheck', steps: 1 }));
      const rows = await (await page.waitForFunction(() => window.__seq2seq.crosscheck, null, { timeout: 300_000 })).jsonValue();
      for (const row of rows) {
        assert.ok(Math.abs(row.cpu_loss - row.device_loss) <= 1e-3 * Math.max(1, Math.abs(row.cpu_loss)),
          `CPU ${row.cpu_loss} vs WebGPU ${row.device_loss}`);
      }
    }
    await screenshot(page, `transformer-${backend}.png`);
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

test('the model menu switches to a Transformer and back: its controls show, the RNN ones hide', { timeout: 300_000 }, async () => {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    assert.ok(!(await visible(page, 'heads')), 'no Transformer control for the RNN');
    await page.selectOption('#model-kind', 'transformer');
    await page.waitForFunction(() => location.hash.includes('transformer'), null, { timeout: 60_000 });
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    assert.ok(await visible(page, 'heads'));
    assert.match(await page.textContent('#model-kind-hint'), /learning rate 0\.001/, 'the Transformer says what it wants');
    assert.ok(!(await visible(page, 'cell')));
    // A head count that does not divide the embedding size is refused beside its control.
    await page.fill('#heads', '3');
    await page.press('#heads', 'Enter');
    await page.waitForFunction(() => document.querySelector('#heads-message').textContent !== '', null, { timeout: 60_000 });
    assert.match(await page.textContent('#heads-message'), /divide the embedding size \(16\)/);
    await page.selectOption('#model-kind', 'rnn');
    await page.waitForFunction(() => location.hash.includes('%22rnn%22'), null, { timeout: 60_000 });
    assert.ok(await visible(page, 'cell'));
    assert.equal(await page.textContent('#model-kind-hint'), '', 'no hint for the RNN');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a Transformer trains on the CPU fallback', { timeout: 600_000 }, async () => {
  await trainTransformer({ webgpu: false, backend: 'cpu', steps: 150 });
});

test('a Transformer trains on software WebGPU and agrees with the CPU', { timeout: 900_000 }, async () => {
  await trainTransformer({ webgpu: true, backend: 'webgpu', steps: 30 });
});

test('the training recipe changes live: optimiser, weight decay, label smoothing, a schedule drawn beside its controls', { timeout: 300_000 }, async () => {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY_TRANSFORMER, '?backend=cpu&eval-every=10'));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    const rateText = () => page.textContent('#current-rate');
    assert.match(await rateText(), /rate at step 0: 0\.00300/, 'a constant schedule at the base rate');
    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 30, null, { timeout: 120_000 });
    // A warm-up schedule: the rate at this step is now below the base (warm-up of 200 steps).
    await page.selectOption('#schedule', 'warmup-inverse-sqrt');
    await page.waitForFunction(() => location.hash.includes('warmup-inverse-sqrt'), null, { timeout: 30_000 });
    await page.waitForFunction(() => !/: 0\.00300$/.test(document.querySelector('#current-rate').textContent), null, { timeout: 30_000 });
    const rate = Number((await rateText()).split(': ')[1]);
    assert.ok(rate > 0 && rate < 0.003, `warming up: ${rate}`);
    const drawn = await page.evaluate(() => {
      const canvas = document.getElementById('schedule-preview');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let blue = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 2] > 200 && data[i] < 80) blue += 1;
      return blue;
    });
    assert.ok(drawn > 100, `the schedule's curve is drawn (${drawn} px)`);
    await page.selectOption('#optimizer', 'adamw');
    for (const [id, value] of [['weight-decay', '0.01'], ['label-smoothing', '0.1']]) {
      await page.fill(`#${id}`, value);
      await page.press(`#${id}`, 'Enter');
    }
    await page.waitForFunction(() => location.hash.includes('adamw') && location.hash.includes('%22label_smoothing%22%3A0.1'), null, { timeout: 30_000 });
    // A refused value is explained beside its control, and the run keeps its settings.
    await page.fill('#label-smoothing', '0.9');
    await page.press('#label-smoothing', 'Enter');
    await page.waitForFunction(() => document.querySelector('#label-smoothing-message').textContent !== '', null, { timeout: 30_000 });
    assert.match(await page.textContent('#label-smoothing-message'), /between 0 and 0\.5/);
    const at = Number(await page.textContent('#step'));
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n + 30, at, { timeout: 120_000 });
    await page.click('#pause');
    const losses = (await page.evaluate(() => window.__seq2seq.history)).map((h) => h.loss);
    assert.ok(losses.every(Number.isFinite), 'the run trains on with the new recipe');
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
    await screenshot(page, 'training-recipe.png');
  } finally {
    await context.close();
  }
});

test('compare: an RNN with attention against a Transformer on the very same batches', { timeout: 300_000 }, async () => {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, '?backend=cpu&eval-every=10'));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    await page.selectOption('#compare-b', 'transformer');
    await page.fill('#compare-min-len', '3');
    await page.fill('#compare-max-len', '5');
    await page.click('#compare-start');
    await page.waitForFunction(() => /exact accuracy A \d+% · B \d+%/.test(document.querySelector('#compare-status').textContent),
      null, { timeout: 180_000 });
    await page.click('#compare-stop');
    assert.deepEqual(problems, []);
    await screenshot(page, 'compare-transformer.png');
  } finally {
    await context.close();
  }
});
