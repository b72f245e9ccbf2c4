// What a learner does besides watching: the try-it box, training on their own data, and a
// comparison of two models on the same batches. The work is done in the worker (Rust); this
// file sends the requests and shows the answers.
import { ComparisonBoard, datasetSizeProblem } from '../pkg/seq2seq_playground.js';
import { fillChoices, rangeText, withinSpec, refusalText } from './controls.js';

const $ = (id) => document.getElementById(id);
// Rows the error browser lists at most (the summary says how many there are).
const MAX_ROWS = 200;

/**
 * The try-it box: decode what the person types, greedily, by beam search or by sampling (the
 * ranges of the strategy's settings come from the core's table, `specs`).
 */
export function wireTryIt({ send, specs }) {
  const number = (id) => Number($(id).value);
  const showStrategy = () => {
    const kind = $('try-strategy').value;
    for (const el of document.querySelectorAll('.try-beam')) el.hidden = kind !== 'beam';
    for (const el of document.querySelectorAll('.try-sample')) el.hidden = kind !== 'sample';
  };
  // Strategy `kind` with the try-it box's settings, as the core reads it, or the first setting
  // out of range.
  const strategyOf = (kind) => {
    const fields = kind === 'beam'
      ? { width: ['try-width', 'page.beam_width'], alpha: ['try-alpha', 'page.alpha'] }
      : kind === 'sample'
        ? { temperature: ['try-temperature', 'page.temperature'], top_k: ['try-top-k', 'page.top_k'], seed: ['try-seed', 'page.sample_seed'] }
        : {};
    const chosen = { kind };
    for (const [field, [id, path]] of Object.entries(fields)) {
      if (!withinSpec(specs[path], number(id))) return { error: `${field.replace('_', '-')}: ${refusalText(specs[path])}` };
      chosen[field] = number(id);
    }
    return { strategy: chosen };
  };
  const strategy = () => (withinSpec(specs['page.max_output'], number('try-max-len'))
    ? strategyOf($('try-strategy').value)
    : { error: `at most: ${refusalText(specs['page.max_output'])}` });
  const run = () => {
    const text = $('try-text').value.trim();
    const { strategy: chosen, error } = strategy();
    $('try-strategy-message').textContent = error || '';
    const maxLen = number('try-max-len') || undefined; // 0: as long as the data suggests
    if (text && chosen) send({ type: 'translate', text, strategy: chosen, maxLen });
  };
  // A click on one of the beam's hypotheses shows its attention in the attention plot.
  $('try-nbest').addEventListener('click', (event) => {
    const item = event.target.closest('li');
    if (!item || !lastDecoded) return;
    const rank = [...$('try-nbest').children].indexOf(item);
    for (const li of $('try-nbest').children) li.classList.toggle('shown', li === item);
    send({ type: 'plot-example', example: { decoded: { ...lastDecoded, rank } } });
  });
  // Validation decodes greedily or by beam search (the width and alpha above).
  fillChoices($('valid-decoding'), specs['page.strategy'].options.filter((o) => o.value !== 'sample'), 'greedy');
  $('valid-decoding').addEventListener('change', () => {
    const { strategy: chosen, error } = strategyOf($('valid-decoding').value);
    $('valid-decoding-message').textContent = error ? `the try-it box's ${error}` : '';
    if (chosen) send({ type: 'validation-strategy', strategy: chosen });
  });
  $('try-strategy').addEventListener('change', showStrategy);
  showStrategy();
  $('try-run').onclick = run;
  $('try-text').addEventListener('keydown', (e) => { if (e.key === 'Enter') run(); });
}

// The text and strategy of the last beam search, for showing one of its hypotheses.
let lastDecoded = null;

/** Shows a decoded result (JSON `Translation`): the output, and a beam's n-best list. */
export function showTranslation(result, text, strategy) {
  lastDecoded = result.beam ? { text, strategy } : null;
  $('try-output').textContent = result.output_text || '(nothing: the model stopped at once)';
  const list = result.beam ? result.nbest : [];
  $('try-nbest').replaceChildren(...list.map((c, rank) => {
    const item = document.createElement('li');
    item.title = 'show its attention';
    if (rank === 0) item.classList.add('shown');
    item.textContent = `${c.text || '(empty)'}  log-prob ${c.log_prob.toFixed(3)}, score ${c.score.toFixed(3)}${c.finished ? '' : ' (no <eos>)'}`;
    return item;
  }));
  const notes = [];
  if (result.unknown_tokens.length) {
    notes.push(`Not in the training vocabulary, read as <unk>: ${result.unknown_tokens.join(' ')}. The model has never seen them, so it cannot know what they mean.`);
  }
  if (!result.finished) notes.push('It did not produce an end-of-sequence token before the length limit.');
  $('try-note').textContent = notes.join(' ');
}

function escapeText(text) {
  const span = document.createElement('span');
  span.textContent = text;
  return span.innerHTML;
}

/**
 * Your own data: check, report each refused line, and train on the good ones once confirmed.
 * A file over the size limit is refused before it is read; the checked bytes go to the worker
 * once, and "train" uses what the worker last checked (any edit disables it until a new check).
 */
export function wireOwnData({ send, limits }) {
  $('own-data-limits').textContent = `At most ${limits.max_pairs} pairs, ${limits.max_line_chars} characters a line and ` +
    `${limits.max_mebibytes} MiB; at least ${limits.min_pairs} good pairs; at most ${limits.max_vocab_tokens} distinct ` +
    'tokens a side (the rarer ones become <unk>). Chinese is split by character, text with spaces by word.';
  let fileBytes = null;
  // A fresh array each time: `check` hands it over to the worker.
  const bytes = () => (fileBytes ? fileBytes.slice() : new TextEncoder().encode($('own-data-text').value));
  const invalidate = () => { $('own-data-use').disabled = true; };
  const check = (data) => {
    const problem = datasetSizeProblem(data.byteLength);
    if (problem) {
      $('own-data-report').textContent = problem;
      return;
    }
    send({ type: 'check-data', bytes: data }, [data.buffer]);
  };
  $('own-data-text').addEventListener('input', () => { fileBytes = null; invalidate(); });
  $('own-data-file').addEventListener('change', async () => {
    const file = $('own-data-file').files[0];
    if (!file) return;
    invalidate();
    fileBytes = null;
    const problem = datasetSizeProblem(file.size);
    if (problem) {
      $('own-data-report').textContent = `${file.name}: ${problem}`;
      return;
    }
    fileBytes = new Uint8Array(await file.arrayBuffer());
    check(bytes());
  });
  $('own-data-check').onclick = () => { invalidate(); check(bytes()); };
  $('own-data-use').onclick = () => {
    $('own-data-use').disabled = true;
    send({ type: 'own-data' });
  };
}

/** Shows the parser's report (JSON `DatasetReport`) and enables training when it is usable. */
export function showDataReport(report) {
  const lines = [];
  lines.push(`<p><b>${report.good_pairs}</b> good pair${report.good_pairs === 1 ? '' : 's'}` +
    (report.good_pairs ? ` (source split by ${report.source_tokens}, target by ${report.target_tokens})` : '') +
    `; ${report.refused_count} line${report.refused_count === 1 ? '' : 's'} refused.</p>`);
  if (report.refused.length) {
    lines.push('<ul class="bad">' + report.refused.map((r) => `<li>${escapeText(r.reason)}</li>`).join('') + '</ul>');
    if (report.refused_count > report.refused.length) lines.push(`<p class="bad">… and ${report.refused_count - report.refused.length} more.</p>`);
  }
  if (report.vocabulary_note) lines.push(`<p class="warn">Vocabulary: ${escapeText(report.vocabulary_note)}.</p>`);
  if (report.usable) lines.push('<p>Training on them starts a new run (the current one is replaced: save it first if you want it).</p>');
  $('own-data-report').innerHTML = lines.join('');
  $('own-data-use').disabled = !report.usable;
  $('own-data-use').textContent = report.usable ? `Train on the ${report.good_pairs} good lines` : 'Train on the good lines';
}

/**
 * The comparison panel: two models, same task and batches, validation curves overlaid.
 * `specs`: the core's control table by path (attention kinds, model kinds, sequence lengths).
 * Each side is the run's RNN with one of the attention kinds, or the Transformer (the run's
 * model settings otherwise).
 */
export function createComparison({ send, current, onError, specs }) {
  const transformer = specs['model.kind'].options.find((o) => o.value === 'transformer');
  const options = [...specs['model.attention'].options, transformer];
  fillChoices($('compare-a'), options, 'additive');
  fillChoices($('compare-b'), options, 'none');
  const lengths = specs['task.max_len'];
  for (const id of ['compare-min-len', 'compare-max-len']) {
    $(id).min = String(lengths.min);
    $(id).max = String(lengths.max);
  }
  $('compare-lengths').textContent = rangeText(lengths);
  const names = Object.fromEntries(options.map(({ value, label }) => [value, label]));
  let board = null;
  let latest = [null, null];
  const draw = () => {
    try {
      board.draw($('compare-curves'));
    } catch (e) {
      onError(`the comparison plot could not be drawn: ${e}`);
    }
  };
  $('compare-start').onclick = () => {
    const config = structuredClone(current());
    const kinds = [$('compare-a').value, $('compare-b').value];
    const base = {
      ...config,
      task: { ...config.task, kind: 'reverse', min_len: Number($('compare-min-len').value), max_len: Number($('compare-max-len').value), dataset_size: 3000 },
    };
    const models = kinds.map((choice) => (choice === 'transformer'
      ? { ...config.model, kind: 'transformer' }
      : { ...config.model, kind: 'rnn', attention: choice }));
    latest = [null, null];
    board = new ComparisonBoard(label('A'), label('B'));
    draw();
    $('compare-status').textContent = 'starting…';
    send({ type: 'compare-start', base, models });
  };
  $('compare-stop').onclick = () => send({ type: 'compare-stop' });
  const label = (run) => `${run}: ${names[$(`compare-${run.toLowerCase()}`).value]}`;
  const showEmpty = () => {
    if (latest.some(Boolean)) return;
    board = new ComparisonBoard(label('A'), label('B'));
    draw();
  };
  for (const id of ['compare-a', 'compare-b']) $(id).addEventListener('change', showEmpty);
  showEmpty();
  return {
    evaluations: [],
    onMetrics({ report, evaluations }) {
      if (evaluations) {
        evaluations.forEach((e, i) => {
          board.recordEvaluation(i, e.step, e.loss, e.token_accuracy, e.exact_accuracy);
          latest[i] = e;
        });
        this.evaluations.push(evaluations);
        draw();
      }
      const pct = (e) => (e ? `${(e.exact_accuracy * 100).toFixed(0)}%` : '–');
      $('compare-status').textContent = `step ${report.step} · exact accuracy A ${pct(latest[0])} · B ${pct(latest[1])}`;
    },
    onState({ running, error }) {
      $('compare-start').disabled = running;
      $('compare-stop').disabled = !running;
      if (error) $('compare-status').textContent = `could not start: ${error}`;
    },
  };
}

/**
 * The error browser: the validation examples with their greedy outputs and sentence chrF,
 * filterable to the wrong ones; a click decodes one with beam search in the try-it box, so its
 * attention and its beam are drawn.
 */
export function createErrorBrowser({ send }) {
  let examples = [];
  const show = () => {
    const onlyWrong = $('examples-wrong').checked;
    const shown = examples.filter((e) => !onlyWrong || !e.exact);
    const wrong = examples.filter((e) => !e.exact).length;
    $('examples-summary').textContent = examples.length
      ? `${wrong} of ${examples.length} wrong; ${shown.length} shown${shown.length > MAX_ROWS ? ` (first ${MAX_ROWS} listed)` : ''}`
      : '';
    $('examples-table').tBodies[0].replaceChildren(...shown.slice(0, MAX_ROWS).map((e) => {
      const row = document.createElement('tr');
      row.className = e.exact ? 'right' : 'wrong';
      for (const value of [e.index, e.source, e.reference, e.output || '(nothing)', e.chrf.toFixed(1)]) {
        const cell = document.createElement('td');
        cell.textContent = String(value);
        row.append(cell);
      }
      row.addEventListener('click', () => {
        $('try-strategy').value = 'beam';
        $('try-strategy').dispatchEvent(new Event('change'));
        $('try-text').value = e.source;
        $('try-run').click();
      });
      return row;
    }));
  };
  $('examples-list').onclick = () => send({ type: 'examples' });
  $('examples-wrong').addEventListener('change', show);
  return {
    get examples() { return examples; },
    show(list) {
      examples = list;
      show();
    },
  };
}
