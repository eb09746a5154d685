// `--precision int8` for graphs built from a checkpoint: the float32 graph quantized as
// `export --int8` does, calibrated on the given photos, cached on disk next to the float graphs.
import { cachedGraph, type GraphCacheKey } from '../engine/onnx/index.js';
import { exportInt8 } from '../export/int8-export.js';
import type { SegFace } from '../model/segface.js';

/** The ONNX graph's arithmetic (not the libtorch runtime's Precision). */
export type GraphPrecision = 'float32' | 'int8';

export interface Int8GraphSpec {
  net: SegFace;
  resolution: number;
  batch: number;
  /** Photos whose activation ranges set the quantisation (and the agreement check). */
  calibration: readonly string[];
  key: GraphCacheKey;
  cacheDir?: string;
  log?: (s: string) => void;
}

export async function int8Graph(floatBytes: Uint8Array, s: Int8GraphSpec): Promise<Uint8Array> {
  const key: GraphCacheKey = { ...s.key, dtype: 'int8', extra: { ...s.key.extra, calibration: [...s.calibration] } };
  const c = await cachedGraph(key, async () => {
    const q = await exportInt8(s.net, floatBytes, s.resolution, s.batch, s.calibration, undefined, s.log ?? (() => {}));
    return { bytes: q.bytes, meta: { agreement: q.result.agreement } };
  }, s.cacheDir);
  return c.bytes;
}
