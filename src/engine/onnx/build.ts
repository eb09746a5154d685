// One-call graph building: run a model's forward through OnnxOps and serialise the result.
import type { Ctx } from '../ops.js';
import type { StateDict } from '../../io/host-tensor.js';
import { GraphBuilder, type OnnxValue } from './graph.js';
import { onnxCtx } from './ctx.js';
import { OnnxOps } from './ops.js';

/** Bump when a change to the builder changes the graphs it emits (invalidates the disk cache). */
export const BUILDER_VERSION = 1;

export interface ForwardModel {
  forward(ctx: Ctx<OnnxValue>, x: OnnxValue): unknown;
}

export interface BuildOptions {
  /** Graph input name; default 'input'. */
  inputName?: string;
  /** Compute dtype; float16 casts the float32 input in and the outputs back to float32. */
  dtype?: 'float32' | 'float16';
  /** Storage dtype of weight matrices and kernels (default: the compute dtype); see OnnxCtxOptions. */
  weightDType?: 'float32' | 'float16';
  /** Also expose every ctx.record()ed value as a graph output (named as recorded). */
  recordIntermediates?: boolean;
}

export interface BuiltGraph {
  bytes: Uint8Array;
  inputName: string;
  inputShape: number[];
  /** Output names with their static shapes, model outputs first, then recorded values. */
  outputs: { name: string; shape: number[] }[];
}

function isValue(v: unknown): v is OnnxValue {
  return typeof v === 'object' && v !== null && 'name' in v && 'shape' in v && 'dtype' in v;
}

/** Names a forward's result: one tensor → 'output'; an array → 'output0'…; an object → its keys. */
function namedOutputs(result: unknown): [string, OnnxValue][] {
  if (isValue(result)) return [['output', result]];
  if (Array.isArray(result)) {
    return result.map((v, i) => {
      if (!isValue(v)) throw new Error(`forward returned a non-tensor at index ${i}`);
      return [`output${i}`, v];
    });
  }
  if (typeof result === 'object' && result !== null) {
    return Object.entries(result).map(([k, v]) => {
      if (!isValue(v)) throw new Error(`forward returned a non-tensor under ${k}`);
      return [k, v];
    });
  }
  throw new Error('forward returned no tensor');
}

export function buildOnnxGraph(model: ForwardModel, weights: StateDict, inputShape: readonly number[], opts: BuildOptions = {}): BuiltGraph {
  const dtype = opts.dtype ?? 'float32';
  const graph = new GraphBuilder();
  const ops = new OnnxOps(graph, dtype);
  const ctx = onnxCtx(ops, weights, { floatDType: dtype, storeDType: opts.weightDType ?? dtype });
  const inputName = opts.inputName ?? 'input';
  const input = graph.input(inputName, inputShape, 'float32');
  const result = model.forward(ctx, ops.cast(input, dtype));
  const outs = namedOutputs(result);
  if (opts.recordIntermediates) {
    for (const [name, v] of ctx.recorded) if (!outs.some(([n]) => n === name)) outs.push([name, v]);
  }
  const outputs: BuiltGraph['outputs'] = [];
  for (const [name, v] of outs) {
    const o = graph.output(v.dtype === 'float16' ? ops.cast(v, 'float32') : v, name);
    outputs.push({ name: o.name, shape: [...o.shape] });
  }
  return { bytes: graph.serialize(), inputName, inputShape: [...inputShape], outputs };
}

/** The serialised ONNX model of `model` at a fixed input shape. */
export function buildOnnx(model: ForwardModel, weights: StateDict, inputShape: readonly number[], opts: BuildOptions = {}): Uint8Array {
  return buildOnnxGraph(model, weights, inputShape, opts).bytes;
}
