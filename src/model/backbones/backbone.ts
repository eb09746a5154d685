// The contract every SegFace backbone fulfils: a module registered as the root's child
// `backbone` (so its keys are `backbone.*` exactly as in the official state dict) whose forward
// returns the four hooked feature maps, NCHW, strides 4/8/16/32, in the order fed to
// `linear_c.0..3` (spec §2).
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Module, scoped, type Layer } from '../module.js';

export abstract class Backbone extends Module {
  /** Channels of tap0..tap3 (the input widths of linear_c.0..3). */
  abstract readonly tapChannels: readonly number[];
  /** x [B,3,R,R] → [tap0 [B,C0,R/4,R/4], tap1 (R/8), tap2 (R/16), tap3 (R/32)]. */
  abstract forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T[];
}

/** torchvision's stochastic-depth rate for block `index` of `total` (linear ramp). */
export function linearDropRate(maxRate: number, index: number, denominator: number): number {
  return denominator > 0 ? (maxRate * index) / denominator : 0;
}

/** A torchvision `features` Sequential (children 0..n-1) whose outputs at tapIndices are the taps. */
export abstract class FeaturesBackbone extends Backbone {
  protected abstract readonly tapIndices: readonly number[];
  protected readonly items: Layer[] = [];
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T[] {
    const taps: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      const m = this.items[i]!;
      x = scoped(ctx, () => m.forward(ctx, x));
      if (this.tapIndices.includes(i)) taps.push(x);
    }
    return taps;
  }
}
