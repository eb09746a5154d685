// SAM's upscaler (spec §5.2) in token layout. As written it turns the image tokens back into an
// NCHW map and runs ConvTranspose(2×2/2) → LayerNorm2d (transpose, LayerNorm, transpose) → GELU
// → ConvTranspose(2×2/2) → GELU, then multiplies the hypernetwork's [B,N,32] with the flattened map.
// With kernel = stride each output pixel (2y+i, 2x+j) reads one input pixel:
//   out[o, 2y+i, 2x+j] = Σ_c W[c,o,i,j]·in[c,y,x] + b[o]
// i.e. one Gemm per pixel to 4·O channels ordered (i, j, o), and the sub-pixels are moved to their
// place by a Transpose [B,h,w,2,2,O] → [B,h,2,w,2,O] whose inner runs are 2·O floats long. Then
// LayerNorm2d is a LayerNorm over the last axis (no transposes), GELU is element-wise, and the
// final product reads the NHWC map as MatMul(hyper, mapᵀ): the same logits [B,N,4h·4w] in the
// same pixel order, from the same products and sums. Nothing else changes.
import type { NodeRec } from '../graph.js';
import type { OnnxOps, OnnxValue } from '../ops.js';
import { attrInt, attrInts, attrString, sameInts, type GraphView } from './view.js';
import type { RewriteNote } from './index.js';

/** ConvTranspose with kernel = stride = 2, no padding, group 1, float32 W [C,O,2,2] (and b [O]). */
function matchShuffleConvT(view: GraphView, name: string): { x: string; w: Float32Array; b: Float32Array | null; c: number; o: number } | null {
  const n = view.producer(name, 'ConvTranspose');
  if (!n || !sameInts(attrInts(n, 'kernel_shape'), [2, 2]) || !sameInts(attrInts(n, 'strides'), [2, 2])) return null;
  if (attrInt(n, 'group', 1) !== 1 || !sameInts(attrInts(n, 'pads') ?? [0, 0, 0, 0], [0, 0, 0, 0])) return null;
  if (!sameInts(attrInts(n, 'dilations') ?? [1, 1], [1, 1]) || !sameInts(attrInts(n, 'output_padding') ?? [0, 0], [0, 0])) return null;
  const w = view.floatInit(n.inputs[1]!);
  const ws = view.shape(n.inputs[1]!);
  const b = n.inputs[2] ? view.floatInit(n.inputs[2]) : null;
  if (!w || !ws || b === undefined) return null;
  return { x: n.inputs[0]!, w, b, c: ws[0]!, o: ws[1]! };
}

function gelu(view: GraphView, name: string): string | null {
  const n = view.producer(name, 'Gelu');
  return n && (attrString(n, 'approximate') ?? 'none') === 'none' ? n.inputs[0]! : null;
}

function transposed(view: GraphView, name: string, perm: readonly number[]): string | null {
  const n = view.producer(name, 'Transpose');
  return n && sameInts(attrInts(n, 'perm'), perm) ? n.inputs[0]! : null;
}

/** W [C,O,2,2] → W' [(i,j,o), C] (Gemm transB layout) and the bias tiled over (i,j). */
function pixelGemmWeights(w: Float32Array, b: Float32Array | null, c: number, o: number): { w: Float32Array; b: Float32Array } {
  const out = new Float32Array(4 * o * c);
  const bias = new Float32Array(4 * o);
  for (let ij = 0; ij < 4; ij++) {
    for (let oo = 0; oo < o; oo++) {
      const row = ij * o + oo;
      for (let ci = 0; ci < c; ci++) out[row * c + ci] = w[(ci * o + oo) * 4 + ij]!;
      bias[row] = b ? b[oo]! : 0;
    }
  }
  return { w: out, b: bias };
}

export function upscalerInTokens(view: GraphView, ops: OnnxOps, notes: RewriteNote[]): void {
  const g = view.graph;
  for (const mm of g.nodeList.filter((n) => n.op === 'MatMul')) {
    // MatMul(hyper [B,N,O2], Reshape(GELU(ConvT2(GELU(Transpose(LN(Transpose(ConvT1(X))))))), [B,O2,16hw]))
    const flat = view.producer(mm.inputs[1]!, 'Reshape');
    const g2 = flat && gelu(view, flat.inputs[0]!);
    const ct2 = g2 ? matchShuffleConvT(view, g2) : null;
    const g1 = ct2 && gelu(view, ct2.x);
    const t2 = g1 && transposed(view, g1, [0, 3, 1, 2]);
    const ln: Readonly<NodeRec> | undefined = t2 ? view.producer(t2, 'LayerNormalization') : undefined;
    const t1 = ln && attrInt(ln, 'axis', -1) === -1 ? transposed(view, ln.inputs[0]!, [0, 2, 3, 1]) : null;
    const ct1 = t1 ? matchShuffleConvT(view, t1) : null;
    if (!ct1 || !ct2 || !ln || ct2.c !== ct1.o) continue;
    const xs = view.shape(ct1.x);
    const hs = view.shape(mm.inputs[0]!);
    if (!xs || xs.length !== 4 || !hs || hs.length !== 3 || hs[2] !== ct2.o) continue;
    const [b, c, h, w] = xs as [number, number, number, number];
    if (!sameInts(view.shape(flat!.outputs[0]!), [b, ct2.o, 16 * h * w])) continue;

    // NCHW X back to tokens [B·hw, C]: read the tokens it was made from when it is Reshape(Transpose(tokens)).
    const fromTokens = view.producer(ct1.x, 'Reshape');
    const src = fromTokens ? transposed(view, fromTokens.inputs[0]!, [0, 2, 1]) : null;
    const tokens: OnnxValue = src && sameInts(view.shape(src), [b, h * w, c])
      ? g.valueOf(src)!
      : ops.permute(g.valueOf(ct1.x)!, [0, 2, 3, 1]);
    let y = ops.reshape(tokens, [b * h * w, c]);

    const up = (x: OnnxValue, ct: NonNullable<ReturnType<typeof matchShuffleConvT>>, hh: number, ww: number, tag: string): OnnxValue => {
      const p = pixelGemmWeights(ct.w, ct.b, ct.c, ct.o);
      const z = ops.linear(x, g.initializer(p.w, [4 * ct.o, ct.c], 'float32', `rewrite.upscaler.${tag}.weight`),
        g.initializer(p.b, [4 * ct.o], 'float32', `rewrite.upscaler.${tag}.bias`)); // [B·hh·ww, (i,j,o)]
      const placed = ops.permute(ops.reshape(z, [b, hh, ww, 2, 2, ct.o]), [0, 1, 3, 2, 4, 5]); // [B,hh,2,ww,2,O]
      return ops.reshape(placed, [b * 4 * hh * ww, ct.o]); // NHWC pixels of the 2hh×2ww map
    };
    y = up(y, ct1, h, w, 'up1');
    const eps = ln.attrs.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    const beta = ln.inputs[2] ? g.valueOf(ln.inputs[2])! : null;
    const normed = ops.layerNorm(y, [ct1.o], g.valueOf(ln.inputs[1]!)!, beta, Number(eps));
    y = up(ops.gelu(normed), ct2, 2 * h, 2 * w, 'up2');
    const map = ops.reshape(ops.gelu(y), [b, 16 * h * w, ct2.o]); // [B,P,O2], P = 4h·4w row-major
    const logits = ops.matmul(g.valueOf(mm.inputs[0]!)!, ops.transpose(map, 1, 2)); // [B,N,P]
    g.replaceUses(mm.outputs[0]!, logits.name);
    notes.push({ rewrite: 'upscaler', detail: `ConvTranspose ×2 + LayerNorm2d → per-pixel Gemms in token layout (${h}×${w} → ${4 * h}×${4 * w})`, macsBefore: 0, macsAfter: 0 });
  }
}
