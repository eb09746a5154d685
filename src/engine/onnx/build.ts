// One-call graph building: run a model's forward through OnnxOps and serialise the result.
import type { Ctx } from '../ops.js';
import type { StateDict } from '../../io/host-tensor.js';
import type { Float32Modules } from '../precision-plan.js';
import { GraphBuilder, type OnnxValue } from './graph.js';
import { onnxCtx } from './ctx.js';
import { OnnxOps } from './ops.js';
import { TRACE_BATCHES, makeBatchDynamic } from './dynamic-batch.js';
import { rewriteForInference, type RewriteNote, type RewriteOptions } from './rewrite/index.js';

/** Bump when a change to the builder changes the graphs it emits (invalidates the disk cache). */
export const BUILDER_VERSION = 4;

export interface ForwardModel {
  /** `inputs`: the graph's extra inputs (BuildOptions.extraInputs) by name, when it has any. */
  forward(ctx: Ctx<OnnxValue>, x: OnnxValue, inputs?: Readonly<Record<string, OnnxValue>>): unknown;
}

/** A float32 graph input besides the image (e.g. LaPa's warp grids). */
export interface ExtraInput { name: string; shape: readonly number[] }

export interface BuildOptions {
  /** Graph input name; default 'input'. */
  inputName?: string;
  /**
   * Compute dtype of the weights (and constants). The graph's inputs and outputs stay float32:
   * each layer casts its input to its weight's dtype, and float16 outputs are cast back.
   */
  dtype?: 'float32' | 'float16';
  /** Module prefixes whose weights are stored and computed in float32 whatever dtype/weightDType say. */
  float32Modules?: Float32Modules;
  /** Storage dtype of weight matrices and kernels (default: the compute dtype); see OnnxCtxOptions. */
  weightDType?: 'float32' | 'float16';
  /** Also expose every ctx.record()ed value as a graph output (named as recorded). */
  recordIntermediates?: boolean;
  /**
   * Symbolic batch dim ('batch') on the input and outputs; inputShape[0] is then ignored. Costs
   * a second trace of the model (see dynamic-batch.ts).
   */
  dynamicBatch?: boolean;
  /**
   * Exact algebraic rewrites of float32 graphs (rewrite/: fusion and block-0 folding, PE
   * projections as constants, the upscaler in token layout, residual LayerNorms kept unfused;
   * ConvTranspose as Conv + DepthToSpace and Swin's token chains as Gathers on request); default on.
   * false gives the graph exactly as the model is written.
   */
  rewrite?: boolean | RewriteOptions;
  /** More float32 graph inputs, after the image, passed to forward() by name (static shapes). */
  extraInputs?: readonly ExtraInput[];
}

export interface BuiltGraph {
  bytes: Uint8Array;
  inputName: string;
  /** -1 marks the symbolic batch dim of a dynamic-batch graph (outputs likewise). */
  inputShape: number[];
  /** Output names with their static shapes, model outputs first, then recorded values. */
  outputs: { name: string; shape: number[] }[];
  /** The rewrites applied (empty when off or when nothing matched). */
  rewrites: RewriteNote[];
}

/** Whether v is a traced ONNX value (rather than a number, array or object of them). */
export function isOnnxValue(v: unknown): v is OnnxValue {
  return typeof v === 'object' && v !== null && 'name' in v && 'shape' in v && 'dtype' in v;
}

/** Names a forward's result: one tensor → 'output'; an array → 'output0'…; an object → its keys. */
function namedOutputs(result: unknown): [string, OnnxValue][] {
  if (isOnnxValue(result)) return [['output', result]];
  if (Array.isArray(result)) {
    return result.map((v, i) => {
      if (!isOnnxValue(v)) throw new Error(`forward returned a non-tensor at index ${i}`);
      return [`output${i}`, v];
    });
  }
  if (typeof result === 'object' && result !== null) {
    return Object.entries(result).map(([k, v]) => {
      if (!isOnnxValue(v)) throw new Error(`forward returned a non-tensor under ${k}`);
      return [k, v];
    });
  }
  throw new Error('forward returned no tensor');
}

/** Runs the forward once into a fresh builder; returns the builder and the named outputs. */
function trace(model: ForwardModel, weights: StateDict, inputShape: readonly number[], opts: BuildOptions): { graph: GraphBuilder; outputs: OnnxValue[]; rewrites: RewriteNote[] } {
  const dtype = opts.dtype ?? 'float32';
  const graph = new GraphBuilder();
  const ops = new OnnxOps(graph, dtype);
  const ctx = onnxCtx(ops, weights, { storeDType: opts.weightDType, float32Modules: opts.float32Modules });
  // The inputs enter in float32; the first layer casts to its weight's dtype.
  const input = graph.input(opts.inputName ?? 'input', inputShape, 'float32');
  let extra: Record<string, OnnxValue> | undefined;
  for (const e of opts.extraInputs ?? []) (extra ??= {})[e.name] = graph.input(e.name, e.shape, 'float32');
  const result = model.forward(ctx, input, extra);
  const outs = namedOutputs(result);
  if (opts.recordIntermediates) {
    for (const [name, v] of ctx.recorded) if (!outs.some(([n]) => n === name)) outs.push([name, v]);
  }
  const outputs = outs.map(([name, v]) => graph.output(v.dtype === 'float16' ? ops.cast(v, 'float32') : v, name));
  // Mixed-precision graphs are left alone: their casts sit inside the chains the passes match.
  const float32 = dtype === 'float32' && (opts.weightDType ?? 'float32') === 'float32';
  const rewrites = opts.rewrite !== false && float32 ? rewriteForInference(graph, typeof opts.rewrite === 'object' ? opts.rewrite : {}) : [];
  return { graph, outputs, rewrites };
}

export function buildOnnxGraph(model: ForwardModel, weights: StateDict, inputShape: readonly number[], opts: BuildOptions = {}): BuiltGraph {
  const inputName = opts.inputName ?? 'input';
  if (!opts.dynamicBatch) {
    const t = trace(model, weights, inputShape, opts);
    const outputs = t.outputs.map((o) => ({ name: o.name, shape: [...o.shape] }));
    return { bytes: t.graph.serialize(), inputName, inputShape: [...inputShape], outputs, rewrites: t.rewrites };
  }
  if (opts.extraInputs?.length) throw new Error('dynamicBatch: graphs with extra inputs have a static batch');
  const [b2, b3] = TRACE_BATCHES;
  const t2 = trace(model, weights, [b2, ...inputShape.slice(1)], opts);
  const t3 = trace(model, weights, [b3, ...inputShape.slice(1)], opts);
  makeBatchDynamic(t2.graph, t3.graph);
  const outputs = t2.outputs.map((o, k) => ({ name: o.name, shape: o.shape.map((d, i) => (d === t3.outputs[k]!.shape[i] ? d : -1)) }));
  return { bytes: t2.graph.serialize(), inputName, inputShape: [-1, ...inputShape.slice(1)], outputs, rewrites: t2.rewrites };
}

/** The serialised ONNX model of `model` at a fixed input shape. */
export function buildOnnx(model: ForwardModel, weights: StateDict, inputShape: readonly number[], opts: BuildOptions = {}): Uint8Array {
  return buildOnnxGraph(model, weights, inputShape, opts).bytes;
}
