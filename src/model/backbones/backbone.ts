// The contract every SegFace backbone fulfils: a module registered as the root's child
// `backbone` (so its keys are `backbone.*` exactly as in the official state dict) whose forward
// returns the four hooked feature maps, NCHW, strides 4/8/16/32, in the order fed to
// `linear_c.0..3` (spec §2).
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Module, scoped } from '../module.js';

/** One feature stage: a module, or a parameterless step, run on the previous stage's output. */
export interface Stage {
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T;
}

/**
 * Every backbone is a chain of feature stages; `tapIndices` (timm's `out_indices`) say which
 * stages' outputs are the taps. The stages after the last tap are not run.
 */
export abstract class Backbone extends Module {
  /** Channels of tap0..tap3 (the input widths of linear_c.0..3). */
  abstract readonly tapChannels: readonly number[];
  /** The feature stages in order (for torchvision `features` backbones, its children). */
  protected abstract readonly stages: readonly Stage[];
  /** Ascending indices into `stages` whose outputs are tap0..tap3. */
  protected abstract readonly tapIndices: readonly number[];

  /** Registers `items` as children 0..n-1 (a torchvision `features` Sequential) and returns them. */
  protected indexed<L extends Module>(items: L[]): L[] {
    items.forEach((m, i) => this.add(i, m));
    return items;
  }

  /** A stage output as the head takes it (NCHW); the output itself unless overridden. */
  protected tap<T extends TensorLike>(_ctx: Ctx<T>, x: T): T {
    return x;
  }

  /** x [B,3,R,R] → [tap0 [B,C0,R/4,R/4], tap1 (R/8), tap2 (R/16), tap3 (R/32)]. */
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T[] {
    const taps: T[] = [];
    const last = this.tapIndices[this.tapIndices.length - 1]!;
    for (let i = 0; i <= last; i++) {
      const stage = this.stages[i]!;
      x = scoped(ctx, () => stage.forward(ctx, x));
      if (this.tapIndices.includes(i)) taps.push(this.tap(ctx, x));
    }
    return taps;
  }
}

/** torchvision's stochastic-depth rate for block `index` of `total` (linear ramp). */
export function linearDropRate(maxRate: number, index: number, denominator: number): number {
  return denominator > 0 ? (maxRate * index) / denominator : 0;
}
