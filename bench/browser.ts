// The web page's warm in-browser inference time: headless Chromium (Debian's chromium through
// playwright-core, as test/browser does) on `segface serve`'s app, ONNX Runtime Web on WASM with
// the page's own threads (cross-origin isolated: 2 on a 2-core machine), the server's float32
// graph, rewritten (default) and as written. One photo is parsed `--runs` times after one
// warm-up, with face detection off (the photo is one crop), so the page's "inference N ms" is
// session.run alone; `--detect` keeps the page's default (detector + crops + model + paste-back).
// Besides the wall time it prints the CPU seconds per image of all Chromium processes
// (/proc, utime + stime), the steadier measure on a shared machine, and what the page really
// ran: cross-origin isolation, the threads it reports, the ORT files it fetched, its workers.
//   npm run bench -- browser [--model mobilenet] [--res 512] [--runs 5] [--photo .assets/astronaut.png]
//     [--graphs rewritten,as-written] [--threads 2,1] [--detect]
// `--threads N` makes the page see N cores (navigator.hardwareConcurrency), so it starts N threads.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { FaceParser } from '../src/api/face-parser.js';
import { BuiltOnnxSegmenter } from '../src/api/onnx-segmenter.js';
import { exportOnnx } from '../src/export/export-onnx.js';
import { createApp } from '../src/service/app.js';
import { webAssets } from '../src/service/web-assets.js';
import { ortWasm, wasmSessionOptions } from '../src/browser/ort-web.js';
import { BENCH_DIR, flag, has, median, printTable, runMain, sharedWeights, timeRuns } from './common.js';
import { matMulProbe, rewrittenFlops } from './flops.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** CPU seconds (user + system) of every process below this one: the browser and its children. */
function childCpuSeconds(): number {
  const parent = new Map<number, number>(), cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / TICK);
    } catch { /* the process ended */ }
  }
  let total = 0;
  for (const [pid, c] of cpu) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) { total += c; break; }
  }
  return total;
}

/**
 * The float32 GEMM peak of the page's own WASM build (the same ort-wasm-simd-threaded.wasm, run
 * in Node, one thread: ORT-web starts no threads in Node), GFLOP/s of an n³ MatMul: the ceiling
 * any graph reaches per thread in the page.
 */
async function wasmGemmPeak(n = 1024): Promise<number> {
  ortWasm.env.wasm.numThreads = 1;
  const { bytes, data, flop } = matMulProbe(n);
  const s = await ortWasm.InferenceSession.create(bytes, wasmSessionOptions());
  const feeds = { a: new ortWasm.Tensor('float32', data, [n, n]), b: new ortWasm.Tensor('float32', data, [n, n]) };
  const t = median(await timeRuns(() => s.run(feeds), 8, 2));
  await s.release();
  return flop / t / 1e9;
}

async function main(): Promise<void> {
  const model = flag('model', 'mobilenet');
  const res = Number(flag('res', '512'));
  const runs = Number(flag('runs', '5'));
  const photo = flag('photo', join(process.cwd(), '.assets', 'astronaut.png'));
  const graphs = flag('graphs', 'rewritten,as-written').split(',');
  const threadList = flag('threads', '').split(',').filter(Boolean).map(Number);
  const detect = has('detect');
  const { net, sd, path } = sharedWeights(model, res);
  const peak = await wasmGemmPeak();
  const gflop = rewrittenFlops(net, sd, 1, res) / 1e9;
  console.log(`WASM float32 GEMM peak (MatMul 1024³, 1 thread, in Node): ${peak.toFixed(1)} GFLOP/s; the rewritten ${model} ${res} graph executes ${gflop.toFixed(2)} GFLOP, so with T threads at that peak it needs at least ${(gflop / peak).toFixed(3)}/T s`);
  const seg = new BuiltOnnxSegmenter({ net, weights: sd, checkpoint: path, modelId: `${model}_celeb_${res}`, head: 'celeb', resolution: res, graphCacheDir: join(BENCH_DIR, 'serve-cache') }, { threads: 1 });
  const rows: (string | number)[][] = [];
  for (const graph of graphs) {
    const bytes = exportOnnx(net, sd, { resolution: res, modelId: `${model}_celeb_${res}`, head: 'celeb', rewrite: graph !== 'as-written' }).bytes;
    const app = await createApp({ parser: FaceParser.fromSegmenter(seg), web: webAssets(async () => bytes), limits: { timeoutMs: 600_000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      for (const cores of threadList.length ? threadList : [0]) {
        const profile = mkdtempSync(join(tmpdir(), 'segface-bench-chromium-'));
        const ctx = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM, headless: true,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        try {
          if (cores > 0) await ctx.addInitScript(`Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${cores} });`);
          const page = ctx.pages()[0] ?? await ctx.newPage();
          page.setDefaultTimeout(600_000);
          const ortFiles = new Set<string>();
          let workers = 0;
          page.on('request', (r) => { const m = /\/ort\/([^?]+)/.exec(r.url()); if (m) ortFiles.add(m[1]!); });
          page.on('worker', () => { workers++; });
          await page.goto(`${base}/`);
          await page.waitForSelector('body[data-ready="1"]');
          const env = await page.evaluate(() => ({ isolated: crossOriginIsolated, sab: typeof SharedArrayBuffer === 'function', cores: navigator.hardwareConcurrency }));
          await page.check('input[name=where][value=browser]');
          if (!detect) await page.uncheck('#detect');
          const times: number[] = [];
          let backend = '', cpu0 = 0;
          for (let i = 0; i <= runs; i++) {
            if (i === 1) cpu0 = childCpuSeconds();
            await page.setInputFiles('#photo', []);
            await page.setInputFiles('#photo', photo);
            await page.waitForSelector('#status[data-state=done], #status[data-state=error]');
            const text = (await page.textContent('#status')) ?? '';
            const m = /ONNX Runtime Web \(([^,]+(?:, \d+ threads?)?),.*inference (\d+) ms/.exec(text);
            if (!m) throw new Error(`page status: ${text}`);
            backend = m[1]!;
            if (i > 0) times.push(Number(m[2]) / 1000);
            await page.evaluate(() => document.querySelector('#status')?.setAttribute('data-state', 'busy'));
          }
          const cpu = (childCpuSeconds() - cpu0) / runs;
          console.log(`page: crossOriginIsolated ${env.isolated}, SharedArrayBuffer ${env.sab}, hardwareConcurrency ${env.cores}; ${backend}; ORT files ${[...ortFiles].join(', ')}; workers ${workers}`);
          console.log(`browser ${model} ${res} ${graph} (${backend}): warm median ${median(times).toFixed(3)} s, Chromium CPU ${cpu.toFixed(2)} s per image`);
          rows.push([graph, backend, runs, median(times), Math.min(...times), cpu]);
        } finally {
          await ctx.close();
          rmSync(profile, { recursive: true, force: true });
        }
      }
    } finally {
      await app.close();
    }
  }
  await seg.dispose();
  printTable(`browser: ONNX Runtime Web in headless Chromium, ${model} ${res}², batch 1, warm ${detect ? 'page pipeline (detect + crops + model + paste)' : 'session.run'}`, ['graph', 'backend', 'runs', 'median s', 'min s', 'CPU s/img'], rows);
}

runMain(import.meta.url, main);
