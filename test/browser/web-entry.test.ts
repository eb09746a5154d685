// `segface/web` in headless Chromium: a tiny page imports the browser entry (bundled by esbuild),
// loads the served graph with ONNX Runtime Web (WASM: no GPU here) and parses one photo given as a
// Blob, ImageData, ImageBitmap, canvas and <img>; every input gives the same pixels, and the
// labels agree with Node's. Probabilities, segments and the one-line segface() run in the page too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { ortWebDir } from '../../src/service/web-routes.js';
import { ASSETS, testModel } from '../service/helpers.js';
import { launchChromium, type Chromium } from './chromium.js';

const PHOTO = join(ASSETS, 'astronaut.png');
const REPO = process.cwd();

let app: FastifyInstance;
let browser: Chromium;
let base: string;

before(async () => {
  const m = await testModel();
  const model = await m.browserModel();
  const esbuild = await import('esbuild');
  const entry = await esbuild.build({
    // The compiled entry the package ships (dist/src/web/index.js), as a user's bundler sees it.
    stdin: { contents: `import * as sf from ${JSON.stringify(join(REPO, 'dist', 'src', 'web', 'index.js'))}; globalThis.sf = sf; document.body.dataset.ready = '1';`, resolveDir: REPO, loader: 'js' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent', outdir: join(tmpdir(), 'segface-web-entry'),
  });
  const js = entry.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  app = Fastify();
  app.get('/', async (_q, r) => r.type('text/html').send('<!doctype html><body><script type="module" src="/entry.js"></script></body>'));
  app.get('/entry.js', async (_q, r) => r.type('text/javascript').send(js));
  app.get('/model.onnx', async (_q, r) => r.type('application/octet-stream').send(Buffer.from(model)));
  app.get('/photo.png', async (_q, r) => r.type('image/png').send(readFileSync(PHOTO)));
  app.get('/ort/:file', async (q, r) => r.type((q.params as { file: string }).file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript')
    .send(createReadStream(join(ortWebDir()!, (q.params as { file: string }).file.replace(/[^\w.-]/g, '')))));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

test('segface/web parses a Blob, ImageData, ImageBitmap, canvas and <img> like Node does', { timeout: 240_000 }, async () => {
  const page = browser.ctx.pages()[0] ?? await browser.ctx.newPage();
  page.setDefaultTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30_000 });
  const res = await page.evaluate(async () => {
    type Sf = typeof import('../../src/web/index.js');
    const sf = (globalThis as unknown as { sf: Sf }).sf;
    const t0 = performance.now();
    const opts = { wasmPaths: '/ort/', provider: 'wasm' as const };
    const parser = await sf.FaceParser.load('/model.onnx', opts);
    const blob = await (await fetch('/photo.png')).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = Object.assign(document.createElement('canvas'), { width: bitmap.width, height: bitmap.height });
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    const imageData = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const img = new Image();
    img.src = '/photo.png';
    await img.decode();
    // One network run; the other inputs must decode to the very pixels the Blob gives.
    const first = await parser.parse(blob);
    const same: Record<string, boolean> = {};
    for (const [kind, input] of [['ImageData', imageData], ['ImageBitmap', bitmap], ['canvas', canvas], ['img', img]] as const) {
      const d = await parser.decode(input);
      same[kind] = d.width === first.width && d.height === first.height && d.data.every((v, i) => v === first.image.data[i]);
    }
    const skin = first.probabilities('skin');
    const oneLine = await sf.segface(blob, { model: '/model.onnx', ...opts });
    let refused = '';
    try { await parser.parse(42 as unknown as Blob); } catch (e) { refused = (e as Error).message; }
    return {
      provider: parser.provider, width: first.width, height: first.height, labels: Array.from(first.labels), same,
      found: first.classes.map((c) => c.name), segments: first.segments().map((s) => [s.label, s.pixels]),
      skin: [skin.length, skin.reduce((a, b) => Math.min(a, b), 1), skin.reduce((a, b) => Math.max(a, b), 0)], ms: Math.round(performance.now() - t0), parseMs: Math.round(first.timing.inferenceMs), oneLine: oneLine.map((s) => [s.label, s.pixels]), refused,
    };
  });
  console.log(`in the page: ${res.ms} ms for load + 2 parses (inference ${res.parseMs} ms each)`);
  assert.deepEqual(errors, []);
  assert.equal(res.provider, 'wasm');
  assert.deepEqual([res.width, res.height], [512, 512]);
  assert.deepEqual(res.same, { ImageData: true, ImageBitmap: true, canvas: true, img: true });
  const node = await (await testModel()).parser.parse(PHOTO);
  let agree = 0;
  for (let i = 0; i < res.labels.length; i++) if (res.labels[i] === node.labels[i]) agree++;
  assert.ok(agree / res.labels.length > 0.995, `browser vs Node labels agree on ${(100 * agree / res.labels.length).toFixed(2)}%`);
  assert.ok(res.found.length > 0 && res.found.every((n) => typeof n === 'string'));
  assert.deepEqual(res.segments.map((s) => s[0]), res.found);
  assert.deepEqual(res.oneLine, res.segments);
  assert.equal(res.skin[0], 512 * 512);
  assert.ok(res.skin[1]! >= 0 && res.skin[2]! <= 1);
  assert.match(res.refused, /cannot read an image from a number; expected a Blob, ImageData/);
});
