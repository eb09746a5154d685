// CUDA checks for issue 18, run on a GPU machine by bench/gpu-check.sh (not part of `npm test`,
// which has no GPU): `node --test dist/test/cuda/graphs.check.js`. Fixtures from
// $SEGFACE_FIXTURES (default ../shared/fixtures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openTorchSegmenter } from '../../src/api/torch-segmenter.js';
import { native } from '../../src/engine/torch/native.js';
import { nativeGraphBackend } from '../../src/engine/torch/cuda-graph.js';
import { readNpyFile } from '../../src/io/files.js';
import { Rng } from '../../src/model/init.js';
import { loadFixtureModel, maxAbsDiff } from '../../src/parity/fixture.js';

const FIXTURES = process.env.SEGFACE_FIXTURES ?? join(process.cwd(), '..', 'shared', 'fixtures');
const NAMES = (process.env.SEGFACE_CUDA_FIXTURES ?? 'mobilenet_hash_256,swin_base_hash_224').split(',');

function spec(name: string) {
  const { model, weights, meta } = loadFixtureModel(join(FIXTURES, name));
  return { s: { net: model, weights, head: model.head, modelId: name, resolution: meta.resolution }, input: readNpyFile(join(FIXTURES, name, 'input.npy')) };
}

test('the addon has CUDA graphs and sees a GPU', () => {
  const n = native();
  assert.ok(n.cudaDeviceCount() > 0, 'no CUDA device');
  assert.equal(n.cudaGraphsCompiled, true, 'built without SEGFACE_CUDA_GRAPHS (CUDA headers not found by native/detect.js?)');
  assert.equal(nativeGraphBackend().available('cuda'), true);
});

for (const name of NAMES) {
  test(`${name}: CUDA fp32 eager matches the fixture, the CUDA graph matches eager, per batch size`, async (t) => {
    const { s, input } = spec(name);
    const ref = readNpyFile(join(FIXTURES, name, 'logits.npy')).data as Float32Array;
    const eager = await openTorchSegmenter(s, { device: 'cuda', cudaGraphs: false });
    const graphed = await openTorchSegmenter(s, { device: 'cuda', onNote: (l) => assert.fail(l) });
    try {
      const n = input.shape[0]!;
      const e = (await eager.run(input.data as Float32Array, n)).logits;
      const dRef = maxAbsDiff(e, ref);
      assert.ok(dRef < 1e-3, `eager CUDA vs fixture: ${dRef}`);
      for (let rep = 0; rep < 3; rep++) {
        const g = (await graphed.run(input.data as Float32Array, n)).logits;
        assert.equal(graphed.graphMode(n), null, 'captured');
        assert.ok(maxAbsDiff(g, e) < 1e-4, `graph replay ${rep} vs eager: ${maxAbsDiff(g, e)}`);
      }
      // Another batch size is another graph, fed through its own static input.
      const r = s.resolution;
      const rng = new Rng(3);
      const two = new Float32Array(2 * 3 * r * r).map(() => rng.normal());
      const g2 = (await graphed.run(two, 2)).logits;
      assert.equal(graphed.graphMode(2), null);
      const e2 = (await eager.run(two, 2)).logits;
      assert.ok(maxAbsDiff(g2, e2) < 1e-4, `batch 2 graph vs eager: ${maxAbsDiff(g2, e2)}`);
      // Timing, for the record (the benchmark is where speed is judged).
      const time = async (seg: typeof eager) => { const t0 = performance.now(); for (let i = 0; i < 20; i++) await seg.run(input.data as Float32Array, n); return (performance.now() - t0) / 20; };
      t.diagnostic(`${name} batch ${n}: eager ${(await time(eager)).toFixed(2)} ms, graph ${(await time(graphed)).toFixed(2)} ms per call (host in/out); max |Δ| vs fixture ${dRef.toExponential(2)}`);
    } finally {
      await eager.dispose();
      await graphed.dispose();
    }
  });

  for (const precision of ['fp16', 'bf16'] as const) {
    test(`${name}: CUDA ${precision} within 1e-2 of fp32 (load-time search), and full ${precision} measured`, async (t) => {
      const { s, input } = spec(name);
      const n = input.shape[0]!;
      const f32 = await openTorchSegmenter(s, { device: 'cuda' });
      const ref = (await f32.run(input.data as Float32Array, n)).logits;
      await f32.dispose();
      const notes: string[] = [];
      const searched = await openTorchSegmenter(s, { device: 'cuda', precision, onNote: (l) => notes.push(l) });
      const d = maxAbsDiff((await searched.run(input.data as Float32Array, n)).logits, ref);
      const graphMode = searched.graphMode(n);
      await searched.dispose();
      const full = await openTorchSegmenter(s, { device: 'cuda', precision, float32Modules: [], onNote: (l) => notes.push(l) });
      const dFull = maxAbsDiff((await full.run(input.data as Float32Array, n)).logits, ref);
      await full.dispose();
      t.diagnostic(`${name} ${precision}: searched plan ${d.toExponential(2)} (${notes.join('; ') || `all ${precision}`}), all ${precision} ${dFull.toExponential(2)}, graph: ${graphMode === null ? 'yes' : graphMode}`);
      assert.ok(d < 1e-2, `${precision} with the searched plan: ${d}`);
      assert.equal(graphMode, null, 'the half-precision forward is captured too');
    });
  }
}
