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
  /** dtype floating weights are embedded in (the graph's compute dtype); default float32. */
  floatDType?: 'float32' | 'float16';
}

/** A build context over a state dict; each key is embedded at most once, and only if used. */
export function onnxCtx(ops: OnnxOps, weights: StateDict, opts: OnnxCtxOptions = {}): OnnxCtx {
  const floatDType: DType = opts.floatDType ?? 'float32';
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
      const dtype = isFloat(t.dtype) ? floatDType : t.dtype;
      const data = convertData(t.data, t.dtype, dtype);
      const v = ops.graph.initializer(data, t.shape, dtype, key);
      bound.set(key, v);
      return v;
    },
    record(name: string, value: OnnxValue): void {
      recorded.set(name, value);
    },
  };
}
