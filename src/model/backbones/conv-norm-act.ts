// torchvision's Conv2dNormActivation and SqueezeExcitation, shared by MobileNetV3 and
// EfficientNetV2. Both are nn.Sequential subclasses in torchvision, hence the numeric keys.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Activation, BatchNorm2d, Conv2d } from '../layers.js';
import { init } from '../init.js';
import { Layer, Sequential } from '../module.js';

export type ActKind = 'relu' | 'silu' | 'hardswish' | null;

export interface BnConfig {
  eps: number;
  momentum: number;
}

/** Keys `0` (conv, no bias), `1` (BatchNorm), activation at `2` (no keys). Padding (k−1)/2. */
export function convBnAct(
  inC: number, outC: number, kernel: number, stride: number, bn: BnConfig, act: ActKind, groups = 1,
): Sequential {
  const items: Layer[] = [
    new Conv2d(inC, outC, kernel, {
      stride, padding: (kernel - 1) >> 1, groups, bias: false, weightInit: init.kaimingNormalFanOut,
    }),
    new BatchNorm2d(outC, bn.eps, bn.momentum),
  ];
  if (act) items.push(new Activation(act));
  return new Sequential(items);
}

/** torchvision.ops.SqueezeExcitation: avgpool → fc1 → act → fc2 → gate → x·gate. */
export class SqueezeExcitation extends Layer {
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  constructor(channels: number, squeeze: number, readonly act: 'relu' | 'silu', readonly gate: 'sigmoid' | 'hardsigmoid') {
    super();
    const cfg = { weightInit: init.kaimingNormalFanOut, biasInit: init.zeros };
    this.fc1 = this.add('fc1', new Conv2d(channels, squeeze, 1, cfg));
    this.fc2 = this.add('fc2', new Conv2d(squeeze, channels, 1, cfg));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    let s = F.adaptiveAvgPool2d(x, 1); // [B,C,1,1]
    s = F[this.act](this.fc1.forward(ctx, s));
    s = F[this.gate](this.fc2.forward(ctx, s));
    return F.mul(x, s);
  }
}

/** torchvision's _make_divisible (channel rounding used by MobileNetV3's SE). */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}
