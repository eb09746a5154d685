// The model's declarations equal the official state dict (keys, order, shapes, dtypes) as
// listed in each fixture's weights.json; plus the head-only key count of spec §6.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSegFace } from '../../src/model/build.js';
import { CNN_FIXTURES, fixture, requireFixtures } from './fixtures.js';

requireFixtures();

interface Entry { key: string; shape: number[]; dtype: string }

for (const [name, model] of CNN_FIXTURES) {
  if (name === 'mobilenet_seed0_512') continue; // no weights.json (real checkpoint)
  test(`declarations match ${name}/weights.json`, () => {
    const entries = (JSON.parse(readFileSync(join(fixture(name), 'weights.json'), 'utf8')) as { entries: Entry[] }).entries;
    const decls = [...buildSegFace({ model, head: 'celeb', resolution: 256 }).declarations()];
    assert.deepEqual(
      decls.map(([k, d]) => `${k} [${d.shape.join(',')}] ${d.dtype}`),
      entries.map((e) => `${e.key} [${e.shape.join(',')}] ${e.dtype}`),
    );
  });
}

test('head keys: 123 non-backbone entries for 19 classes, 115 for 11', () => {
  const count = (head: 'celeb' | 'lapa') =>
    [...buildSegFace({ model: 'mobilenet', head, resolution: 512 }).declarations()].filter(([k]) => !k.startsWith('backbone.')).length;
  assert.equal(count('celeb'), 123);
  assert.equal(count('lapa'), 115);
});

test('backbone key counts per family (spec §6.2)', () => {
  const n = (model: string) =>
    [...buildSegFace({ model, head: 'celeb', resolution: 512 }).declarations()].filter(([k]) => k.startsWith('backbone.')).length;
  assert.equal(n('mobilenet'), 308);
  assert.equal(n('efficientnet'), 1118);
  assert.equal(n('resnet'), 624);
  assert.equal(n('convnext_base'), 340);
  assert.equal(n('convnext_small'), 340);
});

test('convnext_tiny builds ConvNeXt-Small, as the official code does', () => {
  const shapes = (model: string) => [...buildSegFace({ model, head: 'celeb', resolution: 512 }).declarations()].map(([k, d]) => `${k}${d.shape}`);
  assert.deepEqual(shapes('convnext_tiny'), shapes('convnext_small'));
});
