// The training worker: owns the wasm Session, so training never blocks the page.
// Messages in:  {type: 'init', module, config, backend, evalEvery, evalExamples, plotEvery},
//               {type: 'start'}, {type: 'pause'}, {type: 'step'}, {type: 'reset'},
//               {type: 'crosscheck', steps, sgd}, {type: 'plot-every', every},
//               {type: 'plot-example', example: {validation: n} | {text: '...'}},
//               {type: 'train-settings', changes: {learning_rate: 0.001, ...}},
//               {type: 'steps-per-frame', steps}  (0 = auto),
//               {type: 'rebuild', config, keepOwnData}, {type: 'translate', text, strategy},
//               {type: 'check-data', bytes}, {type: 'own-data'} (trains on the last checked bytes),
//               {type: 'examples'} (the validation examples for the error browser),
//               {type: 'validation-strategy', strategy} (greedy or beam search for validation),
//               {type: 'save', reason}, {type: 'load', bytes, reason},
//               {type: 'compare-start', base, models: [a, b]}, {type: 'compare-stop'},
//               {type: 'switch-backend', backend: 'cpu' | 'webgpu'} (moves the run, progress kept),
//               {type: 'lose-device'} (tests: destroys the WebGPU device as a driver reset would)
// Messages out: {type: 'ready' | 'notice' | 'metrics' | 'evaluation' | 'plot' | 'state' | 'crosscheck' | 'error' | 'panic'
//               | 'train-settings' | 'rebuilt' | 'translation' | 'examples' | 'data-report' | 'saved' | 'loaded'
//               | 'compare-metrics' | 'compare-state' | 'device-lost' | 'backend' | 'backend-speeds', ...}
import init, { Session, checkDataset } from '../pkg/seq2seq_playground.js';

const ADAPTER_TIMEOUT_MS = 5000;
const DEVICE_TIMEOUT_MS = 30000;
const TARGET_CHUNK_MS = 150;
// Measuring a backend: one warm-up step (shaders compiled, buffers allocated), then chunks of
// MEASURE_CHUNK steps (one read back each, as training does) for at least MEASURE_MS.
const MEASURE_CHUNK = 5;
const MEASURE_MS = 1500;

let session = null;
let checkedData = null;       // the own-data bytes last checked: 'own-data' trains on them
let running = false;
let looping = false;
let stepsPerChunk = 1;
let lastEvalStep = -Infinity;
let evalEvery = 25;
let evalExamples = 200;
let plotEvery = 20;          // steps between plot snapshots; 0 turns the plots off
let lastPlotStep = -Infinity;
let plotExample = { validation: 0 };
let validationStrategy = { kind: 'greedy' }; // how validation decodes (greedy or beam search)
let speed = [];  // recent {steps, ms}
let fixedStepsPerChunk = 0;  // 0 = adapt the chunk to about TARGET_CHUNK_MS
let backendInUse = null;
let backendChoice = 'auto';  // 'auto' (measured), or the one the link or the person forced
let webgpuAdapter = null;    // description of the WebGPU adapter when there is one
let speeds = {};             // measured steps/s per backend
let comparison = null;       // {session, running}
let gpuDevice = null;        // the WebGPU device burn opened (for the device-lost watch)
let deviceLost = false;
let wasm = null;             // the module's exports (its memory is measured for the bench)

// JS heap (where the browser tells) + this worker's wasm memory, in bytes.
function memoryBytes() {
  const js = globalThis.performance && performance.memory ? performance.memory.usedJSHeapSize : 0;
  return js + (wasm ? wasm.memory.buffer.byteLength : 0);
}

// A panic right after the GPU device was lost is that loss surfacing, not a bug: report the
// loss (the page moves to the CPU) instead of the panic.
// The wasm trap that follows a panic, or a GPU call failing on a lost device, surfaces here as an
// uncaught error: it is reported the same way (the page's Worker.onerror stays for load failures).
const LOST_GRACE_MS = 200;  // the device's lost promise may settle just after the first failure
globalThis.__seq2seqPanic = (message) => {
  setTimeout(() => postMessage(deviceLost ? { type: 'device-lost', message } : { type: 'panic', message }), LOST_GRACE_MS);
};
const reportUncaught = (message) => {
  setTimeout(() => postMessage(deviceLost
    ? { type: 'device-lost', message }
    : { type: 'panic', message: `the training worker failed: ${message}` }), LOST_GRACE_MS);
};
addEventListener('error', (event) => {
  event.preventDefault();
  reportUncaught(event.message || String(event.error));
});
addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  reportUncaught(String((event.reason && event.reason.message) || event.reason));
});

// Watches the WebGPU device burn asks for: if it is lost mid-run (driver reset, GPU removed),
// training stops and the page continues on the CPU from the last save.
if (globalThis.GPUAdapter) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    gpuDevice = device;
    device.lost.then((info) => {
      if (gpuDevice !== device || backendInUse !== 'webgpu') return;
      deviceLost = true;
      running = false;
      postMessage({ type: 'device-lost', message: info.message || info.reason || 'the GPU device was lost' });
    });
    return device;
  };
}

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

// Opens the run's session: on the CPU, on WebGPU, or ('auto') on whichever of the two trains
// faster here, measured.
async function openSession(config, wanted) {
  const configJson = JSON.stringify(config);
  if (wanted !== 'cpu') {
    const { adapter, why } = await findAdapter();
    if (adapter) {
      try {
        const s = await withTimeout(Session.create(configJson, 'webgpu'), DEVICE_TIMEOUT_MS, 'WebGPU device');
        webgpuAdapter = describeAdapter(adapter);
        if (wanted === 'webgpu') return { session: s, backend: 'webgpu', adapter: webgpuAdapter };
        return await fasterOf(s, await Session.create(configJson, 'cpu'));
      } catch (e) {
        if (isConfigError(e)) throw e;
        postMessage({ type: 'notice', level: 'warn', message: `WebGPU failed (${errorText(e)}); training on the CPU instead.` });
      }
    } else {
      postMessage({ type: 'notice', level: 'warn', message: `No WebGPU: ${why}. Training on the CPU instead (slower).` });
    }
  }
  const s = await Session.create(configJson, 'cpu');
  return { session: s, backend: 'cpu', adapter: CPU_ADAPTER };
}

const CPU_ADAPTER = 'WebAssembly on the CPU (burn flex)';

// Training steps/s of a session: one warm-up step, then whole chunks for MEASURE_MS.
async function measureSpeed(s) {
  await s.train(1);
  let steps = 0;
  const t0 = performance.now();
  do {
    steps += JSON.parse(await s.train(MEASURE_CHUNK)).steps_done;
  } while (performance.now() - t0 < MEASURE_MS);
  return (steps * 1000) / (performance.now() - t0);
}

// Measures both sessions (same config), keeps the faster one reset to step 0, frees the other,
// and says what it found (the page words it).
async function fasterOf(webgpu, cpu) {
  postMessage({ type: 'notice', message: 'measuring WebGPU and the CPU on a few training steps…' });
  speeds = { webgpu: await measureSpeed(webgpu), cpu: await measureSpeed(cpu) };
  const backend = speeds.webgpu > speeds.cpu ? 'webgpu' : 'cpu';
  const [kept, dropped] = backend === 'webgpu' ? [webgpu, cpu] : [cpu, webgpu];
  dropped.free();
  kept.reset();
  postMessage({ type: 'backend-speeds', speeds, backend });
  return { session: kept, backend, adapter: adapterOf(backend) };
}

function adapterOf(backend) {
  return backend === 'webgpu' ? webgpuAdapter : CPU_ADAPTER;
}

// Tells the page which backend trains now and which it may pick.
function postBackend(extra = {}) {
  postMessage({ type: 'backend', backend: backendInUse, adapter: adapterOf(backendInUse), available: availableBackends(), ...extra });
}

// After a rebuild on 'auto' with both backends at hand: measure the new model on both and move
// to the faster one.
async function rechooseBackend() {
  if (backendChoice !== 'auto' || !webgpuAdapter) return;
  const other = backendInUse === 'webgpu' ? 'cpu' : 'webgpu';
  const probe = await session.movedTo(other);
  const [webgpu, cpu] = other === 'webgpu' ? [probe, session] : [session, probe];
  const chosen = await fasterOf(webgpu, cpu);
  session = chosen.session;
  backendInUse = chosen.backend;
  postBackend();
}

function availableBackends() {
  return webgpuAdapter ? ['cpu', 'webgpu'] : ['cpu'];
}

// Moves the run (weights, optimiser state, batch position, step) to the other backend.
async function switchBackend(backend) {
  if (backend === backendInUse) return;
  if (backend === 'webgpu' && !webgpuAdapter) throw new Error('this browser gave no WebGPU adapter');
  const wasRunning = running;
  await stopLoop();
  const moved = await serial(() => session.movedTo(backend));
  session.free();
  session = moved;
  backendInUse = backend;
  backendChoice = backend;
  speed = [];
  postBackend({ step: session.step });
  if (wasRunning) {
    running = true;
    postMessage({ type: 'state', running });
    loop();
  }
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

// An error from the session: a failed read on WebGPU means the device is gone (the page moves the
// run to the CPU); anything else is shown as it is.
function reportError(e) {
  const message = errorText(e);
  if (backendInUse === 'webgpu' && /was the GPU device lost/.test(message)) {
    deviceLost = true;
    running = false;
    postMessage({ type: 'device-lost', message });
    return;
  }
  postMessage({ type: 'error', message });
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
  const step = report.last.step;
  // The chunk's figures go out before its validation, which can take longer than the chunk (the
  // first one on WebGPU creates the decoding kernels' pipelines): the step counter moves at once.
  postMessage({ type: 'metrics', report, stepsPerSecond: stepsPerSecond(), memory: memoryBytes(), deviceMemory: JSON.parse(session.deviceMemory()) });
  if (step - lastEvalStep >= evalEvery || !running) {
    const evaluation = JSON.parse(await serial(() => session.evaluate(evalExamples, JSON.stringify(validationStrategy))));
    lastEvalStep = step;
    postMessage({ type: 'evaluation', step, evaluation });
  }
  if (plotEvery > 0 && (step - lastPlotStep >= plotEvery || !running)) await sendPlotData(step);
  if (report.last.diverged) {
    running = false;
    postMessage({
      type: 'notice', level: 'warn',
      message: `The loss blew up (${report.last.loss}) at step ${step + 1}: training paused and the last good weights were kept. Try a lower learning rate or gradient clipping.`,
    });
    postMessage({ type: 'state', running });
  }
  // Aim for chunks of about TARGET_CHUNK_MS so metrics arrive often, unless the person fixed it.
  const perStep = ms / Math.max(1, steps);
  stepsPerChunk = fixedStepsPerChunk
    || Math.max(1, Math.min(50, Math.round(TARGET_CHUNK_MS / Math.max(perStep, 0.1))));
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
    while (running && !deviceLost) {
      await trainChunk(stepsPerChunk);
      await new Promise((r) => setTimeout(r, 0)); // let pause/step messages in
    }
  } catch (e) {
    running = false;
    reportError(e);
    postMessage({ type: 'state', running });
  } finally {
    looping = false;
  }
}

// Shows `example` in the attention plot: at once when paused, else with the next chunk.
async function showExample(example) {
  plotExample = example;
  if (!looping) await sendPlotData();
  else lastPlotStep = -Infinity;
}

// Stops the training loop and waits for the chunk in flight.
async function stopLoop() {
  running = false;
  while (looping) await new Promise((r) => setTimeout(r, 5));
}

// After the session was replaced (rebuilt, own data, loaded): fresh counters, fresh plots.
async function announceNewRun(extra) {
  lastEvalStep = -Infinity;
  lastPlotStep = -Infinity;
  speed = [];
  postMessage({ type: 'state', running, reset: true, ...extra });
  postMessage({ type: 'run', config: JSON.parse(session.configJson()), data: JSON.parse(session.dataInfo()), step: session.step });
  await sendPlotData(session.step);
}

async function compareLoop() {
  const evalEvery = 25;
  let lastEval = -Infinity;
  const me = comparison;
  try {
    while (comparison === me && me.running) {
      const report = JSON.parse(await serial(() => me.session.train(5)));
      let evaluations = null;
      if (report.step - lastEval >= evalEvery) {
        evaluations = JSON.parse(await serial(() => me.session.evaluate(evalExamples)));
        lastEval = report.step;
      }
      postMessage({ type: 'compare-metrics', report, evaluations });
      if (report.diverged.some(Boolean)) {
        me.running = false;
        postMessage({ type: 'notice', level: 'warn', message: 'a compared run diverged: comparison stopped' });
      }
      await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    reportError(e);
  }
  postMessage({ type: 'compare-state', running: false });
}

async function stopComparison() {
  if (!comparison) return;
  comparison.running = false;
  await serial(() => {});
}

onmessage = async (event) => {
  const msg = event.data;
  try {
    switch (msg.type) {
      case 'init': {
        wasm = await init(msg.module ? { module_or_path: msg.module } : undefined);
        backendChoice = msg.backend || 'auto';
        const opened = await openSession(msg.config, backendChoice);
        session = opened.session;
        backendInUse = opened.backend;
        if (msg.checkpoint) {
          await serial(() => session.load(new Uint8Array(msg.checkpoint)));
          postMessage({ type: 'notice', level: 'warn', message: msg.checkpointNotice || `resumed at step ${session.step}` });
        }
        evalEvery = msg.evalEvery || evalEvery;
        evalExamples = msg.evalExamples || evalExamples;
        if (Number.isFinite(msg.plotEvery)) plotEvery = msg.plotEvery;
        postMessage({
          type: 'ready', backend: opened.backend, adapter: opened.adapter, available: availableBackends(), speeds,
          config: JSON.parse(session.configJson()),
          data: JSON.parse(session.dataInfo()), step: session.step,
        });
        await sendPlotData(session.step);
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
      case 'steps-per-frame':
        fixedStepsPerChunk = Math.max(0, Math.min(200, Math.floor(msg.steps)));
        if (fixedStepsPerChunk) stepsPerChunk = fixedStepsPerChunk;
        break;
      case 'rebuild':
        try {
          await stopLoop();
          await serial(() => session.rebuild(JSON.stringify(msg.config), Boolean(msg.keepOwnData)));
          postMessage({ type: 'rebuilt', ok: true, changed: msg.changed });
          await serial(rechooseBackend);
          await announceNewRun({ why: 'rebuilt' });
        } catch (e) {
          postMessage({ type: 'rebuilt', ok: false, changed: msg.changed, errors: isConfigError(e) ? JSON.parse(e) : [{ field: msg.changed, value: '', reason: errorText(e) }] });
        }
        break;
      case 'translate': {
        const result = JSON.parse(await serial(() => session.translate(msg.text, JSON.stringify(msg.strategy || { kind: 'greedy' }), msg.maxLen)));
        postMessage({ type: 'translation', text: msg.text, strategy: msg.strategy, result });
        await showExample(msg.strategy ? { decoded: { text: msg.text, strategy: msg.strategy } } : { text: msg.text });
        break;
      }
      case 'examples': {
        const examples = JSON.parse(await serial(() => session.validationExamples(10000)));
        postMessage({ type: 'examples', examples });
        break;
      }
      case 'check-data':
        checkedData = new Uint8Array(msg.bytes);
        postMessage({ type: 'data-report', report: JSON.parse(checkDataset(checkedData)) });
        break;
      case 'own-data':
        await stopLoop();
        try {
          if (!checkedData) throw new Error('check the data first');
          await serial(() => session.useOwnData(checkedData));
          await announceNewRun({ why: 'own-data' });
        } catch (e) {
          postMessage({ type: 'data-report', report: typeof e === 'string' && e.startsWith('{') ? JSON.parse(e) : null, error: errorText(e) });
        }
        break;
      case 'save': {
        const bytes = await serial(() => session.save());
        postMessage({ type: 'saved', reason: msg.reason, bytes: bytes.buffer, step: session.step, config: JSON.parse(session.configJson()) }, [bytes.buffer]);
        break;
      }
      case 'load':
        await stopLoop();
        try {
          await serial(() => session.load(new Uint8Array(msg.bytes)));
          postMessage({ type: 'loaded', ok: true, reason: msg.reason, step: session.step });
          await announceNewRun({ why: 'loaded' });
        } catch (e) {
          postMessage({ type: 'loaded', ok: false, reason: msg.reason, message: errorText(e) });
        }
        break;
      case 'compare-start': {
        await stopLoop();
        postMessage({ type: 'state', running });
        await stopComparison();
        try {
          const created = await serial(() => session.compare(JSON.stringify(msg.base), JSON.stringify(msg.models[0]), JSON.stringify(msg.models[1])));
          comparison = { session: created, running: true };
          postMessage({ type: 'compare-state', running: true });
          compareLoop();
        } catch (e) {
          postMessage({ type: 'compare-state', running: false, error: errorText(e) });
        }
        break;
      }
      case 'compare-stop':
        await stopComparison();
        break;
      case 'switch-backend':
        try {
          await switchBackend(msg.backend);
        } catch (e) {
          postBackend({ error: errorText(e) });
        }
        break;
      case 'lose-device':
        if (gpuDevice) gpuDevice.destroy();
        break;
      case 'plot-every':
        plotEvery = Math.max(0, Math.floor(msg.every));
        break;
      case 'validation-strategy':
        validationStrategy = msg.strategy;
        break;
      case 'plot-example':
        await showExample(msg.example);
        break;
      case 'start':
        await stopComparison();
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
        postMessage({ type: 'crosscheck', result: JSON.parse(await serial(() => session.crosscheck(msg.steps || 2, msg.sgd === true))) });
        break;
      case 'reset':
        await stopLoop();
        await serial(() => session.reset());
        await announceNewRun({ why: 'reset' });
        break;
    }
  } catch (e) {
    reportError(e);
  }
};
