// MobileNetV3-Large `features` (torchvision 0.14.1), used as SegFace's backbone directly:
// keys `backbone.{0..16}.*`, taps after modules 3, 6, 12, 16 (spec §2).
// BatchNorm eps 0.001 / momentum 0.01; no stochastic depth or dropout inside `features`.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Layer, Sequential } from '../module.js';
import { Backbone } from './backbone.js';
import { convBnAct, makeDivisible, SqueezeExcitation, type BnConfig } from './conv-norm-act.js';

const BN: BnConfig = { eps: 0.001, momentum: 0.01 };

/** (in, kernel, expanded, out, SE, activation, stride) per inverted-residual block 1..15. */
type Row = readonly [number, number, number, number, boolean, 'relu' | 'hardswish', number];
const LARGE: readonly Row[] = [
  [16, 3, 16, 16, false, 'relu', 1],
  [16, 3, 64, 24, false, 'relu', 2],
  [24, 3, 72, 24, false, 'relu', 1],
  [24, 5, 72, 40, true, 'relu', 2],
  [40, 5, 120, 40, true, 'relu', 1],
  [40, 5, 120, 40, true, 'relu', 1],
  [40, 3, 240, 80, false, 'hardswish', 2],
  [80, 3, 200, 80, false, 'hardswish', 1],
  [80, 3, 184, 80, false, 'hardswish', 1],
  [80, 3, 184, 80, false, 'hardswish', 1],
  [80, 3, 480, 112, true, 'hardswish', 1],
  [112, 3, 672, 112, true, 'hardswish', 1],
  [112, 5, 672, 160, true, 'hardswish', 2],
  [160, 5, 960, 160, true, 'hardswish', 1],
  [160, 5, 960, 160, true, 'hardswish', 1],
];

/** torchvision's mobilenetv3.InvertedResidual: `block` = [expand?, depthwise, SE?, project]. */
class InvertedResidual extends Layer {
  readonly block: Sequential;
  readonly residual: boolean;
  constructor([inC, k, exp, outC, se, act, stride]: Row) {
    super();
    const items: Layer[] = [];
    if (exp !== inC) items.push(convBnAct(inC, exp, 1, 1, BN, act));
    items.push(convBnAct(exp, exp, k, stride, BN, act, exp));
    if (se) items.push(new SqueezeExcitation(exp, makeDivisible(Math.floor(exp / 4), 8), 'relu', 'hardsigmoid'));
    items.push(convBnAct(exp, outC, 1, 1, BN, null));
    this.block = this.add('block', new Sequential(items));
    this.residual = stride === 1 && inC === outC;
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const y = this.block.forward(ctx, x);
    return this.residual ? ctx.ops.add(y, x) : y;
  }
}

export class MobileNetV3Large extends Backbone {
  readonly tapChannels = [24, 40, 112, 960] as const;
  protected readonly tapIndices = [3, 6, 12, 16];
  protected readonly stages = this.indexed<Layer>([
    convBnAct(3, 16, 3, 2, BN, 'hardswish'),
    ...LARGE.map((row) => new InvertedResidual(row)),
    convBnAct(160, 960, 1, 1, BN, 'hardswish'),
  ]);
}
