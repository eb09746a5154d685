// ResNet-101 (torchvision 0.14.1, v1.5: stride on the 3×3 conv) as SegFace's backbone:
// Sequential(conv1, bn1, relu, maxpool, layer1..4, avgpool) → keys `backbone.0`, `backbone.1`,
// `backbone.{4..7}.*`; taps = layer1..4 outputs (the behaviour the official hook intends, spec
// §12.1). BatchNorm eps 1e-5 / momentum 0.1; no stochastic depth.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { BatchNorm2d, Conv2d } from '../layers.js';
import { init } from '../init.js';
import { Layer, Sequential } from '../module.js';
import { Backbone, type Stage } from './backbone.js';

const conv = (inC: number, outC: number, k: number, stride = 1): Conv2d =>
  new Conv2d(inC, outC, k, { stride, padding: (k - 1) >> 1, bias: false, weightInit: init.kaimingNormalFanOut });

class Bottleneck extends Layer {
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d; readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d; readonly bn3: BatchNorm2d;
  readonly downsample: Sequential | null;
  constructor(inC: number, width: number, stride: number) {
    super();
    const outC = width * 4;
    this.conv1 = this.add('conv1', conv(inC, width, 1));
    this.bn1 = this.add('bn1', new BatchNorm2d(width));
    this.conv2 = this.add('conv2', conv(width, width, 3, stride));
    this.bn2 = this.add('bn2', new BatchNorm2d(width));
    this.conv3 = this.add('conv3', conv(width, outC, 1));
    this.bn3 = this.add('bn3', new BatchNorm2d(outC));
    this.downsample = stride !== 1 || inC !== outC
      ? this.add('downsample', new Sequential([conv(inC, outC, 1, stride), new BatchNorm2d(outC)]))
      : null;
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    let y = F.relu(this.bn1.forward(ctx, this.conv1.forward(ctx, x)));
    y = F.relu(this.bn2.forward(ctx, this.conv2.forward(ctx, y)));
    y = this.bn3.forward(ctx, this.conv3.forward(ctx, y));
    return F.relu(F.add(y, this.downsample ? this.downsample.forward(ctx, x) : x));
  }
}

/** Blocks per layer for the supported depth. */
const DEPTHS = { resnet101: [3, 4, 23, 3] } as const;

export class ResNet extends Backbone {
  readonly tapChannels = [256, 512, 1024, 2048] as const;
  /** Stem, then layer1..4: the taps are the four layers' outputs. */
  protected readonly tapIndices = [1, 2, 3, 4];
  protected readonly stages: Stage[];
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  constructor(variant: keyof typeof DEPTHS = 'resnet101') {
    super();
    this.conv1 = this.add(0, new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false, weightInit: init.kaimingNormalFanOut }));
    this.bn1 = this.add(1, new BatchNorm2d(64));
    // 2 = ReLU, 3 = MaxPool: no keys.
    const stem: Stage = {
      forward: <T extends TensorLike>(ctx: Ctx<T>, x: T): T => {
        const F = ctx.ops;
        x = F.relu(this.bn1.forward(ctx, this.conv1.forward(ctx, x))); // [B,64,R/2,R/2]
        return F.maxPool2d(x, 3, 2, 1); // [B,64,R/4,R/4]
      },
    };
    this.stages = [stem];
    let inC = 64;
    DEPTHS[variant].forEach((n, li) => {
      const width = 64 << li;
      const blocks: Layer[] = [];
      for (let b = 0; b < n; b++) {
        blocks.push(new Bottleneck(inC, width, b === 0 && li > 0 ? 2 : 1));
        inC = width * 4;
      }
      this.stages.push(this.add(4 + li, new Sequential(blocks)));
    });
  }
}
