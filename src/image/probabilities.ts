// Soft output: per-class probabilities at the photo's size, from the same logits the label map
// came from — the logits are resized bilinearly exactly as for the argmax (postprocess.ts), then
// softmax over classes per pixel, so the most probable class of a pixel is its label.
import { taps } from './postprocess.js';

/** One image's logits [C,h,w] at `offset` in `data` (the network's output, native class order). */
export interface SoftLogits { data: Float32Array; offset: number; numClasses: number; height: number; width: number }

const f = Math.fround;

/** Calls `fn(i, p)` for every output pixel i with p = softmax over classes of the resized logits. */
function forEachPixel(s: SoftLogits, outH: number, outW: number, fn: (i: number, p: Float64Array) => void): void {
  const { data, offset, numClasses: C, height: h, width: w } = s;
  const plane = h * w;
  const ty = taps(h, outH), tx = taps(w, outW);
  // Horizontally resized source rows, [outW,C], for the two rows in use.
  const rows = [new Float32Array(C * outW), new Float32Array(C * outW)];
  const rowOf = [-1, -1];
  const horizontal = (y: number): Float32Array => {
    if (rowOf[0] === y) return rows[0]!;
    if (rowOf[1] === y) return rows[1]!;
    const slot = rowOf[0]! < rowOf[1]! ? 0 : 1;
    const buf = rows[slot]!;
    for (let c = 0; c < C; c++) {
      const src = offset + c * plane + y * w;
      for (let ox = 0, o = c; ox < outW; ox++, o += C) buf[o] = tx.w0[ox]! * data[src + tx.i0[ox]!]! + tx.w1[ox]! * data[src + tx.i1[ox]!]!;
    }
    rowOf[slot] = y;
    return buf;
  };
  const v = new Float64Array(C);
  for (let oy = 0; oy < outH; oy++) {
    const a = horizontal(ty.i0[oy]!), b = horizontal(ty.i1[oy]!);
    const h0 = ty.w0[oy]!, h1 = ty.w1[oy]!;
    for (let ox = 0; ox < outW; ox++) {
      // Same float32 blend as the argmax, so the most probable class is the label.
      let max = -Infinity;
      for (let c = 0, o = ox * C; c < C; c++, o++) { const x = f(h0 * a[o]! + h1 * b[o]!); v[c] = x; if (x > max) max = x; }
      let sum = 0;
      for (let c = 0; c < C; c++) { const e = Math.exp(v[c]! - max); v[c] = e; sum += e; }
      for (let c = 0; c < C; c++) v[c] = v[c]! / sum;
      fn(oy * outW + ox, v);
    }
  }
}

/**
 * Softmax probabilities of the requested channels at outH×outW, [outH,outW] each: Float32Array
 * (0…1), or Uint8Array (round(255·p)) for 8-bit pictures.
 */
export function resizeSoftmax(s: SoftLogits, outH: number, outW: number, channels: readonly number[], as: 'f32'): Float32Array[];
export function resizeSoftmax(s: SoftLogits, outH: number, outW: number, channels: readonly number[], as: 'u8'): Uint8Array[];
export function resizeSoftmax(s: SoftLogits, outH: number, outW: number, channels: readonly number[], as: 'f32' | 'u8'): (Float32Array | Uint8Array)[] {
  const outs = channels.map(() => (as === 'f32' ? new Float32Array(outH * outW) : new Uint8Array(outH * outW)));
  forEachPixel(s, outH, outW, (i, p) => {
    for (let k = 0; k < channels.length; k++) outs[k]![i] = as === 'f32' ? p[channels[k]!]! : Math.round(p[channels[k]!]! * 255);
  });
  return outs;
}

/**
 * Per label id: the mean probability of that class over the pixels labelled with it (0 where
 * none), one pass at the labels' size. `channelOf[id]` is the id's channel in the logits.
 */
export function meanOwnProbability(s: SoftLogits, labels: Uint8Array, outH: number, outW: number, channelOf: ArrayLike<number>, numIds: number): Float64Array {
  const sum = new Float64Array(numIds), n = new Float64Array(numIds);
  forEachPixel(s, outH, outW, (i, p) => {
    const id = labels[i]!;
    sum[id] += p[channelOf[id]!]!;
    n[id]++;
  });
  return sum.map((x, id) => (n[id] ? x / n[id]! : 0));
}
