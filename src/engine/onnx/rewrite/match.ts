// Recognisers for the node chains OnnxOps records for the model's linear pieces.
import type { NodeRec } from '../graph.js';
import { attrInt, attrInts, attrString, sameInts, type GraphView } from './view.js';

/** A Linear applied to every pixel of an NCHW map: out[b,:,y,x] = W·in[b,:,y,x] + bias. */
export interface PixelLinear {
  /** The NCHW input [B,C,h,w]. */
  input: string;
  weight: Float32Array; // [O, C]
  bias: Float32Array | null; // [O]
  outChannels: number;
  inChannels: number;
}

/** Gemm(A, W[out,in], b) with transB=1 and default alpha/beta, W (and b) float32 initializers. */
export function matchGemm(view: GraphView, n: Readonly<NodeRec> | undefined): { a: string; weight: Float32Array; bias: Float32Array | null; out: number; in: number } | null {
  if (!n || n.op !== 'Gemm' || attrInt(n, 'transA', 0) !== 0 || attrInt(n, 'transB', 0) !== 1) return null;
  if (n.attrs.some((a) => a.name === 'alpha' || a.name === 'beta')) return null;
  const weight = view.floatInit(n.inputs[1]!);
  const ws = view.shape(n.inputs[1]!);
  if (!weight || !ws || ws.length !== 2) return null;
  const bias = n.inputs[2] ? view.floatInit(n.inputs[2]) : null;
  if (bias === undefined || (bias && bias.length !== ws[0])) return null;
  return { a: n.inputs[0]!, weight, bias, out: ws[0]!, in: ws[1]! };
}

/** `name` = Transpose(x) with perm [0,2,1] → x. */
function transposed021(view: GraphView, name: string): string | null {
  const t = view.producer(name, 'Transpose');
  return t && sameInts(attrInts(t, 'perm'), [0, 2, 1]) ? t.inputs[0]! : null;
}

/** `name` = Reshape(x) → x (whatever the target shape; callers check shapes). */
function reshaped(view: GraphView, name: string): string | null {
  return view.producer(name, 'Reshape')?.inputs[0] ?? null;
}

/**
 * TapProjection's chain: NCHW x → Reshape [B,C,hw] → Transpose → Reshape [B·hw,C] → Gemm →
 * Reshape [B,hw,O] → Transpose → Reshape [B,O,h,w] = `name`.
 */
export function matchPixelLinear(view: GraphView, name: string): PixelLinear | null {
  const out = view.shape(name);
  if (!out || out.length !== 4) return null;
  const [b, o, h, w] = out as [number, number, number, number];
  const r3 = reshaped(view, name);
  const t = r3 && transposed021(view, r3);
  const g = t && reshaped(view, t);
  const gemm = g ? matchGemm(view, view.producer(g)) : null;
  if (!gemm || gemm.out !== o || !sameInts(view.shape(t!), [b, h * w, o])) return null;
  const a2 = reshaped(view, gemm.a);
  const a1 = a2 && transposed021(view, a2);
  const x = a1 && reshaped(view, a1);
  if (!x || !sameInts(view.shape(x), [b, gemm.in, h, w]) || !sameInts(view.shape(a1!), [b, gemm.in, h * w])) return null;
  return { input: x, weight: gemm.weight, bias: gemm.bias, outChannels: o, inChannels: gemm.in };
}

/** PyTorch bilinear (align_corners=False) as interpolateBilinear records it → [input, h, w]. */
export function matchBilinear(view: GraphView, name: string): { input: string; size: [number, number] } | null {
  const n = view.producer(name, 'Resize');
  if (!n || attrString(n, 'mode') !== 'linear' || attrString(n, 'coordinate_transformation_mode') !== 'half_pixel') return null;
  if (!sameInts(attrInts(n, 'axes'), [2, 3]) || n.inputs[1] || n.inputs[2]) return null;
  const size = view.ints(n.inputs[3] ?? '');
  return size && size.length === 2 ? { input: n.inputs[0]!, size: [size[0]!, size[1]!] } : null;
}

/** A 1×1, stride-1, unpadded, ungrouped Conv with a float32 weight [O,C,1,1] (and bias). */
export function matchPointwiseConv(view: GraphView, n: Readonly<NodeRec>): { input: string; weight: Float32Array; bias: Float32Array | null; out: number; in: number } | null {
  if (n.op !== 'Conv' || attrInt(n, 'group', 1) !== 1) return null;
  if (!sameInts(attrInts(n, 'kernel_shape'), [1, 1]) || !sameInts(attrInts(n, 'strides') ?? [1, 1], [1, 1])) return null;
  if (!sameInts(attrInts(n, 'pads') ?? [0, 0, 0, 0], [0, 0, 0, 0]) || !sameInts(attrInts(n, 'dilations') ?? [1, 1], [1, 1])) return null;
  const weight = view.floatInit(n.inputs[1]!);
  const ws = view.shape(n.inputs[1]!);
  if (!weight || !ws || ws.length !== 4) return null;
  const bias = n.inputs[2] ? view.floatInit(n.inputs[2]) : null;
  if (bias === undefined) return null;
  return { input: n.inputs[0]!, weight, bias, out: ws[0]!, in: ws[1]! };
}
