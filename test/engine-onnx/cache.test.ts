// The on-disk graph cache: a second build is a hit that never loads weights; keys separate
// checkpoints, resolutions and dtypes; files appear atomically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from '../../src/engine/ops.js';
import type { OnnxValue } from '../../src/engine/onnx/graph.js';
import { buildOnnxCached, defaultCacheDir, graphCacheId } from '../../src/engine/onnx/cache.js';
import { createSession, releaseSession, run } from '../../src/engine/onnx/session.js';
import { hostTensor, type StateDict } from '../../src/io/host-tensor.js';

const model = {
  forward: (ctx: Ctx<OnnxValue>, x: OnnxValue) => ctx.ops.mul(x, ctx.get('scale')),
};

test('second build is a cache hit (weights not loaded), and runs the same', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'segface-onnx-cache-'));
  try {
    const ckpt = join(dir, 'model.pt');
    await writeFile(ckpt, 'pretend checkpoint');
    let loads = 0;
    const load = (): StateDict => {
      loads++;
      return new Map([['scale', hostTensor('float32', [3], Float32Array.from([1, 2, 3]))]]);
    };
    const key = { checkpoint: ckpt, modelId: 'toy', resolution: 2, batch: 1 };
    const a = await buildOnnxCached(model, load, [1, 2, 3], key, {}, dir);
    const b = await buildOnnxCached(model, load, [1, 2, 3], key, {}, dir);
    assert.equal(a.hit, false);
    assert.equal(b.hit, true);
    assert.equal(loads, 1);
    assert.equal(b.path, a.path);
    assert.deepEqual(b.graph.outputs, a.graph.outputs);
    assert.equal(b.graph.inputName, 'input');
    assert.deepEqual(Buffer.from(b.graph.bytes), Buffer.from(a.graph.bytes));
    const s = await createSession(b.graph.bytes, { threads: 1 });
    const r = await run(s, { input: { data: Float32Array.from([1, 1, 1, 2, 2, 2]), shape: [1, 2, 3] } });
    await releaseSession(s);
    assert.deepEqual(Array.from(r.output!.data), [1, 2, 3, 2, 4, 6]);
    // no temp files left behind
    assert.ok((await readdir(dir)).every((f) => !f.endsWith('.tmp')));

    // Another input shape, dtype or a touched checkpoint each build anew.
    assert.equal((await buildOnnxCached(model, load, [1, 4, 3], key, {}, dir)).hit, false);
    assert.equal((await buildOnnxCached(model, load, [1, 2, 3], key, { dtype: 'float16' }, dir)).hit, false);
    await utimes(ckpt, new Date(), new Date(Date.now() + 5000));
    assert.equal((await buildOnnxCached(model, load, [1, 2, 3], key, {}, dir)).hit, false);
    assert.equal(loads, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a truncated cache entry is rebuilt, not loaded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'segface-onnx-cache-'));
  try {
    const load = (): StateDict => new Map([['scale', hostTensor('float32', [3], Float32Array.from([1, 2, 3]))]]);
    const key = { checkpointHash: 'abc', modelId: 'toy', resolution: 2, batch: 1 };
    const a = await buildOnnxCached(model, load, [1, 2, 3], key, {}, dir);
    await writeFile(a.path, a.graph.bytes.subarray(0, 10));
    const b = await buildOnnxCached(model, load, [1, 2, 3], key, {}, dir);
    assert.equal(b.hit, false);
    assert.equal(b.graph.bytes.byteLength, a.graph.bytes.byteLength);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cache location: SEGFACE_CACHE, then XDG_CACHE_HOME; ids differ by model and batch', async () => {
  const saved = { s: process.env.SEGFACE_CACHE, x: process.env.XDG_CACHE_HOME };
  try {
    process.env.SEGFACE_CACHE = '/tmp/sf-cache';
    assert.equal(defaultCacheDir(), '/tmp/sf-cache');
    delete process.env.SEGFACE_CACHE;
    process.env.XDG_CACHE_HOME = '/tmp/xdg';
    assert.equal(defaultCacheDir(), '/tmp/xdg/segface/onnx');
  } finally {
    if (saved.s === undefined) delete process.env.SEGFACE_CACHE; else process.env.SEGFACE_CACHE = saved.s;
    if (saved.x === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved.x;
  }
  const base = { checkpointHash: 'h', modelId: 'swin_base', resolution: 512, batch: 1 };
  const ids = await Promise.all([
    graphCacheId(base), graphCacheId({ ...base, batch: 2 }), graphCacheId({ ...base, modelId: 'resnet' }),
    graphCacheId({ ...base, resolution: 448 }),
  ]);
  assert.equal(new Set(ids).size, 4);
  assert.equal(await graphCacheId({ ...base }), ids[0]);
});
