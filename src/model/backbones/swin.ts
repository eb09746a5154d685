// torchvision's swin_b, swin_v2_b, swin_v2_s and swin_v2_t as SegFace backbones: the module tree
// `0` = features (patch embed, 4 stages, 3 patch mergings), `1` = final LayerNorm (in the state
// dict, unused by SegFace). Forward returns the four stage outputs as NCHW taps.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Conv2d, LayerNorm } from '../layers.js';
import { Layer, Module, Sequential } from '../module.js';
import { Backbone, linearDropRate, type Stage } from './backbone.js';
import { PatchMerging, SwinBlock } from './swin-block.js';

export type SwinVariant = 'swin_base' | 'swinv2_base' | 'swinv2_small' | 'swinv2_tiny';

export interface SwinConfig {
  /** torchvision constructor name, for messages. */
  readonly torchvision: string;
  readonly embedDim: number;
  readonly depths: readonly [number, number, number, number];
  readonly heads: readonly [number, number, number, number];
  readonly window: number;
  readonly v2: boolean;
  /** torchvision's default stochastic_depth_prob, scaled linearly over all blocks. */
  readonly stochasticDepth: number;
}

export const SWIN_VARIANTS: Readonly<Record<SwinVariant, SwinConfig>> = {
  swin_base: { torchvision: 'swin_b', embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 7, v2: false, stochasticDepth: 0.5 },
  swinv2_base: { torchvision: 'swin_v2_b', embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 8, v2: true, stochasticDepth: 0.5 },
  swinv2_small: { torchvision: 'swin_v2_s', embedDim: 96, depths: [2, 2, 18, 2], heads: [3, 6, 12, 24], window: 8, v2: true, stochasticDepth: 0.3 },
  swinv2_tiny: { torchvision: 'swin_v2_t', embedDim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 8, v2: true, stochasticDepth: 0.2 },
};

/** Conv 4×4 s4 (index 0) → NHWC permute (index 1, no parameters) → LayerNorm (index 2). */
class PatchEmbed extends Layer {
  readonly conv: Conv2d;
  readonly norm: LayerNorm;
  constructor(dim: number) {
    super();
    this.conv = this.add(0, new Conv2d(3, dim, 4, { stride: 4 }));
    this.norm = this.add(2, new LayerNorm(dim, 1e-5));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return this.norm.forward(ctx, ctx.ops.permute(this.conv.forward(ctx, x), [0, 2, 3, 1]));
  }
}

/** torchvision's `features` Sequential: [embed, stage1, merge, stage2, merge, stage3, merge, stage4]. */
class SwinFeatures extends Module {
  readonly embed: PatchEmbed;
  readonly stages: Sequential[] = [];
  readonly merges: PatchMerging[] = [];

  constructor(cfg: SwinConfig) {
    super();
    this.embed = this.add(0, new PatchEmbed(cfg.embedDim));
    const total = cfg.depths.reduce((a, b) => a + b, 0);
    let blockId = 0;
    for (let s = 0; s < 4; s++) {
      const dim = cfg.embedDim * 2 ** s;
      const blocks: SwinBlock[] = [];
      for (let b = 0; b < cfg.depths[s]!; b++) {
        blocks.push(new SwinBlock({
          dim, heads: cfg.heads[s]!, window: cfg.window, shift: b % 2 === 0 ? 0 : Math.floor(cfg.window / 2), v2: cfg.v2,
          sdProb: linearDropRate(cfg.stochasticDepth, blockId, total - 1),
        }));
        blockId++;
      }
      this.stages.push(this.add(2 * s + 1, new Sequential(blocks)));
      if (s < 3) this.merges.push(this.add(2 * s + 2, new PatchMerging(dim, cfg.v2)));
    }
  }
}

export class SwinBackbone extends Backbone {
  readonly tapChannels: readonly number[];
  /** [embed, stage1, merge, stage2, merge, stage3, merge, stage4]: the four stage outputs. */
  protected readonly tapIndices = [1, 3, 5, 7];
  protected readonly stages: readonly Stage[];
  readonly features: SwinFeatures;
  /** torchvision's final `norm` (backbone.1): loaded, never run. */
  readonly norm: LayerNorm;

  constructor(readonly variant: SwinVariant, readonly cfg: SwinConfig = SWIN_VARIANTS[variant]) {
    super();
    this.tapChannels = [0, 1, 2, 3].map((s) => cfg.embedDim * 2 ** s);
    this.features = this.add(0, new SwinFeatures(cfg));
    const { embed, stages, merges } = this.features;
    this.stages = [embed, ...stages.flatMap((st, s) => (s < 3 ? [st, merges[s]!] : [st]))];
    this.norm = this.add(1, new LayerNorm(cfg.embedDim * 8, 1e-5));
  }

  /** Stage outputs are NHWC; taps [B, C·2^s, R/2^(s+2), R/2^(s+2)] are NCHW. */
  protected override tap<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return ctx.ops.permute(x, [0, 3, 1, 2]);
  }
}

export function buildSwin(variant: SwinVariant): SwinBackbone {
  return new SwinBackbone(variant);
}
