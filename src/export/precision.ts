// Mixed float32/float16 graphs at module granularity. The units are the modules that own
// weights; a plan names module prefixes (state-dict style, e.g. 'backbone.4.') whose weights and
// arithmetic stay float32 while the rest of the graph runs in float16.
import type { Ctx } from '../engine/ops.js';
import { isOnnxValue } from '../engine/onnx/build.js';
import type { OnnxOps, OnnxValue } from '../engine/onnx/ops.js';
import { numel } from '../io/host-tensor.js';
import type { Module } from '../model/module.js';

/** Modules that own weights, root excluded, in state_dict order. */
export function precisionUnits(root: Module): Module[] {
  const out: Module[] = [];
  const walk = (m: Module): void => {
    if (m !== root && m.ownKeys().length > 0) out.push(m);
    for (const [, c] of m.children()) walk(c);
  };
  walk(root);
  return out;
}

/** Float elements a module holds (its own and its children's weights). */
function sizeOf(m: Module): number {
  let n = 0;
  for (const [, d] of m.declarations()) if (d.dtype === 'float32') n += numel(d.shape);
  return n;
}

export interface PrecisionGroup {
  /** Module prefixes, e.g. ['backbone.4.1.', 'backbone.4.2.'] */
  prefixes: string[];
  /** Float weight elements under them. */
  size: number;
}

/**
 * The model cut into about `parts` groups for a precision search: the root's children, split
 * further (stages, then blocks) while one holds more than 1/parts of the weights; runs of small
 * siblings are merged up to that size so the search stays short.
 */
export function precisionGroups(root: Module, parts = 12): PrecisionGroup[] {
  const limit = sizeOf(root) / parts;
  const out: PrecisionGroup[] = [];
  const visit = (m: Module): void => {
    let run: PrecisionGroup | null = null;
    for (const [, c] of m.children()) {
      const size = sizeOf(c);
      if (size === 0 && c.ownKeys().length === 0) continue;
      // A module with weights of its own stays whole: they are used in its own forward.
      if (size > limit && [...c.children()].length > 0 && c.ownKeys().length === 0) {
        run = null;
        visit(c);
        continue;
      }
      if (run && run.size + size <= limit) {
        run.prefixes.push(c.prefix);
        run.size += size;
      } else out.push((run = { prefixes: [c.prefix], size }));
    }
  };
  visit(root);
  return out;
}

/** Whether a module prefix or key falls under one of the plan's float32 prefixes. */
export const underAny = (name: string, prefixes: readonly string[]): boolean => prefixes.some((p) => name.startsWith(p));

/**
 * Runs `fn` (a trace of `root`) with every unit's forward switching the compute dtype on entry:
 * float32 under the `float32` prefixes, float16 elsewhere. The switch is not undone on exit, so the
 * glue between modules runs in the dtype of the module before it; float tensor arguments are cast
 * to the unit's dtype so that its arithmetic really happens in that dtype.
 */
export function withPrecision<R>(root: Module, float32: readonly string[], fn: () => R): R {
  const patched: Module[] = [];
  precisionUnits(root).forEach((u) => {
    const dtype = underAny(u.prefix, float32) ? 'float32' : 'float16';
    const forward = (u as unknown as { forward?: (...a: unknown[]) => unknown }).forward;
    if (typeof forward !== 'function') return;
    const cast = (ops: OnnxOps, a: unknown): unknown => {
      if (isOnnxValue(a)) return (a.dtype === 'float32' || a.dtype === 'float16') && a.dtype !== dtype ? ops.cast(a, dtype) : a;
      return Array.isArray(a) ? a.map((x) => cast(ops, x)) : a;
    };
    Object.defineProperty(u, 'forward', {
      configurable: true,
      writable: true,
      value(ctx: Ctx<OnnxValue>, ...args: unknown[]): unknown {
        const ops = ctx.ops as OnnxOps;
        ops.floatDType = dtype;
        return forward.call(u, ctx, ...args.map((a) => cast(ops, a)));
      },
    });
    patched.push(u);
  });
  try {
    return fn();
  } finally {
    for (const u of patched) delete (u as unknown as { forward?: unknown }).forward;
  }
}
