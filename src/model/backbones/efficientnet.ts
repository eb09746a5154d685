// EfficientNetV2-M `features` (torchvision 0.14.1) as SegFace's backbone: keys
// `backbone.{0..8}.*`, taps after stages 2, 3, 5, 8 (spec §2). BatchNorm eps 1e-3 with
// PyTorch's default momentum 0.1; stochastic depth 0.2 ramped over all 58 blocks as
// torchvision does (rate · block_id / total); the classifier's dropout is not part of features.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Layer, Sequential } from '../module.js';
import { Backbone, linearDropRate } from './backbone.js';
import { convBnAct, SqueezeExcitation, type BnConfig } from './conv-norm-act.js';

const BN: BnConfig = { eps: 1e-3, momentum: 0.1 };
const STOCHASTIC_DEPTH = 0.2;

/** (kind, expand ratio, kernel, stride, in, out, layers) — torchvision's efficientnet_v2_m table. */
type Stage = readonly ['fused' | 'mb', number, number, number, number, number, number];
const V2_M: readonly Stage[] = [
  ['fused', 1, 3, 1, 24, 24, 3],
  ['fused', 4, 3, 2, 24, 48, 5],
  ['fused', 4, 3, 2, 48, 80, 5],
  ['mb', 4, 3, 2, 80, 160, 7],
  ['mb', 6, 3, 1, 160, 176, 14],
  ['mb', 6, 3, 2, 176, 304, 18],
  ['mb', 6, 3, 1, 304, 512, 5],
];
const LAST_CHANNEL = 1280;

/** FusedMBConv / MBConv: `block` Sequential, residual + stochastic depth when shape is kept. */
class EfficientBlock extends Layer {
  readonly block: Sequential;
  readonly residual: boolean;
  constructor(kind: 'fused' | 'mb', expand: number, k: number, stride: number, inC: number, outC: number, readonly dropRate: number) {
    super();
    const exp = inC * expand;
    const items: Layer[] = [];
    if (kind === 'fused') {
      if (exp !== inC) {
        items.push(convBnAct(inC, exp, k, stride, BN, 'silu'));
        items.push(convBnAct(exp, outC, 1, 1, BN, null));
      } else {
        items.push(convBnAct(inC, outC, k, stride, BN, 'silu'));
      }
    } else {
      if (exp !== inC) items.push(convBnAct(inC, exp, 1, 1, BN, 'silu'));
      items.push(convBnAct(exp, exp, k, stride, BN, 'silu', exp));
      items.push(new SqueezeExcitation(exp, Math.max(1, Math.floor(inC / 4)), 'silu', 'sigmoid'));
      items.push(convBnAct(exp, outC, 1, 1, BN, null));
    }
    this.block = this.add('block', new Sequential(items));
    this.residual = stride === 1 && inC === outC;
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const y = this.block.forward(ctx, x);
    if (!this.residual) return y;
    return ctx.ops.add(ctx.ops.stochasticDepth(y, this.dropRate, ctx.training), x);
  }
}

/** features: stem, the seven stages of V2_M (stochastic depth ramped over all blocks), head conv. */
function featuresV2M(): Layer[] {
  const items: Layer[] = [convBnAct(3, V2_M[0]![4], 3, 2, BN, 'silu')];
  const total = V2_M.reduce((s, r) => s + r[6], 0);
  let id = 0;
  for (const [kind, expand, k, stride, inC, outC, n] of V2_M) {
    const blocks: Layer[] = [];
    for (let i = 0; i < n; i++) {
      const rate = linearDropRate(STOCHASTIC_DEPTH, id++, total);
      blocks.push(new EfficientBlock(kind, expand, k, i === 0 ? stride : 1, i === 0 ? inC : outC, outC, rate));
    }
    items.push(new Sequential(blocks));
  }
  items.push(convBnAct(V2_M[V2_M.length - 1]![5], LAST_CHANNEL, 1, 1, BN, 'silu'));
  return items;
}

export class EfficientNetV2M extends Backbone {
  readonly tapChannels = [48, 80, 176, 1280] as const;
  protected readonly tapIndices = [2, 3, 5, 8];
  protected readonly stages = this.indexed(featuresV2M());
}
