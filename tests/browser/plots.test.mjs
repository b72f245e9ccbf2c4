// The live plots in a real browser: every canvas is drawn, changes while the model trains, a drag
// turns the 3D scatter, and the toggles and the attention example change what is shown.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, launch, openPage, pageUrl, screenshot, TINY, SCREENSHOTS } from './harness.mjs';

// The plots' names come from Rust (`viz::PlotName`, read by the page at start).
let CANVASES = [];
const TRANSFORMER_ONLY = ['attention-heads', 'positional-encoding'];
const { server, url } = await serve();
after(() => server.close());

/** Non-white pixel count and a hash of every canvas. */
function snapshot(page) {
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
    const canvas = document.getElementById(id);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) ink += 1;
      hash = Math.imul(hash ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)), 16777619) >>> 0;
    }
    return [id, { ink, hash, size: data.length / 4 }];
  })), CANVASES);
}

/** Waits until every plot has been redrawn since `draws` (the counters of window.__seq2seq.plots). */
async function waitForRedraw(page, ids, before) {
  await page.waitForFunction(([ids, before]) => ids.every((id) => window.__seq2seq.plots.draws[id] > before[id]),
    [ids, before], { timeout: 60_000, polling: 100 });
}

const draws = (page) => page.evaluate(() => ({ ...window.__seq2seq.plots.draws }));
const step = (page) => page.evaluate(() => Number(document.querySelector('#step').textContent));

async function saveCanvases(page, prefix) {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const id of CANVASES) {
    const dataUrl = await page.evaluate((id) => document.getElementById(id).toDataURL('image/png'), id);
    await writeFile(join(SCREENSHOTS, `${prefix}-${id}.png`), Buffer.from(dataUrl.split(',')[1], 'base64'));
  }
}

test('plots are drawn, change while training, and respond to the controls', { timeout: 600_000 }, async () => {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, '?eval-every=10&plot-every=10'));
    await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
    await page.waitForFunction(() => window.__seq2seq.plotSnapshots >= 1, null, { timeout: 60_000 });
    CANVASES = await page.evaluate(() => window.__seq2seq.plots.names);
    const gridCanvases = await page.$$eval('main.plots canvas', (all) => all.map((c) => c.id));
    assert.deepEqual([...CANVASES].sort(), gridCanvases.sort(), 'the plot grid has a canvas for each plot Rust names, and no other');

    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 60, null, { timeout: 300_000 });
    let mark = await draws(page);
    await waitForRedraw(page, CANVASES, mark);
    const first = await snapshot(page);
    const firstStep = await step(page);
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n, firstStep + 60, { timeout: 300_000 });
    mark = await draws(page);
    await waitForRedraw(page, CANVASES, mark);
    const second = await snapshot(page);
    // (The Transformer's own plots say so in one line for this RNN: transformer.test.mjs draws them.)
    for (const id of CANVASES.filter((c) => !TRANSFORMER_ONLY.includes(c))) {
      assert.ok(first[id].ink > first[id].size * 0.02, `${id} is drawn (${first[id].ink} inked pixels)`);
      assert.notEqual(first[id].hash, second[id].hash, `${id} changes while the model trains`);
    }
    await page.click('#pause');
    await page.waitForSelector('#start:not([disabled])');
    await saveCanvases(page, 'trained');

    // A drag on the 3D canvas turns it.
    mark = await draws(page);
    const before = (await snapshot(page))['embedding-3d'];
    const box = await page.locator('#embedding-3d').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 90, box.y + box.height / 2 + 25, { steps: 5 });
    await page.mouse.up();
    await waitForRedraw(page, ['embedding-3d'], mark);
    const turned = (await snapshot(page))['embedding-3d'];
    assert.notEqual(turned.hash, before.hash, 'a drag turns the scatter');

    // Find a token: it and its nearest neighbours are listed (and highlighted in the scatter).
    mark = await draws(page);
    await page.fill('#embedding-search', 'c');
    await waitForRedraw(page, ['embedding-3d'], mark);
    const listed = await page.textContent('#embedding-neighbours');
    assert.match(listed, /^nearest to c \(cosine similarity\): (\S+ -?\d\.\d\d(, |$)){6}/, listed);
    await page.fill('#embedding-search', 'zebra');
    assert.equal(await page.textContent('#embedding-neighbours'), 'no token "zebra" on this side');
    // A click on a point searches for its token: click where the board drew one.
    await page.fill('#embedding-search', '');
    mark = await draws(page);
    await page.evaluate(() => window.__seq2seq.plots.redraw('embedding-3d'));
    await waitForRedraw(page, ['embedding-3d'], mark);
    const target = await page.evaluate(() => {
      const canvas = document.getElementById('embedding-3d');
      for (let y = 60; y < canvas.height; y += 3) {
        for (let x = 0; x < canvas.width; x += 3) {
          const token = window.__seq2seq.plots.board.tokenAt(x, y);
          if (token !== undefined) return { x, y, token, scale: canvas.clientWidth / canvas.width };
        }
      }
      return null;
    });
    assert.ok(target, 'the scatter has points to pick');
    await page.mouse.click(box.x + target.x * target.scale, box.y + target.y * target.scale);
    assert.equal(await page.inputValue('#embedding-search'), target.token, 'a click picks the point\'s token');
    assert.match(await page.textContent('#embedding-neighbours'), new RegExp(`^nearest to ${target.token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
    await page.locator('#embedding-3d').screenshot({ path: new URL('./screenshots/embedding-search.png', import.meta.url).pathname });
    await page.fill('#embedding-search', '');

    // Toggles: target embeddings, the course's example, log scale.
    for (const [action, id] of [
      [() => page.selectOption('#embedding-side', 'target'), 'embedding-3d'],
      [() => page.check('#course-example'), 'embedding-3d'],
      [() => page.check('#log-scale'), 'curves'],
    ]) {
      const was = (await snapshot(page))[id];
      mark = await draws(page);
      await action();
      await waitForRedraw(page, [id], mark);
      assert.notEqual((await snapshot(page))[id].hash, was.hash, `${id} follows its toggle`);
    }
    // A bad refresh interval is refused beside the control; a good one clears the message.
    await page.fill('#plot-every', '-3');
    await page.dispatchEvent('#plot-every', 'change');
    assert.match(await page.textContent('#plot-every-message'), /whole number/);
    await page.fill('#plot-every', '10');
    await page.dispatchEvent('#plot-every', 'change');
    assert.equal(await page.textContent('#plot-every-message'), '');

    // A typed source sentence is decoded and its attention drawn.
    const was = (await snapshot(page)).attention;
    const snapshots = await page.evaluate(() => window.__seq2seq.plotSnapshots);
    mark = await draws(page);
    await page.fill('#attention-text', 'a b c');
    await page.press('#attention-text', 'Enter');
    await page.waitForFunction((n) => window.__seq2seq.plotSnapshots > n, snapshots, { timeout: 60_000 });
    await waitForRedraw(page, ['attention'], mark);
    assert.notEqual((await snapshot(page)).attention.hash, was.hash, 'the typed example is shown');
    await saveCanvases(page, 'toggled');
    await screenshot(page, 'plots.png');

    const times = await page.evaluate(() => window.__seq2seq.plots.drawTimes);
    for (const id of CANVASES) assert.ok(times[id].length > 0, `${id} draw time recorded`);
    console.log('median draw ms:', Object.fromEntries(CANVASES.map((id) => {
      const t = [...times[id]].sort((a, b) => a - b);
      return [id, Number(t[Math.floor(t.length / 2)].toFixed(2))];
    })));
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
