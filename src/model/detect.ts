// Which SegFace a bare checkpoint holds: the (backbone, head) whose declared state dict matches
// the file's keys and shapes exactly. Building a model only enumerates declarations (a few ms),
// so trying every candidate is cheap and never guesses from key patterns.
import type { StateDict } from '../io/host-tensor.js';
import { buildSegFace } from './build.js';
import { HEAD_KINDS, HEADS, type HeadKind } from './classes.js';
import { MODEL_NAMES, type ModelName } from './registry.js';
import type { SegFace } from './segface.js';

export interface Detected { model: ModelName; head: HeadKind; net: SegFace }

/** Heads with different state dicts (Helen's has LaPa's tokens: the file cannot tell them apart). */
const DISTINCT_HEADS = HEAD_KINDS.filter((h, i) => HEAD_KINDS.findIndex((k) => HEADS[k].tokens === HEADS[h].tokens) === i);

function score(net: SegFace, sd: StateDict): { exact: boolean; overlap: number } {
  let overlap = 0, n = 0;
  let exact = true;
  for (const [key, d] of net.declarations()) {
    n++;
    const t = sd.get(key);
    if (t && t.shape.length === d.shape.length && t.shape.every((v, i) => v === d.shape[i])) overlap++;
    else exact = false;
  }
  return { exact: exact && n === sd.size, overlap: overlap / Math.max(n, sd.size) };
}

/**
 * The exact match, else the closest candidate (`exact` false) so that strict loading can list
 * what does not fit.
 */
export function detectModel(sd: StateDict, resolution: number): Detected & { exact: boolean } {
  let best: (Detected & { exact: boolean; overlap: number }) | undefined;
  for (const head of DISTINCT_HEADS) {
    for (const model of MODEL_NAMES) {
      const net = buildSegFace({ model, head, resolution });
      const s = score(net, sd);
      if (s.exact) return { model, head, net, exact: true };
      if (!best || s.overlap > best.overlap) best = { model, head, net, exact: false, overlap: s.overlap };
    }
  }
  return best!;
}
