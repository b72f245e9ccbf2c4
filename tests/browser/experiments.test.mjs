// What a learner does with the playground, in a real browser (CPU backend, tiny model): model
// controls rebuild the run, bad values are refused beside their control, the divergence guard,
// the try-it box, own data with bad lines, save/load bit for bit, resume after a reload, the
// config in the link, PNG export and the comparison of two models.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, launch, openPage, pageUrl, screenshot, TINY } from './harness.mjs';

const { server, url } = await serve();
after(() => server.close());

const stepOf = (page) => page.evaluate(() => Number(document.querySelector('#step').textContent));
const config = (page) => page.evaluate(() => window.__seq2seq.config);

async function ready(page) {
  await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
}

async function trainPast(page, steps) {
  if (await page.isEnabled('#start')) await page.click('#start');
  await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n, steps, { timeout: 300_000, polling: 200 });
}

async function pause(page) {
  await page.click('#pause');
  await page.waitForSelector('#start:not([disabled])');
}

async function setValue(page, selector, value) {
  if (await page.evaluate((s) => document.querySelector(s).tagName === 'SELECT', selector)) {
    await page.selectOption(selector, value);
  } else {
    await page.fill(selector, value);
    await page.dispatchEvent(selector, 'change');
  }
}

async function downloadBytes(page, click) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

/** Opens the page in a fresh browser, runs `body(page)`, then checks nothing errored or panicked. */
async function withPage(query, body, config = TINY) {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, config, query));
    await ready(page);
    await body(page, context);
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

test('model controls rebuild the run; an invalid value is refused beside its control and the run goes on', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=50', async (page) => {
    await setValue(page, '#steps-per-frame', '3');
    await trainPast(page, 30);
    await setValue(page, '#attention-kind', 'dot');
    await page.waitForFunction(() => window.__seq2seq.config.model.attention === 'dot', null, { timeout: 60_000 });
    assert.match(await page.textContent('#status'), /rebuilt.*restarts/);
    assert.equal(await stepOf(page), 0, 'a rebuild restarts from step 0');
    assert.equal(await page.isEnabled('#start'), true, 'paused after the rebuild');

    await setValue(page, '#hidden-size', '100000');
    await page.waitForFunction(() => document.querySelector('#hidden-size-message').textContent.length > 0, null, { timeout: 60_000 });
    assert.match(await page.textContent('#hidden-size-message'), /between 2 and 512/);
    assert.equal(await page.inputValue('#hidden-size'), String(TINY.model.hidden_size), 'the control shows the value in use');
    await setValue(page, '#min-len', '9');
    await page.waitForFunction(() => document.querySelector('#min-len-message').textContent.length > 0, null, { timeout: 60_000 });
    assert.match(await page.textContent('#min-len-message'), /max_len/);
    await setValue(page, '#seed', '-3');
    await page.waitForFunction(() => document.querySelector('#seed-message').textContent.length > 0, null, { timeout: 60_000 });
    assert.equal((await config(page)).model.hidden_size, TINY.model.hidden_size, 'refusals changed nothing');

    await trainPast(page, 20);
    await pause(page);
    await setValue(page, '#cell', 'lstm');
    await page.waitForFunction(() => window.__seq2seq.config.model.cell === 'lstm', null, { timeout: 60_000 });
    assert.match(decodeURIComponent(await page.evaluate(() => location.hash)), /"cell":"lstm"/, 'the link carries the config');
    await trainPast(page, 10);
    await pause(page);
  });
});

test('the addition task from the menu: the page says what its lengths mean, and the loss falls; tasks with lengths of their own turn the length controls off', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=50', async (page) => {
    await setValue(page, '#task', 'addition');
    await page.waitForFunction(() => window.__seq2seq.config.task.kind === 'addition', null, { timeout: 60_000 });
    assert.equal(await page.textContent('#task-name'), 'add numbers as digit');
    assert.equal(await page.textContent('#task-hint'), 'length: digits of each number');
    await setValue(page, '#min-len', '1');
    await page.waitForFunction(() => window.__seq2seq.config.task.min_len === 1, null, { timeout: 60_000 });
    // Moving the focus to max-len fires min-len's change once more; the answer to that rebuild
    // used to overwrite the 2 being typed with the 5 in use, and the 5 was sent (2 runs in 4).
    // A control being typed in now keeps its value when another control's rebuild answers.
    await setValue(page, '#max-len', '2');
    await page.waitForFunction(() => window.__seq2seq.config.task.max_len === 2, null, { timeout: 60_000 });
    await trainPast(page, 200);
    await pause(page);
    const losses = (await page.evaluate(() => window.__seq2seq.history)).map((h) => h.loss);
    const mean = (xs) => xs.reduce((a, b) => a + b) / xs.length;
    const [early, late] = [mean(losses.slice(0, 3)), mean(losses.slice(-3))];
    console.log(`addition 1-2 digits: loss ${early.toFixed(3)} -> ${late.toFixed(3)} over ${losses.length} reports`);
    assert.ok(losses.length >= 6 && late < 0.7 * early, `loss fell: ${early.toFixed(3)} -> ${late.toFixed(3)} (${losses.length} reports)`);
    // the try-it box reads a sum and answers in digits
    await page.fill('#try-text', '12+34');
    await page.click('#try-run');
    await page.waitForFunction(() => window.__seq2seq.translation, null, { timeout: 60_000 });
    assert.equal(await page.textContent('#try-note'), '', 'every character of a sum is in the vocabulary');
    assert.match(await page.textContent('#try-output'), /^\d+$/);
    await screenshot(page, 'addition.png');
    // dates make pairs of their own lengths: the length controls are off, and the hint says why
    await setValue(page, '#task', 'dates');
    await page.waitForFunction(() => window.__seq2seq.config.task.kind === 'dates', null, { timeout: 60_000 });
    assert.equal(await page.textContent('#task-hint'), 'its pairs have lengths of their own');
    assert.ok(await page.isDisabled('#min-len') && await page.isDisabled('#max-len'));
    await setValue(page, '#task', 'reverse');
    await page.waitForFunction(() => window.__seq2seq.config.task.kind === 'reverse', null, { timeout: 60_000 });
    assert.equal(await page.textContent('#task-hint'), '', 'reverse needs no hint');
    assert.ok(await page.isEnabled('#min-len') && await page.isEnabled('#max-len'));
  });
});

test('a learning rate of 10 trips the divergence guard; lowering it lets training go on', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=20', async (page) => {
    await trainPast(page, 20);
    await setValue(page, '#learning-rate', '10');
    await page.waitForFunction(() => /blew up/.test(document.querySelector('#status').textContent), null, { timeout: 120_000 });
    await page.waitForSelector('#start:not([disabled])');
    const status = await page.textContent('#status');
    assert.match(status, /last good weights/);
    assert.match(status, /lower learning rate/);
    const history = await page.evaluate(() => window.__seq2seq.history);
    assert.ok(history.some((h) => h.diverged), 'a step was reported divergent');
    const stoppedAt = await stepOf(page);
    assert.match(await page.textContent('#loss'), /^\d+\.\d{4}$/, 'the shown loss is the last sane one');

    await setValue(page, '#learning-rate', '0.02');
    await page.waitForFunction(() => window.__seq2seq.config.train.learning_rate === 0.02, null, { timeout: 60_000 });
    await trainPast(page, stoppedAt + 30);
    await pause(page);
    const history2 = await page.evaluate(() => window.__seq2seq.history);
    const after = history2.slice(history2.findLastIndex((h) => h.diverged) + 1);
    assert.ok(after.length > 0 && after.at(-1).step >= stoppedAt + 30, JSON.stringify(after));
    assert.ok(after.every((h) => Number.isFinite(h.loss) && !h.diverged), JSON.stringify(after));
  });
});

test('try it: decodes typed text at once, and says which tokens it reads as UNK', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=50', async (page) => {
    await trainPast(page, 60);
    await pause(page);
    await page.fill('#try-text', 'abcd');
    await page.click('#try-run');
    await page.waitForFunction(() => window.__seq2seq.translation, null, { timeout: 60_000 });
    assert.notEqual(await page.textContent('#try-output'), '–');
    assert.equal(await page.textContent('#try-note'), '');
    const before = await page.evaluate(() => window.__seq2seq.plots.draws.attention);
    await page.fill('#try-text', 'ab€z');
    await page.press('#try-text', 'Enter');
    await page.waitForFunction(() => window.__seq2seq.translation.unknown_tokens.length > 0, null, { timeout: 60_000 });
    assert.match(await page.textContent('#try-note'), /<unk>: € z/);
    await page.waitForFunction((n) => window.__seq2seq.plots.draws.attention > n, before, { timeout: 60_000 });

    // Beam search: the n-best list with scores, best first; its output is the one whose
    // attention the plot shows.
    const decodeWith = async () => {
      await page.evaluate(() => { window.__seq2seq.translation = null; });
      await page.click('#try-run');
      await page.waitForFunction(() => window.__seq2seq.translation, null, { timeout: 60_000 });
      return page.evaluate(() => window.__seq2seq.translation);
    };
    await page.fill('#try-text', 'abcde');
    await page.selectOption('#try-strategy', 'beam');
    assert.equal(await page.isVisible('#try-width'), true, 'the beam settings show');
    await page.fill('#try-width', '4');
    const beam = await decodeWith();
    const items = await page.$$eval('#try-nbest li', (all) => all.map((li) => li.textContent));
    assert.equal(items.length, beam.nbest.length);
    assert.ok(items.length >= 2 && items.length <= 4, `${items.length} hypotheses`);
    assert.ok(items.every((t) => /log-prob -?\d+\.\d{3}, score -?\d+\.\d{3}/.test(t)), items.join(' | '));
    const scores = beam.nbest.map((c) => c.score);
    assert.deepEqual([...scores].sort((a, b) => b - a), scores, 'best first');
    assert.equal(await page.textContent('#try-output'), beam.output_text);
    // The beam view draws the lattice: ink well below the title.
    const beamInk = await page.$eval('#beam', (canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 60, canvas.width, canvas.height - 60).data;
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) ink += 1;
      return ink;
    });
    assert.ok(beamInk > 500, `the beam view is drawn (${beamInk} inked pixels)`);
    await page.locator('#beam').screenshot({ path: new URL('./screenshots/beam.png', import.meta.url).pathname });
    // A click on the second hypothesis shows its attention.
    const snapshotsBefore = await page.evaluate(() => window.__seq2seq.plotSnapshots);
    await page.click('#try-nbest li:nth-child(2)');
    await page.waitForFunction((n) => window.__seq2seq.plotSnapshots > n, snapshotsBefore, { timeout: 60_000 });
    const shownTokens = await page.evaluate(() => JSON.parse(window.__seq2seq.lastPlotData).attention.output_tokens);
    assert.deepEqual(shownTokens.filter((t) => t !== '<eos>'), beam.nbest[1].tokens, 'the attention plot shows the clicked hypothesis');
    // An output length limit is kept.
    await page.fill('#try-max-len', '2');
    const limited = await decodeWith();
    assert.ok(limited.output_tokens.length <= 2, `at most 2 tokens: ${limited.output_tokens}`);
    await page.fill('#try-max-len', '0');
    // A setting out of range is refused with its range, nothing sent.
    await page.fill('#try-width', '40');
    await page.click('#try-run');
    assert.match(await page.textContent('#try-strategy-message'), /width: a whole number from 1 to 16/);
    await page.fill('#try-width', '4');
    // Sampling: the same seed draws the same output.
    await page.selectOption('#try-strategy', 'sample');
    assert.equal(await page.isVisible('#try-width'), false);
    await page.fill('#try-temperature', '2');
    await page.fill('#try-seed', '11');
    const first = await decodeWith();
    const second = await decodeWith();
    assert.equal(second.output_text, first.output_text, 'a seed repeats its draw');
    assert.equal(await page.$$eval('#try-nbest li', (all) => all.length), 0, 'no n-best list for a draw');
    await screenshot(page, 'try-it.png');

    // The error browser: the validation examples, the wrong ones by default; a click decodes one
    // with beam search (its attention and beam drawn).
    await page.click('#examples-list');
    await page.waitForFunction(() => window.__seq2seq.errorBrowser.examples.length > 0, null, { timeout: 60_000 });
    const listed = await page.evaluate(() => window.__seq2seq.errorBrowser.examples);
    const wrong = listed.filter((e) => !e.exact);
    assert.ok(wrong.length > 0 && wrong.length < listed.length, `${wrong.length} of ${listed.length} wrong after 60 steps`);
    assert.equal(await page.$$eval('#examples-table tbody tr', (rows) => rows.length), Math.min(wrong.length, 200));
    assert.ok(await page.$$eval('#examples-table tbody tr', (rows) => rows.every((r) => r.className === 'wrong')));
    await page.uncheck('#examples-wrong');
    assert.equal(await page.$$eval('#examples-table tbody tr', (rows) => rows.length), Math.min(listed.length, 200));
    await page.check('#examples-wrong');
    await page.evaluate(() => { window.__seq2seq.translation = null; });
    await page.click('#examples-table tbody tr');
    await page.waitForFunction(() => window.__seq2seq.translation, null, { timeout: 60_000 });
    const clicked = await page.evaluate(() => window.__seq2seq.translation);
    assert.ok(clicked.beam, 'decoded with beam search');
    assert.equal(await page.inputValue('#try-text'), wrong[0].source);
    await page.locator('#examples').screenshot({ path: new URL('./screenshots/error-browser.png', import.meta.url).pathname });
    // Validation by beam search: the next validation decodes with the try-it box's beam.
    await page.selectOption('#valid-decoding', 'beam');
    const evaluationsBefore = await page.evaluate(() => window.__seq2seq.history.filter((h) => h.evaluation).length);
    await page.click('#step-once');
    await page.waitForFunction((n) => window.__seq2seq.history.filter((h) => h.evaluation).length > n, evaluationsBefore, { timeout: 60_000 });
    const last = await page.evaluate(() => window.__seq2seq.history.filter((h) => h.evaluation).at(-1).evaluation);
    assert.ok(last.exact_accuracy >= 0 && last.bleu >= 0, 'a beam-search validation');
  });
});

test('own data: bad lines are reported by number, training runs on the good ones; garbage gives messages', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=20', async (page) => {
    const words = ['red', 'green', 'blue', 'cat', 'dog', 'sun', 'moon', 'tree'];
    const lines = [];
    for (let i = 0; i < 60; i++) {
      const a = words[i % 8], b = words[(i * 3 + 1) % 8], c = words[(i * 5 + 2) % 8];
      lines.push(`${a} ${b} ${c}\t${c} ${b} ${a}`);
    }
    lines.splice(2, 0, 'this line has no tab');
    lines.splice(6, 0, '\tempty source');
    await page.fill('#own-data-text', lines.join('\n'));
    await page.click('#own-data-check');
    await page.waitForFunction(() => window.__seq2seq.dataReport, null, { timeout: 60_000 });
    const report = await page.textContent('#own-data-report');
    assert.match(report, /60 good pairs/);
    assert.match(report, /line 3: no tab/);
    assert.match(report, /line 7: the source .* is empty/);
    assert.equal(await page.isEnabled('#own-data-use'), true);
    await page.click('#own-data-use');
    await page.waitForFunction(() => window.__seq2seq.data && window.__seq2seq.data.own_data, null, { timeout: 60_000 });
    assert.match(await page.textContent('#task-name'), /your data \(60 pairs\)/);
    // The task control says so too, and the length controls (symbol tasks only) are off.
    assert.match(await page.$eval('#task', (t) => t.selectedOptions[0].textContent), /your data \(60 pairs\)/);
    assert.equal(await page.isDisabled('#min-len'), true, 'lengths do not apply to own data');
    await trainPast(page, 200);
    await pause(page);
    const history = await page.evaluate(() => window.__seq2seq.history);
    const firstLoss = history.find((h) => h.loss > 0).loss;
    const lastLosses = history.slice(-5).map((h) => h.loss);
    const lastLoss = lastLosses.reduce((a, b) => a + b, 0) / lastLosses.length;
    assert.ok(lastLoss < 0.5 * firstLoss, `it learns from the good lines: loss ${firstLoss.toFixed(3)} -> ${lastLoss.toFixed(3)}`);
    const evaluations = history.filter((h) => h.evaluation).map((h) => h.evaluation.token_accuracy);
    assert.ok(evaluations.length >= 3, `validated ${evaluations.length} times`);
    assert.ok(evaluations.at(-1) > evaluations[0] + 0.2, `validation token accuracy rises: ${evaluations.map((a) => a.toFixed(2)).join(' ')}`);

    for (const [name, buffer, expected] of [
      ['binary.bin', Buffer.from([0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96, 0x0a, 0xc3, 0x28]), /not UTF-8/],
      ['huge.txt', Buffer.alloc(10 * 1024 * 1024, 'x'), /more than the limit of 200/],
      ['tabs.txt', Buffer.from('\t\t\n\t\n\t\t\t\n'), /more than one tab/],
    ]) {
      await page.evaluate(() => { window.__seq2seq.dataReport = null; });
      await page.setInputFiles('#own-data-file', { name, mimeType: 'application/octet-stream', buffer });
      await page.waitForFunction(() => window.__seq2seq.dataReport, null, { timeout: 60_000 });
      const text = await page.textContent('#own-data-report');
      assert.match(text, expected, name);
      assert.match(text, /no usable/, name);
      assert.equal(await page.isEnabled('#own-data-use'), false, `${name}: nothing to train on`);
    }
    // Over the size limit: refused before it is read, the limit stated.
    await page.setInputFiles('#own-data-file', { name: 'too-big.tsv', mimeType: 'text/plain', buffer: Buffer.alloc(17 * 1024 * 1024, 'a\tb\n') });
    await page.waitForFunction(() => /more than the limit/.test(document.querySelector('#own-data-report').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#own-data-report'), /^too-big\.tsv: the input is 17\.0 MiB, more than the limit of 16\.0 MiB \(20000 pairs of at most 200 characters fit\): nothing was read$/);
    assert.equal(await page.isEnabled('#own-data-use'), false, 'nothing to train on');
    // More distinct words than a vocabulary keeps: the report says what happens to the rest.
    await page.evaluate(() => { window.__seq2seq.dataReport = null; });
    await page.$eval('#own-data-text', (area, text) => {
      area.value = text;
      area.dispatchEvent(new Event('input'));
    }, Array.from({ length: 4100 }, (_, i) => `w${i} z\ty x${i % 3}`).join('\n'));
    await page.click('#own-data-check');
    await page.waitForFunction(() => window.__seq2seq.dataReport, null, { timeout: 60_000 });
    await page.locator('#own-data-report').screenshot({ path: new URL('./screenshots/own-data-report.png', import.meta.url).pathname });
    assert.match(await page.textContent('#own-data-report'), /Vocabulary: the source side has 4101 distinct tokens: only the 4000 most frequent of each side are kept, the rest are read as <unk>\./);
    assert.match(await page.textContent('#task-name'), /your data/, 'the run on good data was kept');
  });
});

test('save then load restores the weights bit for bit; a reload offers to resume; plots export as PNG', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=20', async (page) => {
    await trainPast(page, 30);
    await pause(page);
    const savedAt = await stepOf(page);
    const first = await downloadBytes(page, () => page.click('#save'));
    assert.match(first.name, new RegExp(`^seq2seq-reverse-step${savedAt}\\.s2s$`));
    assert.equal(first.bytes.subarray(0, 8).toString(), 'S2SPLAY1');

    await trainPast(page, savedAt + 20);
    await pause(page);
    await page.setInputFiles('#load', { name: first.name, mimeType: 'application/octet-stream', buffer: first.bytes });
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) === n, savedAt, { timeout: 60_000 });
    const second = await downloadBytes(page, () => page.click('#save'));
    assert.ok(second.bytes.equals(first.bytes), 'saving the loaded run gives the same bytes: same config, step and weights');

    await page.setInputFiles('#load', { name: 'bad.s2s', mimeType: 'application/octet-stream', buffer: Buffer.from('not a run') });
    await page.waitForFunction(() => document.querySelector('#files-message').textContent.length > 0, null, { timeout: 60_000 });
    assert.match(await page.textContent('#files-message'), /not a seq2seq-playground checkpoint/);
    assert.equal(await stepOf(page), savedAt, 'a bad file changes nothing');

    const png = await downloadBytes(page, () => page.click('.export-png[data-canvas="curves"]'));
    assert.match(png.name, /^seq2seq-curves-step\d+\.png$/);
    assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.bytes.length > 2000);

    await page.waitForFunction(() => window.__seq2seq.saves >= 2, null, { timeout: 60_000 });
    await page.reload();
    await ready(page);
    await page.waitForSelector('#resume-banner:not([hidden])', { timeout: 60_000 });
    assert.match(await page.textContent('#resume-what'), new RegExp(`step ${savedAt}`));
    assert.equal(await stepOf(page), 0, 'a reload starts fresh until the person resumes');
    await page.click('#resume');
    await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) === n, savedAt, { timeout: 60_000 });
    await trainPast(page, savedAt + 10);
    await pause(page);
  });
});

test('a link with a config in its hash reproduces the controls', { timeout: 300_000 }, async () => {
  const linked = {
    task: { kind: 'copy', min_len: 3, max_len: 6, dataset_size: 300 },
    model: { embedding_size: 12, hidden_size: 24, cell: 'lstm', attention: 'general', init: 'he', layers: 2 },
    train: { learning_rate: 0.01, batch_size: 8, seed: 11 },
  };
  await withPage('', async (page) => {
    const values = await page.evaluate(() => Object.fromEntries(
      ['task', 'min-len', 'max-len', 'dataset-size', 'embedding-size', 'hidden-size', 'cell', 'attention-kind', 'init', 'layers', 'seed', 'learning-rate', 'batch-size']
        .map((id) => [id, document.getElementById(id).value])));
    assert.deepEqual(values, {
      task: 'copy', 'min-len': '3', 'max-len': '6', 'dataset-size': '300', 'embedding-size': '12', 'hidden-size': '24',
      cell: 'lstm', 'attention-kind': 'general', init: 'he', layers: '2', seed: '11', 'learning-rate': '0.01', 'batch-size': '8',
    });
    assert.match(await page.textContent('#task-name'), /copy/);
  }, linked);
});

test('compare: two models train on the same batches, curves overlaid', { timeout: 300_000 }, async () => {
  await withPage('?eval-every=50&eval-examples=32', async (page) => {
    await setValue(page, '#compare-min-len', '6');
    await setValue(page, '#compare-max-len', '9');
    await page.click('#compare-start');
    await page.waitForFunction(() => window.__seq2seq.comparison.evaluations.length >= 3, null, { timeout: 240_000, polling: 200 });
    await page.click('#compare-stop');
    await page.waitForSelector('#compare-start:not([disabled])', { timeout: 60_000 });
    const evaluations = await page.evaluate(() => window.__seq2seq.comparison.evaluations);
    for (const [a, b] of evaluations) assert.equal(a.step, b.step, 'both runs at the same step');
    assert.match(await page.textContent('#compare-status'), /A \d+% · B \d+%/);
    const colours = await page.evaluate(() => {
      const canvas = document.getElementById('compare-curves');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const count = (r, g, b) => { let n = 0; for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n++; return n; };
      return { a: count(37, 99, 235), b: count(219, 39, 119) };
    });
    assert.ok(colours.a > 50 && colours.b > 50, `both runs drawn: ${JSON.stringify(colours)}`);
    await page.locator('#compare').screenshot({ path: new URL('./screenshots/compare.png', import.meta.url).pathname });
    await screenshot(page, 'experiments.png');
  });
});
