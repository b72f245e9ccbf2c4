// The page: wires buttons to the training worker and shows what it reports. Logic lives in Rust.
import init from '../pkg/seq2seq_playground.js';
import { createPlots } from './plots.js';

const $ = (id) => document.getElementById(id);
const WASM_URL = new URL('../pkg/seq2seq_playground_bg.wasm', import.meta.url);

const DEFAULT_CONFIG = {};

function configFromHash() {
  const match = location.hash.match(/config=([^&]*)/);
  if (!match) return { config: DEFAULT_CONFIG };
  try {
    return { config: JSON.parse(decodeURIComponent(match[1])) };
  } catch (e) {
    return { config: DEFAULT_CONFIG, error: `the config in the link is not valid JSON (${e.message}); using the defaults` };
  }
}

function setStatus(text, level = '') {
  const status = $('status');
  status.textContent = text;
  status.className = level;
}

function showPanic(message) {
  setStatus(`${message}\nThis is a bug; reload the page to start again.`, 'error');
  for (const id of ['start', 'pause', 'step-once', 'reset']) $(id).disabled = true;
  window.__seq2seqPanicked = message;
}

// The controls of the settings that apply between steps (data-train-setting = the field name).
function trainSettingInputs() {
  return [...document.querySelectorAll('[data-train-setting]')];
}

function showTrainSettings(config) {
  for (const input of trainSettingInputs()) input.value = String(config.train[input.dataset.trainSetting]);
}

function percent(x) {
  return `${(x * 100).toFixed(1)}%`;
}

// Compiles the wasm once; the page (plots) and the worker (training) both instantiate it.
async function compileWasm() {
  try {
    return await WebAssembly.compileStreaming(fetch(WASM_URL));
  } catch {
    return WebAssembly.compile(await (await fetch(WASM_URL)).arrayBuffer());
  }
}

const validPlotEvery = (n) => Number.isInteger(n) && n >= 0 && n <= 10000;

// The plot refresh interval: `?plot-every=N` when valid, else the control's default.
function readPlotEvery(params) {
  const fallback = Number($('plot-every').value);
  const fromQuery = params.get('plot-every');
  if (fromQuery === null) return fallback;
  if (validPlotEvery(Number(fromQuery))) return Number(fromQuery);
  $('plot-every-message').textContent = `plot-every=${fromQuery} in the link is not a whole number from 0 to 10000; using ${fallback}`;
  return fallback;
}

async function main() {
  globalThis.__seq2seqPanic = showPanic;
  const { config, error } = configFromHash();
  const params = new URLSearchParams(location.search);
  const backend = params.get('backend') || 'auto';
  const evalEvery = Number(params.get('eval-every')) || undefined;
  const evalExamples = Number(params.get('eval-examples')) || undefined;
  const module = await compileWasm();
  await init({ module_or_path: module });
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const history = [];
  const plots = createPlots({ onError: (message) => setStatus(message, 'error') });
  window.__seq2seq = { history, worker, plots, plotSnapshots: 0, plotDataMs: [] };
  let running = false;

  const buttons = () => {
    $('start').disabled = running;
    $('pause').disabled = !running;
    $('step-once').disabled = running;
    $('reset').disabled = false;
  };

  worker.onmessage = (event) => {
    const msg = event.data;
    switch (msg.type) {
      case 'ready':
        $('backend').textContent = msg.backend === 'webgpu' ? `WebGPU · ${msg.adapter}` : `CPU · ${msg.adapter}`;
        $('backend').dataset.backend = msg.backend;
        $('task-name').textContent = msg.config.task.kind;
        showTrainSettings(msg.config);
        window.__seq2seq.config = msg.config;
        if (!$('status').classList.contains('warn')) setStatus('ready: press Start');
        buttons();
        break;
      case 'notice':
        setStatus(msg.message, msg.level);
        break;
      case 'metrics': {
        const { report, evaluation, stepsPerSecond } = msg;
        history.push({ step: report.last.step, loss: report.mean_loss, evaluation });
        if (report.steps_done > 0) plots.recordTrain(report.last.step, report.mean_loss);
        if (evaluation) plots.recordEvaluation(evaluation);
        $('step').textContent = report.last.step;
        $('loss').textContent = report.mean_loss.toFixed(4);
        if (evaluation) {
          $('accuracy').textContent = percent(evaluation.token_accuracy);
          $('exact-accuracy').textContent = percent(evaluation.exact_accuracy);
        }
        $('steps-per-second').textContent = stepsPerSecond.toFixed(1);
        break;
      }
      case 'plot':
        plots.setData(msg.data);
        window.__seq2seq.plotSnapshots += 1;
        window.__seq2seq.plotDataMs.push(msg.ms);
        break;
      case 'state':
        running = msg.running;
        if (msg.reset) {
          history.length = 0;
          plots.clear();
          for (const id of ['loss', 'accuracy', 'exact-accuracy', 'steps-per-second']) $(id).textContent = '–';
          $('step').textContent = '0';
          setStatus('reset: fresh weights, press Start');
        } else if (running) {
          setStatus('training…');
        } else if (!$('status').classList.contains('warn')) {
          setStatus('paused');
        }
        buttons();
        break;
      case 'error':
        setStatus(msg.message, 'error');
        running = false;
        buttons();
        break;
      case 'crosscheck':
        window.__seq2seq.crosscheck = msg.result;
        break;
      case 'train-settings':
        for (const input of trainSettingInputs()) {
          if (input.dataset.trainSetting in msg.changes) $(`${input.id}-message`).textContent = msg.ok ? '' : msg.message;
        }
        if (msg.ok) {
          window.__seq2seq.config = msg.config;
          showTrainSettings(msg.config);
        }
        break;
      case 'panic':
        showPanic(msg.message);
        break;
    }
  };
  worker.onerror = (event) => showPanic(`the training worker failed: ${event.message || 'unknown error'}`);

  $('start').onclick = () => worker.postMessage({ type: 'start' });
  $('pause').onclick = () => worker.postMessage({ type: 'pause' });
  $('step-once').onclick = () => worker.postMessage({ type: 'step' });
  $('reset').onclick = () => worker.postMessage({ type: 'reset' });
  wirePlotControls(worker, plots);
  // Applied between steps; the Rust core validates and answers (a refusal shows beside it).
  for (const input of trainSettingInputs()) {
    input.addEventListener('change', () => {
      const value = input.value === '' ? null : Number(input.value);
      worker.postMessage({ type: 'train-settings', changes: { [input.dataset.trainSetting]: value } });
    });
  }

  if (error) setStatus(error, 'warn');
  const plotEvery = readPlotEvery(params);
  $('plot-every').value = String(plotEvery);
  worker.postMessage({ type: 'init', module, config, backend, evalEvery, evalExamples, plotEvery });
}

// The plots' own controls: toggles redraw at once; the example and the refresh interval go to
// the worker, which owns the model.
function wirePlotControls(worker, plots) {
  const options = () => ({
    embedding_side: $('embedding-side').value,
    course_example: $('course-example').checked,
    loss_scale: $('log-scale').checked ? 'log' : 'linear',
  });
  for (const id of ['embedding-side', 'course-example', 'log-scale']) {
    $(id).addEventListener('change', () => plots.setOptions(options()));
  }
  $('plot-every').addEventListener('change', () => {
    const every = Number($('plot-every').value);
    const ok = validPlotEvery(every);
    $('plot-every-message').textContent = ok ? '' : 'a whole number of steps from 0 (off) to 10000';
    if (ok) worker.postMessage({ type: 'plot-every', every });
  });
  const sendExample = () => {
    const text = $('attention-text').value.trim();
    const index = Math.max(0, Math.floor(Number($('attention-example').value) || 0));
    worker.postMessage({ type: 'plot-example', example: text ? { text } : { validation: index } });
  };
  $('attention-example').addEventListener('change', () => { $('attention-text').value = ''; sendExample(); });
  $('attention-text').addEventListener('change', sendExample);
}

main().catch((e) => showPanic(`the page could not start: ${e && e.message ? e.message : e}`));
