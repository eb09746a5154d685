// torchvision's SwinTransformerBlock / SwinTransformerBlockV2 and PatchMerging / PatchMergingV2,
// all on NHWC tensors.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Activation, Dropout, LayerNorm, type Linear } from '../layers.js';
import { Layer, Sequential } from '../module.js';
import { ShiftedWindowAttention, swinLinear } from './swin-attention.js';

export interface SwinBlockConfig {
  dim: number;
  heads: number;
  window: number;
  /** window/2 on odd blocks of a stage, else 0. */
  shift: number;
  v2: boolean;
  /** Stochastic-depth rate of this block (row mode, train only). */
  sdProb: number;
}

/** v1 pre-norm: x + sd(attn(norm1(x))), x + sd(mlp(norm2(x))); v2 res-post-norm: x + sd(norm1(attn(x))), ... */
export class SwinBlock extends Layer {
  readonly norm1: LayerNorm;
  readonly attn: ShiftedWindowAttention;
  readonly norm2: LayerNorm;
  readonly mlp: Sequential;

  constructor(readonly cfg: SwinBlockConfig) {
    super();
    const { dim } = cfg;
    this.norm1 = this.add('norm1', new LayerNorm(dim, 1e-5));
    this.attn = this.add('attn', new ShiftedWindowAttention(dim, cfg.window, cfg.shift, cfg.heads, cfg.v2));
    this.norm2 = this.add('norm2', new LayerNorm(dim, 1e-5));
    // torchvision.ops.MLP: Linear, GELU, Dropout, Linear, Dropout (dropout p = 0 in every Swin)
    this.mlp = this.add('mlp', new Sequential([
      swinLinear(dim, 4 * dim), new Activation('gelu'), new Dropout(0), swinLinear(4 * dim, dim), new Dropout(0),
    ]));
  }

  private drop<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return this.cfg.sdProb > 0 ? ctx.ops.stochasticDepth(x, this.cfg.sdProb, ctx.training) : x;
  }

  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    if (this.cfg.v2) {
      x = F.add(x, this.drop(ctx, this.norm1.forward(ctx, this.attn.forward(ctx, x))));
      return F.add(x, this.drop(ctx, this.norm2.forward(ctx, this.mlp.forward(ctx, x))));
    }
    x = F.add(x, this.drop(ctx, this.attn.forward(ctx, this.norm1.forward(ctx, x))));
    return F.add(x, this.drop(ctx, this.mlp.forward(ctx, this.norm2.forward(ctx, x))));
  }
}

/**
 * [B, H, W, C] → [B, ⌈H/2⌉, ⌈W/2⌉, 2C]: pad to even, concat the four 2×2 phases
 * (x[0::2,0::2], x[1::2,0::2], x[0::2,1::2], x[1::2,1::2]); v1 then LayerNorm(4C) → Linear,
 * v2 Linear → LayerNorm(2C). Both declare `reduction` before `norm`.
 */
export class PatchMerging extends Layer {
  readonly reduction: Linear;
  readonly norm: LayerNorm;

  constructor(readonly dim: number, readonly v2: boolean) {
    super();
    this.reduction = this.add('reduction', swinLinear(4 * dim, 2 * dim, false));
    this.norm = this.add('norm', new LayerNorm(v2 ? 2 * dim : 4 * dim, 1e-5));
  }

  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    const [, H, W] = x.shape as [number, number, number, number];
    const even = H % 2 || W % 2 ? F.pad(x, [0, 0, 0, W % 2, 0, H % 2]) : x;
    const [, pH, pW] = even.shape as [number, number, number, number];
    const phase = (r: number, c: number): T => F.slice(F.slice(even, 1, r, pH, 2), 2, c, pW, 2);
    const cat = F.concat([phase(0, 0), phase(1, 0), phase(0, 1), phase(1, 1)], -1);
    if (this.v2) return this.norm.forward(ctx, this.reduction.forward(ctx, cat));
    return this.reduction.forward(ctx, this.norm.forward(ctx, cat));
  }
}
