import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../src/errors.js';
import { readImage } from '../../src/image/read.js';

let dir: string;
const W = 6, H = 4;
// A small RGB picture with distinct corners: red top-left, green top-right, blue bottom-left.
const rgb = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
  const o = (y * W + x) * 3;
  rgb.set(y < H / 2 ? (x < W / 2 ? [255, 0, 0] : [0, 255, 0]) : (x < W / 2 ? [0, 0, 255] : [255, 255, 255]), o);
}
const raw = { raw: { width: W, height: H, channels: 3 as const } };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segface-read-'));
  await sharp(rgb, raw).png().toFile(join(dir, 'a.png'));
  await sharp(rgb, raw).webp({ lossless: true }).toFile(join(dir, 'a.webp'));
  await sharp(rgb, raw).tiff({ compression: 'lzw' }).toFile(join(dir, 'a.tiff'));
  await sharp(rgb, raw).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(join(dir, 'rot6.jpg'));
  await sharp(rgb, raw).greyscale().png().toFile(join(dir, 'grey.png'));
  await sharp(rgb, raw).ensureAlpha(0.5).png().toFile(join(dir, 'alpha.png'));
  const big = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 9, g: 99, b: 199 } } }).jpeg().toBuffer();
  writeFileSync(join(dir, 'big.jpg'), big);
  writeFileSync(join(dir, 'truncated.jpg'), readFileSync(join(import.meta.dirname ?? '.', '../../../.assets/grace_hopper.jpg')).subarray(0, 20000));
  writeFileSync(join(dir, 'empty.jpg'), '');
  writeFileSync(join(dir, 'notes.png'), 'this is a text file, not a picture\n');
  mkdirSync(join(dir, 'folder.png'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const px = (d: Uint8Array, w: number, x: number, y: number) => [...d.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];

test('PNG, WebP and TIFF decode to the same RGB pixels', async () => {
  for (const f of ['a.png', 'a.webp', 'a.tiff']) {
    const img = await readImage(join(dir, f));
    assert.equal(img.width, W);
    assert.equal(img.height, H);
    assert.deepEqual(img.data, rgb, f);
    assert.equal(img.name, join(dir, f));
  }
});

test('EXIF orientation is applied', async () => {
  // Orientation 6 = rotate 90° clockwise for display: the 6×4 picture shows as 4×6, with the
  // stored bottom-left (blue) corner at the top-left.
  const img = await readImage(join(dir, 'rot6.jpg'));
  assert.equal(img.width, H);
  assert.equal(img.height, W);
  const [r, g, b] = px(img.data, img.width, 0, 0);
  assert.ok(b! > 200 && r! < 60 && g! < 60, `top-left ${r},${g},${b}`);
});

test('greyscale becomes RGB and alpha is dropped', async () => {
  const g = await readImage(join(dir, 'grey.png'));
  assert.equal(g.data.length, W * H * 3);
  for (let i = 0; i < W * H; i++) assert.ok(g.data[i * 3] === g.data[i * 3 + 1] && g.data[i * 3] === g.data[i * 3 + 2]);
  const a = await readImage(join(dir, 'alpha.png'));
  assert.deepEqual(a.data, rgb);
});

test('buffers and raw pixels are accepted', async () => {
  const b = await readImage(readFileSync(join(dir, 'a.png')));
  assert.deepEqual(b.data, rgb);
  assert.equal(b.name, '<buffer>');
  const rgba = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) rgba.set([...rgb.subarray(i * 3, i * 3 + 3), 7], i * 4);
  const r = await readImage({ data: rgba, width: W, height: H, channels: 4 }, { name: 'canvas' });
  assert.deepEqual(r.data, rgb);
  await assert.rejects(readImage({ data: rgba, width: W + 1, height: H, channels: 4 }, { name: 'canvas' }), /^UserError: canvas: raw pixel buffer has 96 bytes, expected 7×4×4 = 112/);
});

async function failsWith(input: string, re: RegExp, maxPixels?: number) {
  await assert.rejects(readImage(input, { maxPixels }), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.ok(e.message.startsWith(`${input}: `), e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('bad inputs fail with one line naming the file', async () => {
  await failsWith(join(dir, 'missing.jpg'), /no such file$/);
  await failsWith(join(dir, 'empty.jpg'), /empty file \(0 bytes\)$/);
  await failsWith(join(dir, 'notes.png'), /not an image/);
  await failsWith(join(dir, 'truncated.jpg'), /truncated or corrupt image/);
  await failsWith(join(dir, 'folder.png'), /is a directory/);
  await failsWith(join(dir, 'big.jpg'), /640×480 = 307200 pixels, over the limit of 300000/, 300_000);
  const ok = await readImage(join(dir, 'big.jpg'), { maxPixels: 307_200 });
  const got = px(ok.data, ok.width, 3, 3);
  [9, 99, 199].forEach((v, c) => assert.ok(Math.abs(got[c]! - v) <= 2, `${got}`));
});
