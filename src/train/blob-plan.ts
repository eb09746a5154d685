// Host-side bookkeeping for the consensus loss (consensus-loss spec §3): which blob each pixel
// belongs to, each blob's label, and the per-(blob, image) "segments" the loss reduces over.
// Everything here depends only on the masks, so it is computed once per batch on the CPU and
// handed to the engine as constant index / weight tensors.

export type ReducePixel = 'idx' | 'all';

export interface ConsensusOptions {
  /** Weight of the label term (cross-entropy of the blob mean). */
  alpha: number;
  /** Weight of the consensus term (KL of each pixel to its blob mean). */
  beta: number;
  /** 'idx': blob mean = S/m; 'all': S/(H·W) for every image (reference quirk, see spec §3). */
  reducePixel: ReducePixel;
  /** 'idx': KL divided by C·(blob pixels over the batch); 'all': by N·H·W. */
  reducePixelKl: ReducePixel;
}

export const consensusDefaults: ConsensusOptions = { alpha: 1, beta: 1, reducePixel: 'idx', reducePixelKl: 'idx' };

export type MaskArray = Int32Array | Uint8Array | BigInt64Array | Float32Array;

/**
 * A segment is one (blob, image) pair with at least one pixel. Pairs where the blob is absent
 * from the image contribute nothing to the loss (under 'all' the reference still differentiates
 * log 0 there and returns NaN; skipping them is the finite version, spec §6.2).
 */
export interface BlobPlan {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** Number of distinct blob ids over the batch, |K|. */
  readonly blobs: number;
  /** Number of segments, V. */
  readonly segments: number;
  /** [N·H·W] segment of each pixel, in (n,h,w) order. */
  readonly segOfPixel: Int32Array;
  /** [V] pixel count m of each segment. */
  readonly segCount: Float64Array;
  /** [V] label y of the segment's blob. */
  readonly segLabel: Int32Array;
  /** [V] blob index (0..K-1, ascending id order) of each segment. */
  readonly segBlob: Int32Array;
  /** [V] image of each segment. */
  readonly segImage: Int32Array;
  /** [V] r: 1/m ('idx') or 1/(H·W) ('all'); blob mean q = S·r. */
  readonly segScale: Float64Array;
  /** [V] w_D = β/(|K|·den_k) of the segment's blob. */
  readonly segKlWeight: Float64Array;
  /** [K] den_k: C·(blob pixels over the batch) ('idx') or N·H·W ('all'). */
  readonly blobDen: Float64Array;
  /** w_A = α/(|K|·N), the weight of each segment's −log q_y. */
  readonly labelWeight: number;
  /** Ascending blob ids (for per-blob reports). */
  readonly blobIds: number[];
}

function toNumbers(a: MaskArray): ArrayLike<number> {
  return a instanceof BigInt64Array ? Float64Array.from(a, Number) : a;
}

/**
 * blobIds, labels: [N,H,W] (or [N,1,H,W]) in C order. Throws when a blob carries two labels (the
 * reference asserts the same) or a label is outside 0..C-1 (the reference's nll_loss raises).
 */
export function planBlobs(
  blobIds: MaskArray, labels: MaskArray, n: number, c: number, h: number, w: number, o: ConsensusOptions,
): BlobPlan {
  const plane = h * w;
  const total = n * plane;
  if (blobIds.length !== total || labels.length !== total) {
    throw new Error(`consensus loss: masks need ${total} elements ([${n},${h},${w}]), got blobs ${blobIds.length}, labels ${labels.length}`);
  }
  const ids = toNumbers(blobIds);
  const lab = toNumbers(labels);

  // Ids are arbitrary values (even non-contiguous); rank them ascending like torch.unique.
  const idSet = new Set<number>();
  for (let i = 0; i < total; i++) idSet.add(ids[i]!);
  const sortedIds = [...idSet].sort((a, b) => a - b);
  const rank = new Map<number, number>();
  sortedIds.forEach((v, i) => rank.set(v, i));
  const k = sortedIds.length;

  const blobLabel = new Int32Array(k).fill(-1);
  const segOf = new Int32Array(n * k).fill(-1); // (image, blob) → segment
  const segOfPixel = new Int32Array(total);
  const counts: number[] = [];
  const segLabelL: number[] = [];
  const segBlobL: number[] = [];
  const segImageL: number[] = [];
  const blobPixels = new Float64Array(k);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      const i = b * plane + p;
      const kb = rank.get(ids[i]!)!;
      const y = lab[i]!;
      if (!(Number.isInteger(y) && y >= 0 && y < c)) {
        throw new Error(`consensus loss: label ${y} at image ${b}, pixel ${p} is outside 0..${c - 1}`);
      }
      if (blobLabel[kb] === -1) blobLabel[kb] = y;
      else if (blobLabel[kb] !== y) {
        throw new Error(`consensus loss: blob id ${sortedIds[kb]} covers classes ${blobLabel[kb]} and ${y}; every blob must carry one label (make component ids unique over the batch)`);
      }
      let s = segOf[b * k + kb]!;
      if (s === -1) {
        s = counts.length;
        segOf[b * k + kb] = s;
        counts.push(0);
        segLabelL.push(y);
        segBlobL.push(kb);
        segImageL.push(b);
      }
      counts[s]! += 1;
      blobPixels[kb]! += 1;
      segOfPixel[i] = s;
    }
  }
  const v = counts.length;
  const segCount = Float64Array.from(counts);
  const segScale = new Float64Array(v);
  const segKlWeight = new Float64Array(v);
  const blobDen = new Float64Array(k);
  for (let kb = 0; kb < k; kb++) blobDen[kb] = o.reducePixelKl === 'idx' ? c * blobPixels[kb]! : n * plane;
  for (let s = 0; s < v; s++) {
    segScale[s] = o.reducePixel === 'idx' ? 1 / segCount[s]! : 1 / plane;
    segKlWeight[s] = o.beta / (k * blobDen[segBlobL[s]!]!);
  }
  return {
    n, c, h, w, blobs: k, segments: v, segOfPixel, segCount,
    segLabel: Int32Array.from(segLabelL), segBlob: Int32Array.from(segBlobL), segImage: Int32Array.from(segImageL),
    segScale, segKlWeight, blobDen, labelWeight: o.alpha / (k * n), blobIds: sortedIds,
  };
}
