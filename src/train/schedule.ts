// torch.optim.lr_scheduler.MultiStepLR, stepped once per epoch as the official train.py does.
// lr(epoch) = base_lr · gamma^(number of milestones ≤ epoch); 80,200 → 1e-4 / 1e-5 / 1e-6.

/** The scheduler's state_dict() as PyTorch 2.0 writes it (key order = its __dict__ order). */
export interface MultiStepLRState {
  /** collections.Counter in PyTorch: milestone → multiplicity. */
  milestones: Map<number, number>;
  gamma: number;
  base_lrs: number[];
  last_epoch: number;
  verbose: boolean;
  _step_count: number;
  _get_lr_called_within_step: boolean;
  _last_lr: number[];
}

export class MultiStepLR {
  readonly milestones: Map<number, number>;
  readonly gamma: number;
  readonly baseLrs: number[];
  /** Epoch index of the current lr (0 right after construction, like PyTorch's initial step). */
  lastEpoch = 0;
  stepCount = 1;

  constructor(baseLrs: readonly number[], milestones: readonly number[], gamma = 0.1) {
    this.milestones = new Map();
    for (const m of milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = gamma;
    this.baseLrs = [...baseLrs];
  }

  /** The learning rates for an epoch index (closed form of the chainable rule). */
  lrAt(epoch: number): number[] {
    let k = 0;
    for (const [m, count] of this.milestones) if (m <= epoch) k += count;
    return this.baseLrs.map((lr) => lr * this.gamma ** k);
  }

  get lastLr(): number[] {
    return this.lrAt(this.lastEpoch);
  }

  /** Called at the end of each epoch; returns the lr for the next one. */
  step(): number[] {
    this.lastEpoch += 1;
    this.stepCount += 1;
    return this.lastLr;
  }

  stateDict(): MultiStepLRState {
    return {
      milestones: new Map(this.milestones),
      gamma: this.gamma,
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      verbose: false,
      _step_count: this.stepCount,
      _get_lr_called_within_step: false,
      _last_lr: this.lastLr,
    };
  }

  loadStateDict(s: { milestones?: unknown; gamma?: unknown; base_lrs?: unknown; last_epoch?: unknown; _step_count?: unknown }): void {
    if (typeof s.last_epoch !== 'number' && typeof s.last_epoch !== 'bigint') throw new Error('scheduler state has no last_epoch');
    this.lastEpoch = Number(s.last_epoch);
    this.stepCount = s._step_count === undefined ? this.lastEpoch + 1 : Number(s._step_count);
    if (s.milestones instanceof Map) {
      this.milestones.clear();
      for (const [k, v] of s.milestones) this.milestones.set(Number(k), Number(v));
    } else if (s.milestones && typeof s.milestones === 'object') {
      this.milestones.clear();
      for (const [k, v] of Object.entries(s.milestones as Record<string, unknown>)) this.milestones.set(Number(k), Number(v));
    }
    if (typeof s.gamma === 'number') (this as { gamma: number }).gamma = s.gamma;
    if (Array.isArray(s.base_lrs)) this.baseLrs.splice(0, this.baseLrs.length, ...s.base_lrs.map(Number));
  }
}

/** "80,200" → [80, 200]. */
export function parseMilestones(text: string): number[] {
  const out = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (out.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`--lr_schedule must be comma-separated epoch numbers, got "${text}"`);
  return out;
}
