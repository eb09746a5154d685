// The Ctx a model runs in while its graph is built: weights become initializers on first use.
import type { Ctx, DType } from '../ops.js';
import type { StateDict } from '../../io/host-tensor.js';
import type { OnnxValue } from './graph.js';
import { convertData } from './host-data.js';
import type { OnnxOps } from './ops.js';
import { isFloat } from './shape.js';

export interface OnnxCtx extends Ctx<OnnxValue> {
  readonly ops: OnnxOps;
  /** Values passed to record(), by name, in recording order. */
  readonly recorded: Map<string, OnnxValue>;
  record(name: string, value: OnnxValue): void;
}

export interface OnnxCtxOptions {
  /**
   * dtype the large weight matrices and kernels (rank ≥ 2, ≥ 4096 elements) are stored in, when it differs from the
   * compute dtype (`ops.floatDType` when the weight is first used; other weights are stored in that): float16 storage with float32 compute halves the file, and a Cast right after
   * each weight (folded by ORT at load) keeps the arithmetic in float32.
   */
  storeDType?: 'float32' | 'float16';
  /** State-dict keys to keep in the compute dtype even when storeDType says otherwise. */
  keepFloat32?: (key: string) => boolean;
}

/**
 * Smaller tensors (stems, depthwise kernels) stay in the compute dtype: they are a negligible part
 * of the file, and rounding them costs most of the error (mobilenet_hash_256 logits: 2.2e-2 with
 * every kernel in float16, 7e-3 with only these).
 */
const MIN_STORE_ELEMENTS = 4096;

/** A build context over a state dict; each key is embedded at most once, and only if used. */
export function onnxCtx(ops: OnnxOps, weights: StateDict, opts: OnnxCtxOptions = {}): OnnxCtx {
  // Keyed by dtype too: a mixed-precision trace may use one weight in both compute dtypes.
  const bound = new Map<string, OnnxValue>();
  const stores = new Map<string, OnnxValue>();
  const recorded = new Map<string, OnnxValue>();
  return {
    ops,
    training: false,
    recorded,
    get(key: string): OnnxValue {
      const compute: DType = ops.floatDType;
      const hit = bound.get(`${compute}:${key}`);
      if (hit) return hit;
      const t = weights.get(key);
      if (!t) throw new Error(`the weights have no entry ${key}`);
      const float = isFloat(t.dtype);
      const large = t.shape.length >= 2 && t.data.length >= MIN_STORE_ELEMENTS && !opts.keepFloat32?.(key);
      const dtype = !float ? t.dtype : large && opts.storeDType ? opts.storeDType : compute;
      const stored = stores.get(`${dtype}:${key}`) ?? ops.graph.initializer(convertData(t.data, t.dtype, dtype), t.shape, dtype, key);
      stores.set(`${dtype}:${key}`, stored);
      const v = ops.cast(stored, float ? compute : dtype);
      bound.set(`${compute}:${key}`, v);
      return v;
    },
    record(name: string, value: OnnxValue): void {
      recorded.set(name, value);
    },
  };
}
