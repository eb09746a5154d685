// LayerNorm of a residual sum, kept as Add + LayerNormalization. ORT fuses Add → LayerNorm on
// 3-D tensors into its SkipLayerNormalization contrib kernel, which on the CPU measured twice the
// CPU time of the two kernels it replaces ([1,16384,256]: 42 against 20 ms; the transformer's
// norm4 on the R/4 image tokens). Running the LayerNorm on the [B·S, D] view of the same buffer
// (Reshape aliases it in ORT) computes the same normalisation over the same last axis and is left
// unfused, since the fusion only takes 3-D Adds. Not an algebraic change: same ops, same order.
import type { OnnxOps } from '../ops.js';
import { attrInt, type GraphView } from './view.js';
import type { RewriteNote } from './index.js';

export function layerNormUnfused(view: GraphView, ops: OnnxOps, notes: RewriteNote[]): void {
  const g = view.graph;
  let count = 0;
  for (const ln of g.nodeList.filter((n) => n.op === 'LayerNormalization')) {
    const add = view.producer(ln.inputs[0]!, 'Add');
    const xs = view.shape(ln.inputs[0]!);
    const axis = attrInt(ln, 'axis', -1);
    if (!add || !xs || xs.length !== 3 || !(axis === -1 || axis === 2) || view.isGraphOutput(ln.outputs[0]!)) continue;
    if (add.inputs.some((i) => view.shape(i)?.length !== 3)) continue;
    const [b, s, d] = xs as [number, number, number];
    const eps = Number(ln.attrs.find((a) => a.name === 'epsilon')?.f ?? 1e-5);
    const x2 = ops.reshape(g.valueOf(ln.inputs[0]!)!, [b * s, d]);
    const y2 = ops.layerNorm(x2, [d], g.valueOf(ln.inputs[1]!)!, ln.inputs[2] ? g.valueOf(ln.inputs[2])! : null, eps);
    g.replaceUses(ln.outputs[0]!, ops.reshape(y2, [b, s, d]).name);
    count++;
  }
  if (count > 0) notes.push({ rewrite: 'ln-2d', detail: `${count} LayerNorms of a 3-D Add on the 2-D view (not fused into SkipLayerNormalization)`, macsBefore: 0, macsAfter: 0 });
}
