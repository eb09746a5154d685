// ConvNeXt (torchvision 0.14.1) as SegFace's backbone: Sequential(features, avgpool) → keys
// `backbone.0.*`; taps = stage outputs features[1], [3], [5], [7] (no final norm, spec §2).
// `--model convnext_tiny` builds ConvNeXt-Small, as the official code does (its constructor
// table has a copy/paste slip, spec §12.2); released checkpoints for that flag hold Small keys.
// Stochastic depth: torchvision's defaults (Small 0.4, Base 0.5), ramped rate·id/(total−1).
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Activation, Conv2d, Identity, LayerNorm, LayerNorm2d, Linear } from '../layers.js';
import { init } from '../init.js';
import { Layer, Sequential } from '../module.js';
import { Backbone, linearDropRate } from './backbone.js';

interface ConvNextConfig { dims: readonly number[]; depths: readonly number[]; stochasticDepth: number }
export const CONVNEXT_VARIANTS = {
  convnext_small: { dims: [96, 192, 384, 768], depths: [3, 3, 27, 3], stochasticDepth: 0.4 },
  convnext_base: { dims: [128, 256, 512, 1024], depths: [3, 3, 27, 3], stochasticDepth: 0.5 },
} as const satisfies Record<string, ConvNextConfig>;
export type ConvNextVariant = keyof typeof CONVNEXT_VARIANTS;

const LN_EPS = 1e-6;
const wInit = init.truncNormal(0.02);
const bInit = init.zeros;

/** Runs items 0..n with a NHWC section between the two Permutes (indices 1 and 6). */
class CNBlock extends Layer {
  readonly block: Sequential;
  constructor(readonly dim: number, readonly dropRate: number) {
    super();
    this.param('layer_scale', [dim, 1, 1], init.constant(1e-6));
    this.block = this.add('block', new Sequential([
      new Conv2d(dim, dim, 7, { padding: 3, groups: dim, weightInit: wInit, biasInit: bInit }),
      new Identity(), // Permute NCHW → NHWC (done in forward)
      new LayerNorm(dim, LN_EPS),
      new Linear(dim, 4 * dim, true, wInit, bInit),
      new Activation('gelu'),
      new Linear(4 * dim, dim, true, wInit, bInit),
      new Identity(), // Permute back
    ]));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    const [dw, , ln, fc1, act, fc2] = this.block.items;
    let y = F.permute(dw!.forward(ctx, x), [0, 2, 3, 1]); // [B,H,W,C]
    y = fc2!.forward(ctx, act!.forward(ctx, fc1!.forward(ctx, ln!.forward(ctx, y)))); // [B,H,W,C]
    y = F.mul(F.permute(y, [0, 3, 1, 2]), this.w(ctx, 'layer_scale')); // [B,C,H,W]
    return F.add(F.stochasticDepth(y, this.dropRate, ctx.training), x);
  }
}

export class ConvNeXt extends Backbone {
  readonly tapChannels: readonly number[];
  /** Stage outputs at strides 4, 8, 16, 32 (the downsampling layers sit between). */
  protected readonly tapIndices = [1, 3, 5, 7];
  protected readonly stages: readonly Layer[];
  private readonly features: Sequential;
  constructor(variant: ConvNextVariant) {
    super();
    const cfg: ConvNextConfig = CONVNEXT_VARIANTS[variant];
    this.tapChannels = cfg.dims;
    const items: Layer[] = [new Sequential([
      new Conv2d(3, cfg.dims[0]!, 4, { stride: 4, weightInit: wInit, biasInit: bInit }),
      new LayerNorm2d(cfg.dims[0]!, LN_EPS),
    ])];
    const total = cfg.depths.reduce((s, d) => s + d, 0);
    let id = 0;
    cfg.depths.forEach((depth, s) => {
      const dim = cfg.dims[s]!;
      const blocks: Layer[] = [];
      for (let b = 0; b < depth; b++) blocks.push(new CNBlock(dim, linearDropRate(cfg.stochasticDepth, id++, total - 1)));
      items.push(new Sequential(blocks));
      if (s + 1 < cfg.depths.length) {
        items.push(new Sequential([
          new LayerNorm2d(dim, LN_EPS),
          new Conv2d(dim, cfg.dims[s + 1]!, 2, { stride: 2, weightInit: wInit, biasInit: bInit }),
        ]));
      }
    });
    this.features = this.add(0, new Sequential(items));
    this.stages = this.features.items;
    // 1 = avgpool: no keys, output unused by SegFace.
  }
}
