// The torch.nn building blocks SegFace uses, with PyTorch's parameter names and default inits.
import { pair, type Ctx, type Pair, type TensorLike } from '../engine/ops.js';
import { init, type InitFn } from './init.js';
import { Layer } from './module.js';

export interface Conv2dConfig {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  weightInit?: InitFn;
  /** Default: PyTorch's U(±1/√fan_in); torchvision's CNNs zero their conv biases. */
  biasInit?: InitFn;
}

export class Conv2d extends Layer {
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: Pair,
    readonly cfg: Conv2dConfig = {},
  ) {
    super();
    const [kh, kw] = pair(kernel, 1);
    const groups = cfg.groups ?? 1;
    this.param('weight', [outChannels, inChannels / groups, kh, kw], cfg.weightInit ?? init.torchDefaultWeight);
    if (cfg.bias ?? true) this.param('bias', [outChannels], cfg.biasInit ?? init.torchDefaultBias((inChannels / groups) * kh * kw));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const { stride, padding, dilation, groups } = this.cfg;
    return ctx.ops.conv2d(x, this.w(ctx, 'weight'), this.wOpt(ctx, 'bias'), { stride, padding, dilation, groups });
  }
}

/** Weight layout [in, out, kh, kw]. */
export class ConvTranspose2d extends Layer {
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly stride: number) {
    super();
    // PyTorch computes fan_in from dim 1 of the weight, i.e. out_channels × k × k here.
    this.param('weight', [inChannels, outChannels, kernel, kernel], init.torchDefaultWeight);
    this.param('bias', [outChannels], init.torchDefaultBias(outChannels * kernel * kernel));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return ctx.ops.convTranspose2d(x, this.w(ctx, 'weight'), this.w(ctx, 'bias'), { stride: this.stride });
  }
}

export class Linear extends Layer {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
    weightInit: InitFn = init.torchDefaultWeight,
    biasInit: InitFn = init.torchDefaultBias(inFeatures),
  ) {
    super();
    this.param('weight', [outFeatures, inFeatures], weightInit);
    if (bias) this.param('bias', [outFeatures], biasInit);
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return ctx.ops.linear(x, this.w(ctx, 'weight'), this.wOpt(ctx, 'bias'));
  }
}

/** nn.BatchNorm2d with a family's eps and momentum (torchvision sets them per model). */
export class BatchNorm2d extends Layer {
  constructor(readonly channels: number, readonly eps = 1e-5, readonly momentum = 0.1) {
    super();
    this.param('weight', [channels], init.ones);
    this.param('bias', [channels], init.zeros);
    this.buffer('running_mean', [channels], init.zeros);
    this.buffer('running_var', [channels], init.ones);
    this.buffer('num_batches_tracked', [], init.zeros, 'int64');
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return ctx.ops.batchNorm(
      x, this.w(ctx, 'weight'), this.w(ctx, 'bias'), this.w(ctx, 'running_mean'), this.w(ctx, 'running_var'),
      ctx.training, this.momentum, this.eps, this.w(ctx, 'num_batches_tracked'),
    );
  }
}

/** nn.LayerNorm over the last dim. */
export class LayerNorm extends Layer {
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.param('weight', [dim], init.ones);
    this.param('bias', [dim], init.zeros);
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return ctx.ops.layerNorm(x, [this.dim], this.w(ctx, 'weight'), this.w(ctx, 'bias'), this.eps);
  }
}

/** Channel LayerNorm on NCHW (torchvision's ConvNeXt LayerNorm2d and SAM's LayerNorm2d agree
 *  numerically: biased variance over C per pixel). */
export class LayerNorm2d extends Layer {
  constructor(readonly channels: number, readonly eps: number) {
    super();
    this.param('weight', [channels], init.ones);
    this.param('bias', [channels], init.zeros);
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const F = ctx.ops;
    const y = F.layerNorm(F.permute(x, [0, 2, 3, 1]), [this.channels], this.w(ctx, 'weight'), this.w(ctx, 'bias'), this.eps);
    return F.permute(y, [0, 3, 1, 2]);
  }
}

type Act = 'relu' | 'gelu' | 'silu' | 'hardswish' | 'hardsigmoid' | 'sigmoid';

/** A parameter-free activation (occupies an index in a Sequential, like nn.ReLU). */
export class Activation extends Layer {
  constructor(readonly kind: Act) {
    super();
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return ctx.ops[this.kind](x);
  }
}

/** nn.Identity / nn.Dropout(p=0) / permute placeholders: no parameters, no effect. */
export class Identity extends Layer {
  forward<T extends TensorLike>(_ctx: Ctx<T>, x: T): T {
    return x;
  }
}

export class Dropout extends Layer {
  constructor(readonly p: number) {
    super();
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return this.p > 0 ? ctx.ops.dropout(x, this.p, ctx.training) : x;
  }
}
