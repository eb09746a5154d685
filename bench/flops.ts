// FLOPs per forward counted from the ONNX builder's nodes: 2 × multiply-accumulates of every
// Conv, ConvTranspose, Gemm and MatMul (elementwise ops, softmax and norms are left out, as
// is usual). Shapes come from the OnnxValues handed to GraphBuilder.node while tracing.
import { GraphBuilder, GraphView, OnnxOps, onnxCtx, rewriteForInference, type OnnxValue, type RewriteOptions } from '../src/engine/onnx/index.js';
import type { StateDict } from '../src/io/host-tensor.js';
import type { SegFace } from '../src/model/segface.js';

export interface CountedNode {
  op: string;
  /** Shapes of the inputs that were OnnxValues (undefined for names / absent inputs). */
  inputShapes: (readonly number[] | undefined)[];
  attrs: Record<string, unknown>;
  part: string;
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Multiply-accumulates of one node (0 for ops that are not Conv/ConvTranspose/Gemm/MatMul). */
export function nodeMacs(op: string, shapes: (readonly number[] | undefined)[], attrs: Record<string, unknown>): number {
  const [x, w] = shapes;
  if (!x || !w) return 0;
  const ints = (k: string, d: number[]): number[] => (attrs[k] as number[] | undefined) ?? d;
  switch (op) {
    case 'Conv': {
      // x [N,C,H,W], w [OC,C/g,kh,kw]: every output pixel costs (C/g)·kh·kw per output channel.
      const [n, , h, wd] = x as [number, number, number, number];
      const [oc, icg, kh, kw] = w as [number, number, number, number];
      const [sh, sw] = ints('strides', [1, 1]);
      const [pt, pl, pb, pr] = ints('pads', [0, 0, 0, 0]);
      const [dh, dw] = ints('dilations', [1, 1]);
      const oh = Math.floor((h + pt! + pb! - dh! * (kh - 1) - 1) / sh!) + 1;
      const ow = Math.floor((wd + pl! + pr! - dw! * (kw - 1) - 1) / sw!) + 1;
      return n * oc * oh * ow * icg * kh * kw;
    }
    case 'ConvTranspose': {
      // x [N,C,H,W], w [C,OC/g,kh,kw]: every input pixel scatters a kh·kw patch per output channel.
      const [n, c, h, wd] = x as [number, number, number, number];
      const [, ocg, kh, kw] = w as [number, number, number, number];
      return n * c * h * wd * ocg * kh * kw;
    }
    case 'Gemm': {
      const ta = (attrs.transA as number | undefined) ?? 0, tb = (attrs.transB as number | undefined) ?? 0;
      const [m, k] = ta ? [x[1]!, x[0]!] : [x[0]!, x[1]!];
      const n = tb ? w[0]! : w[1]!;
      return m * k * n;
    }
    case 'MatMul': {
      const a = x.length === 1 ? [1, x[0]!] : x;
      const b = w.length === 1 ? [w[0]!, 1] : w;
      const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
      return prod(batch) * a[a.length - 2]! * a[a.length - 1]! * b[b.length - 1]!;
    }
    default:
      return 0;
  }
}

/** FLOPs (2·MACs) summed per part. */
export function countFlops(nodes: readonly CountedNode[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes) out.set(n.part, (out.get(n.part) ?? 0) + 2 * nodeMacs(n.op, n.inputShapes, n.attrs));
  return out;
}

/**
 * Records every node `build` adds to a builder, tagged with the current part; `setPart` moves
 * the tag on (called at recording boundaries).
 */
export function recordNodes(graph: GraphBuilder, part: () => string): CountedNode[] {
  const nodes: CountedNode[] = [];
  const inner = graph.node.bind(graph);
  graph.node = (op, inputs, attrs = {}, nOutputs = 1, domain) => {
    const shapes = inputs.map((v) => (v && typeof v === 'object' ? v.shape : undefined));
    nodes.push({ op, inputShapes: shapes, attrs: { ...attrs }, part: part() });
    return inner(op, inputs, attrs, nOutputs, domain);
  };
  return nodes;
}

/** Where the SegFace forward's ctx.record calls end each part (spec §1 order). */
const PART_AFTER: Record<string, string> = { feat_tap3: 'fusion', feat_fused: 'transformer', feat_src_out: 'upscaler' };

/** FLOPs per part of one SegFace forward on [batch,3,res,res]: backbone, fusion, transformer (PE included), upscaler (with hypernetwork and mask product). */
export function segfaceFlops(net: SegFace, weights: StateDict, batch: number, res: number): Map<string, number> {
  const graph = new GraphBuilder();
  let part = 'backbone';
  const nodes = recordNodes(graph, () => part);
  const ops = new OnnxOps(graph, 'float32');
  const ctx = onnxCtx(ops, weights);
  const record = ctx.record.bind(ctx);
  ctx.record = (name: string, v: OnnxValue) => {
    record(name, v);
    part = PART_AFTER[name] ?? part;
  };
  const input = graph.input('input', [batch, 3, res, res], 'float32');
  net.forward(ctx, input);
  return countFlops(nodes);
}

/**
 * FLOPs of the graph the builder emits after its rewrites (engine/onnx/rewrite), counted on the
 * final nodes; nodes that read only constants (folded by ORT when the session is created) are
 * not counted.
 */
export function rewrittenFlops(net: SegFace, weights: StateDict, batch: number, res: number, opts: RewriteOptions = {}): number {
  const graph = new GraphBuilder();
  const ops = new OnnxOps(graph, 'float32');
  const input = graph.input('input', [batch, 3, res, res], 'float32');
  graph.output(net.forward(onnxCtx(ops, weights), input), 'output');
  rewriteForInference(graph, opts);
  const view = new GraphView(graph);
  let macs = 0;
  for (const n of graph.nodeList) {
    if (n.outputs.every((o) => view.isConstant(o))) continue;
    const attrs: Record<string, unknown> = {};
    for (const a of n.attrs) attrs[a.name!] = a.ints?.length ? a.ints.map(Number) : a.i !== undefined && a.i !== null ? Number(a.i) : undefined;
    macs += nodeMacs(n.op, n.inputs.map((i) => graph.valueOf(i)?.shape), attrs);
  }
  return 2 * macs;
}

/** The GEMM-peak probe both inference benchmarks run: an n×n×n MatMul graph, its input and FLOPs. */
export function matMulProbe(n: number): { bytes: Uint8Array; data: Float32Array; flop: number } {
  const g = new GraphBuilder();
  const a = g.input('a', [n, n], 'float32');
  const b = g.input('b', [n, n], 'float32');
  g.output({ name: g.node('MatMul', [a, b])[0]!, shape: [n, n], dtype: 'float32' }, 'c');
  const data = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  return { bytes: g.serialize(), data, flop: 2 * n ** 3 };
}
