// Positional-encoding folding: a projection of (tokens + pe), pe a constant of the graph (the
// image PE, spec §4), is the projection of the tokens plus a constant:
//   (x + pe)·Wᵀ + b = (x·Wᵀ + b) + pe·Wᵀ
// pe·Wᵀ [hw,m] is left as a constant subexpression of the file (so the file does not grow by a
// [hw,m] table per projection); ORT evaluates it once when it creates the session. The R/4-sized
// Add of the 256-channel PE becomes one of the m-channel (128 for SAM's downsampled attention)
// result, and a second projection of the same sum no longer repeats it.
import type { OnnxOps } from '../ops.js';
import { matchGemm } from './match.js';
import { sameInts, type GraphView } from './view.js';
import type { RewriteNote } from './index.js';

export function foldPeIntoBias(view: GraphView, ops: OnnxOps, notes: RewriteNote[]): void {
  const g = view.graph;
  let count = 0, macs = 0;
  for (const n of g.nodeList.filter((x) => x.op === 'Gemm')) {
    const m = matchGemm(view, n);
    const r = m && view.producer(m.a, 'Reshape');
    const add = r && view.producer(r.inputs[0]!, 'Add');
    // A sum that something other than a projection reads anyway (the key side of an attention
    // that `attention` folded) costs nothing more here.
    if (!m || !add || view.readersOf(add.outputs[0]!).some((n) => n.op !== 'Reshape')) continue;
    const [a0, a1] = add.inputs as [string, string];
    const [x, pe] = view.isConstant(a1) && !view.isConstant(a0) ? [a0, a1] : view.isConstant(a0) && !view.isConstant(a1) ? [a1, a0] : [null, null];
    const xs = x ? view.shape(x) : undefined;
    const ps = pe ? view.shape(pe) : undefined;
    if (!x || !pe || !xs || !ps || xs.length !== 3) continue;
    const [b, hw, k] = xs as [number, number, number];
    if (k !== m.in || !(sameInts(ps, [1, hw, k]) || sameInts(ps, [hw, k])) || !sameInts(view.shape(m.a), [b * hw, k])) continue;
    const w = g.initializer(m.weight, [m.out, k], 'float32');
    const bias = m.bias ? g.initializer(m.bias, [m.out], 'float32') : null;
    const y = ops.reshape(ops.linear(ops.reshape(g.valueOf(x)!, [b * hw, k]), w, bias), [b, hw, m.out]);
    const peW = ops.linear(ops.reshape(g.valueOf(pe)!, [hw, k]), w, null); // constant, folded by ORT
    g.replaceUses(n.outputs[0]!, ops.reshape(ops.add(y, peW), [b * hw, m.out]).name);
    count++;
    macs += hw * k * m.out;
  }
  if (count > 0) notes.push({ rewrite: 'pe-bias', detail: `${count} projections of tokens+PE → projection + constant PE·Wᵀ`, macsBefore: 0, macsAfter: 0, constMacs: macs });
}
