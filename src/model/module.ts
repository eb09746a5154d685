// Module base: declares parameters and buffers under PyTorch's names so that a model's
// declarations enumerate exactly the keys (and order) of the official `state_dict()`.
// Modules hold no tensors; a backend binds tensors to keys and passes them in through Ctx.
import type { Ctx, DType, TensorLike } from '../engine/ops.js';
import { init as inits, type InitFn } from './init.js';

export interface Decl {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** 'param': trainable; 'buffer': persistent state (running stats, index tables). */
  readonly kind: 'param' | 'buffer';
  readonly init: InitFn;
}

export abstract class Module {
  private readonly ownParams = new Map<string, Decl>();
  private readonly ownBuffers = new Map<string, Decl>();
  private readonly subs = new Map<string, Module>();
  /** Full state-dict prefix of this module ('' for the root, else 'a.b.'). */
  prefix = '';

  protected param(name: string, shape: readonly number[], init: InitFn): void {
    this.ownParams.set(name, { shape: [...shape], dtype: 'float32', kind: 'param', init });
  }

  protected buffer(name: string, shape: readonly number[], init: InitFn = inits.zeros, dtype: DType = 'float32'): void {
    this.ownBuffers.set(name, { shape: [...shape], dtype, kind: 'buffer', init });
  }

  /** Registers a child under `name` (numbers for Sequential-style indices). */
  protected add<M extends Module>(name: string | number, m: M): M {
    this.subs.set(String(name), m);
    return m;
  }

  /** Fixes every module's prefix; call once on the root after construction. */
  setPrefix(prefix: string): this {
    this.prefix = prefix;
    for (const [name, m] of this.subs) m.setPrefix(`${prefix}${name}.`);
    return this;
  }

  /** [key, decl] in state_dict order: own parameters, own buffers, then children. */
  *declarations(): Generator<[string, Decl]> {
    for (const [n, d] of this.ownParams) yield [this.prefix + n, d];
    for (const [n, d] of this.ownBuffers) yield [this.prefix + n, d];
    for (const m of this.subs.values()) yield* m.declarations();
  }

  /** This module's own parameter and buffer keys (not its children's), in state_dict order. */
  ownKeys(): string[] {
    return [...this.ownParams.keys(), ...this.ownBuffers.keys()].map((n) => this.prefix + n);
  }

  children(): IterableIterator<[string, Module]> {
    return this.subs.entries();
  }

  /** The tensor bound to this module's `name`. */
  protected w<T extends TensorLike>(ctx: Ctx<T>, name: string): T {
    return ctx.get(this.prefix + name);
  }

  /** Like w() but null where the module was built without that tensor (e.g. bias=false). */
  protected wOpt<T extends TensorLike>(ctx: Ctx<T>, name: string): T | null {
    return this.ownParams.has(name) || this.ownBuffers.has(name) ? ctx.get(this.prefix + name) : null;
  }
}

/** fn() inside ctx.scope where the engine has one (see Ctx.scope). */
export function scoped<T extends TensorLike, R>(ctx: Ctx<T>, fn: () => R): R {
  return ctx.scope ? ctx.scope(fn) : fn();
}

/** A module with the usual single-input forward. */
export abstract class Layer extends Module {
  abstract forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T;
}

/** nn.Sequential: children named 0, 1, 2, ... run in order. */
export class Sequential extends Layer {
  readonly items: Layer[];
  constructor(items: readonly Layer[]) {
    super();
    this.items = [...items];
    this.items.forEach((m, i) => this.add(i, m));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    for (const m of this.items) x = scoped(ctx, () => m.forward(ctx, x));
    return x;
  }
}
