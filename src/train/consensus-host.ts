// The consensus loss on host arrays in float64, with the closed-form gradient of the spec (§4).
// Two passes over the pixels, no autograd: used to cross-check the engine version and as the
// CPU baseline in bench/consensus.ts.
import { planBlobs, type BlobPlan, type ConsensusOptions, type MaskArray } from './blob-plan.js';

export interface HostConsensusResult {
  loss: number;
  /** [N,C,H,W] ∂loss/∂logits. */
  grad: Float64Array;
  /** Per blob (ascending id): label term A_k and consensus term D_k, as the spec defines them. */
  labelTerm: Float64Array;
  consensusTerm: Float64Array;
}

/** logits [N,C,H,W]; masks [N,H,W]. */
export function consensusLossHost(
  logits: Float32Array | Float64Array, blobIds: MaskArray, labels: MaskArray,
  shape: readonly [number, number, number, number], o: ConsensusOptions, plan?: BlobPlan,
): HostConsensusResult {
  const [n, c, h, w] = shape;
  const pl = plan ?? planBlobs(blobIds, labels, n, c, h, w, o);
  const plane = h * w;
  const v = pl.segments;
  const prob = new Float64Array(n * c * plane);
  const S = new Float64Array(v * c);
  const T = new Float64Array(v * c);
  // Pass 1: softmax per pixel, and the per-segment sums of P and log P.
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      const base = b * c * plane + p;
      let mx = -Infinity;
      for (let j = 0; j < c; j++) mx = Math.max(mx, logits[base + j * plane]!);
      let z = 0;
      for (let j = 0; j < c; j++) z += Math.exp(logits[base + j * plane]! - mx);
      const lz = Math.log(z);
      const s = pl.segOfPixel[b * plane + p]!;
      for (let j = 0; j < c; j++) {
        const lp = logits[base + j * plane]! - mx - lz;
        const pr = Math.exp(lp);
        prob[base + j * plane] = pr;
        S[s * c + j]! += pr;
        T[s * c + j]! += lp;
      }
    }
  }
  // Per segment: q, the loss parts, and G_c of the closed form.
  const q = new Float64Array(v * c);
  const G = new Float64Array(v * c);
  const qSum = new Float64Array(v);
  const labelTerm = new Float64Array(pl.blobs);
  const klSum = new Float64Array(pl.blobs);
  let loss = 0;
  for (let s = 0; s < v; s++) {
    const m = pl.segCount[s]!;
    const wD = pl.segKlWeight[s]!;
    let kl = 0;
    for (let j = 0; j < c; j++) {
      const qc = S[s * c + j]! * pl.segScale[s]!;
      q[s * c + j] = qc;
      qSum[s]! += qc;
      const lq = Math.log(qc);
      kl += m * qc * lq - qc * T[s * c + j]!;
      G[s * c + j] = wD * (m * lq - T[s * c + j]!);
    }
    const y = pl.segLabel[s]!;
    const qy = q[s * c + y]!;
    G[s * c + y]! -= pl.labelWeight / qy;
    const kb = pl.segBlob[s]!;
    labelTerm[kb]! += -Math.log(qy) / n;
    klSum[kb]! += kl;
    loss += pl.labelWeight * -Math.log(qy) + wD * kl;
  }
  const consensusTerm = klSum.map((x, kb) => x / pl.blobDen[kb]!);
  // Pass 2: ∂L/∂z_c(s) = r·P_c·(G_c − Σ_j P_j G_j) + w_D·(P_c·Σ_j q_j − q_c).
  const grad = new Float64Array(n * c * plane);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      const base = b * c * plane + p;
      const s = pl.segOfPixel[b * plane + p]!;
      const r = pl.segScale[s]!;
      const wD = pl.segKlWeight[s]!;
      let pg = 0;
      for (let j = 0; j < c; j++) pg += prob[base + j * plane]! * G[s * c + j]!;
      for (let j = 0; j < c; j++) {
        const pr = prob[base + j * plane]!;
        grad[base + j * plane] = r * pr * (G[s * c + j]! - pg) + wD * (pr * qSum[s]! - q[s * c + j]!);
      }
    }
  }
  return { loss, grad, labelTerm, consensusTerm };
}
