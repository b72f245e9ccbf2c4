// The page: wires buttons to the training worker and shows what it reports. Logic lives in Rust.
import init, { controlSpecs, drawSchedule } from '../pkg/seq2seq_playground.js';
import { createPlots } from './plots.js';
import {
  configFromHash, writeHash, showConfig, clearConfigMessages, showConfigErrors, trainSettingInputs, wireControls,
  applyControlSpecs, withinSpec, refusalText, controlBeingEdited, changedConfigPaths,
} from './controls.js';
import { readAutosave, writeAutosave, discardAutosave, download, exportPng, ago } from './files.js';
import {
  wireTryIt, showTranslation, wireOwnData, showDataReport, createComparison, createErrorBrowser,
} from './experiments.js';

const $ = (id) => document.getElementById(id);
const WASM_URL = new URL('../pkg/seq2seq_playground_bg.wasm', import.meta.url);
const AUTOSAVE_EVERY_MS = 30_000;

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

function percent(x) {
  return `${(x * 100).toFixed(1)}%`;
}

function newWorker() {
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}

// Compiles the wasm once; the page (plots) and the worker (training) both instantiate it.
// index.html starts the streaming compile before this script loads.
async function compileWasm(started) {
  try {
    return await (started || WebAssembly.compileStreaming(fetch(WASM_URL)));
  } catch {
    return WebAssembly.compile(await (await fetch(WASM_URL)).arrayBuffer());
  }
}

// The plot refresh interval: `?plot-every=N` when valid, else the control's default.
function readPlotEvery(params, spec) {
  const fallback = spec.default;
  const fromQuery = params.get('plot-every');
  if (fromQuery === null) return fallback;
  if (withinSpec(spec, Number(fromQuery))) return Number(fromQuery);
  $('plot-every-message').textContent = `plot-every=${fromQuery} in the link is not ${refusalText(spec)}; using ${fallback}`;
  return fallback;
}

function taskName(config, data) {
  if (data && data.own_data) return `your data (${data.train_pairs + data.valid_pairs} pairs)`;
  const kind = config.task.kind;
  const names = { 'zh-en': 'translate Chinese to English', dates: 'convert dates to ISO', addition: 'add numbers as digit' };
  return names[kind] ?? kind;
}

const NEW_RUN_NOTICES = {
  rebuilt: 'model rebuilt: training restarts from step 0',
  'own-data': 'training on your data: a new run from step 0',
  loaded: 'run loaded: press Start to go on',
  reset: 'reset: fresh weights, press Start',
};

async function main() {
  globalThis.__seq2seqPanic = showPanic;
  const { config: linkConfig, error } = configFromHash({});
  const params = new URLSearchParams(location.search);
  const evalEvery = Number(params.get('eval-every')) || undefined;
  const evalExamples = Number(params.get('eval-examples')) || undefined;
  // The training worker (started by index.html, with the module's compilation) opens its
  // session while this thread instantiates the module for the plots; what it says meanwhile
  // waits in `early.messages` until the page is wired (the end of main).
  const early = window.__seq2seqEarly || { worker: newWorker(), messages: [], error: null };
  const workerFailed = (message) => showPanic(`the training worker failed: ${message || 'unknown error'}`);
  if (early.error) workerFailed(early.error);
  early.worker.onerror = (event) => workerFailed(event.message);
  if (!window.__seq2seqEarly) early.worker.onmessage = (event) => early.messages.push(event);
  const module = await compileWasm(early.wasm);
  // Hands a worker the module and the run to open (the fields of worker.js's 'init').
  const sendInit = (worker, run) => worker.postMessage({ type: 'init', module, evalEvery, evalExamples, ...run });
  sendInit(early.worker, { config: linkConfig, backend: params.get('backend') || 'auto' });
  const wasm = await init({ module_or_path: module });
  const controls = JSON.parse(controlSpecs());
  const specs = applyControlSpecs(controls);
  const history = [];
  const plots = createPlots({ onError: (message) => setStatus(message, 'error') });
  const app = { history, plots, plotSnapshots: 0, plotDataMs: [], worker: null, config: null, saves: 0, lastSave: null };
  window.__seq2seq = app;
  let running = false;
  let step = 0;
  const send = (message, transfer) => app.worker.postMessage(message, transfer || []);
  const current = () => app.config;

  const buttons = () => {
    $('start').disabled = running;
    $('pause').disabled = !running;
    $('step-once').disabled = running;
    $('reset').disabled = false;
    $('save').disabled = false;
  };

  // The learning-rate schedule beside its controls, the run's step marked (drawn by Rust).
  let scheduleDrawnAt = null;
  const showSchedule = (force = false) => {
    if (!app.config || (!force && scheduleDrawnAt !== null && Math.abs(step - scheduleDrawnAt) < 10)) return;
    scheduleDrawnAt = step;
    try {
      const rate = drawSchedule(JSON.stringify(app.config.train), step, $('schedule-preview'));
      $('current-rate').textContent = `rate at step ${step}: ${rate.toPrecision(3)}`;
    } catch (e) {
      setStatus(`the schedule could not be drawn: ${e}`, 'error');
    }
  };

  // `keep`: a control not to overwrite (the one being typed in).
  const showRun = (config, data, keep = null) => {
    app.config = config;
    app.data = data;
    $('task-name').textContent = taskName(config, data);
    showConfig(config, data && data.own_data ? taskName(config, data) : null, keep);
    writeHash(config);
    showSchedule(true);
  };

  const rememberSave = async ({ bytes, step: savedStep, config }) => {
    const record = { bytes, step: savedStep, task: taskName(config, app.data), savedAt: Date.now() };
    app.lastSave = record;
    app.saves += 1;
    try {
      await writeAutosave(record);
    } catch (e) {
      $('files-message').textContent = `could not autosave in this browser: ${e.message || e}`;
    }
  };

  const comparison = createComparison({ send, current, onError: (m) => setStatus(m, 'error'), specs });
  app.comparison = comparison;
  const errorBrowser = createErrorBrowser({ send });
  app.errorBrowser = errorBrowser;

  const onMessage = (event) => {
    const msg = event.data;
    switch (msg.type) {
      case 'ready':
        showBackend(msg);
        showRun(msg.config, msg.data);
        step = msg.step;
        $('step').textContent = String(step);
        if (!$('status').classList.contains('warn')) setStatus(`${speedsNotice(msg.speeds, msg.backend)}ready: press Start`);
        buttons();
        break;
      case 'backend':
        showBackend(msg);
        if (msg.error) $('backend-choice-message').textContent = msg.error;
        if (msg.step !== undefined) {
          step = msg.step;
          $('step').textContent = String(step);
        }
        buttons();
        break;
      case 'backend-speeds':
        showSpeeds(msg.speeds, msg.backend);
        setStatus(speedsNotice(msg.speeds, msg.backend));
        break;
      case 'notice':
        setStatus(msg.message, msg.level);
        break;
      case 'metrics': {
        const { report, stepsPerSecond } = msg;
        // Peak memory for the bench: the worker's (JS heap + wasm) and the page's.
        const pageBytes = (performance.memory ? performance.memory.usedJSHeapSize : 0) + wasm.memory.buffer.byteLength;
        app.peakMemoryBytes = Math.max(app.peakMemoryBytes || 0, msg.memory + pageBytes);
        // Memory per update, for the soak test: worker + page (JS heap, wasm) and the GPU's pool.
        history.push({
          step: report.last.step, loss: report.mean_loss, evaluation: null, diverged: report.last.diverged,
          memory: msg.memory + pageBytes, deviceMemory: msg.deviceMemory,
        });
        if (report.steps_done > 0) plots.recordTrain(report.last.step, report.mean_loss);
        step = report.last.step;
        $('step').textContent = step;
        showSchedule();
        if (report.steps_done > 0) $('loss').textContent = report.mean_loss.toFixed(4);
        $('steps-per-second').textContent = stepsPerSecond.toFixed(1);
        break;
      }
      case 'evaluation': {
        // The validation of the chunk whose metrics came just before.
        const { evaluation } = msg;
        const entry = history.findLast((h) => h.step === msg.step);
        if (entry) entry.evaluation = evaluation;
        plots.recordEvaluation(evaluation);
        $('accuracy').textContent = percent(evaluation.token_accuracy);
        $('exact-accuracy').textContent = percent(evaluation.exact_accuracy);
        break;
      }
      case 'plot':
        plots.setData(msg.data);
        app.lastPlotData = msg.data;
        app.plotSnapshots += 1;
        app.plotDataMs.push(msg.ms);
        break;
      case 'state': {
        const wasRunning = running;
        running = msg.running;
        if (msg.reset) {
          history.length = 0;
          plots.clear();
          for (const id of ['loss', 'accuracy', 'exact-accuracy', 'steps-per-second']) $(id).textContent = '–';
          setStatus(NEW_RUN_NOTICES[msg.why] || NEW_RUN_NOTICES.reset, msg.why === 'rebuilt' || msg.why === 'own-data' ? 'warn' : '');
        } else if (running) {
          setStatus('training…');
        } else if (!$('status').classList.contains('warn')) {
          setStatus('paused');
        }
        if (wasRunning && !running && step > 0) send({ type: 'save', reason: 'autosave' });
        buttons();
        break;
      }
      case 'run':
        // A control typed in while another's rebuild ran keeps what was typed (its change is
        // sent next), unless the new run's config changed it.
        showRun(msg.config, msg.data, controlBeingEdited(changedConfigPaths(app.config, msg.config)));
        step = msg.step;
        $('step').textContent = String(step);
        break;
      case 'error':
        setStatus(msg.message, 'error');
        running = false;
        buttons();
        break;
      case 'crosscheck':
        app.crosscheck = msg.result;
        break;
      case 'train-settings':
        for (const input of trainSettingInputs()) {
          if (input.dataset.trainSetting in msg.changes) $(`${input.id}-message`).textContent = msg.ok ? '' : msg.message;
        }
        // Another control being typed in meanwhile keeps what was typed.
        if (msg.ok) showRun(msg.config, app.data, controlBeingEdited(Object.keys(msg.changes)));
        break;
      case 'rebuilt':
        clearConfigMessages();
        if (!msg.ok) {
          // The run goes on unchanged: the control shows the value in use, the refusal beside it.
          showRun(app.config, app.data);
          showConfigErrors(msg.errors, msg.changed);
        }
        break;
      case 'examples':
        errorBrowser.show(msg.examples);
        break;
      case 'translation':
        showTranslation(msg.result, msg.text, msg.strategy);
        plots.showBeam(msg.result.beam);
        app.translation = msg.result;
        break;
      case 'data-report':
        if (msg.report) showDataReport(msg.report);
        if (msg.error && !msg.report) $('own-data-report').textContent = msg.error;
        app.dataReport = msg.report;
        break;
      case 'saved':
        rememberSave(msg);
        if (msg.reason === 'download') {
          download(new Blob([msg.bytes], { type: 'application/octet-stream' }), `seq2seq-${msg.config.task.kind}-step${msg.step}.s2s`);
        }
        break;
      case 'loaded':
        if (msg.ok) {
          $('files-message').textContent = '';
          $('resume-banner').hidden = true;
        } else {
          $('files-message').textContent = msg.message;
        }
        break;
      case 'compare-metrics':
        comparison.onMetrics(msg);
        break;
      case 'compare-state':
        comparison.onState(msg);
        if (msg.running) {
          running = false;
          buttons();
          setStatus('comparing: the main run is paused');
        } else if (/^comparing/.test($('status').textContent)) {
          setStatus('comparison stopped: Start goes on with the main run');
        }
        break;
      case 'device-lost':
        moveToCpu(msg.message);
        break;
      case 'panic':
        showPanic(msg.message);
        break;
    }
  };

  // Which backend trains, which the person can pick, and what was measured.
  const showBackend = (msg) => {
    $('backend').textContent = msg.backend === 'webgpu' ? `WebGPU · ${msg.adapter}` : `CPU · ${msg.adapter}`;
    $('backend').dataset.backend = msg.backend;
    const choice = $('backend-choice');
    choice.value = msg.backend;
    for (const option of choice.options) option.disabled = !(msg.available || ['cpu']).includes(option.value);
    choice.disabled = (msg.available || []).length < 2;
    $('backend-choice-message').textContent = '';
    if (msg.speeds) showSpeeds(msg.speeds, msg.backend);
  };
  const speedsText = (speeds) => {
    const parts = [];
    if (speeds && speeds.webgpu !== undefined) parts.push(`WebGPU ${speeds.webgpu.toFixed(1)} steps/s`);
    if (speeds && speeds.cpu !== undefined) parts.push(`CPU ${speeds.cpu.toFixed(1)} steps/s`);
    return parts.join(', ');
  };
  const backendName = (backend) => (backend === 'webgpu' ? 'WebGPU' : 'the CPU');
  // "WebGPU 0.6 steps/s, CPU 55.2 steps/s: training on the CPU. " when both were measured.
  const speedsNotice = (speeds, backend) => (speedsText(speeds) ? `${speedsText(speeds)}: training on ${backendName(backend)}. ` : '');
  const showSpeeds = (speeds, backend) => {
    const text = speedsText(speeds);
    $('backend-speeds').textContent = text ? `measured: ${text} (picked ${backendName(backend)})` : '';
    app.backendSpeeds = speeds;
  };
  $('backend-choice').addEventListener('change', () => {
    $('backend-choice-message').textContent = 'moving the run…';
    send({ type: 'switch-backend', backend: $('backend-choice').value });
  });

  // Restarts the training worker. `checkpoint`: bytes of a run to continue.
  const startWorker = ({ config, backend, checkpoint, checkpointNotice }) => {
    if (app.worker) app.worker.terminate();
    const worker = newWorker();
    app.worker = worker;
    worker.onmessage = onMessage;
    worker.onerror = (event) => workerFailed(event.message);
    const plotEvery = Number($('plot-every').value);
    sendInit(worker, { config, backend, plotEvery, checkpoint, checkpointNotice });
  };

  // The GPU went away mid-run: the same run goes on on the CPU from its last save.
  let movedToCpu = false;
  const moveToCpu = (why) => {
    if (movedToCpu) return;
    movedToCpu = true;
    running = false;
    const save = app.lastSave;
    const reason = String(why).split('\n')[0];
    const notice = save
      ? `The GPU device was lost (${reason}). Training moved to the CPU and resumed from the last save, step ${save.step}.`
      : `The GPU device was lost (${reason}). Training moved to the CPU with a fresh run (nothing was saved yet).`;
    setStatus(notice, 'warn');
    startWorker({ config: app.config, backend: 'cpu', checkpoint: save && save.bytes.slice(0), checkpointNotice: notice });
  };
  app.moveToCpu = moveToCpu;

  $('start').onclick = () => send({ type: 'start' });
  $('pause').onclick = () => send({ type: 'pause' });
  $('step-once').onclick = () => send({ type: 'step' });
  $('reset').onclick = () => send({ type: 'reset' });
  $('save').onclick = () => send({ type: 'save', reason: 'download' });
  $('load').addEventListener('change', async () => {
    const file = $('load').files[0];
    if (!file) return;
    const bytes = await file.arrayBuffer();
    send({ type: 'load', bytes, reason: 'file' }, [bytes]);
    $('load').value = '';
  });
  for (const button of document.querySelectorAll('.export-png')) {
    button.addEventListener('click', () => exportPng(button.dataset.canvas, step));
  }
  setInterval(() => { if (running) send({ type: 'save', reason: 'autosave' }); }, AUTOSAVE_EVERY_MS);
  wirePlotControls(send, plots, specs);
  wireControls({ send, current, specs });
  wireTryIt({ send, specs });
  plots.showBeam(null);
  wireOwnData({ send, limits: controls.own_data });

  if (error) setStatus(error, 'warn');
  $('plot-every').value = String(readPlotEvery(params, specs['page.plot_every']));
  // The first worker, started above: the page takes over its messages.
  app.worker = early.worker;
  app.worker.onmessage = onMessage;
  for (const event of early.messages.splice(0)) onMessage(event);
  send({ type: 'plot-every', every: Number($('plot-every').value) });
  offerResume(send);
}

// After a reload: offer the autosaved run.
async function offerResume(send) {
  const saved = await readAutosave();
  if (!saved) return;
  $('resume-when').textContent = ago(saved.savedAt);
  $('resume-what').textContent = `${saved.task}, step ${saved.step}`;
  $('resume-banner').hidden = false;
  $('resume').onclick = () => {
    const bytes = saved.bytes.slice(0);
    send({ type: 'load', bytes, reason: 'resume' }, [bytes]);
  };
  $('discard-autosave').onclick = async () => {
    await discardAutosave();
    $('resume-banner').hidden = true;
  };
}

// The plots' own controls: toggles redraw at once; the example and the refresh interval go to
// the worker, which owns the model.
function wirePlotControls(send, plots, specs) {
  const labelTop = specs['page.label_top'];
  const headsLayer = specs['page.heads_layer'];
  let headFocus = null;
  const options = () => ({
    heads: {
      kind: $('heads-kind').value,
      layer: withinSpec(headsLayer, Number($('heads-layer').value)) ? Number($('heads-layer').value) - 1 : 0,
      head: headFocus,
    },
    embedding_side: $('embedding-side').value,
    course_example: $('course-example').checked,
    loss_scale: $('log-scale').checked ? 'log' : 'linear',
    label_top: withinSpec(labelTop, Number($('embedding-top').value)) ? Number($('embedding-top').value) : labelTop.default,
    label_tokens: $('embedding-labels').value.split(/\s+/).filter(Boolean),
    search: $('embedding-search').value.trim(),
  });
  for (const id of ['embedding-side', 'course-example', 'log-scale', 'embedding-top', 'embedding-labels', 'heads-kind', 'heads-layer']) {
    $(id).addEventListener('change', () => plots.setOptions(options()));
  }
  $('embedding-top').addEventListener('change', () => {
    const ok = withinSpec(labelTop, Number($('embedding-top').value));
    $('embedding-top-message').textContent = ok ? '' : `${refusalText(labelTop)}; labelling ${labelTop.default}`;
  });
  $('embedding-search').addEventListener('input', () => plots.setOptions(options()));
  // A click on a head enlarges it; a click on the enlarged one goes back to all heads.
  plots.onHeadPick((head) => {
    headFocus = headFocus === null ? head : null;
    plots.setOptions(options());
  });
  // A click on a point of the scatter searches for its token.
  plots.onPick((token) => {
    $('embedding-search').value = token;
    plots.setOptions(options());
  });
  $('plot-every').addEventListener('change', () => {
    const every = Number($('plot-every').value);
    const ok = withinSpec(specs['page.plot_every'], every);
    $('plot-every-message').textContent = ok ? '' : `${refusalText(specs['page.plot_every'])} (steps)`;
    if (ok) send({ type: 'plot-every', every });
  });
  const sendExample = () => {
    const text = $('attention-text').value.trim();
    const index = Math.max(0, Math.floor(Number($('attention-example').value) || 0));
    send({ type: 'plot-example', example: text ? { text } : { validation: index } });
  };
  $('attention-example').addEventListener('change', () => { $('attention-text').value = ''; sendExample(); });
  $('attention-text').addEventListener('change', sendExample);
}

main().catch((e) => showPanic(`the page could not start: ${e && e.message ? e.message : e}`));
