// Seeded parameter initialisers (the torchvision / PyTorch schemes by name). Used for training
// from scratch and for random-weight shape checks; released checkpoints overwrite them.
import type { DType } from '../engine/ops.js';
import { numel, type HostData } from '../io/host-tensor.js';

/** Deterministic PRNG (mulberry32) with Gaussian draws (Box–Muller). */
export class Rng {
  private s: number;
  private spare: number | null = null;
  constructor(seed: number) { this.s = seed >>> 0; }
  uniform(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    if (this.spare !== null) { const v = this.spare; this.spare = null; return v; }
    const u = Math.max(this.uniform(), 1e-12), v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

export type InitFn = (shape: readonly number[], rng: Rng, dtype: DType) => HostData;

/** fan_in / fan_out as torch.nn.init computes them (dim 1 / dim 0 times the receptive field). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  const rf = shape.length > 2 ? numel(shape.slice(2)) : 1;
  return { fanIn: (shape[1] ?? 1) * rf, fanOut: (shape[0] ?? 1) * rf };
}

const fill = (shape: readonly number[], f: (i: number) => number): Float32Array => {
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = f(i);
  return out;
};

export const init = {
  zeros: ((shape, _r, dtype) => (dtype === 'int64' ? new BigInt64Array(numel(shape)) : new Float32Array(numel(shape)))) as InitFn,
  ones: ((shape) => fill(shape, () => 1)) as InitFn,
  constant: (v: number): InitFn => (shape) => fill(shape, () => v),
  normal: (std: number, mean = 0): InitFn => (shape, r) => fill(shape, () => mean + std * r.normal()),
  uniform: (bound: number): InitFn => (shape, r) => fill(shape, () => (2 * r.uniform() - 1) * bound),
  /** nn.init.trunc_normal_(std) with PyTorch's default absolute cut-offs ±2. */
  truncNormal: (std: number): InitFn => (shape, r) => fill(shape, () => {
    for (;;) { const v = std * r.normal(); if (v >= -2 && v <= 2) return v; }
  }),
  /** kaiming_normal_(mode='fan_out', nonlinearity='relu'): torchvision's conv init. */
  kaimingNormalFanOut: ((shape, r) => {
    const std = Math.sqrt(2 / fans(shape).fanOut);
    return fill(shape, () => std * r.normal());
  }) as InitFn,
  /** PyTorch's default Linear/Conv weight init: kaiming_uniform_(a=√5) = U(±1/√fan_in). */
  torchDefaultWeight: ((shape, r) => {
    const b = 1 / Math.sqrt(fans(shape).fanIn);
    return fill(shape, () => (2 * r.uniform() - 1) * b);
  }) as InitFn,
  /** PyTorch's default bias init for a layer with the given fan_in. */
  torchDefaultBias: (fanIn: number): InitFn => (shape, r) => {
    const b = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    return fill(shape, () => (2 * r.uniform() - 1) * b);
  },
} as const;
