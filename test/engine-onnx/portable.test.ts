// The graph builder must bundle for a browser (no fs, no onnxruntime-node) and work from the bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { createSession, releaseSession, run } from '../../src/engine/onnx/session.js';

test('portable.ts bundles for the browser and its graphs run in ORT', async () => {
  const res = await build({
    entryPoints: ['src/engine/onnx/portable.ts'], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent',
  });
  const code = res.outputFiles[0]!.text;
  assert.ok(!/onnxruntime-node|node:fs/.test(code), 'no Node-only modules in the bundle');
  const dir = await mkdtemp(join(tmpdir(), 'segface-portable-'));
  try {
    const file = join(dir, 'portable.mjs');
    await writeFile(file, code);
    const m = (await import(pathToFileURL(file).href)) as typeof import('../../src/engine/onnx/portable.js');
    const g = new m.GraphBuilder();
    const ops = new m.OnnxOps(g);
    const x = g.input('x', [1, 1, 2, 2]);
    g.output(ops.interpolateBilinear(ops.mul(x, 2), [4, 4]), 'y');
    const s = await createSession(g.serialize(), { threads: 1 });
    const r = await run(s, { x: { data: Float32Array.from([0, 1, 2, 3]), shape: [1, 1, 2, 2] } });
    await releaseSession(s);
    assert.deepEqual(r.y!.shape, [1, 1, 4, 4]);
    assert.deepEqual(Array.from(r.y!.data.subarray(0, 4)), [0, 0.5, 1.5, 2]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
