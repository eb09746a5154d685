// Structure-via-consensus loss (Masi et al., CVPR 2020) on the tensor engine, with autograd.
// Written from ../shared/spec/consensus-loss.md (the reference code is non-commercial).
//
// One pass over the pixels instead of the reference's loop over blobs: the per-(blob, image)
// sums S = Σ P are a single index_add over segment ids, and the blob means are gathered back to
// the pixels with one index_select, so cost is O(N·C·H·W) whatever the number of blobs.
// The gradient flows through the blob mean q in both terms, as in the reference (spec §3).
import type { Ops, TensorLike } from '../engine/ops.js';
import { planBlobs, type BlobPlan, type ConsensusOptions, type MaskArray } from './blob-plan.js';
import { connectedComponents } from './components.js';

export { consensusDefaults, planBlobs, type BlobPlan, type ConsensusOptions, type MaskArray } from './blob-plan.js';

/** The ops the loss needs beyond Ops: torch.Tensor.index_add (out of place). */
export interface ConsensusOps<T extends TensorLike> extends Ops<T> {
  indexAdd(x: T, dim: number, index: T, source: T): T;
}

export interface ConsensusParts<T> {
  /** α·Σ_k A_k/|K| (scalar tensor). */
  label: T;
  /** β·Σ_k D_k/|K| (scalar tensor). */
  consensus: T;
  /** label + consensus. */
  loss: T;
}

/**
 * logits [N,C,H,W] float32; blobIds and labels [N,H,W] host arrays (blob ids unique over the
 * batch, or the class map itself). Absent (blob, image) pairs are skipped, which keeps the
 * gradient finite under reducePixel 'all' (the reference returns NaN there, spec §6.2).
 */
export function consensusLoss<T extends TensorLike>(
  ops: ConsensusOps<T>, logits: T, blobIds: MaskArray, labels: MaskArray, o: ConsensusOptions, plan?: BlobPlan,
): ConsensusParts<T> {
  const [n, c, h, w] = logits.shape as [number, number, number, number];
  const pl = plan ?? planBlobs(blobIds, labels, n, c, h, w, o);
  const v = pl.segments;
  const px = n * h * w;
  const seg = ops.constant(BigInt64Array.from(pl.segOfPixel, BigInt), [px], 'int64');

  const logP = ops.reshape(ops.permute(ops.logSoftmax(logits, 1), [0, 2, 3, 1]), [px, c]); // [NHW,C]
  const P = ops.exp(logP);
  const S = ops.indexAdd(ops.constant(new Float32Array(v * c), [v, c]), 0, seg, P); // [V,C]
  const q = ops.mul(S, ops.constant(Float32Array.from(pl.segScale), [v, 1]));
  const logq = ops.log(q);

  // Label term: Σ_segments w_A·(−log q_y).
  const yIdx = ops.constant(BigInt64Array.from(pl.segLabel, BigInt), [v, 1], 'int64');
  const label = ops.mul(ops.sum(ops.gather(logq, 1, yIdx), [0, 1]), -pl.labelWeight);

  // Consensus term: Σ_pixels w_D(blob)·Σ_c q_c(log q_c − log P_c(s)).
  const qPix = ops.indexSelect(q, 0, seg);
  const logqPix = ops.indexSelect(logq, 0, seg);
  const klPix = ops.sum(ops.mul(qPix, ops.sub(logqPix, logP)), [1]); // [NHW]
  const wPix = new Float32Array(px);
  for (let i = 0; i < px; i++) wPix[i] = pl.segKlWeight[pl.segOfPixel[i]!]!;
  const consensus = ops.sum(ops.mul(klPix, ops.constant(wPix, [px])), [0]);
  return { label, consensus, loss: ops.add(label, consensus) };
}

/**
 * Blob ids for a batch of label maps: 'class' uses the class map itself (the reference README's
 * usage: one blob per class, pooled over its regions in each image); 'components' gives every
 * 4-connected region of every image its own id, unique over the batch (the paper's blobs).
 */
export function blobsFromLabels(labels: MaskArray, n: number, h: number, w: number, mode: 'class' | 'components'): MaskArray {
  return mode === 'class' ? labels : connectedComponents(labels, n, h, w).ids;
}
