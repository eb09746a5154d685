// AdamW and SGD as in torch.optim (single-tensor path, the one PyTorch takes on CPU), written
// with in-place ATen ops under no-grad. State dicts use PyTorch's layout, with host tensors, so
// the pure-TS checkpoint writer can save them next to the model.
import type { HostTensor } from '../../io/host-tensor.js';
import { tuple } from '../../io/py-values.js';
import { keep, noGrad, tidy } from './scope.js';
import { callOp, callTensor, fromHost, type TorchTensor } from './tensor.js';

/** What optimizer.state_dict() holds, as JS values (state keyed by parameter index). */
export interface OptimizerStateDict {
  state: Map<number, Record<string, HostTensor | number | null>>;
  param_groups: Record<string, unknown>[];
}

export interface ParamGroupInput<O> {
  params: readonly TorchTensor[];
  options?: Partial<O>;
}

interface Group<O> {
  params: TorchTensor[];
  options: O;
  /** Set by an LR scheduler (MultiStepLR stores it in the group). */
  initialLr?: number;
}

/** A Python dict as the checkpoint reader gives it (Map) or as we build it (object). */
function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new Error(`${what} is not a dict`);
}

function scalarHost(v: number): HostTensor {
  return { dtype: 'float32', shape: [], data: new Float32Array([v]) };
}

function stepValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'data' in v) return Number((v as HostTensor).data[0]);
  throw new Error('optimizer state: step must be a number or a one-element tensor');
}

abstract class Optimizer<O extends { lr: number }, S> {
  readonly paramGroups: Group<O>[];
  protected readonly state = new Map<TorchTensor, S>();

  constructor(params: readonly TorchTensor[] | readonly ParamGroupInput<O>[], defaults: O) {
    const groups: readonly ParamGroupInput<O>[] =
      params.length > 0 && 'params' in (params[0] as object) ? (params as ParamGroupInput<O>[]) : [{ params: params as TorchTensor[] }];
    this.paramGroups = groups.map((g) => ({ params: [...g.params], options: { ...defaults, ...g.options } }));
  }

  /** Every parameter in state-dict order (group by group). */
  protected allParams(): TorchTensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Clears the gradients (set to None, as zero_grad() does by default in PyTorch 2). */
  zeroGrad(): void {
    for (const p of this.allParams()) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    tidy(() =>
      noGrad(() => {
        for (const g of this.paramGroups) {
          for (const p of g.params) {
            const grad = p.grad;
            if (grad === null) continue;
            this.update(p, grad, g.options);
          }
        }
      }),
    );
  }

  protected abstract update(p: TorchTensor, grad: TorchTensor, o: O): void;
  protected abstract stateToHost(s: S): Record<string, HostTensor | number | null>;
  protected abstract stateFromHost(p: TorchTensor, s: Record<string, unknown>): S;
  protected abstract groupToHost(o: O): Record<string, unknown>;
  protected abstract groupFromHost(g: Record<string, unknown>, o: O): O;
  protected abstract disposeState(s: S): void;

  /** PyTorch's optimizer.state_dict() layout. */
  stateDict(): OptimizerStateDict {
    const index = new Map(this.allParams().map((p, i) => [p, i]));
    const state = new Map<number, Record<string, HostTensor | number | null>>();
    for (const [p, s] of this.state) state.set(index.get(p)!, this.stateToHost(s));
    let next = 0;
    const param_groups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = this.groupToHost(g.options);
      if (g.initialLr !== undefined) out.initial_lr = g.initialLr;
      out.params = g.params.map(() => next++);
      return out;
    });
    return { state: new Map([...state].sort((a, b) => a[0] - b[0])), param_groups };
  }

  /**
   * Restores a stateDict(): ours, or PyTorch's as the checkpoint reader returns it (dicts as
   * Maps, `step` as a one-element tensor or a number).
   */
  loadStateDict(saved: OptimizerStateDict | Map<unknown, unknown> | Record<string, unknown>): void {
    const top = asRecord(saved, 'optimizer state');
    if (!Array.isArray(top.param_groups)) throw new Error('optimizer state has no param_groups list');
    if (!(top.state instanceof Map) && (typeof top.state !== 'object' || top.state === null)) {
      throw new Error('optimizer state has no state dict');
    }
    const sd = {
      state: top.state as Map<unknown, unknown> | Record<string, unknown>,
      param_groups: (top.param_groups as unknown[]).map((g) => asRecord(g, 'optimizer param group')),
    };
    const params = this.allParams();
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(`optimizer state has ${sd.param_groups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    sd.param_groups.forEach((g, i) => {
      const mine = this.paramGroups[i]!;
      const ids = g.params as readonly unknown[] | undefined;
      if (ids && ids.length !== mine.params.length) {
        throw new Error(`optimizer state group ${i} has ${ids.length} parameters, this optimizer has ${mine.params.length}`);
      }
      mine.options = this.groupFromHost(g, mine.options);
      if (typeof g.initial_lr === 'number') mine.initialLr = g.initial_lr;
    });
    const entries = sd.state instanceof Map ? [...sd.state] : Object.entries(sd.state);
    for (const s of this.state.values()) this.disposeState(s);
    this.state.clear();
    for (const [k, v] of entries) {
      const i = Number(k);
      const p = params[i];
      if (!p) throw new Error(`optimizer state refers to parameter ${i}, this optimizer has ${params.length}`);
      this.state.set(p, keep(this.stateFromHost(p, asRecord(v, `optimizer state of parameter ${i}`))));
    }
  }

  /** Frees the optimizer's state tensors. */
  dispose(): void {
    for (const s of this.state.values()) this.disposeState(s);
    this.state.clear();
  }

  protected hostToParam(p: TorchTensor, h: unknown, what: string): TorchTensor {
    if (!h || typeof h !== 'object' || !('data' in h)) throw new Error(`optimizer state: ${what} must be a tensor`);
    const host = h as HostTensor;
    if (host.shape.join(',') !== p.shape.join(',')) {
      throw new Error(`optimizer state: ${what} has shape [${host.shape.join(', ')}], parameter has [${p.shape.join(', ')}]`);
    }
    const t = fromHost(host, { device: p.device });
    if (t.dtype === p.dtype) return t;
    const cast = t.to(p.device, p.dtype);
    t.dispose();
    return cast;
  }
}

// ---- AdamW ---------------------------------------------------------------------------------

export interface AdamWOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

interface AdamState {
  step: number;
  expAvg: TorchTensor;
  expAvgSq: TorchTensor;
}

/** libtorch ≥ 2.0 has every multi-tensor op AdamW needs (1.13 lacks _foreach_lerp_); probed once. */
let foreachOps: boolean | undefined;
function hasForeachOps(): boolean {
  if (foreachOps === undefined) {
    foreachOps = tidy(() => {
      try {
        const t = fromHost({ dtype: 'float32', shape: [1], data: new Float32Array(1) });
        callOp('aten::_foreach_lerp_', 'Scalar', [[t], [t], 0.5]);
        return true;
      } catch {
        return false;
      }
    });
  }
  return foreachOps;
}

/**
 * torch.optim.AdamW (amsgrad=False): defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
 * Where libtorch has the multi-tensor ops, a step updates all parameters of a group with one call
 * per operation (PyTorch's `foreach` path), not ~8 calls per parameter: on CUDA each call is a
 * kernel launch. The arithmetic is the same, operation for operation.
 */
export class AdamW extends Optimizer<AdamWOptions, AdamState> {
  /** As torch.optim.AdamW's `foreach`: undefined picks the multi-tensor path where libtorch has it. */
  private readonly foreach: boolean | undefined;

  constructor(params: readonly TorchTensor[] | readonly ParamGroupInput<AdamWOptions>[], opts: Partial<AdamWOptions> & { foreach?: boolean } = {}) {
    const { foreach, ...rest } = opts;
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, maximize: false, ...rest });
    if (foreach && !hasForeachOps()) throw new Error('AdamW foreach: this libtorch lacks the multi-tensor ops (it needs 2.0 or later)');
    this.foreach = foreach;
  }

  override step(): void {
    if (!(this.foreach ?? hasForeachOps())) return super.step();
    tidy(() =>
      noGrad(() => {
        for (const g of this.paramGroups) {
          // Parameters that share a step count share the bias corrections (normally all of them).
          const bySteps = new Map<number, [TorchTensor, TorchTensor][]>();
          for (const p of g.params) {
            const grad = p.grad;
            if (grad === null) continue;
            const n = (this.state.get(p)?.step ?? 0) + 1;
            const same = bySteps.get(n);
            if (same) same.push([p, grad]);
            else bySteps.set(n, [[p, grad]]);
          }
          for (const [n, pairs] of bySteps) this.updateMany(pairs, n, g.options);
        }
      }),
    );
  }

  private updateMany(pairs: readonly [TorchTensor, TorchTensor][], step: number, o: AdamWOptions): void {
    const ps = pairs.map(([p]) => p);
    const grads = o.maximize ? (callOp('aten::_foreach_neg', '', [pairs.map(([, g]) => g)]) as TorchTensor[]) : pairs.map(([, g]) => g);
    const states = ps.map((p) => this.stateOf(p));
    for (const s of states) s.step = step;
    const [beta1, beta2] = o.betas;
    const [m, v] = [states.map((s) => s.expAvg), states.map((s) => s.expAvgSq)];
    callOp('aten::_foreach_mul_', 'Scalar', [ps, 1 - o.lr * o.weightDecay]);
    callOp('aten::_foreach_lerp_', 'Scalar', [m, grads, 1 - beta1]);
    callOp('aten::_foreach_mul_', 'Scalar', [v, beta2]);
    callOp('aten::_foreach_addcmul_', 'Scalar', [v, grads, grads, 1 - beta2]);
    const denom = callOp('aten::_foreach_sqrt', '', [v]) as TorchTensor[];
    callOp('aten::_foreach_div_', 'Scalar', [denom, Math.sqrt(1 - beta2 ** step)]);
    callOp('aten::_foreach_add_', 'Scalar', [denom, o.eps]);
    callOp('aten::_foreach_addcdiv_', 'Scalar', [ps, m, denom, -o.lr / (1 - beta1 ** step)]);
  }

  private stateOf(p: TorchTensor): AdamState {
    let s = this.state.get(p);
    if (!s) {
      s = keep({ step: 0, expAvg: callTensor('aten::zeros_like', '', [p]), expAvgSq: callTensor('aten::zeros_like', '', [p]) });
      this.state.set(p, s);
    }
    return s;
  }

  protected update(p: TorchTensor, grad: TorchTensor, o: AdamWOptions): void {
    const g = o.maximize ? grad.clone().mul_(-1) : grad;
    const s = this.stateOf(p);
    const [beta1, beta2] = o.betas;
    s.step += 1;
    p.mul_(1 - o.lr * o.weightDecay);
    s.expAvg.lerp_(g, 1 - beta1);
    s.expAvgSq.mul_(beta2).addcmul_(g, g, 1 - beta2);
    const bc1 = 1 - beta1 ** s.step;
    const bc2 = 1 - beta2 ** s.step;
    const stepSize = o.lr / bc1;
    const denom = callTensor('aten::sqrt', '', [s.expAvgSq]).div_(Math.sqrt(bc2)).add_(o.eps);
    p.addcdiv_(s.expAvg, denom, -stepSize);
  }

  protected stateToHost(s: AdamState): Record<string, HostTensor | number | null> {
    return { step: scalarHost(s.step), exp_avg: s.expAvg.toHost(), exp_avg_sq: s.expAvgSq.toHost() };
  }

  protected stateFromHost(p: TorchTensor, s: Record<string, unknown>): AdamState {
    return {
      step: stepValue(s.step),
      expAvg: this.hostToParam(p, s.exp_avg, 'exp_avg'),
      expAvgSq: this.hostToParam(p, s.exp_avg_sq, 'exp_avg_sq'),
    };
  }

  protected disposeState(s: AdamState): void {
    s.expAvg.dispose();
    s.expAvgSq.dispose();
  }

  protected groupToHost(o: AdamWOptions): Record<string, unknown> {
    return {
      lr: o.lr, betas: tuple(o.betas[0], o.betas[1]), eps: o.eps, weight_decay: o.weightDecay, amsgrad: false,
      foreach: null, maximize: o.maximize, capturable: false, differentiable: false, fused: null,
    };
  }

  protected groupFromHost(g: Record<string, unknown>, o: AdamWOptions): AdamWOptions {
    if (g.amsgrad === true) throw new Error('optimizer state uses amsgrad, which this AdamW does not implement');
    const betas = (g.betas as readonly number[] | undefined) ?? o.betas;
    return {
      lr: Number(g.lr ?? o.lr), betas: [Number(betas[0]), Number(betas[1])], eps: Number(g.eps ?? o.eps),
      weightDecay: Number(g.weight_decay ?? o.weightDecay), maximize: Boolean(g.maximize ?? o.maximize),
    };
  }
}

// ---- SGD -----------------------------------------------------------------------------------

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

interface SGDState {
  momentumBuffer: TorchTensor | null;
}

/** torch.optim.SGD (momentum, dampening, weight decay, Nesterov). */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: readonly TorchTensor[] | readonly ParamGroupInput<SGDOptions>[], opts: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts });
  }

  protected update(p: TorchTensor, grad: TorchTensor, o: SGDOptions): void {
    let d = o.maximize ? grad.clone().mul_(-1) : grad;
    if (o.weightDecay !== 0) d = callTensor('aten::add', 'Tensor', [d, p, o.weightDecay]);
    if (o.momentum !== 0) {
      let s = this.state.get(p);
      if (!s || s.momentumBuffer === null) {
        s = keep({ momentumBuffer: d.clone() });
        this.state.set(p, s);
      } else {
        s.momentumBuffer!.mul_(o.momentum).add_(d, 1 - o.dampening);
      }
      const buf = s.momentumBuffer!;
      d = o.nesterov ? callTensor('aten::add', 'Tensor', [d, buf, o.momentum]) : buf;
    }
    p.add_(d, -o.lr);
  }

  protected stateToHost(s: SGDState): Record<string, HostTensor | number | null> {
    return { momentum_buffer: s.momentumBuffer ? s.momentumBuffer.toHost() : null };
  }

  protected stateFromHost(p: TorchTensor, s: Record<string, unknown>): SGDState {
    const b = s.momentum_buffer;
    return { momentumBuffer: b === null || b === undefined ? null : this.hostToParam(p, b, 'momentum_buffer') };
  }

  protected disposeState(s: SGDState): void {
    s.momentumBuffer?.dispose();
  }

  protected groupToHost(o: SGDOptions): Record<string, unknown> {
    return {
      lr: o.lr, momentum: o.momentum, dampening: o.dampening, weight_decay: o.weightDecay, nesterov: o.nesterov,
      maximize: o.maximize, foreach: null, differentiable: false,
    };
  }

  protected groupFromHost(g: Record<string, unknown>, o: SGDOptions): SGDOptions {
    return {
      lr: Number(g.lr ?? o.lr), momentum: Number(g.momentum ?? o.momentum), dampening: Number(g.dampening ?? o.dampening),
      weightDecay: Number(g.weight_decay ?? o.weightDecay), nesterov: Boolean(g.nesterov ?? o.nesterov),
      maximize: Boolean(g.maximize ?? o.maximize),
    };
  }
}
