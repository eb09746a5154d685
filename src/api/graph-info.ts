// What an exported SegFace graph is: input size, class count and head, from its first input and
// output shapes and our `segface.*` metadata (where present). Shared by the Node segmenter and
// the browser.
import { HEAD_KINDS, HEADS, isHeadKind, type HeadKind } from '../model/classes.js';

export interface GraphInfo { resolution: number; numClasses: number; head: HeadKind; modelId?: string; batch: number | null }

export type Dim = number | string | null | undefined;

const num = (v: Dim) => (typeof v === 'number' && v > 0 ? v : null);

/**
 * Throws an Error saying why when the graph is not SegFace-shaped. For symbolic spatial dims
 * `resolutionHint` (the user's), else the metadata's resolution stands in.
 */
export function segfaceGraphInfo(name: string, inShape: readonly Dim[], outShape: readonly Dim[], meta: ReadonlyMap<string, string>, resolutionHint?: number): GraphInfo {
  const shape = (s: readonly Dim[]) => `[${s.join(',')}]`;
  const bad = (why: string) => new Error(`${name}: not a SegFace graph (${why}); expected input [N,3,R,R] and logits [N,C,R,R]`);
  if (inShape.length !== 4 || (num(inShape[1]) ?? 3) !== 3) throw bad(`input shape ${shape(inShape)}`);
  const resolution = num(inShape[2]) ?? num(inShape[3]) ?? resolutionHint ?? (Number(meta.get('segface.resolution')) || null);
  const numClasses = num(outShape[1]);
  const byCount = HEAD_KINDS.find((h) => HEADS[h].classes.length === numClasses);
  if (!resolution || !numClasses || !byCount) throw bad(`input ${shape(inShape)}, output ${shape(outShape)}`);
  // Without metadata the class count decides (the first head with that many: LaPa for 11).
  const named = meta.get('segface.head');
  const head = named && isHeadKind(named) && HEADS[named].classes.length === numClasses ? named : byCount;
  return { resolution, numClasses, head, modelId: meta.get('segface.model') || undefined, batch: num(inShape[0]) };
}
