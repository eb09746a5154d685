import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { resizeArgmax } from '../../src/image/postprocess.js';

function logits(C: number, h: number, w: number): Float32Array {
  const a = new Float32Array(C * h * w);
  for (let c = 0; c < C; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    a[(c * h + y) * w + x] = ((c * 37 + y * 11 + x * 5 + c * x * y) % 97) / 7.3 - 6;
  }
  return a;
}

// From torch 1.13.1 (CPU): F.interpolate(L[None], size=(oh, ow), mode='bilinear',
// align_corners=False).argmax(1) as uint8, sha256 first 16 hex, plus the class histogram.
const cases: [number, number, number, number, number, string, number[]][] = [
  [5, 7, 9, 20, 23, '20efbe19fc1e79df', [117, 136, 90, 33, 84]],
  [19, 16, 16, 61, 45, '8d165a1fce594c65', [345, 285, 143, 78, 95, 69, 223, 82, 127, 105, 94, 164, 174, 122, 224, 124, 129, 88, 74]],
  [19, 32, 32, 13, 17, '374ceba549c17f5f', [27, 12, 8, 13, 13, 11, 11, 12, 6, 14, 16, 12, 12, 4, 16, 12, 4, 11, 7]],
  [11, 8, 8, 8, 8, '3a6564171f1fc318', [5, 6, 9, 3, 4, 4, 9, 2, 6, 5, 11]],
];

test('bilinear resize + argmax matches torch', () => {
  for (const [C, h, w, oh, ow, want, hist] of cases) {
    // Put the image after some other data to exercise the offset.
    const pad = 13;
    const buf = new Float32Array(pad + C * h * w);
    buf.set(logits(C, h, w), pad);
    const labels = resizeArgmax(buf, pad, C, h, w, oh, ow);
    assert.equal(labels.length, oh * ow);
    const got = new Array<number>(C).fill(0);
    for (const v of labels) got[v]++;
    assert.deepEqual(got, hist, `${C}x${h}x${w} -> ${oh}x${ow}`);
    assert.equal(createHash('sha256').update(labels).digest('hex').slice(0, 16), want);
  }
});
