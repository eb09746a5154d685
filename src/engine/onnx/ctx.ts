// The Ctx a model runs in while its graph is built: weights become initializers on first use,
// each in the dtype the precision plan gives its key (see engine/precision-plan.ts).
import type { Ctx } from '../ops.js';
import type { StateDict } from '../../io/host-tensor.js';
import { inFloat32Modules, type Float32Modules } from '../precision-plan.js';
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
   * Keys under these module prefixes are stored and computed in float32; the others compute in
   * `ops.floatDType`. The layers follow their weights' dtype (OnnxOps), so this alone mixes a graph.
   */
  float32Modules?: Float32Modules;
  /**
   * dtype the large weight matrices and kernels (rank ≥ 2, ≥ 4096 elements) outside
   * `float32Modules` are stored in, when it differs from their compute dtype: float16 storage with
   * float32 compute halves the file, and a Cast right after each weight (folded by ORT at load)
   * keeps the arithmetic in float32.
   */
  storeDType?: 'float32' | 'float16';
}

/**
 * Smaller tensors (stems, depthwise kernels) stay in the compute dtype: they are a negligible part
 * of the file, and rounding them costs most of the error (mobilenet_hash_256 logits: 2.2e-2 with
 * every kernel in float16, 7e-3 with only these).
 */
const MIN_STORE_ELEMENTS = 4096;

/** A build context over a state dict; each key is embedded at most once, and only if used. */
export function onnxCtx(ops: OnnxOps, weights: StateDict, opts: OnnxCtxOptions = {}): OnnxCtx {
  const bound = new Map<string, OnnxValue>();
  const recorded = new Map<string, OnnxValue>();
  return {
    ops,
    training: false,
    recorded,
    get(key: string): OnnxValue {
      const hit = bound.get(key);
      if (hit) return hit;
      const t = weights.get(key);
      if (!t) throw new Error(`the weights have no entry ${key}`);
      let v: OnnxValue;
      if (!isFloat(t.dtype)) v = ops.graph.initializer(t.data, t.shape, t.dtype, key);
      else {
        const float32 = inFloat32Modules(key, opts.float32Modules);
        const compute = float32 ? 'float32' : ops.floatDType;
        const large = t.shape.length >= 2 && t.data.length >= MIN_STORE_ELEMENTS;
        const stored = !float32 && large && opts.storeDType ? opts.storeDType : compute;
        v = ops.cast(ops.graph.initializer(convertData(t.data, t.dtype, stored), t.shape, stored, key), compute);
      }
      bound.set(key, v);
      return v;
    },
    record(name: string, value: OnnxValue): void {
      recorded.set(name, value);
    },
  };
}
