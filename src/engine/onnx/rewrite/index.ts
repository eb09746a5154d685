// Exact algebraic rewrites of a traced inference graph (float32), applied by the builder before
// serialisation. The model code stays the official architecture; these passes only change how
// the same function is computed (docs/rewrites.md: what each does, why it is exact, its gain).
import type { GraphBuilder } from '../graph.js';
import { OnnxOps } from '../ops.js';
import { convTransposeAsShuffle } from './conv-transpose.js';
import { attentionFold } from './attention.js';
import { foldFusion } from './fusion.js';
import { fusionInTokens } from './fusion-tokens.js';
import { layerNormUnfused } from './layer-norm-2d.js';
import { foldPeIntoBias } from './pe-bias.js';
import { tokenGather } from './token-gather.js';
import { upscalerInTokens } from './upscaler.js';
import { GraphView } from './view.js';

export interface RewriteNote {
  rewrite: string;
  detail: string;
  /** Multiply-accumulates per forward of the nodes replaced, and of their replacement. */
  macsBefore: number;
  macsAfter: number;
  /** Multiply-accumulates moved into constant subexpressions (computed once, at session creation). */
  constMacs?: number;
}

export interface RewriteOptions {
  /** Fold block 0's image-side projections into the taps: default when it saves work (cost model in fusion.ts). */
  foldBlock0?: boolean;
  /** Passes left out, by RewriteNote.rewrite name (for measuring each one's share). */
  skip?: readonly string[];
  /**
   * ConvTranspose (kernel = stride) as 1×1 Conv + DepthToSpace: exact, but measured slower
   * (MobileNet 512, 1 thread: 550 → 512 ms CPU without it), so off unless asked for.
   */
  convTransposeAsShuffle?: boolean;
  /**
   * Swin's pad/roll/window-partition chains as one Gather each: bit-identical, but measured no
   * faster (Swin-B 512, 2 threads: 4347 → 4406 ms CPU), so off unless asked for.
   */
  tokenGather?: boolean;
}

type Pass = (view: GraphView, ops: OnnxOps, notes: RewriteNote[], opts: RewriteOptions) => void;
export const REWRITES: readonly [string, Pass][] = [
  ['fusion', foldFusion], ['fusion-tokens', fusionInTokens], ['attention', attentionFold], ['pe-bias', foldPeIntoBias], ['upscaler', upscalerInTokens], ['ln-2d', layerNormUnfused],
  ['token-gather', tokenGather],
  ['conv-transpose', convTransposeAsShuffle],
];

/** Runs every pass over `graph` in place (each on a fresh view of the previous one's result). */
export function rewriteForInference(graph: GraphBuilder, opts: RewriteOptions = {}): RewriteNote[] {
  const ops = new OnnxOps(graph, 'float32');
  const notes: RewriteNote[] = [];
  for (const [name, pass] of REWRITES) {
    if (opts.skip?.includes(name) || (name === 'conv-transpose' && !opts.convTransposeAsShuffle) || (name === 'token-gather' && !opts.tokenGather)) continue;
    pass(new GraphView(graph), ops, notes, opts);
    graph.pruneAndSort();
  }
  return notes;
}
