// The TensorFlow.js peer: the playground's default model written from its definition with TF.js
// ops (not from TF.js example code), so both sides do the same work per step:
//   embeddings 32 -> GRU encoder (hidden 64; padding keeps the previous state) -> GRU decoder fed
//   [token gates + context gates], additive (Bahdanau) attention over the encoder states with PAD
//   masked out -> linear over [hidden; context] -> masked cross-entropy; Adam (beta 0.9/0.999,
//   epsilon 1e-5 as burn's), global-norm clip 1.0, teacher forcing 1.0.
// A fair twin: it starts from the playground's very initial weights (biases included) and takes
// the playground's batch order, both written by `seq2seq-playground dataset` for the seed;
// without them it draws Xavier-uniform weights, zero biases and N(0, 1) embeddings itself.
// Runs on whichever TF.js backend is active (webgpu, webgl, wasm, cpu).
const tf = globalThis.tf;

const PAD = 0;
const BOS = 1;
const EOS = 2;

function xavier(fanIn, fanOut) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit));
}
const zeros = (n) => tf.variable(tf.zeros([n]));
const embedding = (vocab, size) => tf.variable(tf.randomNormal([vocab, size]));

// Embedding lookup: a gather where the backend can differentiate it; the wasm backend lacks the
// gather gradient (UnsortedSegmentSum), so there it is a one-hot matrix product.
function lookup(table, ids) {
  if (tf.getBackend() !== 'wasm') return tf.gather(table, ids);
  const [vocab, size] = table.shape;
  const flat = tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), vocab), table);
  return tf.reshape(flat, [...ids.shape, size]);
}

// The playground's parameter paths for each of this model's weights.
const PLAYGROUND_NAMES = {
  encEmbedding: 'encoder.embedding.weight',
  encWx: 'encoder.layers.0.input_gates.weight', encBx: 'encoder.layers.0.input_gates.bias',
  encWh: 'encoder.layers.0.hidden_gates.weight', encBh: 'encoder.layers.0.hidden_gates.bias',
  decEmbedding: 'decoder.embedding.weight',
  decWx: 'decoder.layers.0.input_gates.weight', decBx: 'decoder.layers.0.input_gates.bias',
  decWh: 'decoder.layers.0.hidden_gates.weight', decBh: 'decoder.layers.0.hidden_gates.bias',
  contextGates: 'decoder.context_gates.weight',
  attKey: 'decoder.attention.key.weight', attKeyB: 'decoder.attention.key.bias',
  attQuery: 'decoder.attention.query.weight',
  attScore: 'decoder.attention.score.weight',
  outW: 'decoder.output.weight', outB: 'decoder.output.bias',
};

/** The model's weights: the playground's initial ones when given (`initial`), else drawn. */
export function createModel({ sourceVocab, targetVocab, embeddingSize = 32, hiddenSize = 64, initial = null }) {
  const h = hiddenSize;
  if (initial) {
    const model = { h };
    for (const [name, path] of Object.entries(PLAYGROUND_NAMES)) {
      const w = initial[path];
      if (!w) throw new Error(`the data has no initial weights for ${path}`);
      model[name] = tf.variable(tf.tensor(w.values, w.shape));
    }
    return model;
  }
  return {
    h,
    encEmbedding: embedding(sourceVocab, embeddingSize),
    encWx: xavier(embeddingSize, 3 * h), encBx: zeros(3 * h),
    encWh: xavier(h, 3 * h), encBh: zeros(3 * h),
    decEmbedding: embedding(targetVocab, embeddingSize),
    decWx: xavier(embeddingSize, 3 * h), decBx: zeros(3 * h),
    decWh: xavier(h, 3 * h), decBh: zeros(3 * h),
    contextGates: xavier(h, 3 * h),
    attKey: xavier(h, h), attKeyB: zeros(h),
    attQuery: xavier(h, h),
    attScore: xavier(h, 1),
    outW: xavier(2 * h, targetVocab), outB: zeros(targetVocab),
  };
}

export const trainable = (m) => Object.values(m).filter((v) => v instanceof tf.Variable);

// One GRU step from input gates `x` ([b, 3h], projected already) and state `hPrev`.
function gru(x, hPrev, wh, bh, h) {
  const fromHidden = tf.add(tf.matMul(hPrev, wh), bh);
  const [rx, zx, nx] = tf.split(x, 3, 1);
  const [rh, zh, nh] = tf.split(fromHidden, 3, 1);
  const reset = tf.sigmoid(tf.add(rx, rh));
  const update = tf.sigmoid(tf.add(zx, zh));
  const candidate = tf.tanh(tf.add(nx, tf.mul(reset, nh)));
  return tf.add(candidate, tf.mul(update, tf.sub(hPrev, candidate)));
}

// Encoder states [b, s, h] and final state [b, h]. `source` [b, s] int32, `mask` [b, s] float.
function encode(m, source, mask) {
  const [b, s] = source.shape;
  const x = lookup(m.encEmbedding, source); // [b, s, e]
  const projected = tf.add(tf.matMul(tf.reshape(x, [b * s, -1]), m.encWx), m.encBx);
  const steps = tf.unstack(tf.reshape(projected, [b, s, 3 * m.h]), 1);
  const keep = tf.unstack(tf.expandDims(mask, 2), 1); // s x [b, 1]
  let state = tf.zeros([b, m.h]);
  const outputs = [];
  for (let t = 0; t < s; t++) {
    const next = gru(steps[t], state, m.encWh, m.encBh, m.h);
    state = tf.add(state, tf.mul(tf.sub(next, state), keep[t]));
    outputs.push(state);
  }
  return { states: tf.stack(outputs, 1), final: state };
}

// Decodes with teacher forcing (targetInput [b, t]) or greedily (steps); logits [b, t, V].
function decode(m, encoded, mask, { targetInput, steps }) {
  const [b, s] = mask.shape;
  const keys = tf.add(tf.reshape(tf.matMul(tf.reshape(encoded.states, [b * s, m.h]), m.attKey), [b, s, m.h]), m.attKeyB);
  const padBias = tf.mul(tf.sub(mask, 1), 1e9); // [b, s]
  let tokenGates = null;
  let length = steps;
  if (targetInput) {
    length = targetInput.shape[1];
    const emb = lookup(m.decEmbedding, targetInput); // [b, t, e]
    tokenGates = tf.unstack(tf.reshape(tf.add(tf.matMul(tf.reshape(emb, [b * length, -1]), m.decWx), m.decBx), [b, length, 3 * m.h]), 1);
  }
  let state = encoded.final;
  let previous = tf.fill([b], BOS, 'int32');
  const features = [];
  const logitsPerStep = [];
  for (let t = 0; t < length; t++) {
    const gates = tokenGates ? tokenGates[t] : tf.add(tf.matMul(lookup(m.decEmbedding, previous), m.decWx), m.decBx);
    // Additive attention: v . tanh(K s_j + Q h).
    const query = tf.expandDims(tf.matMul(state, m.attQuery), 1); // [b, 1, h]
    const energy = tf.tanh(tf.add(keys, query)); // [b, s, h]
    const scores = tf.reshape(tf.matMul(tf.reshape(energy, [b * s, m.h]), m.attScore), [b, s]);
    const weights = tf.softmax(tf.add(scores, padBias), 1); // [b, s]
    const context = tf.squeeze(tf.matMul(tf.expandDims(weights, 1), encoded.states), [1]); // [b, h]
    state = gru(tf.add(gates, tf.matMul(context, m.contextGates)), state, m.decWh, m.decBh, m.h);
    const feature = tf.concat([state, context], 1);
    if (tokenGates) {
      features.push(feature);
    } else {
      const logits = tf.add(tf.matMul(feature, m.outW), m.outB);
      previous = tf.cast(tf.argMax(logits, 1), 'int32');
      logitsPerStep.push(logits);
    }
  }
  if (tokenGates) {
    const all = tf.reshape(tf.stack(features, 1), [b * length, 2 * m.h]);
    return tf.reshape(tf.add(tf.matMul(all, m.outW), m.outB), [b, length, -1]);
  }
  return tf.stack(logitsPerStep, 1);
}

function maskedCrossEntropy(logits, targets, lossMask) {
  const [b, t, v] = logits.shape;
  const logProbs = tf.logSoftmax(tf.reshape(logits, [b * t, v]));
  const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.reshape(targets, [b * t]), v)), 1);
  const m = tf.reshape(lossMask, [b * t]);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, m))), tf.maximum(tf.sum(m), 1));
}

/** A padded batch of `pairs` ({source, target} id arrays), as the playground builds it. */
export function makeBatch(pairs) {
  const b = pairs.length;
  const s = Math.max(1, ...pairs.map((p) => p.source.length));
  const t = Math.max(...pairs.map((p) => p.target.length + 1));
  const source = new Int32Array(b * s).fill(PAD);
  const mask = new Float32Array(b * s);
  const input = new Int32Array(b * t).fill(PAD);
  const output = new Int32Array(b * t).fill(PAD);
  const lossMask = new Float32Array(b * t);
  pairs.forEach((p, row) => {
    p.source.forEach((id, i) => { source[row * s + i] = id; mask[row * s + i] = 1; });
    const inputs = [BOS, ...p.target];
    const outputs = [...p.target, EOS];
    inputs.forEach((id, i) => {
      input[row * t + i] = id;
      output[row * t + i] = outputs[i];
      lossMask[row * t + i] = 1;
    });
  });
  return { b, s, t, source, mask, input, output, lossMask };
}

/** A trainer: Adam and clipping as in the playground, with its settings from `data`. */
export function createTrainer(data) {
  const settings = data.train_settings || {};
  const { learning_rate: learningRate = 0.005, batch_size: batchSize = 32, clip_norm: clipNorm = 1.0, seed = 7 } = settings;
  const sizes = data.model || {};
  const model = createModel({
    sourceVocab: data.source_vocab_size, targetVocab: data.target_vocab_size,
    embeddingSize: sizes.embedding_size, hiddenSize: sizes.hidden_size, initial: data.initial_weights,
  });
  const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-5);
  const variables = trainable(model);
  let order = [];
  let cursor = 0;
  let epoch = -1;
  let rng = seed >>> 0;
  const random = () => { rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0; return rng / 2 ** 32; };
  // The playground's order for the epochs it wrote, then a seeded shuffle of our own.
  const shuffle = () => {
    epoch += 1;
    cursor = 0;
    if (data.epoch_orders && epoch < data.epoch_orders.length) {
      order = data.epoch_orders[epoch];
      return;
    }
    order = data.train.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  };
  shuffle();
  const nextPairs = () => {
    const pairs = [];
    while (pairs.length < batchSize) {
      if (cursor === order.length) shuffle();
      pairs.push(data.train[order[cursor++]]);
    }
    return pairs;
  };
  let steps = 0;
  return {
    model,
    get steps() { return steps; },
    /** One optimiser step; returns the loss as a tensor (read it only when needed). */
    step() {
      const batch = makeBatch(nextPairs());
      const loss = tf.tidy(() => {
        const source = tf.tensor2d(batch.source, [batch.b, batch.s], 'int32');
        const mask = tf.tensor2d(batch.mask, [batch.b, batch.s]);
        const input = tf.tensor2d(batch.input, [batch.b, batch.t], 'int32');
        const output = tf.tensor2d(batch.output, [batch.b, batch.t], 'int32');
        const lossMask = tf.tensor2d(batch.lossMask, [batch.b, batch.t]);
        const { value, grads } = tf.variableGrads(() => {
          const encoded = encode(model, source, mask);
          return maskedCrossEntropy(decode(model, encoded, mask, { targetInput: input }), output, lossMask);
        }, variables);
        const names = Object.keys(grads);
        const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
        const scale = tf.minimum(1, tf.div(clipNorm, tf.maximum(norm, 1e-12)));
        const clipped = Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)]));
        optimizer.applyGradients(clipped);
        return value;
      });
      steps += 1;
      return loss;
    },
    /** Greedy decoding of the validation set: exact-sequence and token accuracy. */
    async evaluate(limit = Infinity) {
      const examples = data.valid.slice(0, limit);
      let exact = 0, tokens = 0, right = 0;
      for (let i = 0; i < examples.length; i += 128) {
        const chunk = examples.slice(i, i + 128);
        const batch = makeBatch(chunk);
        const predicted = tf.tidy(() => {
          const source = tf.tensor2d(batch.source, [batch.b, batch.s], 'int32');
          const mask = tf.tensor2d(batch.mask, [batch.b, batch.s]);
          const encoded = encode(model, source, mask);
          return tf.argMax(decode(model, encoded, mask, { steps: batch.t }), 2);
        });
        const ids = await predicted.array();
        predicted.dispose();
        chunk.forEach((p, row) => {
          const wanted = [...p.target, EOS];
          const got = ids[row];
          let all = true;
          wanted.forEach((id, k) => { tokens++; if (got[k] === id) right++; else all = false; });
          if (all) exact++;
        });
      }
      return { exact_accuracy: exact / examples.length, token_accuracy: right / tokens, examples: examples.length };
    },
  };
}
