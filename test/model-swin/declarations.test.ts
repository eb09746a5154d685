import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSwin, SWIN_VARIANTS, type SwinVariant } from '../../src/model/backbones/swin.js';
import { Rng } from '../../src/model/init.js';
import { fixtureStateDict, recipe } from './fixture.js';

const declared = (v: SwinVariant) => [...buildSwin(v).setPrefix('backbone.').declarations()];

for (const [variant, folder, count] of [
  ['swin_base', 'swin_base_hash_224', 351],
  ['swinv2_tiny', 'swinv2_tiny_hash_256', 231],
] as const) {
  test(`${variant}: declarations equal the official state dict (keys, order, shapes, dtypes)`, () => {
    const want = recipe(folder).filter((e) => e.key.startsWith('backbone.'));
    const got = declared(variant);
    assert.equal(got.length, count);
    assert.deepEqual(got.map(([k, d]) => [k, [...d.shape], d.dtype]), want.map((e) => [e.key, e.shape, e.dtype]));
  });

  test(`${variant}: generated index/coords buffers equal the stored ones`, () => {
    const stored = fixtureStateDict(folder);
    const rng = new Rng(0);
    let checked = 0;
    for (const [key, d] of declared(variant)) {
      if (key.endsWith('relative_position_index') || key.endsWith('relative_coords_table')) {
        // bit-exact: int64 index and the float32 log-spaced table as torch computes it
        assert.deepEqual(d.init(d.shape, rng, d.dtype), stored.get(key)!.data, key);
        checked++;
      }
    }
    assert.equal(checked, SWIN_VARIANTS[variant].depths.reduce((a, b) => a + b) * (SWIN_VARIANTS[variant].v2 ? 2 : 1));
  });
}

test('every variant declares torchvision-sized trees', () => {
  // swin_v2_b / swin_v2_s have no fixture: check the totals the spec gives (swinv2_base: 570
  // total = 447 backbone + 123 head) and the per-block key counts (18 for v2).
  assert.equal(declared('swinv2_base').length, 570 - 123);
  assert.equal(declared('swinv2_small').length, 4 + 24 * 18 + 3 * 3 + 2);
  const keys = new Map(declared('swinv2_small'));
  assert.deepEqual(keys.get('backbone.0.5.17.attn.cpb_mlp.2.weight')?.shape, [12, 512]);
  assert.deepEqual(keys.get('backbone.0.6.norm.weight')?.shape, [768]);
  assert.deepEqual(keys.get('backbone.1.weight')?.shape, [768]);
});

test('random initialisation follows torchvision (trunc_normal .02 Linears, zero biases, LN ones, log 10 scales)', () => {
  const sd = new Map([...buildSwin('swinv2_tiny').setPrefix('backbone.').declarations()].map(([k, d]) => [k, d.init(d.shape, new Rng(1), d.dtype) as Float32Array]));
  const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  for (const k of ['backbone.0.1.0.attn.qkv.weight', 'backbone.0.5.3.mlp.3.weight', 'backbone.0.2.reduction.weight', 'backbone.0.1.1.attn.cpb_mlp.0.weight']) {
    assert.ok(Math.abs(std(sd.get(k)!) - 0.02) < 0.002, `${k} std ${std(sd.get(k)!)}`);
  }
  for (const k of ['backbone.0.1.0.attn.qkv.bias', 'backbone.0.5.3.mlp.0.bias', 'backbone.0.1.1.attn.cpb_mlp.0.bias', 'backbone.0.0.2.bias']) {
    assert.ok(sd.get(k)!.every((v) => v === 0), k);
  }
  assert.ok(sd.get('backbone.0.7.1.norm2.weight')!.every((v) => v === 1));
  assert.ok(sd.get('backbone.0.3.0.attn.logit_scale')!.every((v) => v === Math.fround(Math.log(10))));
  // patch embed keeps PyTorch's default Conv2d init: U(±1/√fan_in), fan_in = 3·4·4
  const conv = sd.get('backbone.0.0.0.weight')!;
  assert.ok(conv.every((v) => Math.abs(v) <= 1 / Math.sqrt(48)) && std(conv) > 0.05);
  const table = [...buildSwin('swin_base').declarations()].find(([k]) => k.endsWith('relative_position_bias_table'))![1];
  assert.ok(Math.abs(std(table.init(table.shape, new Rng(2), 'float32') as Float32Array) - 0.02) < 0.003);
});
