// Independent runs side by side: the face graphs' ops are small, and ORT's intra-op threads
// (without spinning) spend much of a run waking each other, so `lanes` single-thread runs at once
// use the cores better than one run on `lanes` threads (docs/in-the-wild.md, "Lanes").
import type { GraphRuntime, GraphSession } from './runtime.js';

export const lanesOf = (runtime: GraphRuntime): number => Math.max(1, Math.floor(runtime.lanes ?? 1));

/** A session for lane work: one thread when runs go side by side, the runtime's default otherwise. */
export function openForLanes(runtime: GraphRuntime, bytes: Uint8Array): Promise<GraphSession> {
  return lanesOf(runtime) > 1 ? runtime.open(bytes, { threads: 1 }) : runtime.open(bytes);
}

/** task(0..n−1) with at most `lanes` in flight; results in task order. */
export async function inLanes<T>(n: number, lanes: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const lane = async () => { while (next < n) { const i = next++; out[i] = await task(i); } };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, lanes), n) }, lane));
  return out;
}

/** At most `n` runs in flight, the rest queued in call order (for work that forks unevenly). */
export class Lanes {
  private busy = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly n: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy >= this.n) await new Promise<void>((go) => this.queue.push(go));
    else this.busy++;
    try {
      return await fn();
    } finally {
      const go = this.queue.shift();
      if (go) go(); else this.busy--;
    }
  }
}

/** [start, end) of band b of `bands` equal row bands of `rows` rows. */
export function band(rows: number, bands: number, b: number): [number, number] {
  return [Math.floor((rows * b) / bands), Math.floor((rows * (b + 1)) / bands)];
}
