// The training worker: owns the wasm Session, so training never blocks the page.
// Messages in:  {type: 'init', module, config, backend, evalEvery, evalExamples, plotEvery},
//               {type: 'start'}, {type: 'pause'}, {type: 'step'}, {type: 'reset'},
//               {type: 'crosscheck', steps}, {type: 'plot-every', every},
//               {type: 'plot-example', example: {validation: n} | {text: '...'}},
//               {type: 'train-settings', changes: {learning_rate: 0.001, ...}}
// Messages out: {type: 'ready' | 'notice' | 'metrics' | 'plot' | 'state' | 'crosscheck' | 'error' | 'panic', ...}
import init, { Session } from '../pkg/seq2seq_playground.js';

const ADAPTER_TIMEOUT_MS = 5000;
const DEVICE_TIMEOUT_MS = 30000;
const TARGET_CHUNK_MS = 150;

let session = null;
let running = false;
let looping = false;
let stepsPerChunk = 1;
let lastEvalStep = -Infinity;
let evalEvery = 25;
let evalExamples = 200;
let plotEvery = 20;          // steps between plot snapshots; 0 turns the plots off
let lastPlotStep = -Infinity;
let plotExample = { validation: 0 };
let speed = [];  // recent {steps, ms}

globalThis.__seq2seqPanic = (message) => postMessage({ type: 'panic', message });

// Every call into the session goes through this queue, one at a time: an async call (a step
// awaiting the GPU, a plot snapshot) holds the session until it resolves, and a second call
// arriving meanwhile (a click on Start while the first snapshot is read) must wait, not fail.
let queue = Promise.resolve();
function serial(call) {
  const result = queue.then(call);
  queue = result.catch(() => {});
  return result;
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)),
  ]);
}

async function findAdapter() {
  if (!('gpu' in navigator)) return { adapter: null, why: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await withTimeout(navigator.gpu.requestAdapter(), ADAPTER_TIMEOUT_MS, 'requestAdapter');
    if (!adapter) return { adapter: null, why: 'WebGPU gave no adapter (disabled, or no usable GPU)' };
    return { adapter };
  } catch (e) {
    return { adapter: null, why: String(e.message || e) };
  }
}

function describeAdapter(adapter) {
  const info = adapter.info || {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
  let text = parts.length ? parts.join(' ') : 'unnamed adapter';
  if (info.isFallbackAdapter || adapter.isFallbackAdapter) text += ' (software fallback)';
  return text;
}

async function openSession(config, wanted) {
  const configJson = JSON.stringify(config);
  if (wanted !== 'cpu') {
    const { adapter, why } = await findAdapter();
    if (adapter) {
      try {
        const s = await withTimeout(Session.create(configJson, 'webgpu'), DEVICE_TIMEOUT_MS, 'WebGPU device');
        return { session: s, backend: 'webgpu', adapter: describeAdapter(adapter) };
      } catch (e) {
        if (isConfigError(e)) throw e;
        postMessage({ type: 'notice', level: 'warn', message: `WebGPU failed (${errorText(e)}); training on the CPU instead.` });
      }
    } else {
      postMessage({ type: 'notice', level: 'warn', message: `No WebGPU: ${why}. Training on the CPU instead (slower).` });
    }
  }
  const s = await Session.create(configJson, 'cpu');
  return { session: s, backend: 'cpu', adapter: 'WebAssembly on the CPU (burn flex)' };
}

function isConfigError(e) {
  return typeof e === 'string' && e.startsWith('[');
}

function errorText(e) {
  if (isConfigError(e)) {
    return JSON.parse(e).map((x) => `${x.field} = ${x.value}: ${x.reason}`).join('; ');
  }
  return String((e && e.message) || e);
}

function stepsPerSecond() {
  const steps = speed.reduce((a, s) => a + s.steps, 0);
  const ms = speed.reduce((a, s) => a + s.ms, 0);
  return ms > 0 ? (steps * 1000) / ms : 0;
}

async function trainChunk(steps) {
  const t0 = performance.now();
  const report = JSON.parse(await serial(() => session.train(steps)));
  const ms = performance.now() - t0;
  speed.push({ steps: report.steps_done, ms });
  if (speed.length > 8) speed.shift();
  let evaluation = null;
  const step = report.last.step;
  if (step - lastEvalStep >= evalEvery || !running) {
    evaluation = JSON.parse(await serial(() => session.evaluate(evalExamples)));
    lastEvalStep = step;
  }
  postMessage({ type: 'metrics', report, evaluation, stepsPerSecond: stepsPerSecond() });
  if (plotEvery > 0 && (step - lastPlotStep >= plotEvery || !running)) await sendPlotData(step);
  if (report.last.diverged) {
    running = false;
    postMessage({
      type: 'notice', level: 'warn',
      message: `The loss blew up (${report.last.loss}) at step ${step + 1}: training paused and the last good weights were kept. Try a lower learning rate or gradient clipping.`,
    });
    postMessage({ type: 'state', running });
  }
  // Aim for chunks of about TARGET_CHUNK_MS so metrics arrive often.
  const perStep = ms / Math.max(1, steps);
  stepsPerChunk = Math.max(1, Math.min(50, Math.round(TARGET_CHUNK_MS / Math.max(perStep, 0.1))));
}

// Reads a snapshot of the model's insides for the plots and hands it to the page; `atStep` is
// the step it shows (snapshots are spaced `plotEvery` steps apart from it).
async function sendPlotData(atStep = lastPlotStep) {
  const t0 = performance.now();
  const data = await serial(() => session.plotData(JSON.stringify(plotExample)));
  lastPlotStep = atStep;
  postMessage({ type: 'plot', data, ms: performance.now() - t0 });
}

async function loop() {
  if (looping) return;
  looping = true;
  try {
    while (running) {
      await trainChunk(stepsPerChunk);
      await new Promise((r) => setTimeout(r, 0)); // let pause/step messages in
    }
  } catch (e) {
    running = false;
    postMessage({ type: 'error', message: errorText(e) });
    postMessage({ type: 'state', running });
  } finally {
    looping = false;
  }
}

onmessage = async (event) => {
  const msg = event.data;
  try {
    switch (msg.type) {
      case 'init': {
        await init(msg.module ? { module_or_path: msg.module } : undefined);
        const opened = await openSession(msg.config, msg.backend);
        session = opened.session;
        evalEvery = msg.evalEvery || evalEvery;
        evalExamples = msg.evalExamples || evalExamples;
        if (Number.isFinite(msg.plotEvery)) plotEvery = msg.plotEvery;
        postMessage({ type: 'ready', backend: opened.backend, adapter: opened.adapter, config: JSON.parse(session.configJson()) });
        await sendPlotData(0);
        break;
      }
      case 'train-settings':
        try {
          await serial(() => session.updateTrainSettings(JSON.stringify(msg.changes)));
          postMessage({ type: 'train-settings', ok: true, changes: msg.changes, config: JSON.parse(session.configJson()) });
        } catch (e) {
          postMessage({ type: 'train-settings', ok: false, changes: msg.changes, message: errorText(e) });
        }
        break;
      case 'plot-every':
        plotEvery = Math.max(0, Math.floor(msg.every));
        break;
      case 'plot-example':
        plotExample = msg.example;
        if (!looping) await sendPlotData();
        else lastPlotStep = -Infinity;
        break;
      case 'start':
        running = true;
        postMessage({ type: 'state', running });
        loop();
        break;
      case 'pause':
        running = false;
        postMessage({ type: 'state', running });
        break;
      case 'step':
        if (!running && !looping) await trainChunk(1);
        break;
      case 'crosscheck':
        postMessage({ type: 'crosscheck', result: JSON.parse(await serial(() => session.crosscheck(msg.steps || 2))) });
        break;
      case 'reset':
        running = false;
        while (looping) await new Promise((r) => setTimeout(r, 5));
        await serial(() => session.reset());
        lastEvalStep = -Infinity;
        lastPlotStep = -Infinity;
        speed = [];
        postMessage({ type: 'state', running, reset: true });
        await sendPlotData(0);
        break;
    }
  } catch (e) {
    postMessage({ type: 'error', message: errorText(e) });
  }
};
