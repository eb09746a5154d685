// A pool of loader worker threads (`--num_workers`). Tasks go to whichever worker is free, in
// submission order; with 0 workers samples load inline on the main thread.
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { loadSample } from './load-sample.js';
import type { LoadOptions, Sample, SampleSpec } from './types.js';

interface Pending { id: number; spec: SampleSpec; opts: LoadOptions; resolve: (s: Sample) => void; reject: (e: Error) => void }

export class SamplePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, { task: Pending; worker: Worker }>();
  private nextId = 0;
  private closed = false;

  constructor(readonly numWorkers: number) {
    for (let i = 0; i < numWorkers; i++) {
      const w = new Worker(new URL('./load-worker.js', import.meta.url));
      w.on('message', (m: { id: number; sample?: Sample; error?: { message: string; user: boolean } }) => {
        const r = this.running.get(m.id);
        if (!r) return;
        this.running.delete(m.id);
        if (m.error) r.task.reject(m.error.user ? new UserError(m.error.message) : new Error(m.error.message));
        else r.task.resolve(m.sample!);
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (e) => this.failWorker(w, e));
      w.on('exit', (code) => { if (!this.closed) this.failWorker(w, new Error(`loader worker exited with code ${code}`)); });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Loads one sample (in a worker when there are any). */
  load(spec: SampleSpec, opts: LoadOptions): Promise<Sample> {
    if (this.closed) return Promise.reject(new Error('sample pool is closed'));
    if (this.numWorkers === 0) return loadSample(spec, opts);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, spec, opts, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const t = this.queue.shift()!;
      this.running.set(t.id, { task: t, worker: w });
      w.postMessage({ id: t.id, spec: t.spec, opts: t.opts });
    }
  }

  private failWorker(w: Worker, e: Error): void {
    for (const [id, r] of this.running) if (r.worker === w) { this.running.delete(id); r.task.reject(e); }
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    const j = this.workers.indexOf(w);
    if (j >= 0) this.workers.splice(j, 1);
    if (this.workers.length === 0) for (const t of this.queue.splice(0)) t.reject(e);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('sample pool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
