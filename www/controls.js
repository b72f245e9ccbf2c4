// The settings controls. Two kinds, both validated by the Rust core, whose refusals show
// beside the control they name:
// - [data-train-setting]: applied between steps, without losing progress;
// - [data-config-path]: rebuild the model (training restarts from step 0).
// The run's config also lives in the URL hash, so a link reproduces the setup.

const $ = (id) => document.getElementById(id);

export const trainSettingInputs = () => [...document.querySelectorAll('[data-train-setting]')];
export const configInputs = () => [...document.querySelectorAll('[data-config-path]')];

function getPath(config, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), config);
}

function setPath(config, path, value) {
  const keys = path.split('.');
  const last = keys.pop();
  const target = keys.reduce((o, k) => (o[k] ??= {}), config);
  target[last] = value;
}

/** The config in the link (`#config=<json>`), or an error message. */
export function configFromHash(fallback) {
  const match = location.hash.match(/config=([^&]*)/);
  if (!match) return { config: fallback };
  try {
    return { config: JSON.parse(decodeURIComponent(match[1])) };
  } catch (e) {
    return { config: fallback, error: `the config in the link is not valid JSON (${e.message}); using the defaults` };
  }
}

/** Writes `config` into the URL hash (no new history entry). */
export function writeHash(config) {
  const url = `${location.pathname}${location.search}#config=${encodeURIComponent(JSON.stringify(config))}`;
  history.replaceState(null, '', url);
}

/** Shows `config` in every control and clears their messages. */
export function showConfig(config) {
  for (const input of trainSettingInputs()) input.value = String(config.train[input.dataset.trainSetting]);
  for (const input of configInputs()) {
    const value = getPath(config, input.dataset.configPath);
    if (value !== undefined) input.value = String(value);
  }
}

/** Clears the messages beside the model controls. */
export function clearConfigMessages() {
  for (const input of configInputs()) $(`${input.id}-message`).textContent = '';
}

/** Shows refusals `[{field, value, reason}]` beside the controls they name (else beside `fallbackId`). */
export function showConfigErrors(errors, fallbackId) {
  for (const error of errors) {
    const input = configInputs().find((i) => i.dataset.configPath === error.field) || $(fallbackId);
    if (input) $(`${input.id}-message`).textContent = error.value ? `${error.value}: ${error.reason}` : error.reason;
  }
}

function controlValue(input) {
  if (input.tagName === 'SELECT') return input.value;
  return input.value.trim() === '' ? null : Number(input.value);
}

/**
 * Wires the controls: `send(message)` posts to the worker, `current()` is the run's config.
 * A model control's change sends the whole config with that one value changed.
 */
export function wireControls({ send, current }) {
  for (const input of trainSettingInputs()) {
    input.addEventListener('change', () => {
      send({ type: 'train-settings', changes: { [input.dataset.trainSetting]: controlValue(input) } });
    });
  }
  for (const input of configInputs()) {
    input.addEventListener('change', () => {
      const path = input.dataset.configPath;
      const config = structuredClone(current());
      setPath(config, path, controlValue(input));
      $(`${input.id}-message`).textContent = '';
      send({ type: 'rebuild', config, changed: input.id, keepOwnData: !path.startsWith('task.') });
    });
  }
  $('steps-per-frame').addEventListener('change', () => {
    const steps = Number($('steps-per-frame').value);
    const ok = Number.isInteger(steps) && steps >= 0 && steps <= 200;
    $('steps-per-frame-message').textContent = ok ? '' : 'a whole number from 0 (auto) to 200';
    if (ok) send({ type: 'steps-per-frame', steps });
  });
}
