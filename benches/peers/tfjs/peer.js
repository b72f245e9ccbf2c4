// The peer page's API for the bench (window.peer): pick a TF.js backend, load the same data as
// the playground (written by `seq2seq-playground dataset`), train and validate.
import { createTrainer } from './seq2seq.js';

const tf = globalThis.tf;
// Steps between two reads of the loss: the playground's page reads its metrics once per 10 steps
// (Session.train, STEPS_PER_READ), so the peer does the same.
const READ_EVERY = 10;
const params = new URLSearchParams(location.search);
let trainer = null;
let peakBytes = 0;

function memoryBytes() {
  const js = performance.memory ? performance.memory.usedJSHeapSize : 0;
  const backend = tf.backend();
  const wasmHeap = backend && backend.wasm && backend.wasm.HEAPU8 ? backend.wasm.HEAPU8.length : 0;
  return js + wasmHeap;
}

// `steps` steps, then one read of their losses; resolves to the last loss.
async function chunk(steps) {
  const losses = [];
  for (let i = 0; i < steps; i++) losses.push(trainer.step());
  const stacked = tf.stack(losses);
  const values = await stacked.data();
  stacked.dispose();
  losses.forEach((t) => t.dispose());
  return values[values.length - 1];
}

window.peer = {
  /** Selects `backend` (webgpu, webgl, wasm, cpu) and builds the model on it. */
  async setup(backend) {
    if (backend === 'wasm') {
      tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
    }
    const ok = await tf.setBackend(backend);
    await tf.ready();
    if (!ok || tf.getBackend() !== backend) throw new Error(`TF.js backend ${backend} is not available here`);
    const data = await (await fetch(params.get('data') || 'data.json')).json();
    trainer = createTrainer(data);
    document.getElementById('status').textContent = `ready on ${backend}`;
    return { backend: tf.getBackend(), trainPairs: data.train.length, validPairs: data.valid.length };
  },
  /** Trains for about `ms` milliseconds, in chunks of READ_EVERY steps with one read each. */
  async trainFor(ms) {
    // The first sample is the start: a backend slower than one chunk per window still gets a rate.
    const samples = [{ t: performance.now(), step: trainer.steps }];
    const end = performance.now() + ms;
    let loss = NaN;
    while (performance.now() < end) {
      loss = await chunk(READ_EVERY);
      samples.push({ t: performance.now(), step: trainer.steps });
      peakBytes = Math.max(peakBytes, memoryBytes());
    }
    return { samples, loss, step: trainer.steps };
  },
  /** Trains `steps` steps (reading the loss once per READ_EVERY steps). */
  async train(steps) {
    let loss = NaN;
    for (let done = 0; done < steps; done += READ_EVERY) loss = await chunk(Math.min(READ_EVERY, steps - done));
    peakBytes = Math.max(peakBytes, memoryBytes());
    return { loss, step: trainer.steps };
  },
  /** Greedy decoding of the validation pairs. */
  evaluate() {
    return trainer.evaluate();
  },
  /** Peak JS heap + wasm heap seen so far (GPU buffers are not counted, on either side). */
  peakBytes() {
    return Math.max(peakBytes, memoryBytes());
  },
};
window.peerReady = true;
