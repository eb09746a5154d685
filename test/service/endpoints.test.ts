// The service's endpoints and every kind of bad upload, through fastify's inject (no sockets).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { createApp } from '../../src/service/app.js';
import { webAssets } from '../../src/service/web-assets.js';
import { ASSETS, makeImage, multipartBody, testModel } from './helpers.js';

const LIMITS = { maxUploadBytes: 2 * 1024 * 1024, maxPixels: 1_000_000, capacity: 4, concurrency: 1, timeoutMs: 30_000 };

describe('segface service', () => {
  let app: FastifyInstance;
  let photo: Buffer;
  before(async () => {
    const m = await testModel();
    app = await createApp({ parser: m.parser, limits: LIMITS, web: webAssets(m.browserModel) });
    photo = await makeImage(96, 80, 'jpeg');
  });
  after(async () => { await app.close(); });

  const post = (payload: Buffer | string | undefined, headers: Record<string, string>, url = '/parse') =>
    app.inject({ method: 'POST', url, payload, headers });

  test('GET /healthz and GET /classes', async () => {
    const h = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json().status, 'ok');
    assert.equal(h.json().resolution, 256);
    const c = await app.inject({ method: 'GET', url: '/classes' });
    assert.equal(c.statusCode, 200);
    const classes = c.json().classes as { id: number; name: string; color: number[] }[];
    assert.equal(classes.length, 19);
    assert.deepEqual(classes[0], { id: 0, name: 'background', color: [0, 0, 0] });
    assert.ok(classes.every((k, i) => k.id === i && k.color.length === 3));
  });

  test('POST /parse raw body → JSON by default, label PNG by Accept, overlay/color by ?format', async () => {
    const j = await post(photo, { 'content-type': 'image/jpeg' });
    assert.equal(j.statusCode, 200, j.body);
    assert.match(j.headers['content-type'] as string, /application\/json/);
    const s = j.json();
    assert.equal(s.width, 96);
    assert.equal(s.height, 80);
    assert.equal(s.classes.length, 19);
    assert.equal(s.classes.reduce((a: number, c: { pixels: number }) => a + c.pixels, 0), 96 * 80);
    assert.ok(s.classes.every((c: { color?: number[] }) => c.color?.length === 3), 'every class has its colour, found or not');

    const l = await post(photo, { 'content-type': 'image/jpeg', accept: 'image/png' });
    assert.equal(l.statusCode, 200);
    assert.equal(l.headers['content-type'], 'image/png');
    const lm = await sharp(l.rawPayload).metadata();
    assert.deepEqual([lm.width, lm.height, lm.channels], [96, 80, 1]);
    const data = await sharp(l.rawPayload).extractChannel(0).raw().toBuffer();
    assert.equal(data.length, 96 * 80);
    // Same label counts as the JSON answer.
    const counts = new Array(19).fill(0);
    for (const v of data) counts[v]++;
    assert.deepEqual(counts, s.classes.map((c: { pixels: number }) => c.pixels));

    for (const format of ['overlay', 'color'] as const) {
      const r = await post(photo, { 'content-type': 'application/octet-stream', accept: 'application/json' }, `/parse?format=${format}`);
      assert.equal(r.statusCode, 200);
      const m = await sharp(r.rawPayload).metadata();
      assert.deepEqual([m.format, m.width, m.height, m.channels], ['png', 96, 80, 3], format);
    }
  });

  test('POST /parse multipart (the astronaut photo) → overlay PNG at the photo size', async () => {
    const file = readFileSync(join(ASSETS, 'astronaut.png'));
    const { body, contentType } = multipartBody('image', 'astronaut.png', 'image/png', file);
    const r = await post(body, { 'content-type': contentType }, '/parse?format=overlay');
    assert.equal(r.statusCode, 200, r.body);
    const m = await sharp(r.rawPayload).metadata();
    const src = await sharp(file).metadata();
    assert.deepEqual([m.width, m.height], [src.width, src.height]);
  });

  const bad: [string, () => Promise<{ payload?: Buffer | string; headers: Record<string, string>; url?: string }>, number, RegExp][] = [
    ['empty body', async () => ({ payload: Buffer.alloc(0), headers: { 'content-type': 'image/png' } }), 400, /empty body/],
    ['no body, no type', async () => ({ headers: {} }), 400, /empty body/],
    ['non-image', async () => ({ payload: Buffer.from('this is not an image at all'), headers: { 'content-type': 'image/jpeg' } }), 400, /not an image/],
    ['truncated JPEG', async () => {
      const j = await makeImage(400, 300, 'jpeg');
      return { payload: j.subarray(0, Math.floor(j.length / 2)), headers: { 'content-type': 'image/jpeg' } };
    }, 400, /truncated or corrupt/],
    ['too large (raw)', async () => ({ payload: Buffer.alloc(LIMITS.maxUploadBytes + 1000, 7), headers: { 'content-type': 'image/png' } }), 413, /larger than the limit/],
    ['too large (multipart)', async () => {
      const m = multipartBody('image', 'big.png', 'image/png', Buffer.alloc(LIMITS.maxUploadBytes + 1000, 7));
      return { payload: m.body, headers: { 'content-type': m.contentType } };
    }, 413, /larger than the limit/],
    ['too many pixels', async () => ({ payload: await makeImage(1200, 1000), headers: { 'content-type': 'image/png' } }), 413, /over the limit of 1000000/],
    ['multipart without a file', async () => {
      const b = '--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xyz--\r\n';
      return { payload: b, headers: { 'content-type': 'multipart/form-data; boundary=xyz' } };
    }, 400, /holds no file/],
    ['wrong content type (text)', async () => ({ payload: 'hello', headers: { 'content-type': 'text/plain' } }), 415, /unsupported Content-Type/],
    ['wrong content type (JSON)', async () => ({ payload: '{"image":1}', headers: { 'content-type': 'application/json' } }), 415, /unsupported Content-Type/],
    ['wrong content type (form)', async () => ({ payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, /unsupported Content-Type/],
    ['unknown format', async () => ({ payload: photo, headers: { 'content-type': 'image/jpeg' }, url: '/parse?format=gif' }), 400, /unknown format 'gif'/],
    ['unacceptable Accept', async () => ({ payload: photo, headers: { 'content-type': 'image/jpeg', accept: 'text/html' } }), 406, /cannot answer with text\/html/],
  ];
  for (const [name, make, status, re] of bad) {
    test(`bad upload: ${name} → ${status} with a JSON error`, async () => {
      const c = await make();
      const r = await post(c.payload, c.headers, c.url);
      assert.equal(r.statusCode, status, r.body);
      assert.match(r.headers['content-type'] as string, /application\/json/);
      assert.match(r.json().error, re);
      assert.equal(r.json().statusCode, status);
    });
  }

  test('wrong method on /parse → 405 with Allow; unknown route → 404 JSON', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
      const r = await app.inject({ method, url: '/parse' });
      assert.equal(r.statusCode, 405, method);
      assert.equal(r.headers.allow, 'POST');
      assert.match(r.json().error, /POST/);
    }
    const r = await app.inject({ method: 'GET', url: '/nope' });
    assert.equal(r.statusCode, 404);
    assert.match(r.json().error, /no route GET \/nope/);
  });

  test('the server is still healthy and holds nothing after all the bad uploads', async () => {
    const h = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json().queue.held, 0);
    const r = await post(photo, { 'content-type': 'image/jpeg' });
    assert.equal(r.statusCode, 200);
  });

  test('page, script, ORT-web wasm (from node_modules, nothing else) and the browser model', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<script type="module" src="\/app.js">/);
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    const js = await app.inject({ method: 'GET', url: '/app.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /javascript/);
    assert.ok(js.body.length > 50_000);
    // Threads (SharedArrayBuffer) need the page cross-origin isolated: COOP and COEP.
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
    // WASM runs the plain threaded build; the asyncify one is the WebGPU EP's.
    for (const file of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.wasm']) {
      const wasm = await app.inject({ method: 'GET', url: `/ort/${file}` });
      assert.equal(wasm.statusCode, 200, file);
      assert.equal(wasm.headers['content-type'], 'application/wasm');
      assert.equal(wasm.headers['cross-origin-embedder-policy'], 'require-corp');
      assert.deepEqual([...wasm.rawPayload.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
    }
    const glue = await app.inject({ method: 'GET', url: '/ort/ort-wasm-simd-threaded.mjs' });
    assert.equal(glue.statusCode, 200);
    assert.match(glue.headers['content-type'] as string, /javascript/);
    for (const url of ['/ort/..%2Fpackage.json', '/ort/ort.min.js', '/ort/evil.wasm']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url);
    }
    const model = await app.inject({ method: 'GET', url: '/model.onnx' });
    assert.equal(model.statusCode, 200);
    assert.ok(model.rawPayload.length > 1_000_000);
  });
});

test('a full server answers 503 before reading the body; a timed-out parse answers 503 and frees its slot', async () => {
  const m = await testModel();
  const photo = await makeImage(300, 300, 'jpeg');
  const busy = await createApp({ parser: m.parser, limits: { ...LIMITS, capacity: 1 } });
  try {
    const rs = await Promise.all(Array.from({ length: 5 }, () => busy.inject({ method: 'POST', url: '/parse', payload: photo, headers: { 'content-type': 'image/jpeg' } })));
    const codes = rs.map((r) => r.statusCode).sort();
    assert.equal(codes[0], 200);
    assert.ok(codes.filter((c) => c === 503).length >= 1, `codes ${codes}`);
    const r503 = rs.find((r) => r.statusCode === 503)!;
    assert.match(r503.json().error, /busy/);
    assert.equal(r503.headers['retry-after'], '1');
  } finally {
    await busy.close();
  }
  const slow = await createApp({ parser: m.parser, limits: { ...LIMITS, timeoutMs: 1 } });
  try {
    const r = await slow.inject({ method: 'POST', url: '/parse', payload: photo, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(r.statusCode, 503);
    assert.match(r.json().error, /timed out after 1 ms/);
    // The parse that was cut off still ends and gives its slot back.
    for (let i = 0; i < 100 && (await slow.inject({ method: 'GET', url: '/healthz' })).json().queue.held > 0; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal((await slow.inject({ method: 'GET', url: '/healthz' })).json().queue.held, 0);
  } finally {
    await slow.close();
  }
});
