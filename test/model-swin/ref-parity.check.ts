// One-off check (not a test: minutes in plain JS): the Swin taps on refOps against a fixture.
// Usage: node dist/test/model-swin/ref-parity.check.js <fixture-folder>
import path from 'node:path';
import { buildSwin, type SwinVariant } from '../../src/model/backbones/swin.js';
import { FIXTURES, fixtureWeights, readNpyF32 } from './fixture.js';
import { refCtx, refOps, type RefT } from './ref-ops.js';

const folder = process.argv[2] ?? 'swinv2_tiny_hash_256';
const variant = (folder.startsWith('swinv2_tiny') ? 'swinv2_tiny' : 'swin_base') as SwinVariant;
const model = buildSwin(variant).setPrefix('backbone.');
const weights = new Map<string, RefT>();
for (const [k, t] of fixtureWeights(folder)) {
  weights.set(k, { shape: t.shape, dtype: t.data instanceof BigInt64Array ? 'int64' : 'float32', data: t.data });
}
const input = readNpyF32(path.join(FIXTURES, folder, 'input.npy'));
const t0 = Date.now();
const taps = model.forward(refCtx(weights), refOps.constant(input.data, input.shape));
console.log(`forward ${(Date.now() - t0) / 1000}s`);
taps.forEach((tap, i) => {
  const full = path.join(FIXTURES, folder, `feat_tap${i}.npy`);
  let got = tap;
  let ref;
  try { ref = readNpyF32(full); } catch {
    ref = readNpyF32(full.replace('.npy', '_s3.npy'));
    got = refOps.slice(refOps.slice(tap, 2, 0, tap.shape[2]!, 3), 3, 0, tap.shape[3]!, 3);
  }
  const g = got.data as Float32Array;
  let mx = 0, mref = 0;
  for (let j = 0; j < g.length; j++) { mx = Math.max(mx, Math.abs(g[j]! - ref.data[j]!)); mref = Math.max(mref, Math.abs(ref.data[j]!)); }
  console.log(`tap${i} shape [${tap.shape}] ref [${ref.shape}] max_abs_diff=${mx.toExponential(3)} ref_max_abs=${mref.toFixed(3)}`);
});
