// The web page's warm in-browser inference time: headless Chromium (Debian's chromium through
// playwright-core, as test/browser does), ONNX Runtime Web on WASM with the page's threads (2 on
// a 2-core machine, cross-origin isolated), the server's float32 graph, rewritten (default) and
// as written, one photo parsed `--runs` times after one warm-up; the page reports the ms of
// session.run.
//   npm run bench -- browser [--model mobilenet] [--res 512] [--runs 5] [--photo .assets/astronaut.png]
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { FaceParser } from '../src/api/face-parser.js';
import { BuiltOnnxSegmenter } from '../src/api/onnx-segmenter.js';
import { exportOnnx } from '../src/export/export-onnx.js';
import { createApp } from '../src/service/app.js';
import { webAssets } from '../src/service/web-assets.js';
import { BENCH_DIR, flag, median, printTable, runMain, sharedWeights } from './common.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  const model = flag('model', 'mobilenet');
  const res = Number(flag('res', '512'));
  const runs = Number(flag('runs', '5'));
  const photo = flag('photo', join(process.cwd(), '.assets', 'astronaut.png'));
  const { net, sd, path } = sharedWeights(model, res);
  const seg = new BuiltOnnxSegmenter({ net, weights: sd, checkpoint: path, modelId: `${model}_celeb_${res}`, head: 'celeb', resolution: res, graphCacheDir: join(BENCH_DIR, 'serve-cache') }, { threads: 1 });
  const rows: (string | number)[][] = [];
  for (const rewrite of [true, false]) {
    const bytes = exportOnnx(net, sd, { resolution: res, modelId: `${model}_celeb_${res}`, head: 'celeb', rewrite }).bytes;
    const app = await createApp({ parser: FaceParser.fromSegmenter(seg), web: webAssets(async () => bytes), limits: { timeoutMs: 600_000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const profile = mkdtempSync(join(tmpdir(), 'segface-bench-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = ctx.pages()[0] ?? await ctx.newPage();
      page.setDefaultTimeout(600_000);
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready="1"]');
      const env = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
      await page.check('input[name=where][value=browser]');
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        await page.setInputFiles('#photo', []);
        await page.setInputFiles('#photo', photo);
        await page.waitForSelector('#status[data-state=done], #status[data-state=error]');
        const text = (await page.textContent('#status')) ?? '';
        const m = /inference (\d+) ms/.exec(text);
        if (!m) throw new Error(`page status: ${text}`);
        if (i > 0) times.push(Number(m[1]) / 1000);
        await page.evaluate(() => document.querySelector('#status')?.setAttribute('data-state', 'busy'));
      }
      const threads = env.isolated ? Math.min(4, env.cores) : 1;
      rows.push([rewrite ? 'rewritten' : 'as written', threads, runs, median(times), Math.min(...times)]);
      console.log(`browser ${model} ${res} ${rewrite ? 'rewritten' : 'as written'}: warm median ${median(times).toFixed(3)} s (WASM, ${threads} threads)`);
    } finally {
      await ctx.close();
      await app.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
  await seg.dispose();
  printTable(`browser: ONNX Runtime Web (WASM) in headless Chromium, ${model} ${res}², batch 1, warm session.run`, ['graph', 'threads', 'runs', 'median s', 'min s'], rows);
}

runMain(import.meta.url, main);
