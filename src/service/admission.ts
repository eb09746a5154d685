// Admission control for the parse endpoint: at most `capacity` requests are held at once (their
// uploads, decoded pixels and logits), so memory stays bounded however many clients connect; the
// rest get 503 before their body is read. Of the admitted ones, `concurrency` run at a time,
// first come first served; the others wait for a turn.

export class Admission {
  private held = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly capacity: number, readonly concurrency = 1) {
    if (!(capacity >= concurrency && concurrency >= 1)) throw new Error(`admission: capacity ${capacity} must be ≥ concurrency ${concurrency} ≥ 1`);
  }

  get stats() { return { held: this.held, running: this.running, waiting: this.waiting.length, capacity: this.capacity }; }

  /** A slot, or null when `capacity` requests are already held. Release it exactly once. */
  tryAdmit(): Ticket | null {
    if (this.held >= this.capacity) return null;
    this.held++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held--;
      },
    };
  }

  /**
   * Runs `job` when a turn comes. The job runs to its end even if the caller stops waiting (an
   * inference cannot be interrupted), so its turn is held until then.
   */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the turn over without releasing it
      else this.running--;
    }
  }
}

export interface Ticket {
  release(): void;
}
