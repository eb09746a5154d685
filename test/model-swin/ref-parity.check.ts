// One-off check (not a test: minutes in plain JS): the Swin taps on refOps against a fixture.
// Usage: node dist/test/model-swin/ref-parity.check.js <fixture-folder>
import { existsSync } from 'node:fs';
import { readNpyFile } from '../../src/io/files.js';
import { toFloat32 } from '../../src/io/host-tensor.js';
import { buildSwin, type SwinVariant } from '../../src/model/backbones/swin.js';
import { fixturePath, fixtureStateDict } from './fixture.js';
import { refCtx, refOps, type RefT } from './ref-ops.js';

const folder = process.argv[2] ?? 'swinv2_tiny_hash_256';
const variant = (folder.startsWith('swinv2_tiny') ? 'swinv2_tiny' : 'swin_base') as SwinVariant;
const model = buildSwin(variant).setPrefix('backbone.');
const weights = new Map<string, RefT>();
for (const [k, t] of fixtureStateDict(folder)) {
  if (k.startsWith('backbone.')) weights.set(k, { shape: t.shape, dtype: t.dtype, data: t.data as Float32Array | BigInt64Array });
}
const input = readNpyFile(fixturePath(folder, 'input.npy'));
const t0 = Date.now();
const taps = model.forward(refCtx(weights), refOps.constant(toFloat32(input), input.shape));
console.log(`forward ${(Date.now() - t0) / 1000}s`);
taps.forEach((tap, i) => {
  const full = fixturePath(folder, `feat_tap${i}.npy`);
  const s3 = !existsSync(full);
  const refT = readNpyFile(s3 ? full.replace('.npy', '_s3.npy') : full);
  const ref = { shape: refT.shape, data: toFloat32(refT) };
  const got = s3 ? refOps.slice(refOps.slice(tap, 2, 0, tap.shape[2]!, 3), 3, 0, tap.shape[3]!, 3) : tap;
  const g = got.data as Float32Array;
  let mx = 0, mref = 0;
  for (let j = 0; j < g.length; j++) { mx = Math.max(mx, Math.abs(g[j]! - ref.data[j]!)); mref = Math.max(mref, Math.abs(ref.data[j]!)); }
  console.log(`tap${i} shape [${tap.shape}] ref [${ref.shape}] max_abs_diff=${mx.toExponential(3)} ref_max_abs=${mref.toFixed(3)}`);
});
