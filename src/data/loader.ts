// Batches for training and evaluation, like the official loaders (dataloader.py@9416628:21-62):
// shuffled per epoch only for training (seeded), drop_last for every split. Samples are decoded by
// a SamplePool and up to `prefetch` batches are kept in flight, so while the model works on one
// batch the workers are already decoding the next ones.
import { Rng } from '../model/init.js';
import { SamplePool } from './worker-pool.js';
import type { Batch, DatasetIndex, Sample } from './types.js';

export interface LoaderOptions {
  resolution: number;
  batchSize: number;
  /** Reshuffle every epoch (train). */
  shuffle?: boolean;
  seed?: number;
  /** Drop the last incomplete batch (the official loaders always do). Default true. */
  dropLast?: boolean;
  numWorkers?: number;
  /** Apply the dataset's training augmentation (only LaPa has one). */
  augment?: boolean;
  /** Batches decoded ahead of the consumer. Default 2. */
  prefetch?: number;
  /** Use only the first n samples of the split (after ordering, before batching). */
  limit?: number;
  /** This process's share under torch.distributed (DistributedSampler over the epoch's order). */
  shard?: { rank: number; worldSize: number };
}

/** 32-bit mix of (seed, epoch, index) so augmentation does not depend on worker scheduling. */
function sampleSeed(seed: number, epoch: number, index: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function collate(samples: readonly Sample[], r: number): Batch {
  const b = samples.length, per = 3 * r * r, hw = r * r;
  const batch: Batch = {
    size: b, resolution: r, names: samples.map((s) => s.name),
    images: new Float32Array(b * per), labels: new Uint8Array(b * hw), lnm: new Float32Array(b * 10), dataset: new Int32Array(b),
  };
  samples.forEach((s, i) => {
    batch.images.set(s.image, i * per);
    batch.labels.set(s.label, i * hw);
    batch.lnm.set(s.lnm, i * 10);
    batch.dataset[i] = s.dataset;
  });
  return batch;
}

/** Samples per rank: torch's DistributedSampler (drop_last=False) pads to a multiple of the world. */
export function shardSize(n: number, worldSize: number): number {
  return Math.ceil(n / worldSize);
}

/**
 * DistributedSampler's split of one epoch's order: repeat its head until the length is a multiple
 * of worldSize, then every worldSize-th index from `rank` (indices[rank:total:world]).
 */
export function shardOrder(order: readonly number[], rank: number, worldSize: number): number[] {
  const total = shardSize(order.length, worldSize) * worldSize;
  const padded = order.slice();
  while (padded.length < total && order.length > 0) padded.push(...order.slice(0, total - padded.length));
  const out: number[] = [];
  for (let i = rank; i < total; i += worldSize) out.push(padded[i]!);
  return out;
}

export class DataLoader {
  readonly pool: SamplePool;
  private readonly n: number;

  constructor(readonly index: DatasetIndex, readonly opts: LoaderOptions) {
    if (!(opts.batchSize >= 1)) throw new Error(`batch size must be at least 1, got ${opts.batchSize}`);
    const all = Math.min(index.samples.length, opts.limit ?? Infinity);
    this.n = opts.shard ? shardSize(all, opts.shard.worldSize) : all;
    this.pool = new SamplePool(opts.numWorkers ?? 0);
  }

  /** Batches per epoch. */
  get length(): number {
    const { batchSize, dropLast = true } = this.opts;
    return dropLast ? Math.floor(this.n / batchSize) : Math.ceil(this.n / batchSize);
  }

  /** Samples an epoch uses (drop_last leaves the remainder out). */
  get samplesPerEpoch(): number {
    return Math.min(this.n, this.length * this.opts.batchSize);
  }

  /**
   * Sample order for an epoch: identity, or a seeded Fisher–Yates shuffle (seed + epoch), the
   * same on every rank; a shard then takes its DistributedSampler share of it.
   */
  order(epoch: number): number[] {
    const all = Math.min(this.index.samples.length, this.opts.limit ?? Infinity);
    const idx = Array.from({ length: all }, (_, i) => i);
    if (this.opts.shuffle) {
      const rng = new Rng(((this.opts.seed ?? 0) + epoch) >>> 0);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
    }
    return this.opts.shard ? shardOrder(idx, this.opts.shard.rank, this.opts.shard.worldSize) : idx;
  }

  async *epoch(epoch = 0): AsyncGenerator<Batch> {
    const { batchSize, resolution, augment = false, seed = 0 } = this.opts;
    const prefetch = Math.max(1, this.opts.prefetch ?? 2);
    const order = this.order(epoch);
    const nb = this.length;
    const start = (k: number): Promise<Batch> => {
      const ids = order.slice(k * batchSize, Math.min((k + 1) * batchSize, order.length));
      return Promise.all(ids.map((i) => this.pool.load(this.index.samples[i]!, {
        resolution, augmentSeed: augment ? sampleSeed(seed, epoch, i) : null,
      }))).then((s) => collate(s, resolution));
    };
    const inFlight: Array<Promise<Batch>> = [];
    let next = 0;
    try {
      while (next < nb && inFlight.length < prefetch) inFlight.push(start(next++));
      while (inFlight.length > 0) {
        const p = inFlight.shift()!;
        if (next < nb) inFlight.push(start(next++));
        yield await p;
      }
    } finally {
      // Swallow rejections of batches nobody will await (the consumer stopped or one failed).
      for (const p of inFlight) p.catch(() => undefined);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
