// How closely a reduced-precision graph follows float32: argmax agreement over every pixel and
// the mean |Δ| of the class softmax, from logits [N,C,H,W].

export interface Agreement {
  /** Share of pixels whose argmax class is the same. */
  argmax: number;
  /** Mean over pixels and classes of |softmax(ours) − softmax(ref)|. */
  softmaxMeanAbs: number;
  pixels: number;
}

/** ours and ref: logits [N,classes,hw] (hw = H·W pixels per image). */
export function agreement(ours: Float32Array, ref: Float32Array, classes: number, hw: number): Agreement {
  if (ours.length !== ref.length || ref.length % (classes * hw) !== 0) throw new Error('agreement: logits of different sizes');
  const images = ref.length / (classes * hw);
  let same = 0, dsum = 0;
  const pa = new Float64Array(classes), pb = new Float64Array(classes);
  for (let b = 0; b < images; b++) {
    for (let p = 0; p < hw; p++) {
      let ia = 0, ib = 0, ma = -Infinity, mb = -Infinity;
      for (let c = 0; c < classes; c++) {
        const i = (b * classes + c) * hw + p;
        pa[c] = ours[i]!; pb[c] = ref[i]!;
        if (pa[c]! > ma) { ma = pa[c]!; ia = c; }
        if (pb[c]! > mb) { mb = pb[c]!; ib = c; }
      }
      if (ia === ib) same++;
      let sa = 0, sb = 0;
      for (let c = 0; c < classes; c++) { pa[c] = Math.exp(pa[c]! - ma); sa += pa[c]!; pb[c] = Math.exp(pb[c]! - mb); sb += pb[c]!; }
      for (let c = 0; c < classes; c++) dsum += Math.abs(pa[c]! / sa - pb[c]! / sb);
    }
  }
  const n = images * hw;
  return { argmax: same / n, softmaxMeanAbs: dsum / (n * classes), pixels: n };
}

/** Pixel-weighted mean of several agreements. */
export function meanAgreement(xs: readonly Agreement[]): Agreement {
  const pixels = xs.reduce((a, x) => a + x.pixels, 0);
  return {
    argmax: xs.reduce((a, x) => a + x.argmax * x.pixels, 0) / pixels,
    softmaxMeanAbs: xs.reduce((a, x) => a + x.softmaxMeanAbs * x.pixels, 0) / pixels,
    pixels,
  };
}
