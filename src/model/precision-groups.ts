// The pieces a mixed float32/float16 plan is searched over (api/precision-search.ts). The units are
// the modules that own weights; a plan (engine/precision-plan.ts) names module prefixes whose
// weights and arithmetic stay float32, and the engines do the rest from the weights' dtypes.
import { numel } from '../io/host-tensor.js';
import type { Module } from './module.js';

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
