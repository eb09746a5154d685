// The folded fusion (fusion.ts) in token layout. After `fusion` the fused map is
//   F = Σ_i up_i(conv1×1_i(x_i)) (+ bias)      [B,C,h,w], C = 256
// and the transformer reads it only as tokens Transpose(Reshape(F)) [B,hw,C]. Computed as
// written, ORT reorders every 256-channel conv output out of its blocked layout, resizes the
// 256-channel maps plane by plane, and transposes the [B,256,hw] sum (4.2 M floats at 512²).
// Here each tap is transposed to NHWC at its own resolution (C_i channels, at most 0.4 M floats on
// the registry models), projected by a Gemm, resized in NHWC (ORT's NHWC bilinear kernel, scales
// on axes 1 and 2, which reuses each pixel's weights across the 256 contiguous channels), and
// summed in token order: the same products, the same interpolation weights, the same sums, only
// laid out [B,h,w,C]. Bit-level equality is not promised (the kernels order the float32 sums
// differently); docs/rewrites.md gives the measured differences.
import type { NodeRec } from '../graph.js';
import type { OnnxOps, OnnxValue } from '../ops.js';
import { matchBilinear, matchPointwiseConv } from './match.js';
import { attrInts, sameInts, type GraphView } from './view.js';
import type { RewriteNote } from './index.js';

/** One summand of F: a 1×1 conv of a tap (then resized), or a constant bias [1,C,1,1]. */
type Leaf = { x: string; w: Float32Array; b: Float32Array | null; cin: number; resize: [number, number] | null } | { bias: Float32Array };

function leaves(view: GraphView, name: string, c: number, root: boolean): Leaf[] | null {
  if (!root && view.readersOf(name).length !== 1) return null;
  const add = view.producer(name, 'Add');
  if (add) {
    const out: Leaf[] = [];
    for (const i of add.inputs) {
      const bias = view.floatInit(i);
      if (bias) {
        if (!sameInts(view.shape(i), [1, c, 1, 1])) return null;
        out.push({ bias });
        continue;
      }
      const sub = leaves(view, i, c, false);
      if (!sub) return null;
      out.push(...sub);
    }
    return out;
  }
  const r = matchBilinear(view, name);
  if (r && view.readersOf(r.input).length !== 1) return null;
  const conv = view.producer(r ? r.input : name, 'Conv');
  const pw = conv && matchPointwiseConv(view, conv);
  if (!pw || pw.out !== c || view.shape(pw.input)?.length !== 4) return null;
  return [{ x: pw.input, w: pw.weight, b: pw.bias, cin: pw.in, resize: r ? r.size : null }];
}

function resizeNhwc(g: GraphView['graph'], x: OnnxValue, size: readonly [number, number]): OnnxValue {
  const [b, , , c] = x.shape as [number, number, number, number];
  const sizes = g.initializer(BigInt64Array.from(size.map(BigInt)), [2], 'int64');
  const [name] = g.node('Resize', [x, null, null, sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel', axes: [1, 2] });
  const v: OnnxValue = { name: name!, shape: [b, size[0], size[1], c], dtype: x.dtype };
  g.noteValue(v);
  return v;
}

export function fusionInTokens(view: GraphView, ops: OnnxOps, notes: RewriteNote[]): void {
  const g = view.graph;
  for (const t of g.nodeList.filter((n: Readonly<NodeRec>) => n.op === 'Transpose' && sameInts(attrInts(n, 'perm'), [0, 2, 1]))) {
    const r = view.producer(t.inputs[0]!, 'Reshape');
    const fs = r && view.shape(r.inputs[0]!);
    if (!r || !fs || fs.length !== 4) continue;
    const [b, c, h, w] = fs as [number, number, number, number];
    if (!sameInts(view.shape(r.outputs[0]!), [b, c, h * w])) continue;
    const ls = leaves(view, r.inputs[0]!, c, true);
    if (!ls || !ls.some((l) => 'x' in l && l.resize)) continue;

    // The resized taps are summed first; the tap at full resolution is then one Gemm whose C input
    // is that sum (no separate Add of its output). Its bias and any constant move to the first
    // resized tap: a resize maps a constant to itself (its weights sum to 1).
    const convs = ls.filter((l): l is Extract<Leaf, { x: string }> => 'x' in l);
    const last = convs.find((l) => !l.resize) ?? null;
    const resized = convs.filter((l) => l !== last);
    const bias = new Float32Array(c);
    let hasBias = false;
    for (const l of ls) {
      const v = 'bias' in l ? l.bias : l === last || l === resized[0] ? l.b : null;
      if (v) { v.forEach((x, k) => (bias[k]! += x)); hasBias = true; }
    }
    let moved = 0;
    const tokensOf = (l: Extract<Leaf, { x: string }>): OnnxValue => {
      const xt = ops.permute(g.valueOf(l.x)!, [0, 2, 3, 1]); // [B,h_i,w_i,C_i]
      moved += xt.shape.reduce((a, d) => a * d, 1);
      return xt;
    };
    const weight = (l: Extract<Leaf, { x: string }>, i: number): OnnxValue => g.initializer(l.w, [c, l.cin], 'float32', `rewrite.fusion-tokens.tap${i}.weight`);
    let sum: OnnxValue | null = null;
    resized.forEach((l, i) => {
      const b0 = i === 0 ? (hasBias ? bias : null) : l.b;
      const y = ops.linear(tokensOf(l), weight(l, i), b0 ? g.initializer(b0, [c], 'float32', `rewrite.fusion-tokens.tap${i}.bias`) : null); // [B,h_i,w_i,C]
      const r = resizeNhwc(g, y, l.resize!); // [B,h,w,C]
      sum = sum ? ops.add(sum, r) : r;
    });
    if (last) {
      const x2 = ops.reshape(tokensOf(last), [b * h * w, last.cin]);
      const [name] = g.node('Gemm', [x2, weight(last, resized.length), ops.reshape(sum!, [b * h * w, c])], { transB: 1 });
      const y: OnnxValue = { name: name!, shape: [b * h * w, c], dtype: 'float32' };
      g.noteValue(y);
      sum = y;
    }
    g.replaceUses(t.outputs[0]!, ops.reshape(sum!, [b, h * w, c]).name); // [B,hw,C]
    notes.push({
      rewrite: 'fusion-tokens',
      detail: `${convs.length} taps projected and resized in NHWC (${moved} tap floats transposed instead of ${b * c * h * w})`,
      macsBefore: 0, macsAfter: 0,
    });
  }
}
