// Exact algebraic rewrites of a traced inference graph (float32), applied by the builder before
// serialisation. The model code stays the official architecture; these passes only change how
// the same function is computed (docs/rewrites.md: what each does, why it is exact, its gain).
import type { GraphBuilder } from '../graph.js';
import { OnnxOps } from '../ops.js';
import { convTransposeAsShuffle } from './conv-transpose.js';
import { foldFusion } from './fusion.js';
import { foldPeIntoBias } from './pe-bias.js';
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
}

type Pass = (view: GraphView, ops: OnnxOps, notes: RewriteNote[], opts: RewriteOptions) => void;
const PASSES: Pass[] = [foldFusion, foldPeIntoBias, convTransposeAsShuffle];

/** Runs every pass over `graph` in place (each on a fresh view of the previous one's result). */
export function rewriteForInference(graph: GraphBuilder, opts: RewriteOptions = {}): RewriteNote[] {
  const ops = new OnnxOps(graph, 'float32');
  const notes: RewriteNote[] = [];
  for (const pass of PASSES) {
    pass(new GraphView(graph), ops, notes, opts);
    graph.pruneAndSort();
  }
  return notes;
}
