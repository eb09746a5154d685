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
import { stateDictFromCheckpoint, writeCheckpoint } from '../../src/io/checkpoint.js';
import { checkpointFingerprint } from '../../src/io/checkpoint-fingerprint.js';
import { readCheckpointFile } from '../../src/io/files.js';

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

    // Another input shape, dtype or checkpoint content each build anew; a touched file does not.
    assert.equal((await buildOnnxCached(model, load, [1, 4, 3], key, {}, dir)).hit, false);
    assert.equal((await buildOnnxCached(model, load, [1, 2, 3], key, { dtype: 'float16' }, dir)).hit, false);
    await utimes(ckpt, new Date(), new Date(Date.now() + 5000));
    assert.equal((await buildOnnxCached(model, load, [1, 2, 3], key, {}, dir)).hit, true);
    await writeFile(ckpt, 'pretend checkpoinT');
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

test('cache key from the zip\'s central directory: other weights of the same size and mtime are another graph', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'segface-onnx-cache-'));
  try {
    const write = async (name: string, w: number[]) => {
      const p = join(dir, name);
      await writeFile(p, writeCheckpoint(new Map([['scale', hostTensor('float32', [3], Float32Array.from(w))]]), { root: 'model' }));
      await utimes(p, new Date(1e12), new Date(1e12));
      return p;
    };
    const a = await write('a.pt', [1, 2, 3]);
    const b = await write('b.pt', [1, 2, 4]); // same size, same mtime, other weights
    const c = await write('c.pt', [1, 2, 3]);
    const key = (p: string) => graphCacheId({ checkpoint: p, modelId: 'toy', resolution: 2, batch: 1 });
    assert.notEqual(await key(a), await key(b));
    assert.equal(await key(a), await key(c), 'same content, another path: the same graph');
    assert.match(await checkpointFingerprint(a), /^zipcd:[0-9a-f]{64}$/);
    // Real graphs: the second checkpoint is not served the first one's graph.
    const load = (p: string) => (): StateDict => stateDictFromCheckpoint(readCheckpointFile(p), p);
    const ga = await buildOnnxCached(model, load(a), [1, 2, 3], { checkpoint: a, modelId: 'toy', resolution: 2, batch: 1 }, {}, dir);
    const gb = await buildOnnxCached(model, load(b), [1, 2, 3], { checkpoint: b, modelId: 'toy', resolution: 2, batch: 1 }, {}, dir);
    assert.equal(gb.hit, false);
    assert.notDeepEqual(Buffer.from(gb.graph.bytes), Buffer.from(ga.graph.bytes));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
