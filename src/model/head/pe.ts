// SAM's PositionEmbeddingRandom (random-Fourier dense positional encoding), spec §4.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { init } from '../init.js';
import { Module } from '../module.js';

const TWO_PI_F32 = Math.fround(2 * Math.PI);

export class PositionEmbeddingRandom extends Module {
  constructor(readonly numPosFeats = 128) {
    super();
    // A persistent buffer (in the checkpoint), drawn N(0, 1) at init (scale 1.0).
    this.buffer('positional_encoding_gaussian_matrix', [2, numPosFeats], init.normal(1));
  }

  /** Dense PE for an h×w grid → [1, 2·numPosFeats, h, w] (sin block, then cos block). */
  forward<T extends TensorLike>(ctx: Ctx<T>, h: number, w: number): T {
    const F = ctx.ops;
    // Pixel centres in [-1, 1], x first, computed in float32 as torch does (cumsum − 0.5) / size.
    const coords = new Float32Array(h * w * 2);
    for (let i = 0; i < h; i++) {
      const y = Math.fround(2 * Math.fround((i + 0.5) / h) - 1);
      for (let j = 0; j < w; j++) {
        coords[(i * w + j) * 2] = Math.fround(2 * Math.fround((j + 0.5) / w) - 1);
        coords[(i * w + j) * 2 + 1] = y;
      }
    }
    const g = this.w(ctx, 'positional_encoding_gaussian_matrix'); // [2,128]
    let v = F.matmul(F.constant(coords, [h * w, 2]), g); // [h·w,128]
    v = F.mul(v, TWO_PI_F32);
    const pe = F.concat([F.sin(v), F.cos(v)], 1); // [h·w,256]
    return F.reshape(F.permute(pe, [1, 0]), [1, 2 * this.numPosFeats, h, w]);
  }
}
