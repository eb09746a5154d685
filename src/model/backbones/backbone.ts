// The contract every SegFace backbone fulfils: a module registered as the root's child
// `backbone` (so its keys are `backbone.*` exactly as in the official state dict) whose forward
// returns the four hooked feature maps, NCHW, strides 4/8/16/32, in the order fed to
// `linear_c.0..3` (spec §2).
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Module } from '../module.js';

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
