import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readImage } from '../../src/image/read.js';
import { preprocessBatch } from '../../src/image/preprocess.js';

const asset = (n: string) => fileURLToPath(new URL(`../../../.assets/${n}`, import.meta.url));
const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

// The official pipeline run in Python (OpenCV 4.6 cv2.imread + BGR→RGB, Pillow 9.4
// Image.fromarray(...).resize((512, 512), Image.BICUBIC), torch 1.13 float()/255, then
// (x - mean) / std with float32 mean/std), sha256 of the decoded uint8 HWC pixels and of the
// float32 CHW input tensor, first 16 hex digits.
const reference = [
  { file: 'grace_hopper.jpg', height: 600, width: 512, decoded: 'f7f982de68dd296a', input: '54b0432d867b6728' },
  { file: 'astronaut.png', height: 512, width: 512, decoded: 'a8c429c18afa7b0f', input: 'e7ab4901cd55a23e' },
];

test('decoding + preprocessing are bit-identical to the official OpenCV/Pillow/torch pipeline', async () => {
  for (const r of reference) {
    const img = await readImage(asset(r.file));
    assert.deepEqual([img.height, img.width], [r.height, r.width]);
    assert.equal(digest(img.data), r.decoded, `${r.file} pixels`);
    const x = preprocessBatch([img], 512);
    assert.equal(x.length, 3 * 512 * 512);
    assert.equal(digest(new Uint8Array(x.buffer)), r.input, `${r.file} input tensor`);
  }
});
