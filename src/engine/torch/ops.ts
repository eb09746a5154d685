// Ops<TorchTensor> on libtorch: each method is one (or a few) ATen operator calls with PyTorch's
// own semantics, plus the extras training needs (losses, random tensors, scatter, ...).
import { pair, type ConvTranspose2dOptions, type Conv2dOptions, type DType, type Ops, type Pair } from '../ops.js';
import { noGrad } from './scope.js';
import { callOp, callTensor, fromData, TorchTensor, type Device } from './tensor.js';

type T = TorchTensor;

export interface TorchOpsOptions {
  /** Where constants and new tensors go: 'cpu' (default), 'cuda', 'cuda:1', ... */
  device?: Device;
  /**
   * The compute dtype of a half-precision model (see precision.ts): float constants made without
   * an explicit dtype get it, as the weights do (default float32).
   */
  floatDType?: 'float32' | 'float16' | 'bfloat16';
}

/** Makes a constant from host data; a graph capture swaps in a cache (cuda-graph.ts). */
export type ConstantSource = (data: Float32Array | BigInt64Array | Int32Array | Uint8Array, shape: readonly number[], dtype: DType, make: () => TorchTensor) => TorchTensor;

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface CrossEntropyOptions {
  /** Target value that contributes nothing (default -100, like PyTorch). */
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
  /** Per-class weights [C]. */
  weight?: T | null;
}

const isFloat = (d: DType): boolean => d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';

const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;

export class TorchOps implements Ops<TorchTensor> {
  readonly backend = 'torch';
  readonly device: Device;

  readonly floatDType: 'float32' | 'float16' | 'bfloat16';
  /** Set while a CUDA graph is warmed up or captured: constants must not be copied from the host then. */
  constantSource: ConstantSource | null = null;

  /** Half precision: layers follow their weights' dtype (see #like), so a plan may mix dtypes. */
  readonly #mixed: boolean;

  constructor(opts: TorchOpsOptions = {}) {
    this.device = opts.device ?? 'cpu';
    this.floatDType = opts.floatDType ?? 'float32';
    this.#mixed = this.floatDType !== 'float32';
  }

  /**
   * In half precision a layer computes in its weight's dtype: the input is cast to it, so weights
   * kept float32 by a precision plan (engine/precision-plan.ts) run their module in float32, as autocast
   * would, and the next half-precision layer casts back.
   */
  #like(x: T, w: T | null): T {
    if (!this.#mixed || w === null || x.dtype === w.dtype || !isFloat(x.dtype) || !isFloat(w.dtype)) return x;
    return this.cast(x, w.dtype);
  }

  /** Two activations of different float dtypes meet in float32. */
  #common(xs: readonly T[]): T[] {
    if (!this.#mixed || xs.every((x) => x.dtype === xs[0]!.dtype)) return [...xs];
    return xs.map((x) => (isFloat(x.dtype) && x.dtype !== 'float32' ? this.cast(x, 'float32') : x));
  }

  /** Any ATen operator by name (escape hatch for what has no wrapper here). */
  call(name: string, overload: string, ...args: unknown[]): unknown {
    return callOp(name, overload, args);
  }

  // ---- creation -------------------------------------------------------------------------

  constant(data: Float32Array | BigInt64Array | Int32Array | Uint8Array, shape: readonly number[], dtype?: DType): T {
    const to = dtype ?? (data instanceof Float32Array ? this.floatDType : undefined);
    const make = () => fromData(data, shape, to, { device: this.device });
    return this.constantSource ? this.constantSource(data, shape, to ?? 'float32', make) : make();
  }

  arange(n: number, dtype: DType = 'int64'): T {
    return callTensor('aten::arange', '', [n, dtype, null, this.device]);
  }

  #create(name: string, overload: string, head: unknown[], o: CreateOptions, dflt: DType = 'float32'): T {
    const t = callTensor(name, overload, [...head, o.dtype ?? dflt, null, o.device ?? this.device]);
    if (o.requiresGrad) t.requiresGrad_(true);
    return t;
  }

  zeros(shape: readonly number[], o: CreateOptions = {}): T {
    return this.#create('aten::zeros', '', [shape], o);
  }

  ones(shape: readonly number[], o: CreateOptions = {}): T {
    return this.#create('aten::ones', '', [shape], o);
  }

  full(shape: readonly number[], value: number, o: CreateOptions = {}): T {
    return this.#create('aten::full', '', [shape, { double: value }], o);
  }

  /** Uninitialised memory. */
  empty(shape: readonly number[], o: CreateOptions = {}): T {
    return this.#create('aten::empty', 'memory_format', [shape], o);
  }

  zerosLike(x: T): T {
    return callTensor('aten::zeros_like', '', [x]);
  }

  onesLike(x: T): T {
    return callTensor('aten::ones_like', '', [x]);
  }

  /** Standard normal samples (seed with manualSeed). */
  randn(shape: readonly number[], o: CreateOptions = {}): T {
    return this.#create('aten::randn', '', [shape], o);
  }

  /** Uniform [0, 1) samples. */
  rand(shape: readonly number[], o: CreateOptions = {}): T {
    return this.#create('aten::rand', '', [shape], o);
  }

  /** Integers in [low, high) (int64 unless dtype given). */
  randint(low: number, high: number, shape: readonly number[], o: CreateOptions = {}): T {
    return this.#create('aten::randint', 'low', [low, high, shape], o, 'int64');
  }

  // ---- layers ---------------------------------------------------------------------------

  conv2d(x: T, weight: T, bias: T | null, o: Conv2dOptions = {}): T {
    return callTensor('aten::conv2d', '', [
      this.#like(x, weight), weight, bias, pair(o.stride, 1), pair(o.padding, 0), pair(o.dilation, 1), o.groups ?? 1,
    ]);
  }

  convTranspose2d(x: T, weight: T, bias: T | null, o: ConvTranspose2dOptions = {}): T {
    // libtorch's CPU kernel has no bfloat16 (1.13: "slow_conv_transpose2d_out_cpu" not
    // implemented): those few layers compute in float32 and hand back bfloat16.
    if ((x.dtype === 'bfloat16' || weight.dtype === 'bfloat16') && this.device === 'cpu') {
      const f = (t: T | null) => (t === null ? null : this.cast(t, 'float32'));
      const [xf, wf, bf] = [f(x)!, f(weight)!, f(bias)];
      try {
        const y = this.convTranspose2d(xf, wf, bf, o);
        try { return this.cast(y, 'bfloat16'); } finally { y.dispose(); }
      } finally {
        for (const t of [xf, wf, bf]) t?.dispose();
      }
    }
    return callTensor('aten::conv_transpose2d', 'input', [
      this.#like(x, weight), weight, bias, pair(o.stride, 1), pair(o.padding, 0), pair(o.outputPadding, 0), o.groups ?? 1,
      pair(o.dilation, 1),
    ]);
  }

  linear(x: T, weight: T, bias: T | null): T {
    return callTensor('aten::linear', '', [this.#like(x, weight), weight, bias]);
  }

  matmul(a: T, b: T): T {
    return callTensor('aten::matmul', '', this.#common([a, b]));
  }

  /** Batched [B,n,k]·[B,k,m] without broadcasting. */
  bmm(a: T, b: T): T {
    return callTensor('aten::bmm', '', this.#common([a, b]));
  }

  batchNorm(
    x: T, weight: T | null, bias: T | null, runningMean: T, runningVar: T,
    training: boolean, momentum: number, eps: number, numBatchesTracked?: T | null,
  ): T {
    // aten updates the running stats in place: new = (1-m)·old + m·batch (unbiased var).
    const y = callTensor('aten::batch_norm', '', [this.#like(x, runningMean), weight, bias, runningMean, runningVar, training, momentum, eps, true]);
    if (training && numBatchesTracked) noGrad(() => numBatchesTracked.add_(1));
    return y;
  }

  layerNorm(x: T, normalizedShape: readonly number[], weight: T | null, bias: T | null, eps: number): T {
    return callTensor('aten::layer_norm', '', [this.#like(x, weight), normalizedShape, weight, bias, eps, true]);
  }

  // ---- activations ----------------------------------------------------------------------

  relu(x: T): T {
    return callTensor('aten::relu', '', [x]);
  }

  gelu(x: T): T {
    return callTensor('aten::gelu', '', [x, 'none']);
  }

  silu(x: T): T {
    return callTensor('aten::silu', '', [x]);
  }

  hardswish(x: T): T {
    return callTensor('aten::hardswish', '', [x]);
  }

  hardsigmoid(x: T): T {
    return callTensor('aten::hardsigmoid', '', [x]);
  }

  sigmoid(x: T): T {
    return callTensor('aten::sigmoid', '', [x]);
  }

  tanh(x: T): T {
    return callTensor('aten::tanh', '', [x]);
  }

  softmax(x: T, dim: number): T {
    return callTensor('aten::softmax', 'int', [x, dim, null]);
  }

  logSoftmax(x: T, dim: number): T {
    return callTensor('aten::log_softmax', 'int', [x, dim, null]);
  }

  // ---- pooling and resampling -----------------------------------------------------------

  maxPool2d(x: T, kernel: Pair, stride?: Pair, padding?: Pair): T {
    // An empty stride means "same as the kernel" in aten, as stride=None does in Python.
    return callTensor('aten::max_pool2d', '', [x, pair(kernel, 1), stride === undefined ? [] : pair(stride, 1), pair(padding, 0)]);
  }

  adaptiveAvgPool2d(x: T, outputSize: Pair): T {
    return callTensor('aten::adaptive_avg_pool2d', '', [x, pair(outputSize, 1)]);
  }

  interpolateBilinear(x: T, size: readonly [number, number]): T {
    // No scale factors: aten derives scale = in/out, as F.interpolate(size=...) does.
    return callTensor('aten::upsample_bilinear2d', '', [x, [size[0], size[1]], false, null, null]);
  }

  // ---- elementwise ----------------------------------------------------------------------

  #binary(name: string, a: T, b: T | number): T {
    return typeof b === 'number' ? callTensor(name, 'Scalar', [a, b]) : callTensor(name, 'Tensor', [a, b]);
  }

  add(a: T, b: T | number): T {
    return this.#binary('aten::add', a, b);
  }

  sub(a: T, b: T | number): T {
    return this.#binary('aten::sub', a, b);
  }

  mul(a: T, b: T | number): T {
    return this.#binary('aten::mul', a, b);
  }

  div(a: T, b: T | number): T {
    return this.#binary('aten::div', a, b);
  }

  neg(x: T): T {
    return callTensor('aten::neg', '', [x]);
  }

  exp(x: T): T {
    return callTensor('aten::exp', '', [x]);
  }

  log(x: T): T {
    return callTensor('aten::log', '', [x]);
  }

  sqrt(x: T): T {
    return callTensor('aten::sqrt', '', [x]);
  }

  abs(x: T): T {
    return callTensor('aten::abs', '', [x]);
  }

  sign(x: T): T {
    return callTensor('aten::sign', '', [x]);
  }

  sin(x: T): T {
    return callTensor('aten::sin', '', [x]);
  }

  cos(x: T): T {
    return callTensor('aten::cos', '', [x]);
  }

  pow(x: T, exponent: number): T {
    return callTensor('aten::pow', 'Tensor_Scalar', [x, exponent]);
  }

  clamp(x: T, min: number | null, max: number | null): T {
    return callTensor('aten::clamp', '', [x, min, max]);
  }

  eq(a: T, b: T | number): T {
    return this.#binary('aten::eq', a, b);
  }

  ne(a: T, b: T | number): T {
    return this.#binary('aten::ne', a, b);
  }

  lt(a: T, b: T | number): T {
    return this.#binary('aten::lt', a, b);
  }

  gt(a: T, b: T | number): T {
    return this.#binary('aten::gt', a, b);
  }

  maximum(a: T, b: T): T {
    return callTensor('aten::maximum', '', [a, b]);
  }

  minimum(a: T, b: T): T {
    return callTensor('aten::minimum', '', [a, b]);
  }

  where(cond: T, a: T, b: T): T {
    return callTensor('aten::where', 'self', [cond, ...this.#common([a, b])]);
  }

  cast(x: T, dtype: DType): T {
    return callTensor('aten::to', 'dtype', [x, dtype, false, false, null]);
  }

  // ---- reductions -----------------------------------------------------------------------

  /** dims = [] reduces over every dim. */
  #dims(x: T, dims: readonly number[]): number[] {
    return dims.length === 0 ? x.shape.map((_, i) => i) : [...dims];
  }

  sum(x: T, dims: readonly number[], keepdim = false): T {
    return callTensor('aten::sum', 'dim_IntList', [x, this.#dims(x, dims), keepdim, null]);
  }

  mean(x: T, dims: readonly number[], keepdim = false): T {
    return callTensor('aten::mean', 'dim', [x, this.#dims(x, dims), keepdim, null]);
  }

  /** [values, indices] of the maximum along dim. */
  max(x: T, dim: number, keepdim = false): [T, T] {
    return callOp('aten::max', 'dim', [x, dim, keepdim]) as [T, T];
  }

  argmax(x: T, dim: number, keepdim = false): T {
    return callTensor('aten::argmax', '', [x, dim, keepdim]);
  }

  // ---- shape ----------------------------------------------------------------------------

  reshape(x: T, shape: readonly number[]): T {
    return callTensor('aten::reshape', '', [x, shape]);
  }

  permute(x: T, dims: readonly number[]): T {
    return callTensor('aten::permute', '', [x, dims]);
  }

  transpose(x: T, dim0: number, dim1: number): T {
    return callTensor('aten::transpose', 'int', [x, dim0, dim1]);
  }

  slice(x: T, dim: number, start: number, end: number, step = 1): T {
    const big = Number.MAX_SAFE_INTEGER;
    return callTensor('aten::slice', 'Tensor', [x, dim, start, Math.max(-big, Math.min(big, end)), step]);
  }

  concat(xs: readonly T[], dim: number): T {
    return callTensor('aten::cat', '', [this.#common(xs), dim]);
  }

  /** torch.stack. */
  stack(xs: readonly T[], dim: number): T {
    return callTensor('aten::stack', '', [xs, dim]);
  }

  pad(x: T, pads: readonly number[], value = 0): T {
    return callTensor('aten::constant_pad_nd', '', [x, pads, { double: value }]);
  }

  roll(x: T, shifts: readonly number[], dims: readonly number[]): T {
    return callTensor('aten::roll', '', [x, shifts, dims]);
  }

  indexSelect(x: T, dim: number, index: T): T {
    return callTensor('aten::index_select', '', [x, dim, index]);
  }

  gather(x: T, dim: number, index: T): T {
    return callTensor('aten::gather', '', [x, dim, index, false]);
  }

  expand(x: T, shape: readonly number[]): T {
    return callTensor('aten::expand', '', [x, shape, false]);
  }

  // ---- training -------------------------------------------------------------------------

  dropout(x: T, p: number, training: boolean): T {
    return callTensor('aten::dropout', '', [x, p, training]);
  }

  stochasticDepth(x: T, p: number, training: boolean): T {
    if (p < 0 || p > 1) throw new RangeError(`stochastic depth probability must be in [0, 1], got ${p}`);
    // Identity still hands back a fresh handle, so callers may dispose every op result alike.
    if (!training || p === 0) return callTensor('aten::alias', '', [x]);
    // torchvision "row" mode: one Bernoulli(keep) per sample, scaled by 1/keep.
    const keep = 1 - p;
    const noiseShape = [x.shape[0]!, ...x.shape.slice(1).map(() => 1)];
    const noise = callTensor('aten::empty', 'memory_format', [noiseShape, x.dtype, null, x.device]);
    try {
      callOp('aten::bernoulli_', 'float', [noise, keep], true);
      if (keep > 0) noise.div_(keep);
      return this.mul(x, noise);
    } finally {
      noise.dispose();
    }
  }

  /** F.cross_entropy over class dim 1: logits [N,C,...], target int64 [N,...] (class indices). */
  crossEntropy(logits: T, target: T, o: CrossEntropyOptions = {}): T {
    return callTensor('aten::cross_entropy_loss', '', [
      logits, target, o.weight ?? null, REDUCTION[o.reduction ?? 'mean'], o.ignoreIndex ?? -100, o.labelSmoothing ?? 0,
    ]);
  }

  /** x.contiguous(memory_format=torch.channels_last) for 4-D x (NHWC in memory, NCHW shape). */
  channelsLast(x: T): T {
    return callTensor('aten::contiguous', '', [x, 'channels_last']);
  }

  /** F.one_hot: int64 [...] → int64 [..., numClasses]. */
  oneHot(x: T, numClasses: number): T {
    return callTensor('aten::one_hot', '', [x, numClasses]);
  }

  /** Out-of-place torch.scatter_add. */
  scatterAdd(x: T, dim: number, index: T, src: T): T {
    return callTensor('aten::scatter_add', '', [x, dim, index, src]);
  }

  /** Out-of-place torch.index_add: x[index[i]] += alpha · src[i] along dim. */
  indexAdd(x: T, dim: number, index: T, src: T, alpha = 1): T {
    return callTensor('aten::index_add', '', [x, dim, index, src, alpha]);
  }

  clone(x: T): T {
    return x.clone();
  }

  detach(x: T): T {
    return x.detach();
  }

  /** To another device (and dtype). */
  to(x: T, device: Device, dtype?: DType): T {
    return x.to(device, dtype);
  }
}
