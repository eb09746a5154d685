// TorchTensor: a typed handle on one libtorch tensor, plus the generic op call every wrapper
// uses. A handle is one reference: dispose() drops it (the memory goes when libtorch holds no
// other reference, e.g. from the autograd graph); a GC finalizer drops forgotten ones.
import type { DType, TensorLike } from '../ops.js';
import { numel, type HostData, type HostTensor } from '../../io/host-tensor.js';
import { native, type Handle } from './native.js';
import { setTensorTest, track } from './scope.js';

export type Device = string;

const DTYPES: ReadonlySet<string> = new Set(['float32', 'float16', 'bfloat16', 'float64', 'int64', 'int32', 'uint8', 'bool']);

export class TorchTensor implements TensorLike {
  #handle: Handle | null;
  #shape: number[] | undefined;
  #dtype: DType | undefined;

  /** Wraps a native handle (the tensor joins the innermost tidy scope). */
  constructor(handle: Handle) {
    this.#handle = handle;
    track(this);
  }

  /** The native handle; throws if disposed. */
  get handle(): Handle {
    if (this.#handle === null) throw new Error('tensor was disposed');
    return this.#handle;
  }

  #info(): void {
    const [shape, dtype] = native().info(this.handle);
    if (!DTYPES.has(dtype)) throw new Error(`libtorch dtype ${dtype} is not supported here`);
    this.#shape = shape;
    this.#dtype = dtype as DType;
  }

  get shape(): readonly number[] {
    if (this.#shape === undefined) this.#info();
    return this.#shape!;
  }

  get dtype(): DType {
    if (this.#dtype === undefined) this.#info();
    return this.#dtype!;
  }

  get rank(): number {
    return this.shape.length;
  }

  get numel(): number {
    return numel(this.shape);
  }

  /** 'cpu', 'cuda:0', ... */
  get device(): Device {
    return native().info(this.handle)[2];
  }

  get requiresGrad(): boolean {
    return native().requiresGrad(this.handle);
  }

  /** Marks a leaf tensor as a parameter to differentiate (in place; returns this). */
  requiresGrad_(on = true): this {
    native().setRequiresGrad(this.handle, on);
    return this;
  }

  /** The accumulated gradient (a new handle on it), or null before backward(). */
  get grad(): TorchTensor | null {
    const g = native().grad(this.handle);
    return g === null ? null : new TorchTensor(g);
  }

  set grad(g: TorchTensor | null) {
    native().setGrad(this.handle, g === null ? null : g.handle);
  }

  /** Backpropagates from this tensor (a scalar unless gradient is given). */
  backward(gradient?: TorchTensor | null, opts: { retainGraph?: boolean } = {}): void {
    native().backward(this.handle, gradient ? gradient.handle : null, opts.retainGraph);
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Drops this handle's reference now. Safe to call twice. */
  dispose(): void {
    if (this.#handle === null) return;
    native().free(this.#handle);
    this.#handle = null;
  }

  // ---- host copies ------------------------------------------------------------------------

  /** A copy of the values in C order, in the dtype's JS array (float16/bfloat16 as raw words). */
  toTypedArray(): HostData {
    return native().toTypedArray(this.handle);
  }

  /** A copy of the values as float32 (casting if needed). */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return this.toTypedArray() as Float32Array;
    const f = callTensor('aten::to', 'dtype', [this, 'float32']);
    try {
      return f.toTypedArray() as Float32Array;
    } finally {
      f.dispose();
    }
  }

  /** A plain JS array of numbers (int64 converted with Number()). */
  toArray(): number[] {
    const d = this.dtype === 'float16' || this.dtype === 'bfloat16' ? this.toFloat32Array() : this.toTypedArray();
    return Array.from(d as ArrayLike<number | bigint>, Number);
  }

  /** A host copy (shape, dtype, C-order data). */
  toHost(): HostTensor {
    return { dtype: this.dtype, shape: [...this.shape], data: this.toTypedArray() };
  }

  /** The value of a one-element tensor. */
  item(): number {
    return callOp('aten::item', '', [this]) as number;
  }

  // ---- conversions (new tensors) -------------------------------------------------------------

  /** To a device ('cpu', 'cuda', 'cuda:1') and/or dtype. */
  to(device: Device, dtype?: DType): TorchTensor {
    return callTensor('aten::to', 'device', [this, device, dtype ?? this.dtype, false, false]);
  }

  cpu(): TorchTensor {
    return this.to('cpu');
  }

  clone(): TorchTensor {
    return callTensor('aten::clone', '', [this]);
  }

  /** A new handle sharing the data, cut from the autograd graph. */
  detach(): TorchTensor {
    return callTensor('aten::detach', '', [this]);
  }

  contiguous(): TorchTensor {
    return callTensor('aten::contiguous', '', [this]);
  }

  // ---- in-place updates (return this; used by optimizers and buffers) -------------------------

  add_(other: TorchTensor | number, alpha = 1): this {
    if (typeof other === 'number') return this.#inPlace('aten::add_', 'Scalar', [this, other, alpha]);
    return this.#inPlace('aten::add_', 'Tensor', [this, other, alpha]);
  }

  sub_(other: TorchTensor | number, alpha = 1): this {
    if (typeof other === 'number') return this.#inPlace('aten::sub_', 'Scalar', [this, other, alpha]);
    return this.#inPlace('aten::sub_', 'Tensor', [this, other, alpha]);
  }

  mul_(other: TorchTensor | number): this {
    if (typeof other === 'number') return this.#inPlace('aten::mul_', 'Scalar', [this, other]);
    return this.#inPlace('aten::mul_', 'Tensor', [this, other]);
  }

  div_(other: TorchTensor | number): this {
    if (typeof other === 'number') return this.#inPlace('aten::div_', 'Scalar', [this, other]);
    return this.#inPlace('aten::div_', 'Tensor', [this, other]);
  }

  /** this += value · t1 · t2 */
  addcmul_(t1: TorchTensor, t2: TorchTensor, value = 1): this {
    return this.#inPlace('aten::addcmul_', '', [this, t1, t2, value]);
  }

  /** this += value · t1 / t2 */
  addcdiv_(t1: TorchTensor, t2: TorchTensor, value = 1): this {
    return this.#inPlace('aten::addcdiv_', '', [this, t1, t2, value]);
  }

  /** this += weight · (end − this) */
  lerp_(end: TorchTensor, weight: number): this {
    return this.#inPlace('aten::lerp_', 'Scalar', [this, end, weight]);
  }

  copy_(src: TorchTensor): this {
    return this.#inPlace('aten::copy_', '', [this, src, false]);
  }

  zero_(): this {
    return this.#inPlace('aten::zero_', '', [this]);
  }

  fill_(value: number): this {
    return this.#inPlace('aten::fill_', 'Scalar', [this, value]);
  }

  #inPlace(name: string, overload: string, args: unknown[]): this {
    callOp(name, overload, args, true);
    return this;
  }

  toString(): string {
    if (this.#handle === null) return 'TorchTensor(disposed)';
    return `TorchTensor(${this.dtype}[${this.shape.join(', ')}] on ${this.device})`;
  }
}

export function isTorchTensor(x: unknown): x is TorchTensor {
  return x instanceof TorchTensor;
}
setTensorTest(isTorchTensor);

// ---- the generic op call -------------------------------------------------------------------

function toNativeArg(a: unknown): unknown {
  if (a instanceof TorchTensor) return a.handle;
  if (Array.isArray(a)) return a.map(toNativeArg);
  return a;
}

/** Wraps native results: handles become TorchTensor, inside arrays and Maps too. */
export function fromNative(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromNative);
  if (v instanceof Map) {
    const m = new Map<unknown, unknown>();
    for (const [k, x] of v) m.set(fromNative(k), fromNative(x));
    return m;
  }
  return new TorchTensor(v as Handle);
}

/**
 * Calls any ATen operator through the c10 dispatcher: `callOp('aten::conv2d', '', [x, w, null, 1, 0])`.
 * Arguments follow the operator's schema (trailing defaults may be left out): TorchTensor, number
 * (int or float as the schema says), boolean, number[] / TorchTensor[], null for None, dtype and
 * device strings. Results: TorchTensor, arrays of them for tuples/lists, numbers, booleans.
 * With discard = true the result is dropped natively (in-place ops).
 */
export function callOp(name: string, overload: string, args: readonly unknown[], discard = false): unknown {
  return fromNative(native().call(name, overload, args.map(toNativeArg), discard));
}

/** callOp for an operator returning one tensor. */
export function callTensor(name: string, overload: string, args: readonly unknown[]): TorchTensor {
  const r = callOp(name, overload, args);
  if (!(r instanceof TorchTensor)) throw new Error(`${name}.${overload} did not return a tensor`);
  return r;
}

// ---- host <-> torch ------------------------------------------------------------------------

function naturalDtype(data: HostData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new Error('a Uint16Array needs an explicit dtype (float16 or bfloat16)');
}

export interface FromHostOptions {
  device?: Device;
  requiresGrad?: boolean;
}

/** A new tensor copied from host data (the HostTensor's dtype is kept). */
export function fromHost(h: HostTensor, opts: FromHostOptions = {}): TorchTensor {
  return fromData(h.data, h.shape, h.dtype, opts);
}

/**
 * A new tensor copied from a typed array. If dtype differs from the array's own kind (e.g. a
 * Float32Array with dtype float64, or a Uint8Array with dtype bool) the values are converted.
 */
export function fromData(data: HostData, shape: readonly number[], dtype?: DType, opts: FromHostOptions = {}): TorchTensor {
  const n = native();
  const natural = data instanceof Uint16Array ? dtype ?? 'float16' : naturalDtype(data);
  const carried = natural === 'uint8' && dtype === 'bool' ? 'bool' : natural;
  let t = new TorchTensor(n.fromTypedArray(data, shape, carried, opts.device));
  if (dtype && dtype !== carried) {
    const c = callTensor('aten::to', 'dtype', [t, dtype]);
    t.dispose();
    t = c;
  }
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A host copy of a tensor. */
export function toHost(t: TorchTensor): HostTensor {
  return t.toHost();
}
