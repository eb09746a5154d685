// SAM's token→image cross attention (few tokens, N = 19 for CelebAMask-HQ, against hw image
// tokens, 16384 at R/4 of 512²) with the image-side key projection folded into the token side.
// Per head h (d_h = head dim, s = √d_h, X̃ [hw,C] the image tokens + PE, T_h [N,d_h] the query heads):
//   S_h = T_h·(X̃·W_hᵀ + b_h)ᵀ/s = (T_h·W_h/s)·X̃ᵀ + (T_h·b_h/s)·1ᵀ
// The last term is the same for every key of a row and softmax is shift-invariant, so it is
// dropped; (T_h·W_h/s) is [H·N, C], built from the tokens, and multiplies X̃ᵀ once. The
// image-side key projection [hw,d], its PE add, its head transpose and the thin per-head
// products (inner dim d_h = 16) go away, for H·N·C instead of d·C (+ H·N·d_h) multiply-adds per
// image token (152 against 128 + 19 for 19 classes). Equal in real arithmetic.
// Where the same block's image→token queries project the same X̃ (SAM adds the PE to the image
// tokens once for each attention), both read one sum, which `pe-bias` then leaves alone.
import type { OnnxOps, OnnxValue } from '../ops.js';
import { matchGemm } from './match.js';
import type { NodeRec } from '../graph.js';
import { attrInt, attrInts, sameInts, type GraphView } from './view.js';
import type { RewriteNote } from './index.js';

/** [B,S,out] = Reshape(Gemm(Reshape(x [B,S,in]))): a Linear on 3-D tokens. */
interface Lin { x: string; w: Float32Array; b: Float32Array | null; out: number; in: number }

function unlinear(view: GraphView, name: string): Lin | null {
  const r = view.producer(name, 'Reshape');
  const m = r ? matchGemm(view, view.producer(r.inputs[0]!)) : null;
  const r2 = m && view.producer(m.a, 'Reshape');
  const x = r2?.inputs[0];
  const xs = x ? view.shape(x) : undefined;
  const os = view.shape(name);
  if (!m || !x || !xs || xs.length !== 3 || !os || os.length !== 3 || xs[2] !== m.in || os[2] !== m.out || xs[1] !== os[1]) return null;
  return { x, w: m.weight, b: m.bias, out: m.out, in: m.in };
}

/** heads [B,H,S,d_h] = Transpose[0,2,1,3](Reshape(y [B,S,H·d_h])) → y. */
function unsplit(view: GraphView, name: string): string | null {
  const t = view.producer(name, 'Transpose');
  if (!t || !sameInts(attrInts(t, 'perm'), [0, 2, 1, 3])) return null;
  const r = view.producer(t.inputs[0]!, 'Reshape');
  return r && view.shape(r.inputs[0]!)?.length === 3 ? r.inputs[0]! : null;
}

/** One attention's scores: softmax(MatMul(q heads, Transpose(k heads))/s), q and k from Linears. */
function matchScores(view: GraphView, sm: Readonly<NodeRec>) {
  const div = view.producer(sm.inputs[0]!, 'Div');
  const scale = div && view.floatInit(div.inputs[1]!);
  const mm = div && view.producer(div.inputs[0]!, 'MatMul');
  const kt = mm && view.producer(mm.inputs[1]!, 'Transpose');
  if (!div || !scale || scale.length !== 1 || !mm || !kt || !sameInts(attrInts(kt, 'perm'), [0, 1, 3, 2])) return null;
  const qh = mm.inputs[0]!;
  const qs = view.shape(qh), ks = view.shape(kt.inputs[0]!);
  const axis = attrInt(sm, 'axis', -1);
  if (!qs || !ks || qs.length !== 4 || ks.length !== 4 || (axis !== 3 && axis !== -1)) return null;
  const k3 = unsplit(view, kt.inputs[0]!);
  const k = k3 && unlinear(view, k3);
  const [b, h, nq, dh] = qs as [number, number, number, number];
  if (!k || k.out !== h * dh || view.readersOf(div.outputs[0]!).length !== 1) return null;
  return { div, scale: scale[0]!, k, qh, b, h, nq, nk: ks[2]!, dh, c: k.in };
}

/** W [H·d_h, C] / s as [H, d_h, C] (the same row-major data). */
const headsOf = (w: Float32Array, s: number): Float32Array => w.map((v) => v / s);

/**
 * Only for few tokens against many image tokens (not the tokens' self-attention), and only
 * while H·N stays within twice the projection width d (the folded product does H·N·C
 * multiply-adds per image token against d·C + H·N·d_h as written).
 */
const foldable = (nq: number, nk: number, h: number, d: number): boolean => nk >= 8 * h * nq && h * nq <= 2 * d;

export function attentionFold(view: GraphView, ops: OnnxOps, notes: RewriteNote[]): void {
  const g = view.graph;
  let count = 0, before = 0, after = 0;
  for (const sm of g.nodeList.filter((n) => n.op === 'Softmax')) {
    const a = matchScores(view, sm);
    if (!a) continue;
    const { b, h, nq, nk, dh, c } = a;
    if (!foldable(nq, nk, h, h * dh)) continue;
    const wk = g.initializer(headsOf(a.k.w, a.scale), [h, dh, c], 'float32', 'rewrite.attention.k_heads');
    const qp = ops.reshape(ops.matmul(g.valueOf(a.qh)!, wk), [b, h * nq, c]); // [B,H·N,C]
    const x = g.valueOf(a.k.x)!; // [B,hw,C]
    const s = ops.matmul(qp, ops.transpose(x, 1, 2)); // [B,H·N,hw]
    g.replaceUses(a.div.outputs[0]!, ops.reshape(s, [b, h, nq, nk]).name);
    // The same sum (image tokens + PE), recorded again for another attention, is read from here.
    const add = view.producer(a.k.x, 'Add');
    const key = (n: Readonly<NodeRec>): string => [...n.inputs].sort().join('|');
    if (add) for (const other of g.nodeList.filter((n) => n !== add && n.op === 'Add' && key(n) === key(add))) g.replaceUses(other.outputs[0]!, a.k.x);
    count++;
    before += b * nk * c * h * dh + b * h * nq * nk * dh;
    after += b * h * nq * dh * c + b * h * nq * c * nk;
  }
  if (count > 0) {
    notes.push({ rewrite: 'attention', detail: `${count} token→image key projections folded into the token side`, macsBefore: before, macsAfter: after });
  }
}
