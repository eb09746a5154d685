// `export --int8` / `parse --precision int8`: calibration photos → preprocessed batches → the
// int8 search (int8-calibrate.ts) → the QDQ file, with its agreement printed and in the metadata.
import { UserError } from '../errors.js';
import { preprocessBatch } from '../image/preprocess.js';
import { readImage } from '../image/read.js';
import type { SegFace } from '../model/segface.js';
import { quantizeInt8, type Int8Result } from './int8-calibrate.js';
import { setMetadata } from './qdq.js';

/** Each photo as one input of the graph's batch size (the photo repeated), [batch,3,R,R]. */
export async function calibrationBatches(files: readonly string[], r: number, batch: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const f of files) {
    let img;
    try {
      img = await readImage(f);
    } catch (err) {
      throw new UserError(`--calibration: ${(err as Error).message}`);
    }
    out.push(preprocessBatch(Array.from({ length: batch }, () => img), r));
  }
  return out;
}

export function int8Summary(q: Int8Result): string {
  return `, ${q.quantized} of ${q.quantizable} Conv/Gemm nodes int8 (${q.float32Modules.length} modules stay float32), `
    + `argmax agreement with float32 ${(100 * q.agreement.argmax).toFixed(2)} %, mean |Δsoftmax| ${q.agreement.softmaxMeanAbs.toExponential(2)} on the calibration photos`;
}

export async function exportInt8(
  net: SegFace, floatBytes: Uint8Array, r: number, batch: number, files: readonly string[], minAgreement: number | undefined, log: (s: string) => void,
): Promise<{ bytes: Uint8Array; result: Int8Result; summary: string }> {
  const calibration = await calibrationBatches(files, r, batch);
  const q = await quantizeInt8(net, floatBytes, { resolution: r, calibration, minAgreement, log });
  log(`int8 check: ${int8Summary(q).slice(2)}, ${q.trials} graph(s) tried`);
  const bytes = setMetadata(q.bytes, {
    'segface.dtype': 'int8',
    'segface.float32_modules': JSON.stringify(q.float32Modules),
    'segface.int8_agreement': JSON.stringify({ argmax: q.agreement.argmax, softmax_mean_abs: q.agreement.softmaxMeanAbs, calibration: files }),
  });
  return { bytes, result: q, summary: int8Summary(q) };
}
