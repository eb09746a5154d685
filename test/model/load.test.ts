// Strict loading: a checkpoint for another backbone fails with one message naming the file
// and listing missing keys, unexpected keys and shape mismatches with counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { readStateDictFile } from '../../src/io/files.js';
import { buildSegFace } from '../../src/model/build.js';
import { bindStateDict, randomStateDict } from '../../src/model/load.js';
import { fixture, requireFixtures } from './fixtures.js';

requireFixtures();

test('a MobileNet checkpoint loaded into the EfficientNet model is refused with a listing', () => {
  const path = join(fixture('mobilenet_seed0_512'), 'model.pt');
  const sd = readStateDictFile(path);
  assert.equal(sd.size, 431);
  const model = buildSegFace({ model: 'efficientnet', head: 'celeb', resolution: 512 });
  assert.throws(() => bindStateDict(model, sd, path, 'SegFace --model efficientnet'), (e: unknown) => {
    assert.ok(e instanceof UserError);
    const m = e.message;
    assert.ok(m.startsWith(`${path}: checkpoint does not fit SegFace --model efficientnet (431 entries, model expects 1241)`), m);
    // Keys only EfficientNet has / only MobileNet has, and same-named tensors of other shapes.
    assert.match(m, /missing keys \(\d+\): backbone\.\S+, .*\(\d+ more\)/);
    assert.match(m, /unexpected keys \(\d+\): backbone\.\S+/);
    assert.match(m, /shape mismatches \(\d+\): backbone\.0\.0\.weight \[16,3,3,3\] float32 vs expected \[24,3,3,3\] float32/);
    return true;
  });
});

test('the matching checkpoint binds, in declaration order', () => {
  const path = join(fixture('mobilenet_seed0_512'), 'model.pt');
  const model = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 512 });
  const bound = bindStateDict(model, readStateDictFile(path), path);
  assert.deepEqual([...bound.keys()], [...model.declarations()].map(([k]) => k));
  assert.equal(bound.get('backbone.0.1.num_batches_tracked')!.dtype, 'int64');
});

test('a wrong head (11 tokens vs 19) is reported as the missing token keys', () => {
  const celeb = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 256 });
  const lapa = buildSegFace({ model: 'mobilenet', head: 'lapa', resolution: 256 });
  assert.throws(() => bindStateDict(celeb, randomStateDict(lapa, 1), 'lapa.pt'), (e: unknown) => {
    const m = (e as Error).message;
    assert.match(m, /^lapa\.pt: checkpoint does not fit the model \(423 entries, model expects 431\)/);
    assert.match(m, /missing keys \(8\): face_decoder\.neck_token\.weight, face_decoder\.cloth_token\.weight, face_decoder\.rightear_token\.weight, face_decoder\.leftear_token\.weight, face_decoder\.glass_token\.weight, … \(3 more\)/);
    assert.doesNotMatch(m, /unexpected keys|shape mismatches/);
    return true;
  });
});

test('randomStateDict follows the declarations (deterministic per seed)', () => {
  const model = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 256 });
  const a = randomStateDict(model, 7), b = randomStateDict(model, 7);
  assert.deepEqual([...a.keys()], [...model.declarations()].map(([k]) => k));
  assert.deepEqual(a.get('backbone.0.0.weight')!.data, b.get('backbone.0.0.weight')!.data);
  // BatchNorm starts as identity; kaiming fan_out conv init has std √(2/fan_out).
  assert.ok((a.get('backbone.0.1.weight')!.data as Float32Array).every((v) => v === 1));
  const w = a.get('backbone.16.0.weight')!.data as Float32Array; // [960,160,1,1], fan_out 960
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 960)) < 0.003, `std ${std}`);
});
