// Fusion folding (spec §3). The official fusion is linear end to end:
//   fused = W_f · concat_i(up_i(W_i·x_i + b_i))         (W_f: linear_fuse, 1×1 conv, no bias)
// A per-pixel linear map commutes with bilinear resizing (both are linear, the resize mixes
// pixels and the map mixes channels), and a resize maps a constant to itself (its weights sum
// to 1), so
//   fused = Σ_i up_i((W_f,i·W_i)·x_i) + Σ_i W_f,i·b_i
// : one C_i→256 1×1 conv per tap at the tap's own resolution, one folded bias, and only
// 256-channel maps are resized and summed. The 1024-channel concat at R/4 disappears.
//
// Block-0 folding: the first two-way block reads the fused tokens directly in three
// projections (cross-attention token→image keys and values, image→token queries), all linear:
//   P(fused + pe) = W_P·fused + (b_P + W_P·pe)
// so W_P·W_f,i·W_i is appended to tap i's conv as extra output channels when that is cheaper
// than projecting at R/4 (it is for small taps such as MobileNet's, not for Swin's wide ones),
// and W_P·pe stays a constant subexpression that ORT folds when it creates the session.
import type { NodeRec } from '../graph.js';
import type { OnnxOps, OnnxValue } from '../ops.js';
import { columns, matmul64, matvec64 } from './linalg.js';
import { matchBilinear, matchGemm, matchPixelLinear, matchPointwiseConv, type PixelLinear } from './match.js';
import { attrInt, attrInts, sameInts, type GraphView } from './view.js';
import type { RewriteNote, RewriteOptions } from './index.js';

/** One concat input: a per-pixel linear of a tap (hw pixels), resized to the fused grid or not. */
interface Part extends PixelLinear { resize: [number, number] | null; hw: number }

/** A projection of the fused tokens: Gemm(Reshape(fused tokens [+ constant pe])). */
interface Projection { gemm: Readonly<NodeRec>; weight: Float32Array; bias: Float32Array | null; out: number; pe: string | null }

/** The concat's parts as (resized) per-pixel linears, or null when one is anything else. */
function parts(view: GraphView, concat: Readonly<NodeRec>): Part[] | null {
  const out: Part[] = [];
  for (const name of concat.inputs) {
    const r = matchBilinear(view, name);
    const lin = matchPixelLinear(view, r ? r.input : name);
    if (!lin) return null;
    const s = view.shape(lin.input)!;
    out.push({ ...lin, resize: r ? r.size : null, hw: s[2]! * s[3]! });
  }
  return out;
}

/**
 * fused [B,C,h,w] → tokens [B,hw,C] (Reshape, Transpose) and the projections that read them.
 */
function projectionsOf(view: GraphView, fused: string): { tokens: string; projections: Projection[] } | null {
  const [b, c, h, w] = view.shape(fused) as [number, number, number, number];
  const readers = view.readersOf(fused).filter((n) => n.op === 'Reshape' && sameInts(view.shape(n.outputs[0]!), [b, c, h * w]));
  if (readers.length !== 1) return null;
  const t = view.readersOf(readers[0]!.outputs[0]!).find((n) => n.op === 'Transpose' && sameInts(attrInts(n, 'perm'), [0, 2, 1]));
  if (!t) return null;
  const tokens = t.outputs[0]!;
  const projections: Projection[] = [];
  const viaReshape = (name: string, pe: string | null): void => {
    for (const r of view.readersOf(name)) {
      if (r.op !== 'Reshape' || !sameInts(view.shape(r.outputs[0]!), [b * h * w, c])) continue;
      for (const g of view.readersOf(r.outputs[0]!)) {
        const m = matchGemm(view, g);
        if (m && m.in === c) projections.push({ gemm: g, weight: m.weight, bias: m.bias, out: m.out, pe });
      }
    }
  };
  viaReshape(tokens, null);
  for (const a of view.readersOf(tokens)) {
    if (a.op !== 'Add' || view.isGraphOutput(a.outputs[0]!)) continue;
    const other = a.inputs[0] === tokens ? a.inputs[1]! : a.inputs[0]!;
    const ps = view.shape(other);
    if (!view.isConstant(other) || !ps || !(sameInts(ps, [1, h * w, c]) || sameInts(ps, [h * w, c]))) continue;
    viaReshape(a.outputs[0]!, other);
  }
  return { tokens, projections };
}

/**
 * What one resized output element costs in multiply-adds of a GEMM (Resize is memory-bound):
 * measured with `npm run bench -- profile`, MobileNet 512², about 7 ns per element against
 * 0.1 ns per GEMM multiply-add. With it the block-0 fold is not chosen for the registry models
 * at 512 (MobileNet: 1.72 G against 1.61 G; its CPU time measured 3-8 % worse with the fold);
 * it is chosen where the taps are narrow and few of them need resizing.
 */
const RESIZE_MACS = 70;

/** Whether folding the projections into the taps saves work (multiply-adds, resize counted). */
function foldIsCheaper(ps: readonly Part[], extra: number, hw0: number, c: number): boolean {
  const taps = ps.reduce((a, p) => a + p.hw * p.inChannels * extra, 0);
  const resized = ps.filter((p) => p.resize).length * hw0 * extra * RESIZE_MACS;
  return taps + resized < hw0 * c * extra;
}

export function foldFusion(view: GraphView, ops: OnnxOps, notes: RewriteNote[], opts: RewriteOptions = {}): void {
  for (const conv of view.graph.nodeList.filter((n) => n.op === 'Conv')) {
    const pw = matchPointwiseConv(view, conv);
    const concat = pw && view.producer(pw.input, 'Concat');
    if (!pw || !concat || attrInt(concat, 'axis', 0) !== 1) continue;
    const ps = parts(view, concat);
    if (!ps || ps.reduce((a, p) => a + p.outChannels, 0) !== pw.in) continue;
    const fusedName = conv.outputs[0]!;
    const [b, c, h0, w0] = view.shape(fusedName) as [number, number, number, number];

    const found = projectionsOf(view, fusedName);
    const extra = found ? found.projections.reduce((a, p) => a + p.out, 0) : 0;
    const fold = opts.foldBlock0 ?? (found !== null && foldIsCheaper(ps, extra, h0 * w0, c));
    const projections = found && extra > 0 && fold ? found.projections : [];
    const total = c + projections.reduce((a, p) => a + p.out, 0);

    // Per tap: rows [W_f,i·W_i ; W_P·W_f,i·W_i ...] and the bias they contribute.
    let off = 0;
    const bias = new Float64Array(c);
    if (pw.bias) bias.set(pw.bias);
    const weights = ps.map((p) => {
      const wf = columns(pw.weight, c, pw.in, off, p.outChannels); // [c, O_i]
      off += p.outChannels;
      const wi = matmul64(wf, p.weight, c, p.outChannels, p.inChannels); // [c, C_i]
      if (p.bias) matvec64(wf, p.bias, c, p.outChannels).forEach((v, k) => (bias[k]! += v));
      const rows = [wi, ...projections.map((q) => matmul64(q.weight, wi, q.out, c, p.inChannels))];
      const all = new Float32Array(total * p.inChannels);
      let o = 0;
      for (const r of rows) { all.set(r, o); o += r.length; }
      return all;
    });
    const fullBias = new Float32Array(total);
    fullBias.set(bias);
    let bo = c;
    for (const q of projections) {
      const pb = matvec64(q.weight, bias, q.out, c);
      for (let k = 0; k < q.out; k++) fullBias[bo + k] = pb[k]! + (q.bias?.[k] ?? 0);
      bo += q.out;
    }

    const g = view.graph;
    const biasAt = ps.findIndex((p) => !p.resize);
    let sum: OnnxValue | null = null;
    ps.forEach((p, i) => {
      const x = g.valueOf(p.input)!;
      const w = g.initializer(weights[i]!, [total, p.inChannels, 1, 1], 'float32', `rewrite.fusion.tap${i}.weight`);
      const bi = i === biasAt ? g.initializer(fullBias, [total], 'float32', `rewrite.fusion.bias`) : null;
      let y = ops.conv2d(x, w, bi);
      if (p.resize) y = ops.interpolateBilinear(y, p.resize);
      sum = sum ? ops.add(sum, y) : y;
    });
    if (biasAt < 0) sum = ops.add(sum!, g.initializer(fullBias, [1, total, 1, 1], 'float32', 'rewrite.fusion.bias'));
    let fused = sum!;

    if (projections.length > 0) {
      const tokens = ops.transpose(ops.reshape(fused, [b, total, h0 * w0]), 1, 2); // [B,hw,total]
      g.replaceUses(found!.tokens, ops.slice(tokens, 2, 0, c).name);
      let at = c;
      for (const q of projections) {
        let y = ops.slice(tokens, 2, at, at + q.out); // [B,hw,m]
        at += q.out;
        if (q.pe) {
          // W_P·pe: a constant subexpression, folded by ORT at session creation.
          const pe2 = ops.reshape(g.valueOf(q.pe)!, [h0 * w0, c]);
          y = ops.add(y, ops.linear(pe2, g.initializer(q.weight, [q.out, c], 'float32'), null));
        }
        g.replaceUses(q.gemm.outputs[0]!, ops.reshape(y, [b * h0 * w0, q.out]).name);
      }
      fused = ops.slice(fused, 1, 0, c);
    }
    g.replaceUses(fusedName, fused.name);
    const macs = (n: number) => ps.reduce((a, p) => a + p.hw * p.inChannels * n, 0);
    notes.push({
      rewrite: 'fusion',
      detail: `${ps.length} taps → ${c}${projections.length ? `+${total - c}` : ''}-channel 1×1 convs at tap resolution`
        + (projections.length ? `; ${projections.length} block-0 projections folded in` : ''),
      macsBefore: ps.reduce((a, p) => a + p.hw * p.inChannels * p.outChannels, 0)
        + h0 * w0 * pw.in * c + h0 * w0 * c * (total - c),
      macsAfter: macs(total),
    });
  }
}
