import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { resizeBicubicRgb } from '../../src/image/resize-bicubic.js';

function pattern(w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    a[(y * w + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + ((x * y) % 31)) % 256;
  }
  return a;
}

// Reference digests from Pillow 9.4.0 (Debian bookworm):
//   Image.fromarray(pattern).resize((ow, oh), Image.BICUBIC), sha256 of the bytes, first 16 hex.
const cases: [number, number, number, number, string][] = [
  [37, 53, 16, 16, '6c460fb2f26e8bb1'],
  [37, 53, 64, 40, '4759aba4e58ad843'],
  [300, 200, 512, 512, '225c0783a3acfa97'],
  [1000, 700, 512, 512, '2013002239c08512'],
  [512, 512, 256, 384, '95462f8fe21dc53e'],
];

test('bicubic resize is byte-identical to Pillow', () => {
  for (const [w, h, ow, oh, want] of cases) {
    const out = resizeBicubicRgb(pattern(w, h), w, h, ow, oh);
    assert.equal(out.length, ow * oh * 3);
    assert.equal(createHash('sha256').update(out).digest('hex').slice(0, 16), want, `${w}x${h} -> ${ow}x${oh}`);
  }
});

test('same size is a copy', () => {
  const p = pattern(5, 4);
  const out = resizeBicubicRgb(p, 5, 4, 5, 4);
  assert.deepEqual(out, p);
  assert.notEqual(out, p);
});
