// SegFormer-style "MLP fusion" (spec §3): per-tap Linear to 256, bilinear resize to the
// stride-4 grid, concat deepest first, bias-free 1×1 conv (no norm, no activation).
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Linear } from '../layers.js';
import { Module } from '../module.js';

/** `linear_c.{i}` = MLP with child `proj`: [B,C,h,w] → tokens → Linear → [B,256,h,w]. */
export class TapProjection extends Module {
  readonly proj: Linear;
  constructor(inDim: number, readonly embed = 256) {
    super();
    this.proj = this.add('proj', new Linear(inDim, embed));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    const [b, c, h, w] = x.shape as [number, number, number, number];
    const tokens = F.permute(F.reshape(x, [b, c, h * w]), [0, 2, 1]); // [B,h·w,C]
    const y = this.proj.forward(ctx, tokens); // [B,h·w,256]
    return F.reshape(F.permute(y, [0, 2, 1]), [b, this.embed, h, w]);
  }
}

/** Resize every projected tap to tap0's grid and concatenate [tap3, tap2, tap1, tap0]. */
export function fuseInputs<T extends TensorLike>(ctx: Ctx<T>, projected: readonly T[]): T {
  const F = ctx.ops;
  const [, , h0, w0] = projected[0]!.shape as [number, number, number, number];
  const up = projected.map((p, i) => (i === 0 || (p.shape[2] === h0 && p.shape[3] === w0) ? p : F.interpolateBilinear(p, [h0, w0])));
  return F.concat([...up].reverse(), 1); // [B,1024,h0,w0]
}
