// 200 concurrent uploads on 127.0.0.1: every one is answered (200 or 503), the server stays up,
// its admission slots all come back, and the process's memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/service/app.js';
import { makeImage, testModel } from './helpers.js';

/** One POST over a fresh connection (no client-side pooling hides concurrency). */
function upload(port: number, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/parse', agent: false, headers: { 'content-type': 'image/jpeg', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('200 concurrent uploads all answer 200 or 503 with bounded memory', async () => {
  const m = await testModel();
  const app = await createApp({ parser: m.parser, limits: { capacity: 8, concurrency: 1, timeoutMs: 60_000, maxUploadBytes: 4 << 20, maxPixels: 4_000_000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  try {
    const photo = await makeImage(640, 480, 'jpeg');
    // Warm both paths once, then measure.
    assert.equal((await upload(port, photo)).status, 200);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    let results: { status: number; body: string }[];
    try {
      results = await Promise.all(Array.from({ length: 200 }, () => upload(port, photo)));
    } finally {
      clearInterval(sampler);
    }
    const ok = results.filter((r) => r.status === 200).length;
    const busy = results.filter((r) => r.status === 503);
    assert.equal(ok + busy.length, 200, `other statuses: ${results.filter((r) => r.status !== 200 && r.status !== 503).map((r) => `${r.status} ${r.body}`).slice(0, 3)}`);
    assert.ok(ok >= 8, `only ${ok} parses succeeded`);
    for (const r of busy) assert.match(JSON.parse(r.body).error, /busy|timed out/);
    // Eight slots of a 640×480 parse (photo, 256² input, 19×256² logits, labels) are a few MB each;
    // 200 bodies buffered at once would be too, but nothing beyond the slots may pile up.
    const grown = (peak - rss0) / 1048576;
    assert.ok(grown < 400, `RSS grew by ${grown.toFixed(0)} MiB during the burst`);
    const h = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.json().queue.held, 0);
    assert.equal((await upload(port, photo)).status, 200, 'still serving after the burst');
    console.log(`load: ${ok} × 200, ${busy.length} × 503, RSS +${grown.toFixed(0)} MiB at peak`);
  } finally {
    await app.close();
  }
});
