// Server chaos on real sockets: aborted uploads (multipart and raw), slow bodies, slow headers,
// clients that leave while their parse runs, malformed multipart, a burst over the queue and the
// image fuzzer for POST /parse. Afterwards /healthz shows no held slot and a valid request is
// answered 200.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/service/app.js';
import { makeImage, multipartBody, testModel } from '../service/helpers.js';
import { Tally } from './fuzz-helpers.js';
import { imageCases } from './image-fuzz.js';

const LIMITS = { capacity: 4, concurrency: 1, timeoutMs: 20_000, uploadTimeoutMs: 800, headersTimeoutMs: 800, maxUploadBytes: 1 << 20, maxPixels: 1_000_000 };

let app: FastifyInstance;
let port: number;
// A second server on the same model with the default (long) upload deadline, for the burst: on a
// busy CI machine a fast client's body can wait longer than the 0.8 s deadline of the first.
let relaxed: FastifyInstance;
let relaxedPort: number;
let photo: Buffer;
before(async () => {
  const m = await testModel();
  app = await createApp({ parser: m.parser, limits: LIMITS });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  relaxed = await createApp({ parser: m.parser, limits: { ...LIMITS, uploadTimeoutMs: 30_000, headersTimeoutMs: 10_000 } });
  await relaxed.listen({ host: '127.0.0.1', port: 0 });
  relaxedPort = (relaxed.server.address() as AddressInfo).port;
  photo = await makeImage(64, 48, 'png');
});
after(async () => { await app.close(); await relaxed.close(); });

const queue = async (a = app) => (await a.inject({ method: 'GET', url: '/healthz' })).json().queue as { held: number; running: number; waiting: number };

/** Waits (bounded) until no slot is held; returns the queue then. */
async function drained(a = app, ms = 15_000): Promise<{ held: number; running: number; waiting: number }> {
  const t0 = Date.now();
  let q = await queue(a);
  while ((q.held > 0 || q.running > 0) && Date.now() - t0 < ms) {
    await new Promise((r) => setTimeout(r, 50));
    q = await queue(a);
  }
  return q;
}

/** One raw HTTP exchange: `head` then `chunks` (each after `gapMs`); `abortAfter` destroys the socket. */
function exchange(head: string, chunks: Buffer[], o: { gapMs?: number; abortAfterMs?: number; port?: number } = {}): Promise<{ status: number | 'closed'; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s: Socket = connect(o.port ?? port, '127.0.0.1');
    let got = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : 'closed', ms: Date.now() - t0 });
    };
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('error', () => undefined);
    s.on('close', finish);
    s.on('connect', async () => {
      if (o.abortAfterMs !== undefined) setTimeout(() => s.destroy(), o.abortAfterMs);
      s.write(head);
      for (const c of chunks) {
        if (s.destroyed) return;
        if (o.gapMs) await new Promise((r) => { timer = setTimeout(r, o.gapMs); });
        if (!s.destroyed) s.write(c);
      }
    });
  });
}

const postHead = (type: string, length: number) => `POST /parse HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

async function valid(): Promise<number> {
  const r = await app.inject({ method: 'POST', url: '/parse', payload: photo, headers: { 'content-type': 'image/png' } });
  return r.statusCode;
}

test('server chaos: aborted uploads, slow clients, clients that leave mid-parse, a burst; no slot stays held', async () => {
  const tally = new Tally();
  const { body, contentType } = multipartBody('image', 'a.png', 'image/png', photo);

  // 16 multipart uploads cut off mid-body (the curl -m 1 --limit-rate) and 8 raw ones.
  const aborted = await Promise.all([
    ...Array.from({ length: 16 }, () => exchange(postHead(contentType, body.length), [body.subarray(0, 2000)], { abortAfterMs: 100 })),
    ...Array.from({ length: 8 }, () => exchange(postHead('image/png', photo.length), [photo.subarray(0, 500)], { abortAfterMs: 100 })),
  ]);
  for (const r of aborted) tally.add('aborted upload', String(r.status));
  assert.equal((await drained()).held, 0, 'aborted uploads give their slots back');

  // 8 slow bodies: one byte every 300 ms. Cut off with 408 at the upload deadline, not held for ever.
  const slow = await Promise.all(Array.from({ length: 8 }, () =>
    exchange(postHead(contentType, body.length), Array.from({ length: 40 }, (_, i) => body.subarray(i, i + 1)), { gapMs: 300 })));
  for (const r of slow) {
    assert.ok(r.status === 408 || r.status === 503 || r.status === 'closed', `slow body: ${r.status}`);
    assert.ok(r.ms < LIMITS.uploadTimeoutMs + 3000, `slow body held ${r.ms} ms`);
    tally.add('slow body (1 byte / 300 ms)', String(r.status));
  }
  assert.equal((await drained()).held, 0, 'slow clients give their slots back');

  // 4 slow header senders: dropped by the header timeout (they never get a slot).
  const slowHead = await Promise.all(Array.from({ length: 4 }, () =>
    exchange('POST /parse HTTP/1.1\r\n', Array.from({ length: 30 }, () => Buffer.from('X-Slow: 1\r\n')), { gapMs: 200 })));
  for (const r of slowHead) {
    assert.ok(r.ms < LIMITS.headersTimeoutMs + 3000, `slow headers held ${r.ms} ms`);
    tally.add('slow headers (1 line / 200 ms)', String(r.status));
  }

  // 4 clients send a whole photo and leave at once: their parses run to the end, then the slots come back.
  const left = await Promise.all(Array.from({ length: 4 }, () => exchange(postHead('image/png', photo.length), [photo], { abortAfterMs: 30 })));
  for (const r of left) tally.add('client gone during its parse', String(r.status));
  assert.equal((await drained()).held, 0, 'abandoned parses give their slots back');

  // A burst of 40 over a queue of 4: only 200 or 503, every slot back afterwards.
  const burst = await Promise.all(Array.from({ length: 40 }, () => exchange(postHead('image/png', photo.length), [photo], { port: relaxedPort })));
  for (const r of burst) {
    assert.ok(r.status === 200 || r.status === 503, `burst: ${r.status}`);
    tally.add('burst of 40 over a queue of 4', String(r.status));
  }
  assert.ok(tally.count('burst of 40 over a queue of 4', '200') >= 4);
  const q = await drained(relaxed);
  assert.deepEqual([q.held, q.running, q.waiting], [0, 0, 0]);
  assert.equal((await drained()).held, 0);
  assert.equal(await valid(), 200, 'still serving');
  tally.print('server chaos');
});

test('malformed multipart is 400 (413 past the size limit), never 500; only the field "image" is taken', async () => {
  const b = 'XyZ123';
  const part = (head: string, data: Buffer | string) => Buffer.concat([Buffer.from(`--${b}\r\n${head}\r\n\r\n`), Buffer.from(data), Buffer.from(`\r\n--${b}--\r\n`)]);
  const good = multipartBody('image', 'a.png', 'image/png', photo);
  // Each body with its own Content-Type (multipartBody's boundary is made per call).
  const own = (m: { body: Buffer; contentType: string }): [string, Buffer] => [m.contentType, m.body];
  const cases: [string, string, Buffer, number, RegExp][] = [
    ['no boundary', 'multipart/form-data', good.body, 400, /malformed multipart body/],
    ['another boundary in the body', 'multipart/form-data; boundary=other', good.body, 400, /multipart/],
    ['body cut mid-file', good.contentType, good.body.subarray(0, 600), 400, /malformed multipart body/],
    ['file in field "photo"', ...own(multipartBody('photo', 'a.png', 'image/png', photo)), 400, /field 'photo', expected 'image'/],
    ['only a text field', `multipart/form-data; boundary=${b}`, part('Content-Disposition: form-data; name="image"', 'hello'), 400, /holds no file/],
    ['empty body', good.contentType, Buffer.alloc(0), 400, /./],
    ['part without headers', `multipart/form-data; boundary=${b}`, part('', photo), 400, /./],
    ['garbage part header', `multipart/form-data; boundary=${b}`, part('Content-Disposition: form-data; name=', photo), 400, /./],
    ['empty file', ...own(multipartBody('image', 'a.png', 'image/png', Buffer.alloc(0))), 400, /./],
    ['not an image', ...own(multipartBody('image', 'a.txt', 'text/plain', Buffer.from('not a picture at all'))), 400, /a\.txt: /],
    ['file over the limit', ...own(multipartBody('image', 'big.png', 'image/png', Buffer.alloc(LIMITS.maxUploadBytes + 10))), 413, /larger than the limit/],
  ];
  for (const [what, type, payload, status, re] of cases) {
    const r = await app.inject({ method: 'POST', url: '/parse', payload, headers: { 'content-type': type } });
    assert.equal(r.statusCode, status, `${what}: ${r.statusCode} ${r.body}`);
    assert.match(r.json().error, re, what);
  }
  // The same cut body over a socket, where the client then goes away.
  const cut = await exchange(postHead(good.contentType, good.body.length), [good.body.subarray(0, 600)], { abortAfterMs: 50 });
  assert.equal(cut.status, 'closed');
  assert.equal((await drained()).held, 0);
  assert.equal(await valid(), 200);
  console.log(`malformed multipart: ${cases.length} kinds, every one ${cases.map((c) => c[3]).join('/')}`);
});

test('image fuzzer for the server: 30 mutated JPEG/PNG/WebP uploads get 200 or a 4xx naming the problem, never 500', async () => {
  const cases = await imageCases(14_004, 10);
  const tally = new Tally();
  for (const c of cases) {
    const type = c.name.endsWith('.png') ? 'image/png' : c.name.endsWith('.webp') ? 'image/webp' : 'image/jpeg';
    const r = await app.inject({ method: 'POST', url: '/parse', payload: c.bytes, headers: { 'content-type': type } });
    assert.ok([200, 400, 413].includes(r.statusCode), `${c.name} (${c.kind}): ${r.statusCode} ${r.body}`);
    if (r.statusCode !== 200) assert.ok(typeof r.json().error === 'string' && r.json().error.length > 0);
    if (c.kind === 'valid') assert.equal(r.statusCode, 200, c.name);
    if (c.kind === 'pixel bomb header') assert.equal(r.statusCode, 413, c.name);
    tally.add(c.kind, String(r.statusCode));
  }
  assert.equal((await drained()).held, 0);
  assert.equal(await valid(), 200);
  tally.print('image fuzz (server)');
});
