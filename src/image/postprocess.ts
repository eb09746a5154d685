// Logits → label map at the photo's own size: bilinear resize of every class channel
// (F.interpolate, align_corners=False, no antialias) followed by argmax (spec §9; softmax does not
// change the argmax). The full-size C×H×W logits are never materialised: each source row is
// resized horizontally once ([C,outW], cached for the two rows in use), then every output pixel
// blends two such rows per class and keeps the best class. The blend order (horizontal, then
// vertical) and float32 weights follow ATen's CPU kernel so near-ties break the same way.

const f = Math.fround;

export interface Taps { i0: Int32Array; i1: Int32Array; w0: Float32Array; w1: Float32Array }

/** ATen's source indices/weights for one axis (area_pixel_compute_source_index, float32). */
export function taps(inSize: number, outSize: number): Taps {
  const scale = f(inSize / outSize);
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize), w1 = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(f(f(scale * (o + 0.5)) - 0.5), 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = lo < inSize - 1 ? lo + 1 : lo;
    w1[o] = f(src - lo);
    w0[o] = f(1 - w1[o]);
  }
  return { i0, i1, w0, w1 };
}

/**
 * Argmax over classes of bilinearly resized logits.
 * @param logits holds one image's logits [C,h,w] starting at `offset`
 * @returns class ids [outH,outW]
 */
export function resizeArgmax(
  logits: Float32Array, offset: number, numClasses: number, h: number, w: number, outH: number, outW: number,
): Uint8Array {
  const C = numClasses, plane = h * w;
  const ty = taps(h, outH), tx = taps(w, outW);
  const labels = new Uint8Array(outH * outW);
  // Two cached horizontally resized source rows, [outW,C] each (classes innermost, so the
  // per-pixel loop below reads contiguous memory).
  const rows = [new Float32Array(C * outW), new Float32Array(C * outW)];
  const rowOf = [-1, -1];
  const horizontal = (y: number): Float32Array => {
    if (rowOf[0] === y) return rows[0];
    if (rowOf[1] === y) return rows[1];
    // Replace the slot not holding the other row needed now (rows advance monotonically).
    const slot = rowOf[0] < rowOf[1] ? 0 : 1;
    const buf = rows[slot];
    for (let c = 0; c < C; c++) {
      const src = offset + c * plane + y * w;
      for (let ox = 0, o = c; ox < outW; ox++, o += C) {
        buf[o] = tx.w0[ox] * logits[src + tx.i0[ox]] + tx.w1[ox] * logits[src + tx.i1[ox]];
      }
    }
    rowOf[slot] = y;
    return buf;
  };
  for (let oy = 0; oy < outH; oy++) {
    const a = horizontal(ty.i0[oy]);
    const b = horizontal(ty.i1[oy]);
    const h0 = ty.w0[oy], h1 = ty.w1[oy];
    const out = oy * outW;
    for (let ox = 0; ox < outW; ox++) {
      let best = 0, bestV = -Infinity;
      for (let c = 0, o = ox * C; c < C; c++, o++) {
        const v = f(h0 * a[o] + h1 * b[o]);
        if (v > bestV) { bestV = v; best = c; } // first maximum wins, as torch.argmax
      }
      labels[out + ox] = best;
    }
  }
  return labels;
}
