// The page: wires buttons to the training worker and shows what it reports. Logic lives in Rust.
const $ = (id) => document.getElementById(id);

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

function percent(x) {
  return `${(x * 100).toFixed(1)}%`;
}

function main() {
  const { config, error } = configFromHash();
  const params = new URLSearchParams(location.search);
  const backend = params.get('backend') || 'auto';
  const evalEvery = Number(params.get('eval-every')) || undefined;
  const evalExamples = Number(params.get('eval-examples')) || undefined;
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const history = [];
  window.__seq2seq = { history, worker };
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
        if (!$('status').classList.contains('warn')) setStatus('ready: press Start');
        buttons();
        break;
      case 'notice':
        setStatus(msg.message, msg.level);
        break;
      case 'metrics': {
        const { report, evaluation, stepsPerSecond } = msg;
        history.push({ step: report.last.step, loss: report.mean_loss, evaluation });
        $('step').textContent = report.last.step;
        $('loss').textContent = report.mean_loss.toFixed(4);
        if (evaluation) {
          $('accuracy').textContent = percent(evaluation.token_accuracy);
          $('exact-accuracy').textContent = percent(evaluation.exact_accuracy);
        }
        $('steps-per-second').textContent = stepsPerSecond.toFixed(1);
        break;
      }
      case 'state':
        running = msg.running;
        if (msg.reset) {
          history.length = 0;
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

  if (error) setStatus(error, 'warn');
  worker.postMessage({ type: 'init', config, backend, evalEvery, evalExamples });
}

main();
