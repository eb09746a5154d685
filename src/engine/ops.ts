// The narrow tensor interface the model is written against. Two implementations:
//   - src/engine/torch/ : eager libtorch through the native addon (training, autograd, CUDA);
//   - src/engine/onnx/  : a graph builder that records ONNX nodes (inference in ORT, browser).
// Model files import only this file's types; no libtorch or ONNX type may leak into them.
//
// Conventions follow PyTorch: NCHW layout, negative dims count from the end, shapes are plain
// number arrays that every implementation knows statically (the graph builder infers them).

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** An opaque tensor handle. Only its shape and dtype are visible to model code. */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

export interface Ops<T extends TensorLike> {
  /** 'torch' or 'onnx': for diagnostics only, model code must not branch on it. */
  readonly backend: string;

  // ---- creation -------------------------------------------------------------------------
  /** A constant tensor (not a parameter) from host data, e.g. a precomputed index or mask. */
  constant(data: Float32Array | BigInt64Array | Int32Array | Uint8Array, shape: readonly number[], dtype?: DType): T;
  /** Values 0..n-1 (int64 unless dtype given). */
  arange(n: number, dtype?: DType): T;

  // ---- layers ---------------------------------------------------------------------------
  conv2d(x: T, weight: T, bias: T | null, o?: Conv2dOptions): T;
  /** weight layout [in, out/groups, kh, kw] as in PyTorch. */
  convTranspose2d(x: T, weight: T, bias: T | null, o?: ConvTranspose2dOptions): T;
  /** x[..., in] · weightᵀ[in, out] + bias. */
  linear(x: T, weight: T, bias: T | null): T;
  /** Batched matmul with broadcasting of leading dims (torch.matmul). */
  matmul(a: T, b: T): T;
  /**
   * torch.nn.functional.batch_norm. In training mode uses batch statistics and updates the
   * running stats in place (and increments numBatchesTracked when given); in eval uses them.
   */
  batchNorm(
    x: T, weight: T | null, bias: T | null, runningMean: T, runningVar: T,
    training: boolean, momentum: number, eps: number, numBatchesTracked?: T | null,
  ): T;
  /** Normalises over the trailing dims given by normalizedShape. */
  layerNorm(x: T, normalizedShape: readonly number[], weight: T | null, bias: T | null, eps: number): T;

  // ---- activations ----------------------------------------------------------------------
  relu(x: T): T;
  /** Exact (erf) GELU. */
  gelu(x: T): T;
  silu(x: T): T;
  hardswish(x: T): T;
  hardsigmoid(x: T): T;
  sigmoid(x: T): T;
  tanh(x: T): T;
  softmax(x: T, dim: number): T;
  logSoftmax(x: T, dim: number): T;

  // ---- pooling and resampling -----------------------------------------------------------
  maxPool2d(x: T, kernel: Pair, stride?: Pair, padding?: Pair): T;
  adaptiveAvgPool2d(x: T, outputSize: Pair): T;
  /** Bilinear, align_corners=false, to an explicit size (PyTorch semantics, no antialias). */
  interpolateBilinear(x: T, size: readonly [number, number]): T;
  /**
   * F.grid_sample(x [B,C,H,W], grid [B,Ho,Wo,2] (x, y in [-1, 1]), bilinear, zeros padding,
   * align_corners=false) → [B,C,Ho,Wo]. Optional: where an engine lacks it the model falls back
   * to index/weight tables computed on the host (src/model/head/grid-sample.ts).
   */
  gridSample?(x: T, grid: T): T;

  // ---- elementwise (broadcasting; a number operand is a scalar of x's dtype) -------------
  add(a: T, b: T | number): T;
  sub(a: T, b: T | number): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T | number): T;
  neg(x: T): T;
  exp(x: T): T;
  log(x: T): T;
  sqrt(x: T): T;
  abs(x: T): T;
  sign(x: T): T;
  sin(x: T): T;
  cos(x: T): T;
  pow(x: T, exponent: number): T;
  clamp(x: T, min: number | null, max: number | null): T;
  /** Elementwise a == b (bool). */
  eq(a: T, b: T | number): T;
  /** cond ? a : b. */
  where(cond: T, a: T, b: T): T;
  cast(x: T, dtype: DType): T;

  // ---- reductions -----------------------------------------------------------------------
  sum(x: T, dims: readonly number[], keepdim?: boolean): T;
  mean(x: T, dims: readonly number[], keepdim?: boolean): T;
  /** Index of the maximum along dim (int64). */
  argmax(x: T, dim: number, keepdim?: boolean): T;

  // ---- shape ----------------------------------------------------------------------------
  /** One dim may be -1. */
  reshape(x: T, shape: readonly number[]): T;
  permute(x: T, dims: readonly number[]): T;
  transpose(x: T, dim0: number, dim1: number): T;
  /** x[..., start:end:step, ...] along dim (end may exceed the size; negatives allowed). */
  slice(x: T, dim: number, start: number, end: number, step?: number): T;
  concat(xs: readonly T[], dim: number): T;
  /** F.pad semantics: pads = [lastLeft, lastRight, prevLeft, prevRight, ...], constant value. */
  pad(x: T, pads: readonly number[], value?: number): T;
  roll(x: T, shifts: readonly number[], dims: readonly number[]): T;
  /** torch.index_select along dim with an int64 index tensor (1-D). */
  indexSelect(x: T, dim: number, index: T): T;
  /** torch.gather. */
  gather(x: T, dim: number, index: T): T;
  /** Expand singleton dims to shape (torch.expand, no copy where possible). */
  expand(x: T, shape: readonly number[]): T;

  // ---- training-only randomness (identity / error in inference-only backends) ------------
  dropout(x: T, p: number, training: boolean): T;
  /** torchvision.ops.stochastic_depth, mode "row". */
  stochasticDepth(x: T, p: number, training: boolean): T;
}

/** What a module sees while running: the ops, the weights by state-dict key, the mode. */
export interface Ctx<T extends TensorLike> {
  readonly ops: Ops<T>;
  readonly training: boolean;
  /** The tensor bound to a state-dict key (parameter or buffer). */
  get(key: string): T;
  /** Optional tap for intermediate results (parity checks, feature export). */
  record?(name: string, value: T): void;
  /**
   * Runs one part of a forward. An engine that holds tensors until a scope ends (libtorch) frees
   * there the part's temporaries that are not in its result, as PyTorch's reference counting
   * would; autograd keeps what backward needs.
   */
  scope?<R>(fn: () => R): R;
}

export function pair(p: Pair | undefined, dflt: number): [number, number] {
  if (p === undefined) return [dflt, dflt];
  return typeof p === 'number' ? [p, p] : [p[0], p[1]];
}
