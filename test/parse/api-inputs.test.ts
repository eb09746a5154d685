// Every kind of library input (issue 14 item 8, issue 15): URL strings and `URL`s (http served on
// 127.0.0.1, file:), ArrayBuffer, typed arrays, Blob, raw RGBA/RGB without `channels` — each
// decodes to the same pixels as the path, or is refused with a UserError naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { UserError } from '../../src/errors.js';
import { readImage, type ImageInput } from '../../src/image/read.js';
import { ASTRONAUT } from './helpers.js';

let server: Server;
let base: string;
let png: Buffer;
let expected: Uint8Array;

before(async () => {
  png = await sharp(ASTRONAUT).resize(48, 40).png().toBuffer();
  expected = (await readImage(png)).data;
  server = createServer((req, res) => {
    if (req.url === '/face.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else if (req.url === '/slow.png') { res.writeHead(200, { 'content-type': 'image/png' }); res.write(png.subarray(0, 10)); /* never ends */ }
    else if (req.url === '/moved') res.writeHead(302, { location: '/face.png' }).end();
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

test('URLs, buffers, blobs and raw pixels all decode to the same image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-inputs-'));
  const file = join(dir, 'face input.png'); // a space: file: URLs percent-encode it
  writeFileSync(file, png);
  try {
    const ab = new Uint8Array(png).buffer; // a copy: a plain ArrayBuffer
    const rgba = await sharp(png).ensureAlpha().raw().toBuffer();
    const inputs: [string, ImageInput][] = [
      ['http URL string', `${base}/face.png`],
      ['URL object, redirected', new URL(`${base}/moved`)],
      ['file: URL string', pathToFileURL(file).href],
      ['file: URL object', pathToFileURL(file)],
      ['ArrayBuffer', ab],
      ['DataView', new DataView(ab)],
      ['Blob', new Blob([new Uint8Array(png)], { type: 'image/png' })],
      ['ImageData-like RGBA without channels', { data: new Uint8ClampedArray(rgba), width: 48, height: 40 }],
      ['RGB without channels', { data: new Uint8Array(expected), width: 48, height: 40 }],
    ];
    for (const [what, input] of inputs) {
      const img = await readImage(input);
      assert.deepEqual([img.width, img.height], [48, 40], what);
      assert.ok(Buffer.from(img.data).equals(Buffer.from(expected)), `${what}: same pixels`);
    }
    assert.equal((await readImage(`${base}/face.png`)).name, `${base}/face.png`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unusable inputs are UserErrors that name them', async () => {
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((ok) => closed.close(ok));
  const cases: [ImageInput | unknown, RegExp, object?][] = [
    [42, /input: cannot read an image from a number; expected a file path, an http\(s\) or file: URL/],
    [null, /from null/],
    [{ foo: 1 }, /from an object with keys \{foo\}/],
    [new Map(), /from a Map/],
    [`${base}/missing.png`, /missing\.png: HTTP 404/],
    [`${base}/face.png`, /face\.png: larger than the download limit of 100 bytes/, { download: { maxBytes: 100 } }],
    [`${base}/slow.png`, /slow\.png: no complete answer within 0\.3 s/, { download: { timeoutMs: 300 } }],
    [`http://127.0.0.1:${deadPort}/x.png`, /x\.png: cannot download \(ECONNREFUSED\)/],
    [new URL('ftp://example.com/a.png'), /unsupported URL scheme 'ftp:'/],
    [new ArrayBuffer(0), /<ArrayBuffer>: empty buffer/],
    [new Blob(['not an image']), /<Blob>: not an image/],
    [{ data: new Uint8ClampedArray(10), width: 2, height: 2 }, /<pixels>: raw pixel buffer has 10 bytes, not 2×2 times 1, 3 or 4 channels/],
    [{ data: [1, 2, 3], width: 1, height: 1 }, /raw pixel data must be a Uint8Array or Uint8ClampedArray, got Array/],
  ];
  for (const [input, re, opts] of cases) {
    await assert.rejects(readImage(input as ImageInput, opts), (e: Error) => {
      assert.ok(e instanceof UserError, `${String(re)}: ${e.name} ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
});
