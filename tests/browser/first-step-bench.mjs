// Where the first training step's time goes on WebGPU: loads the page in a fresh headless
// Chromium profile (nothing cached) on its WebGPU adapter (software SwiftShader without a GPU),
// records a Chrome trace of the first step and prints its wall time, the CPU seconds each of
// Chromium's processes spent (the renderer runs the page's wasm, CubeCL's kernel generation
// included; the GPU process compiles and runs the shaders), and the compute pipelines created:
// how many, how long, per kernel family (the label without its hash), slowest first.
// `--compare DIR` loads a second build of the page too (DIR holds its index.html, www/ and
// pkg/), alternating with this one, load by load. Run through benches/first_step.sh (builds the
// page first).
//   node first-step-bench.mjs [--runs N] [--tiny] [--compare DIR]   (--tiny: the tests' small model)
import { readFileSync, readdirSync } from 'node:fs';
import { serveBuilds, launch, pageUrl, TINY, commandLineOption } from './harness.mjs';

const argv = process.argv.slice(2);
const runs = Number(commandLineOption(argv, '--runs', 1));
const tiny = argv.includes('--tiny');
const other = commandLineOption(argv, '--compare', null);
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of every running Chromium process, summed per process type. */
function chromiumCpuSeconds() {
  const seconds = {};
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let command, stat;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (!command.includes('chromium')) continue;
    const type = (command.match(/--type=([a-z-]+)/) || [, 'browser'])[1];
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    seconds[type] = (seconds[type] || 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }
  return seconds;
}

async function firstStep(url) {
  const context = await launch({ webgpu: true });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(tiny ? pageUrl(url, TINY, '?backend=webgpu&plot-every=0') : `${url}?backend=webgpu&plot-every=0`);
    await page.waitForSelector('#start:not([disabled])', { timeout: 600_000 });
    const shown = await page.getAttribute('#backend', 'data-backend');
    if (shown !== 'webgpu') throw new Error(`the page runs on ${shown}, not WebGPU`);
    const cdp = await context.newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.start', {
      traceConfig: { includedCategories: ['gpu', 'gpu.dawn', 'disabled-by-default-gpu.dawn'] },
      transferMode: 'ReportEvents',
    });
    const cpuBefore = chromiumCpuSeconds();
    const t0 = Date.now();
    await page.click('#start');
    await page.waitForFunction(() => Number(document.querySelector('#step').textContent) >= 1, null, { timeout: 600_000, polling: 10 });
    const wall = (Date.now() - t0) / 1000;
    const cpuAfter = chromiumCpuSeconds();
    await page.click('#pause');
    await cdp.send('Tracing.end');
    await complete;
    if (errors.length) throw new Error(errors.join('\n'));
    const cpu = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k] - (cpuBefore[k] || 0)]));
    const spans = (name) => events.filter((e) => e.ph === 'X' && e.name === name);
    const pipelines = spans('DeviceBase::APICreateComputePipeline').map((e) => ({
      family: String(e.args?.label || '(no label)').replace(/_[0-9a-f]{8}$/, ''),
      seconds: e.dur / 1e6,
    }));
    const tint = spans('tint::spirv::writer::Generate()').reduce((sum, e) => sum + e.dur / 1e6, 0);
    return { wall, cpu, pipelines, tint };
  } finally {
    await context.close();
  }
}

const builds = await serveBuilds(other);
const model = tiny ? 'the tests\' tiny model' : 'the default model';
console.log(`first WebGPU training step, ${new Date().toISOString().slice(0, 10)}, ${model}, ${runs} fresh load(s) per build, alternating`);
const last = new Map();
for (let run = 1; run <= runs; run++) {
  for (const build of builds) {
    const r = await firstStep(build.url);
    const created = r.pipelines.reduce((sum, p) => sum + p.seconds, 0);
    const cpu = Object.entries(r.cpu).filter(([, s]) => s >= 0.05).map(([k, s]) => `${k} ${s.toFixed(1)}`).join(', ');
    console.log(`${build.name ? build.name + ', ' : ''}run ${run}: first step ${r.wall.toFixed(1)} s; CPU s by process: ${cpu}; ` +
      `${r.pipelines.length} compute pipelines created in ${created.toFixed(1)} s (WGSL -> SPIR-V ${r.tint.toFixed(1)} s of it)`);
    last.set(build.name, r);
  }
}
for (const [name, r] of last) {
  const families = new Map();
  for (const { family, seconds } of r.pipelines) {
    const f = families.get(family) || { count: 0, seconds: 0 };
    f.count += 1;
    f.seconds += seconds;
    families.set(family, f);
  }
  console.log(`\npipelines of ${name ? name + "'s" : 'the'} run ${runs} by kernel family, slowest first`);
  console.log(`${'seconds'.padStart(8)} ${'count'.padStart(6)}  family`);
  for (const [family, f] of [...families].sort((a, b) => b[1].seconds - a[1].seconds).slice(0, 8)) {
    console.log(`${f.seconds.toFixed(2).padStart(8)} ${String(f.count).padStart(6)}  ${family}`);
  }
}
for (const build of builds) build.server.close();
