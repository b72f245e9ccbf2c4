// The peer page's API for the bench (window.peer): pick a TF.js backend, load the same data as
// the playground (written by `seq2seq-playground dataset`), train and validate.
import { createTrainer } from './seq2seq.js';

const tf = globalThis.tf;
const params = new URLSearchParams(location.search);
let trainer = null;
let peakBytes = 0;

function memoryBytes() {
  const js = performance.memory ? performance.memory.usedJSHeapSize : 0;
  const backend = tf.backend();
  const wasmHeap = backend && backend.wasm && backend.wasm.HEAPU8 ? backend.wasm.HEAPU8.length : 0;
  return js + wasmHeap;
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
  /** Trains for about `ms` milliseconds; reads each step's loss (as the playground does). */
  async trainFor(ms) {
    const samples = [];
    const end = performance.now() + ms;
    let loss = NaN;
    while (performance.now() < end) {
      const t = trainer.step();
      loss = (await t.data())[0];
      t.dispose();
      samples.push({ t: performance.now(), step: trainer.steps });
      peakBytes = Math.max(peakBytes, memoryBytes());
    }
    return { samples, loss, step: trainer.steps };
  },
  /** Trains `steps` steps. */
  async train(steps) {
    let loss = NaN;
    for (let i = 0; i < steps; i++) {
      const t = trainer.step();
      loss = (await t.data())[0];
      t.dispose();
    }
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
