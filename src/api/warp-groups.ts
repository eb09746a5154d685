// Per-image landmarks in a batch: the images that warp (a LaPa head, landmarks given) run in one
// pass with their warp, the others in another pass without, and the logits are put back in order.
import { headSpec, type HeadKind } from '../model/classes.js';
import type { ImageOptions, Logits } from './segmenter.js';

/** One engine pass: `landmarks` [n·10] when every image of the pass warps, else undefined. */
export type Pass = (batch: Float32Array, n: number, landmarks: Float32Array | undefined) => Promise<Logits>;

export async function runWithLandmarks(
  head: HeadKind, resolution: number, batch: Float32Array, n: number,
  images: readonly (ImageOptions | undefined)[] | undefined, pass: Pass,
): Promise<Logits> {
  const warps = (i: number) => headSpec(head).landmarkWarp && images?.[i]?.landmarks !== undefined;
  const warped = Array.from({ length: n }, (_, i) => i).filter(warps);
  if (warped.length === 0) return pass(batch, n, undefined);
  const lm = (idx: number[]) => {
    const out = new Float32Array(idx.length * 10);
    idx.forEach((i, k) => {
      const l = images![i]!.landmarks!;
      if (l.length !== 10) throw new Error(`image ${i}: landmarks must be 5 (x, y) pairs, got ${l.length} numbers`);
      out.set(Array.from(l), k * 10);
    });
    return out;
  };
  if (warped.length === n) return pass(batch, n, lm(warped));
  const plain = Array.from({ length: n }, (_, i) => i).filter((i) => !warps(i));
  const per = 3 * resolution * resolution;
  const gather = (idx: number[]) => {
    const x = new Float32Array(idx.length * per);
    idx.forEach((i, k) => x.set(batch.subarray(i * per, (i + 1) * per), k * per));
    return x;
  };
  const a = await pass(gather(warped), warped.length, lm(warped));
  const b = await pass(gather(plain), plain.length, undefined);
  const out = a.logits.length / warped.length;
  const logits = new Float32Array(n * out);
  warped.forEach((i, k) => logits.set(a.logits.subarray(k * out, (k + 1) * out), i * out));
  plain.forEach((i, k) => logits.set(b.logits.subarray(k * out, (k + 1) * out), i * out));
  return { logits, height: a.height, width: a.width };
}
