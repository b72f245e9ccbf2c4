// The settings controls. Two kinds, both validated by the Rust core, whose refusals show
// beside the control they name:
// - [data-train-setting]: applied between steps, without losing progress;
// - [data-config-path]: rebuild the model (training restarts from step 0).
// The run's config also lives in the URL hash, so a link reproduces the setup.
// Every range, default and choice comes from the Rust core's table (`controlSpecs()`), which
// the validation and the command line's --help read too: nothing here hard-codes a limit.

const $ = (id) => document.getElementById(id);

export const trainSettingInputs = () => [...document.querySelectorAll('[data-train-setting]')];
export const configInputs = () => [...document.querySelectorAll('[data-config-path]')];

/** The input a setting's path names: `task.min_len`, `train.learning_rate`, `page.plot_every`. */
function inputForPath(path) {
  const [head, tail] = [path.slice(0, path.indexOf('.')), path.slice(path.indexOf('.') + 1)];
  return document.querySelector(`[data-config-path="${path}"]`)
    || (head === 'train' && document.querySelector(`[data-train-setting="${tail}"]`))
    || (head === 'page' && document.querySelector(`[data-page-setting="${tail}"]`))
    || null;
}

/** "(1 to 512)", "(0 = off, to 1000)": a numeric setting's range as its hint says it. */
export function rangeText(spec) {
  return spec.zero_means && spec.min === 0
    ? `(0 = ${spec.zero_means}, to ${spec.max})`
    : `(${spec.min} to ${spec.max})`;
}

/** Whether `value` is allowed by a numeric setting's spec. */
export function withinSpec(spec, value) {
  return Number.isFinite(value) && value >= spec.min && value <= spec.max && (!spec.whole || Number.isInteger(value));
}

/** The message for a value a page setting refuses. */
export function refusalText(spec) {
  const zero = spec.zero_means && spec.min === 0 ? `0 (${spec.zero_means})` : String(spec.min);
  return `${spec.whole ? 'a whole number' : 'a number'} from ${zero} to ${spec.max}`;
}

/**
 * Fills `select` with the choices `[{value, label, hint, unused}]`, keeping `selected` selected;
 * each option keeps its hint and the settings it leaves unused (the core's) for `showConfig`.
 */
export function fillChoices(select, options, selected) {
  select.replaceChildren(...options.map(({ value, label, hint, unused }) => {
    const option = new Option(label, value, false, value === selected);
    option.dataset.hint = hint ?? '';
    option.dataset.unused = (unused ?? []).join(' ');
    return option;
  }));
}

/**
 * Sets every control's range, step, default and choices from the core's table, and the hints
 * that state them. Returns the specs by path, for the page's own checks.
 */
export function applyControlSpecs(specs) {
  const byPath = {};
  for (const spec of specs.numbers) {
    byPath[spec.path] = spec;
    const input = inputForPath(spec.path);
    if (!input) throw new Error(`the page has no control for ${spec.path}`);
    input.min = String(spec.min);
    input.max = String(spec.max);
    input.step = spec.whole ? '1' : 'any';
    input.value = String(spec.default);
    const hint = document.querySelector(`[data-range-of="${input.id}"]`);
    if (hint) hint.textContent = rangeText(spec);
  }
  for (const spec of specs.choices) {
    byPath[spec.path] = spec;
    const select = inputForPath(spec.path);
    if (!select) throw new Error(`the page has no control for ${spec.path}`);
    fillChoices(select, spec.options, spec.default);
  }
  return byPath;
}

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

const OWN_DATA = 'own-data';

/**
 * Shows `config` in every control but `keep`. `ownData`: a label for the run's own data when it
 * trains on it; the task control then shows it (choosing a built-in task leaves it) and the
 * length controls, which only the symbol tasks read, are disabled.
 */
export function showConfig(config, ownData = null, keep = null) {
  const editing = (input) => input === keep;
  for (const input of trainSettingInputs()) {
    if (!editing(input)) input.value = String(config.train[input.dataset.trainSetting]);
  }
  for (const input of configInputs()) {
    const value = getPath(config, input.dataset.configPath);
    if (value === undefined || editing(input)) continue;
    if (input.type === 'checkbox') input.checked = Boolean(value);
    else input.value = String(value);
  }
  // Only the settings of the chosen architecture are shown.
  for (const label of document.querySelectorAll('[data-for-kind]')) {
    label.hidden = label.dataset.forKind !== (config.model?.kind ?? 'rnn');
  }
  const task = $('task');
  task.querySelector(`option[value="${OWN_DATA}"]`)?.remove();
  if (ownData) {
    const option = new Option(ownData, OWN_DATA, false, true);
    option.disabled = true;
    task.prepend(option);
    option.selected = true;
  }
  // Each choice's hint (beside it, in `<id>-hint`) and the settings its option leaves unused,
  // whose controls are off; own data leaves the lengths unused too.
  const unused = new Set(ownData ? ['task.min_len', 'task.max_len'] : []);
  for (const select of configInputs().filter((input) => input.tagName === 'SELECT')) {
    const chosen = select.selectedOptions[0];
    for (const path of (chosen?.dataset.unused || '').split(' ').filter(Boolean)) unused.add(path);
    const hint = document.getElementById(`${select.id}-hint`);
    if (hint) hint.textContent = chosen?.dataset.hint ?? '';
  }
  for (const input of configInputs()) input.disabled = unused.has(input.dataset.configPath);
}

/**
 * The control a person is typing in, when an answer to a change of *other* settings (`changed`,
 * their names) arrives: it keeps what was typed, which its own change event sends next.
 */
export function controlBeingEdited(changed) {
  const input = document.activeElement;
  const isControl = input && (input.dataset.trainSetting || input.dataset.configPath);
  return isControl && !changed.includes(input.dataset.trainSetting || input.dataset.configPath) ? input : null;
}

/**
 * The config paths of the model and task controls whose values differ between two runs'
 * configs (all of them when there was no run before).
 */
export function changedConfigPaths(before, after) {
  return configInputs()
    .map((input) => input.dataset.configPath)
    .filter((path) => !before || getPath(before, path) !== getPath(after, path));
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
  if (input.type === 'checkbox') return input.checked;
  return input.value.trim() === '' ? null : Number(input.value);
}

/**
 * Wires the controls: `send(message)` posts to the worker, `current()` is the run's config.
 * A model control's change sends the whole config with that one value changed. `specs`: the
 * core's table by path (from `applyControlSpecs`).
 */
export function wireControls({ send, current, specs }) {
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
    const ok = withinSpec(specs['page.steps_per_update'], steps);
    $('steps-per-frame-message').textContent = ok ? '' : refusalText(specs['page.steps_per_update']);
    if (ok) send({ type: 'steps-per-frame', steps });
  });
}
