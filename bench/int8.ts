// int8 rows for bench infer: the float32 graph quantized in full (all Conv/Gemm nodes; the bench's
// random weights give no accuracy signal to search on) with ranges from the two sample photos,
// and its argmax agreement / mean |Δsoftmax| with float32 on the bench input and the photos.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSession, releaseSession, run } from '../src/engine/onnx/session.js';
import { agreement, meanAgreement, type Agreement } from '../src/export/agreement.js';
import { calibrationRanges } from '../src/export/int8-calibrate.js';
import { calibrationBatches } from '../src/export/int8-export.js';
import { quantizeModel } from '../src/export/qdq.js';

export const PHOTOS = ['astronaut.png', 'grace_hopper.jpg'].map((f) => join(process.cwd(), '.assets', f));

async function logits(bytes: Uint8Array, xs: readonly Float32Array[], r: number, threads: number): Promise<Float32Array[]> {
  const s = await createSession(bytes, { threads });
  try {
    const out: Float32Array[] = [];
    for (const x of xs) out.push((await run(s, { [s.inputNames[0]!]: { data: x, shape: [x.length / (3 * r * r), 3, r, r] } }))[s.outputNames[0]!]!.data);
    return out;
  } finally {
    await releaseSession(s);
  }
}

export async function int8Variant(floatBytes: Uint8Array, benchInput: Float32Array, r: number, batch: number, classes: number, threads: number): Promise<{ bytes: Uint8Array; agreement: Agreement }> {
  const photos = await calibrationBatches(PHOTOS.filter((p) => existsSync(p)), r, batch);
  if (photos.length === 0) throw new Error(`int8 rows need the sample photos (${PHOTOS.join(', ')}; scripts/setup.sh installs them)`);
  const bytes = quantizeModel(floatBytes, await calibrationRanges(floatBytes, photos, r, threads));
  const xs = [benchInput, ...photos];
  const [f, q] = [await logits(floatBytes, xs, r, threads), await logits(bytes, xs, r, threads)];
  return { bytes, agreement: meanAgreement(q.map((l, i) => agreement(l, f[i]!, classes, r * r))) };
}
