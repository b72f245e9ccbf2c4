// Soak: long runs keep their memory flat and raise no error. On the CPU, 10,000 steps of the
// tiny model: the page's and the worker's memory (JS heap + wasm) may grow by at most
// CPU_GROWTH_BOUND between step 1,000 and the end. On software WebGPU (SwiftShader runs the
// shaders on the CPU, ~17 steps/s here since the small products run as one small kernel each),
// SOAK_GPU_STEPS steps (1,000 by default, the full soak): after GPU_SETTLED steps the
// GPU allocator's live allocations may not grow and its reserved bytes stay within
// GPU_RESERVED_SPREAD of their value then. (Measured 2026-11-28 over 800 steps: allocations rise
// from 296 to 550 over the first ~130 steps, then stay at 550; reserved bytes move between 3.5
// and 4.0 MB with no trend. Since the loss's kernels (2026-11-29, fifth session) they reach the
// same 550 only by step ~180 (531 at step 152, then 537, 543, 550, and 550 to step 1,010; why
// later is not measured), so the pool is judged from step 300.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, pageUrl, TINY } from './harness.mjs';

const MiB = 1024 * 1024;
const CPU_STEPS = 10_000;
const CPU_GROWTH_BOUND = 16 * MiB;
const GPU_STEPS = Number(process.env.SOAK_GPU_STEPS || 1000);
const GPU_SETTLED = 300;
const GPU_RESERVED_SPREAD = 1.25;

const { server, url } = await serve();
after(() => server.close());

async function runTo(page, steps) {
  await page.waitForSelector('#start:not([disabled])', { timeout: 300_000 });
  await page.click('#start');
  await page.waitForFunction((n) => Number(document.querySelector('#step').textContent) >= n, steps, { timeout: 900_000, polling: 1000 });
  await page.click('#pause');
  await page.waitForSelector('#start:not([disabled])', { timeout: 120_000 });
  return page.evaluate(() => window.__seq2seq.history.map(({ step, loss, memory, deviceMemory, diverged }) => ({ step, loss, memory, deviceMemory, diverged })));
}

const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

test(`CPU soak: ${CPU_STEPS} steps with flat memory and no error`, { timeout: 1_200_000 }, async () => {
  const context = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, '?backend=cpu&eval-every=500&plot-every=250'));
    const history = await runTo(page, CPU_STEPS);
    const settled = history.find((h) => h.step >= 1000);
    const last = history.at(-1);
    const peak = Math.max(...history.filter((h) => h.step >= 1000).map((h) => h.memory));
    console.log(`CPU soak: memory at step ${settled.step} ${mib(settled.memory)}, at step ${last.step} ${mib(last.memory)}, peak after 1000 ${mib(peak)}`);
    assert.ok(last.memory - settled.memory <= CPU_GROWTH_BOUND,
      `memory grew by ${mib(last.memory - settled.memory)} from step ${settled.step} to ${last.step} (bound ${mib(CPU_GROWTH_BOUND)})`);
    assert.ok(history.every((h) => !h.diverged && Number.isFinite(h.loss)), 'no step diverged');
    assert.ok(last.loss < history.find((h) => h.loss > 0).loss / 4, 'it kept learning');
    assert.deepEqual(problems, [], 'no console or page errors');
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null, 'no panic');
  } finally {
    await context.close();
  }
});

test(`WebGPU soak: ${GPU_STEPS} steps with a flat GPU pool and no error`, { timeout: 1_200_000 }, async () => {
  const context = await launch({ webgpu: true });
  try {
    const { page, problems } = await openPage(context, pageUrl(url, TINY, '?backend=webgpu&eval-every=100&plot-every=100'));
    await page.waitForFunction(() => document.querySelector('#backend').dataset.backend === 'webgpu', null, { timeout: 300_000 });
    const history = await runTo(page, GPU_STEPS);
    const pools = history.filter((h) => h.deviceMemory);
    assert.ok(pools.length > 0, 'the GPU allocator reports its pool');
    const settled = pools.find((h) => h.step >= GPU_SETTLED);
    const after = pools.filter((h) => h.step >= GPU_SETTLED);
    const last = after.at(-1);
    const peak = Math.max(...after.map((h) => h.deviceMemory.bytes_reserved));
    console.log(`WebGPU soak: at step ${settled.step} ${mib(settled.deviceMemory.bytes_reserved)} reserved, ${settled.deviceMemory.allocations} allocations; at step ${last.step} ${mib(last.deviceMemory.bytes_reserved)}, ${last.deviceMemory.allocations} allocations; peak reserved after step ${GPU_SETTLED} ${mib(peak)}`);
    assert.ok(after.every((h) => h.deviceMemory.allocations <= settled.deviceMemory.allocations),
      `live GPU allocations grew after step ${GPU_SETTLED}: ${after.map((h) => h.deviceMemory.allocations).join(' ')}`);
    assert.ok(peak <= settled.deviceMemory.bytes_reserved * GPU_RESERVED_SPREAD,
      `the GPU pool grew from ${mib(settled.deviceMemory.bytes_reserved)} to ${mib(peak)}`);
    assert.ok(history.every((h) => !h.diverged), 'no step diverged');
    assert.deepEqual(problems, [], 'no console or page errors');
    assert.equal(await page.evaluate(() => window.__seq2seqPanicked || null), null, 'no panic');
  } finally {
    await context.close();
  }
});
