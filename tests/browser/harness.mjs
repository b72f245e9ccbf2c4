// Shared by the browser tests and the page bench: a static server for the repository root and
// a headless Chromium (Debian's /usr/bin/chromium) with or without software WebGPU.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const SCREENSHOTS = join(ROOT, 'tests/browser/screenshots');

// A tiny model: SwiftShader runs shaders on the CPU.
export const TINY = {
  task: { kind: 'reverse', min_len: 3, max_len: 5, dataset_size: 400 },
  model: { embedding_size: 16, hidden_size: 32 },
  train: { learning_rate: 0.02, batch_size: 16 },
};

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json',
  '.png': 'image/png',
};

/** Serves the repository root (or another build's copy of it, `root`) on 127.0.0.1 at a free port. */
export async function serve(root = ROOT) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    const file = join(root, path || 'index.html');
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache',
        // Cross-origin isolation: lets pages use threads (SharedArrayBuffer), e.g. TF.js's
        // threaded wasm backend in the peer bench.
        'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/**
 * Serves this build, and with `other` (a copy of another build: its index.html, www/ and pkg/)
 * that one too, for benches that compare two builds: `[{ name, server, url }]`, named
 * 'this build' and `other` (this build alone is unnamed).
 */
export async function serveBuilds(other) {
  const builds = [{ name: other ? 'this build' : '', ...(await serve()) }];
  if (other) builds.push({ name: other, ...(await serve(resolve(other))) });
  return builds;
}

/**
 * Launches headless Chromium; `webgpu` turns on its WebGPU: software (SwiftShader) unless
 * SEQ2SEQ_GPU=1, which leaves Chromium its real GPU (Vulkan). `extraArgs` are added as they are.
 */
export async function launch({ webgpu, extraArgs = [] }) {
  const args = [
    '--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic',
  ];
  if (webgpu && process.env.SEQ2SEQ_GPU === '1') args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=vulkan');
  else if (webgpu) args.push('--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader');
  else args.push('--disable-features=WebGPU');
  args.push(...extraArgs);
  const userDataDir = mkdtempSync(join(tmpdir(), 'seq2seq-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1280, height: 1000 },
  });
  return context;
}

/**
 * Opens the page and collects console errors, page errors and panics; in the context's first
 * tab unless `newTab` (several pages open side by side).
 */
export async function openPage(context, url, { newTab = false } = {}) {
  const page = (!newTab && context.pages()[0]) || (await context.newPage());
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Records main-thread tasks over 50 ms (the browser's "long tasks").
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  return { page, problems };
}

/** A page URL with a config in its hash. */
export function pageUrl(base, config, query = '') {
  // query: e.g. '?eval-every=3&eval-examples=32'
  return `${base}${query}#config=${encodeURIComponent(JSON.stringify(config))}`;
}

export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The value after `name` in `argv` (`--seconds 30`), or `fallback`. */
export function commandLineOption(argv, name, fallback) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
}
