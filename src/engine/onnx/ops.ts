// Ops<T> as an ONNX graph builder: every call records nodes and returns a symbolic value whose
// shape is inferred here, statically. Semantics follow PyTorch (see the doc comments in ops.ts).
import { pair, type Conv2dOptions, type ConvTranspose2dOptions, type DType, type Ops, type Pair } from '../ops.js';
import { GraphBuilder, elemType, type AttrValue, type OnnxValue } from './graph.js';
import { convertData, naturalDType, typedData } from './host-data.js';
import { broadcastShapes, isFloat, normDim, numelOf, promoteTypes, sameShape, windowOut } from './shape.js';

export type { OnnxValue } from './graph.js';

const fl = (v: number): AttrValue => ({ float: v });

export class OnnxOps implements Ops<OnnxValue> {
  readonly backend = 'onnx';

  /**
   * `floatDType` is the build's compute dtype: float constants created without an explicit dtype
   * take it, so a float16 build stays float16 where the model writes `constant(Float32Array)`.
   * Layers compute in their weights' dtype (see #like), so a precision plan (onnxCtx) that keeps
   * some weights float32 mixes the graph with no state switched while tracing.
   */
  constructor(readonly graph: GraphBuilder = new GraphBuilder(), readonly floatDType: 'float32' | 'float16' = 'float32') {}

  // ---- plumbing -------------------------------------------------------------------------

  private node(op: string, inputs: readonly (OnnxValue | null)[], shape: readonly number[], dtype: DType,
    attrs: Record<string, AttrValue | undefined> = {}): OnnxValue {
    const [name] = this.graph.node(op, inputs, attrs);
    const v = { name: name!, shape: [...shape], dtype };
    this.graph.noteValue(v);
    return v;
  }

  private unary(op: string, x: OnnxValue, attrs: Record<string, AttrValue | undefined> = {}): OnnxValue {
    return this.node(op, [x], x.shape, x.dtype, attrs);
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  private ints(values: readonly number[]): OnnxValue {
    return this.graph.initializer(typedData(values, 'int64'), [values.length], 'int64');
  }

  /** A 0-d constant of the given dtype. */
  private scalar(v: number, dtype: DType): OnnxValue {
    return this.graph.initializer(typedData([v], dtype), [], dtype);
  }

  /** A layer's input cast to its weight's float dtype, as libtorch's ops.ts does in half precision. */
  #like(x: OnnxValue, w: OnnxValue | null): OnnxValue {
    return w && x.dtype !== w.dtype && isFloat(x.dtype) && isFloat(w.dtype) ? this.cast(x, w.dtype) : x;
  }

  private floatOnly(x: OnnxValue, what: string): void {
    if (!isFloat(x.dtype)) throw new Error(`${what} needs a floating tensor, got ${x.dtype}`);
  }

  /** Brings two operands to a common dtype (torch type promotion, simplified). */
  private promote(a: OnnxValue, b: OnnxValue): [OnnxValue, OnnxValue] {
    if (a.dtype === b.dtype) return [a, b];
    // A 0-d tensor does not decide the result type over a dimensioned one of the same kind.
    let t = promoteTypes(a.dtype, b.dtype);
    if (b.shape.length === 0 && a.shape.length > 0 && isFloat(a.dtype) === isFloat(b.dtype)) t = a.dtype;
    if (a.shape.length === 0 && b.shape.length > 0 && isFloat(a.dtype) === isFloat(b.dtype)) t = b.dtype;
    return [this.cast(a, t), this.cast(b, t)];
  }

  private binary(op: string, a: OnnxValue, b: OnnxValue | number, outDType?: DType): OnnxValue {
    let x = a;
    let y: OnnxValue;
    if (typeof b === 'number') {
      if (x.dtype === 'bool') x = this.cast(x, 'int64');
      if (!isFloat(x.dtype) && !Number.isInteger(b)) x = this.cast(x, 'float32');
      y = this.scalar(b, x.dtype);
    } else [x, y] = this.promote(a, b);
    return this.node(op, [x, y], broadcastShapes(x.shape, y.shape), outDType ?? x.dtype);
  }

  // ---- creation -------------------------------------------------------------------------

  constant(data: Float32Array | BigInt64Array | Int32Array | Uint8Array, shape: readonly number[], dtype?: DType): OnnxValue {
    const from = naturalDType(data);
    const to = dtype ?? (from === 'float32' ? this.floatDType : from);
    const fits = to === from || (to === 'bool' && data instanceof Uint8Array);
    return this.graph.initializer(fits ? data : convertData(data, from, to), shape, to);
  }

  arange(n: number, dtype: DType = 'int64'): OnnxValue {
    return this.graph.initializer(typedData(Array.from({ length: n }, (_, i) => i), dtype), [n], dtype);
  }

  // ---- layers ---------------------------------------------------------------------------

  conv2d(x: OnnxValue, weight: OnnxValue, bias: OnnxValue | null, o: Conv2dOptions = {}): OnnxValue {
    x = this.#like(x, weight);
    const [sh, sw] = pair(o.stride, 1);
    const [ph, pw] = pair(o.padding, 0);
    const [dh, dw] = pair(o.dilation, 1);
    const g = o.groups ?? 1;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [oc, icg, kh, kw] = weight.shape as [number, number, number, number];
    if (x.shape.length !== 4 || weight.shape.length !== 4) throw new Error('conv2d expects a 4-D input and weight');
    if (c !== icg * g) throw new Error(`conv2d: input has ${c} channels, weight expects ${icg}×${g} groups`);
    const shape = [n, oc, windowOut(h, kh, sh, ph, dh), windowOut(w, kw, sw, pw, dw)];
    return this.node('Conv', bias ? [x, weight, bias] : [x, weight], shape, x.dtype, {
      kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw], dilations: [dh, dw], group: g,
    });
  }

  convTranspose2d(x: OnnxValue, weight: OnnxValue, bias: OnnxValue | null, o: ConvTranspose2dOptions = {}): OnnxValue {
    x = this.#like(x, weight);
    const [sh, sw] = pair(o.stride, 1);
    const [ph, pw] = pair(o.padding, 0);
    const [oph, opw] = pair(o.outputPadding, 0);
    const [dh, dw] = pair(o.dilation, 1);
    const g = o.groups ?? 1;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [ic, ocg, kh, kw] = weight.shape as [number, number, number, number];
    if (x.shape.length !== 4 || weight.shape.length !== 4) throw new Error('convTranspose2d expects a 4-D input and weight');
    if (c !== ic) throw new Error(`convTranspose2d: input has ${c} channels, weight expects ${ic}`);
    const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
    const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
    return this.node('ConvTranspose', bias ? [x, weight, bias] : [x, weight], [n, ocg * g, oh, ow], x.dtype, {
      kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw], dilations: [dh, dw], group: g,
      output_padding: [oph, opw],
    });
  }

  linear(x: OnnxValue, weight: OnnxValue, bias: OnnxValue | null): OnnxValue {
    x = this.#like(x, weight);
    if (weight.shape.length !== 2) throw new Error('linear expects a 2-D weight');
    const [out, inF] = weight.shape as [number, number];
    if (x.shape[x.shape.length - 1] !== inF) {
      throw new Error(`linear: input [${x.shape.join(', ')}] does not end in ${inF} features`);
    }
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== out)) throw new Error(`linear: bias must have shape [${out}]`);
    // Gemm with transB=1 reads the PyTorch [out, in] weight as is (no host transpose, no copy)
    // and folds the bias in; leading dims are flattened around it.
    const lead = x.shape.slice(0, -1);
    const x2 = x.shape.length === 2 ? x : this.reshape(x, [numelOf(lead), inF]);
    const y2 = this.node('Gemm', bias ? [x2, weight, this.cast(bias, x.dtype)] : [x2, weight], [x2.shape[0]!, out], x.dtype, { transB: 1 });
    return x.shape.length === 2 ? y2 : this.reshape(y2, [...lead, out]);
  }

  matmul(a: OnnxValue, b: OnnxValue): OnnxValue {
    [a, b] = this.promote(a, b);
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (ra === 0 || rb === 0) throw new Error('matmul needs tensors of rank ≥ 1');
    const ka = a.shape[ra - 1]!;
    const kb = rb === 1 ? b.shape[0]! : b.shape[rb - 2]!;
    if (ka !== kb) throw new Error(`matmul: [${a.shape.join(', ')}] × [${b.shape.join(', ')}] inner dims differ`);
    let shape: number[];
    if (ra === 1 && rb === 1) shape = [];
    else if (ra === 1) shape = [...b.shape.slice(0, -2), b.shape[rb - 1]!];
    else if (rb === 1) shape = a.shape.slice(0, -1);
    else shape = [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)), a.shape[ra - 2]!, b.shape[rb - 1]!];
    return this.node('MatMul', [a, b], shape, a.dtype);
  }

  batchNorm(
    x: OnnxValue, weight: OnnxValue | null, bias: OnnxValue | null, runningMean: OnnxValue, runningVar: OnnxValue,
    training: boolean, _momentum: number, eps: number,
  ): OnnxValue {
    if (training) throw new Error('the ONNX engine is inference-only: batchNorm in training mode is not supported');
    x = this.#like(x, runningMean);
    const c = x.shape[1]!;
    const w = weight ?? this.graph.initializer(typedData(new Array(c).fill(1), x.dtype), [c], x.dtype);
    const b = bias ?? this.graph.initializer(typedData(new Array(c).fill(0), x.dtype), [c], x.dtype);
    return this.node('BatchNormalization', [x, w, b, runningMean, runningVar], x.shape, x.dtype, { epsilon: fl(eps) });
  }

  layerNorm(x: OnnxValue, normalizedShape: readonly number[], weight: OnnxValue | null, bias: OnnxValue | null, eps: number): OnnxValue {
    x = this.#like(x, weight);
    const k = normalizedShape.length;
    if (!sameShape(x.shape.slice(x.shape.length - k), normalizedShape)) {
      throw new Error(`layerNorm: input [${x.shape.join(', ')}] does not end in [${normalizedShape.join(', ')}]`);
    }
    const n = numelOf(normalizedShape);
    const w = weight ?? this.graph.initializer(typedData(new Array(n).fill(1), x.dtype), normalizedShape, x.dtype);
    return this.node('LayerNormalization', bias ? [x, w, bias] : [x, w], x.shape, x.dtype, { axis: -k, epsilon: fl(eps) });
  }

  // ---- activations ----------------------------------------------------------------------

  relu(x: OnnxValue): OnnxValue { return this.unary('Relu', x); }
  gelu(x: OnnxValue): OnnxValue { return this.unary('Gelu', x, { approximate: 'none' }); }
  silu(x: OnnxValue): OnnxValue { return this.mul(x, this.sigmoid(x)); }
  hardswish(x: OnnxValue): OnnxValue { return this.unary('HardSwish', x); }
  hardsigmoid(x: OnnxValue): OnnxValue { return this.unary('HardSigmoid', x, { alpha: fl(1 / 6), beta: fl(0.5) }); }
  sigmoid(x: OnnxValue): OnnxValue { return this.unary('Sigmoid', x); }
  tanh(x: OnnxValue): OnnxValue { return this.unary('Tanh', x); }
  softmax(x: OnnxValue, dim: number): OnnxValue {
    return this.unary('Softmax', x, { axis: normDim(dim, x.shape.length) });
  }
  logSoftmax(x: OnnxValue, dim: number): OnnxValue {
    return this.unary('LogSoftmax', x, { axis: normDim(dim, x.shape.length) });
  }

  // ---- pooling and resampling -----------------------------------------------------------

  maxPool2d(x: OnnxValue, kernel: Pair, stride?: Pair, padding?: Pair): OnnxValue {
    const [kh, kw] = pair(kernel, 1);
    const [sh, sw] = stride === undefined ? [kh, kw] : pair(stride, 1);
    const [ph, pw] = pair(padding, 0);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    return this.node('MaxPool', [x], [n, c, windowOut(h, kh, sh, ph), windowOut(w, kw, sw, pw)], x.dtype, {
      kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw],
    });
  }

  adaptiveAvgPool2d(x: OnnxValue, outputSize: Pair): OnnxValue {
    const [oh, ow] = pair(outputSize, 1);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (oh === 1 && ow === 1) return this.node('GlobalAveragePool', [x], [n, c, 1, 1], x.dtype);
    if (h % oh === 0 && w % ow === 0) {
      const kh = h / oh;
      const kw = w / ow;
      return this.node('AveragePool', [x], [n, c, oh, ow], x.dtype, { kernel_shape: [kh, kw], strides: [kh, kw] });
    }
    // PyTorch's bins [floor(i·H/oh), ceil((i+1)·H/oh)) may overlap; a mean over a rectangle is the
    // mean of the row means, so pool rows then columns.
    return this.adaptiveAxis(this.adaptiveAxis(x, 2, oh), 3, ow);
  }

  private adaptiveAxis(x: OnnxValue, axis: number, out: number): OnnxValue {
    const size = x.shape[axis]!;
    if (size === out) return x;
    const bins: OnnxValue[] = [];
    for (let i = 0; i < out; i++) {
      const s = Math.floor((i * size) / out);
      const e = Math.ceil(((i + 1) * size) / out);
      bins.push(this.mean(this.slice(x, axis, s, e), [axis], true));
    }
    return this.concat(bins, axis);
  }

  interpolateBilinear(x: OnnxValue, size: readonly [number, number]): OnnxValue {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [oh, ow] = size;
    if (oh === h && ow === w) return x; // PyTorch maps every pixel onto itself at scale 1
    // half_pixel with ORT's clamp of negative source coordinates to 0 is PyTorch's
    // align_corners=False rule src = max(0, (dst + 0.5)·in/out − 0.5), including for out = 1.
    // sizes for the spatial axes only (opset 18 `axes`), so the graph carries no batch size here.
    return this.node('Resize', [x, null, null, this.ints([oh, ow])], [n, c, oh, ow], x.dtype, {
      mode: 'linear', coordinate_transformation_mode: 'half_pixel', axes: [2, 3],
    });
  }

  gridSample(x: OnnxValue, grid: OnnxValue): OnnxValue {
    const [n, c] = x.shape as [number, number];
    if (x.shape.length !== 4 || grid.shape.length !== 4 || grid.shape[3] !== 2 || grid.shape[0] !== n) {
      throw new Error(`gridSample: input [${x.shape.join(', ')}] and grid [${grid.shape.join(', ')}] do not fit`);
    }
    // Opset 20 names bilinear 'linear'.
    return this.node('GridSample', [x, this.cast(grid, x.dtype)], [n, c, grid.shape[1]!, grid.shape[2]!], x.dtype, {
      mode: 'linear', padding_mode: 'zeros', align_corners: 0,
    });
  }

  // ---- elementwise ----------------------------------------------------------------------

  add(a: OnnxValue, b: OnnxValue | number): OnnxValue { return this.binary('Add', a, b); }
  sub(a: OnnxValue, b: OnnxValue | number): OnnxValue { return this.binary('Sub', a, b); }
  mul(a: OnnxValue, b: OnnxValue | number): OnnxValue { return this.binary('Mul', a, b); }
  div(a: OnnxValue, b: OnnxValue | number): OnnxValue {
    // torch's `/` is true division: integer operands give a float result.
    if (!isFloat(a.dtype) && (typeof b === 'number' || !isFloat(b.dtype))) a = this.cast(a, 'float32');
    return this.binary('Div', a, b);
  }
  neg(x: OnnxValue): OnnxValue { return this.unary('Neg', x); }
  exp(x: OnnxValue): OnnxValue { return this.unary('Exp', x); }
  log(x: OnnxValue): OnnxValue { return this.unary('Log', x); }
  sqrt(x: OnnxValue): OnnxValue { return this.unary('Sqrt', x); }
  abs(x: OnnxValue): OnnxValue { return this.unary('Abs', x); }
  sign(x: OnnxValue): OnnxValue { return this.unary('Sign', x); }
  sin(x: OnnxValue): OnnxValue { return this.unary('Sin', x); }
  cos(x: OnnxValue): OnnxValue { return this.unary('Cos', x); }

  pow(x: OnnxValue, exponent: number): OnnxValue {
    if (exponent === 1) return x;
    if (exponent === 2) return this.node('Mul', [x, x], x.shape, x.dtype);
    if (exponent === 0.5 && isFloat(x.dtype)) return this.sqrt(x);
    return this.binary('Pow', x, exponent);
  }

  clamp(x: OnnxValue, min: number | null, max: number | null): OnnxValue {
    if (min === null && max === null) return x;
    if (!isFloat(x.dtype) && ((min !== null && !Number.isInteger(min)) || (max !== null && !Number.isInteger(max)))) {
      x = this.cast(x, 'float32');
    }
    const lo = min === null ? null : this.scalar(min, x.dtype);
    const hi = max === null ? null : this.scalar(max, x.dtype);
    return this.node('Clip', [x, lo, hi], x.shape, x.dtype);
  }

  eq(a: OnnxValue, b: OnnxValue | number): OnnxValue { return this.binary('Equal', a, b, 'bool'); }

  where(cond: OnnxValue, a: OnnxValue, b: OnnxValue): OnnxValue {
    const c = cond.dtype === 'bool' ? cond : this.cast(cond, 'bool');
    [a, b] = this.promote(a, b);
    return this.node('Where', [c, a, b], broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape)), a.dtype);
  }

  cast(x: OnnxValue, dtype: DType): OnnxValue {
    if (x.dtype === dtype) return x;
    return this.node('Cast', [x], x.shape, dtype, { to: elemType(dtype) });
  }

  // ---- reductions -----------------------------------------------------------------------

  private reduce(op: string, x: OnnxValue, dims: readonly number[], keepdim: boolean): OnnxValue {
    const r = x.shape.length;
    // torch treats an empty dim list as "all dims".
    const axes = dims.length === 0 ? x.shape.map((_, i) => i) : [...new Set(dims.map((d) => normDim(d, r)))].sort((p, q) => p - q);
    const shape = keepdim ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return this.node(op, [x, this.ints(axes)], shape, x.dtype, { keepdims: keepdim ? 1 : 0 });
  }

  sum(x: OnnxValue, dims: readonly number[], keepdim = false): OnnxValue {
    // torch sums bool and integer tensors in int64.
    if (!isFloat(x.dtype)) x = this.cast(x, 'int64');
    return this.reduce('ReduceSum', x, dims, keepdim);
  }

  mean(x: OnnxValue, dims: readonly number[], keepdim = false): OnnxValue {
    this.floatOnly(x, 'mean');
    return this.reduce('ReduceMean', x, dims, keepdim);
  }

  argmax(x: OnnxValue, dim: number, keepdim = false): OnnxValue {
    const axis = normDim(dim, x.shape.length);
    const shape = keepdim ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
    // select_last_index=0: the first maximum wins, as in torch.
    return this.node('ArgMax', [x], shape, 'int64', { axis, keepdims: keepdim ? 1 : 0, select_last_index: 0 });
  }

  // ---- shape ----------------------------------------------------------------------------

  reshape(x: OnnxValue, shape: readonly number[]): OnnxValue {
    const total = numelOf(x.shape);
    const free = shape.filter((d) => d === -1).length;
    if (free > 1) throw new Error('reshape: only one dim may be -1');
    const known = numelOf(shape.filter((d) => d !== -1));
    const out = shape.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
    if (numelOf(out) !== total || out.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`reshape: cannot view [${x.shape.join(', ')}] as [${shape.join(', ')}]`);
    }
    if (sameShape(out, x.shape)) return x;
    // allowzero=1: the shape is fully explicit, a 0 means an empty dim, never "copy".
    return this.node('Reshape', [x, this.ints(out)], out, x.dtype, { allowzero: 1 });
  }

  permute(x: OnnxValue, dims: readonly number[]): OnnxValue {
    const r = x.shape.length;
    const perm = dims.map((d) => normDim(d, r));
    if (perm.length !== r || new Set(perm).size !== r) throw new Error(`permute: [${dims.join(', ')}] is not a permutation of ${r} dims`);
    if (perm.every((p, i) => p === i)) return x;
    return this.node('Transpose', [x], perm.map((p) => x.shape[p]!), x.dtype, { perm });
  }

  transpose(x: OnnxValue, dim0: number, dim1: number): OnnxValue {
    const r = x.shape.length;
    const perm = x.shape.map((_, i) => i);
    const a = normDim(dim0, r);
    const b = normDim(dim1, r);
    perm[a] = b;
    perm[b] = a;
    return this.permute(x, perm);
  }

  slice(x: OnnxValue, dim: number, start: number, end: number, step = 1): OnnxValue {
    const axis = normDim(dim, x.shape.length);
    const n = x.shape[axis]!;
    if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, got ${step}`);
    // torch clamps both ends into [0, n] after wrapping negatives once.
    const clampIdx = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    const s = clampIdx(start);
    const e = Math.max(clampIdx(end), s);
    const len = Math.ceil((e - s) / step);
    if (s === 0 && len === n && step === 1) return x;
    const shape = x.shape.map((d, i) => (i === axis ? len : d));
    return this.node('Slice', [x, this.ints([s]), this.ints([e]), this.ints([axis]), this.ints([step])], shape, x.dtype);
  }

  concat(xs: readonly OnnxValue[], dim: number): OnnxValue {
    if (xs.length === 0) throw new Error('concat of no tensors');
    const first = xs[0]!;
    if (xs.length === 1) return first;
    const axis = normDim(dim, first.shape.length);
    const dtype = xs.map((v) => v.dtype).reduce(promoteTypes);
    let total = 0;
    for (const v of xs) {
      if (v.shape.length !== first.shape.length || v.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new Error(`concat: [${v.shape.join(', ')}] does not match [${first.shape.join(', ')}] outside dim ${dim}`);
      }
      total += v.shape[axis]!;
    }
    const shape = first.shape.map((d, i) => (i === axis ? total : d));
    return this.node('Concat', xs.map((v) => this.cast(v, dtype)), shape, dtype, { axis });
  }

  pad(x: OnnxValue, pads: readonly number[], value = 0): OnnxValue {
    const r = x.shape.length;
    if (pads.length % 2 !== 0 || pads.length / 2 > r) throw new Error(`pad: ${pads.length} pad values do not fit rank ${r}`);
    const begin = new Array<number>(r).fill(0);
    const end = new Array<number>(r).fill(0);
    for (let k = 0; k < pads.length / 2; k++) {
      begin[r - 1 - k] = pads[2 * k]!;
      end[r - 1 - k] = pads[2 * k + 1]!;
    }
    // Negative pads crop (as in F.pad): pad the positive parts, then slice.
    const pb = begin.map((p) => Math.max(p, 0));
    const pe = end.map((p) => Math.max(p, 0));
    let y = x;
    if (pb.some((p) => p > 0) || pe.some((p) => p > 0)) {
      const shape = x.shape.map((d, i) => d + pb[i]! + pe[i]!);
      y = this.node('Pad', [x, this.ints([...pb, ...pe]), this.scalar(value, x.dtype)], shape, x.dtype, { mode: 'constant' });
    }
    for (let i = 0; i < r; i++) {
      if (begin[i]! < 0 || end[i]! < 0) {
        const n = y.shape[i]!;
        y = this.slice(y, i, Math.max(-begin[i]!, 0), n - Math.max(-end[i]!, 0));
      }
    }
    return y;
  }

  roll(x: OnnxValue, shifts: readonly number[], dims: readonly number[]): OnnxValue {
    if (dims.length === 0) {
      // torch.roll without dims rolls the flattened tensor.
      if (shifts.length !== 1) throw new Error('roll without dims takes one shift');
      return this.reshape(this.roll(this.reshape(x, [-1]), shifts, [0]), x.shape);
    }
    if (shifts.length !== dims.length) throw new Error('roll: shifts and dims differ in length');
    let y = x;
    for (let i = 0; i < dims.length; i++) {
      const axis = normDim(dims[i]!, x.shape.length);
      const n = x.shape[axis]!;
      const s = ((shifts[i]! % n) + n) % n;
      if (s === 0) continue;
      // out[j] = in[(j − s) mod n]: the last s elements come first.
      y = this.concat([this.slice(y, axis, n - s, n), this.slice(y, axis, 0, n - s)], axis);
    }
    return y;
  }

  indexSelect(x: OnnxValue, dim: number, index: OnnxValue): OnnxValue {
    const axis = normDim(dim, x.shape.length);
    if (index.shape.length === 0) index = this.reshape(index, [1]);
    if (index.shape.length !== 1) throw new Error('indexSelect needs a 1-D index');
    const shape = x.shape.map((d, i) => (i === axis ? index.shape[0]! : d));
    return this.node('Gather', [x, index], shape, x.dtype, { axis });
  }

  gather(x: OnnxValue, dim: number, index: OnnxValue): OnnxValue {
    const axis = normDim(dim, x.shape.length);
    if (index.shape.length !== x.shape.length) throw new Error('gather: index and input must have the same rank');
    return this.node('GatherElements', [x, index], index.shape, x.dtype, { axis });
  }

  expand(x: OnnxValue, shape: readonly number[]): OnnxValue {
    const lead = shape.length - x.shape.length;
    if (lead < 0) throw new Error(`expand: [${shape.join(', ')}] has fewer dims than [${x.shape.join(', ')}]`);
    const out = shape.map((d, i) => {
      const src = i >= lead ? x.shape[i - lead]! : undefined;
      if (d === -1) {
        if (src === undefined) throw new Error('expand: -1 is not allowed for a new leading dim');
        return src;
      }
      if (src !== undefined && src !== 1 && src !== d) {
        throw new Error(`expand: cannot expand [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
      }
      return d;
    });
    if (sameShape(out, x.shape)) return x;
    return this.node('Expand', [x, this.ints(out)], out, x.dtype);
  }

  // ---- training-only randomness -----------------------------------------------------------

  dropout(x: OnnxValue, p: number, training: boolean): OnnxValue {
    if (training && p > 0) throw new Error('the ONNX engine is inference-only: dropout in training mode is not supported');
    return x;
  }

  stochasticDepth(x: OnnxValue, p: number, training: boolean): OnnxValue {
    if (training && p > 0) throw new Error('the ONNX engine is inference-only: stochastic depth in training mode is not supported');
    return x;
  }
}
