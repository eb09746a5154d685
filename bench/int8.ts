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
import { buildOnnxGraph } from '../src/engine/onnx/index.js';
import { readNpyFile } from '../src/io/files.js';
import { toFloat32 } from '../src/io/host-tensor.js';
import { loadFixtureModel } from '../src/model/parity.js';
import { flag, printTable, runMain } from './common.js';

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

/** Agreement is measured on `benchInput` and `extra` (default: the photos). */
export async function int8Variant(floatBytes: Uint8Array, benchInput: Float32Array, r: number, batch: number, classes: number, threads: number, extra?: Float32Array[]): Promise<{ bytes: Uint8Array; agreement: Agreement; each: Agreement[] }> {
  const photos = await calibrationBatches(PHOTOS.filter((p) => existsSync(p)), r, batch);
  if (photos.length === 0) throw new Error(`int8 rows need the sample photos (${PHOTOS.join(', ')}; scripts/setup.sh installs them)`);
  const bytes = quantizeModel(floatBytes, await calibrationRanges(floatBytes, photos, r, threads));
  const xs = [benchInput, ...(extra ?? photos)];
  const [f, q] = [await logits(floatBytes, xs, r, threads), await logits(bytes, xs, r, threads)];
  const each = q.map((l, i) => agreement(l, f[i]!, classes, r * r));
  return { bytes, agreement: meanAgreement(each), each };
}

/**
 * `npm run bench -- int8 [--fixtures a,b] [--threads 2]`: every parity fixture quantized in full
 * with ranges from the sample photos; agreement with its float32 graph on the fixture's own
 * input and on the photos.
 */
async function main(): Promise<void> {
  const threads = Number(flag('threads', '2'));
  const dir = join(process.cwd(), '..', 'shared', 'fixtures');
  const names = flag('fixtures', 'mobilenet_seed0_512,mobilenet_hash_256,convnext_tiny_hash_256,swin_base_hash_224,swinv2_tiny_hash_256,resnet_hash_512,efficientnet_hash_512').split(',');
  const rows: (string | number)[][] = [];
  for (const name of names) {
    const f = loadFixtureModel(join(dir, name));
    const r = f.meta.resolution;
    const g = buildOnnxGraph(f.model, f.weights, [1, 3, r, r]);
    const x = toFloat32(readNpyFile(join(dir, name, 'input.npy')));
    const q = await int8Variant(g.bytes, x, r, 1, f.model.numClasses, threads);
    const onInput = q.each[0]!;
    rows.push([name, 100 * onInput.argmax, onInput.softmaxMeanAbs, 100 * q.agreement.argmax, q.agreement.softmaxMeanAbs]);
    console.log(`int8 ${name}: fixture input ${(100 * onInput.argmax).toFixed(2)} %, input + photos ${(100 * q.agreement.argmax).toFixed(2)} %`);
  }
  printTable('int8 (all Conv/Gemm, ranges from the two sample photos) against float32: argmax agreement % and mean |Δsoftmax|',
    ['fixture', 'input %', 'input |Δp|', 'input+photos %', 'input+photos |Δp|'], rows);
}

runMain(import.meta.url, main);
