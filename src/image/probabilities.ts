// Soft output: per-class probabilities at the photo's size, from the same logits the label map
// came from — the logits are resized bilinearly exactly as for the argmax (postprocess.ts), then
// softmax over classes per pixel, so the most probable class of a pixel is its label.
import { taps } from './postprocess.js';

/** One image's logits [C,h,w] at `offset` in `data` (the network's output, native class order). */
export interface SoftLogits { data: Float32Array; offset: number; numClasses: number; height: number; width: number }

const f = Math.fround;

/**
 * Softmax probabilities of the requested channels at outH×outW, [outH,outW] each: Float32Array
 * (0…1), or Uint8Array (round(255·p)) for 8-bit pictures.
 */
export function resizeSoftmax(s: SoftLogits, outH: number, outW: number, channels: readonly number[], as: 'f32'): Float32Array[];
export function resizeSoftmax(s: SoftLogits, outH: number, outW: number, channels: readonly number[], as: 'u8'): Uint8Array[];
export function resizeSoftmax(s: SoftLogits, outH: number, outW: number, channels: readonly number[], as: 'f32' | 'u8'): (Float32Array | Uint8Array)[] {
  const { data, offset, numClasses: C, height: h, width: w } = s;
  const plane = h * w;
  const ty = taps(h, outH), tx = taps(w, outW);
  const outs = channels.map(() => (as === 'f32' ? new Float32Array(outH * outW) : new Uint8Array(outH * outW)));
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
      let max = -Infinity;
      for (let c = 0, o = ox * C; c < C; c++, o++) { const x = f(h0 * a[o]! + h1 * b[o]!); v[c] = x; if (x > max) max = x; }
      let sum = 0;
      for (let c = 0; c < C; c++) { const e = Math.exp(v[c]! - max); v[c] = e; sum += e; }
      const i = oy * outW + ox;
      for (let k = 0; k < channels.length; k++) {
        const p = v[channels[k]!]! / sum;
        outs[k]![i] = as === 'f32' ? p : Math.round(p * 255);
      }
    }
  }
  return outs;
}

/**
 * Mean softmax probability of each class over the network-resolution pixels it wins (0 where it
 * wins none): a cheap confidence per class, [C].
 */
export function classScores(s: SoftLogits): Float64Array {
  const { data, offset, numClasses: C, height: h, width: w } = s;
  const plane = h * w;
  const sum = new Float64Array(C), n = new Float64Array(C);
  for (let i = 0; i < plane; i++) {
    let best = 0, max = -Infinity;
    for (let c = 0; c < C; c++) { const x = data[offset + c * plane + i]!; if (x > max) { max = x; best = c; } }
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(data[offset + c * plane + i]! - max);
    sum[best] += 1 / z;
    n[best]++;
  }
  return sum.map((x, c) => (n[c] ? x / n[c]! : 0));
}
