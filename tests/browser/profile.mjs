// Where the time goes in the page's CPU training step: runs the wasm Session on a page's main
// thread (the worker's code path, without the worker) under Chromium's sampling profiler and
// prints the functions with the most self time, and the steps/s under the profiler.
//   (build the page with SEQ2SEQ_WASM_NAMES=1 scripts/build-web.sh first: the shipped module has
//   no function names)
//   node profile.mjs [--steps 150] [--top 30]
import { serve, launch, ROOT, commandLineOption } from './harness.mjs';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const option = (name, fallback) => commandLineOption(argv, name, fallback);
const steps = Number(option('--steps', 150));
const top = Number(option('--top', 30));

const { server, url } = await serve();
const context = await launch({ webgpu: false });
try {
  const page = await context.newPage();
  await page.goto(`${url}index.html?backend=cpu`); // any page of the origin, for the module's URL
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await page.evaluate(async () => {
    const pkg = await import('/pkg/seq2seq_playground.js');
    await pkg.default();
    window.session = await pkg.Session.create('{}', 'cpu');
    await window.session.train(10); // warm up
  });
  await cdp.send('Profiler.start');
  const ms = await page.evaluate(async (n) => {
    const t0 = performance.now();
    await window.session.train(n);
    return performance.now() - t0;
  }, steps);
  const { profile } = await cdp.send('Profiler.stop');
  await mkdir(join(ROOT, 'target'), { recursive: true });
  await writeFile(join(ROOT, 'target/cpu-step.cpuprofile'), JSON.stringify(profile));
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const name = n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'program'})`;
    self.set(name, (self.get(name) || 0) + (dt[i] || 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`${steps} steps in ${ms.toFixed(0)} ms under the profiler = ${(steps * 1000 / ms).toFixed(1)} steps/s (default model, CPU wasm, main thread)`);
  for (const [name, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${name.slice(0, 110)}`);
  }
  console.log('full profile: target/cpu-step.cpuprofile (open it in Chromium DevTools)');
} finally {
  await context.close();
  server.close();
}
