// The official training loss (spec §8): 0.5·CrossEntropy + 0.5·Dice, optionally plus the
// consensus loss. Written against Ops so it runs on any engine with autograd.
import type { Ops, TensorLike } from '../engine/ops.js';
import type { ConsensusOptions, MaskArray } from './blob-plan.js';
import { blobsFromLabels, consensusLoss, type ConsensusOps } from './consensus.js';

/** nn.CrossEntropyLoss(): mean over pixels of −log softmax(z)[label]. labels int64 [N,H,W]. */
export function crossEntropy<T extends TensorLike>(ops: Ops<T>, logits: T, labels: T): T {
  const [n, , h, w] = logits.shape as [number, number, number, number];
  const picked = ops.gather(ops.logSoftmax(logits, 1), 1, ops.reshape(labels, [n, 1, h, w]));
  return ops.neg(ops.mean(picked, [0, 1, 2, 3]));
}

/**
 * loss/dice_loss.py: softmax, one-hot target over all C classes (background included), per class
 * over the whole batch 1 − (2Σpt + 1e-5)/(Σp² + Σt² + 1e-5), averaged with weight 1.
 */
export function diceLoss<T extends TensorLike>(ops: Ops<T>, logits: T, labels: T): T {
  const [n, c, h, w] = logits.shape as [number, number, number, number];
  const p = ops.softmax(logits, 1);
  const classes = ops.reshape(ops.arange(c), [1, c, 1, 1]);
  const t = ops.cast(ops.eq(ops.reshape(labels, [n, 1, h, w]), classes), 'float32'); // [N,C,H,W]
  const smooth = 1e-5;
  const inter = ops.sum(ops.mul(p, t), [0, 2, 3]); // [C]
  const den = ops.add(ops.add(ops.sum(ops.mul(p, p), [0, 2, 3]), ops.sum(t, [0, 2, 3])), smooth); // t² = t
  const dice = ops.add(ops.neg(ops.div(ops.add(ops.mul(inter, 2), smooth), den)), 1);
  return ops.mean(dice, [0]);
}

export type LossKind = 'ce_dice' | 'consensus' | 'ce_dice+consensus';

export interface LossConfig {
  kind: LossKind;
  consensus: ConsensusOptions;
  blobs: 'class' | 'components';
}

export interface LossParts<T> {
  loss: T;
  /** Named scalar parts for logging (ce, dice, consensus_label, consensus_kl). */
  parts: Record<string, T>;
}

/** logits [N,C,H,W]; labels int64 tensor [N,H,W] plus the same labels on the host. */
export function trainingLoss<T extends TensorLike>(
  ops: ConsensusOps<T>, logits: T, labels: T, hostLabels: MaskArray, cfg: LossConfig,
): LossParts<T> {
  const parts: Record<string, T> = {};
  let loss: T | null = null;
  if (cfg.kind !== 'consensus') {
    parts.ce = crossEntropy(ops, logits, labels);
    parts.dice = diceLoss(ops, logits, labels);
    loss = ops.add(ops.mul(parts.ce, 0.5), ops.mul(parts.dice, 0.5));
  }
  if (cfg.kind !== 'ce_dice') {
    const [n, , h, w] = logits.shape as [number, number, number, number];
    const blobs = blobsFromLabels(hostLabels, n, h, w, cfg.blobs);
    const r = consensusLoss(ops, logits, blobs, hostLabels, cfg.consensus);
    parts.consensus_label = r.label;
    parts.consensus_kl = r.consensus;
    loss = loss === null ? r.loss : ops.add(loss, r.loss);
  }
  return { loss: loss!, parts };
}
