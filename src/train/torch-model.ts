// A SegFace bound to libtorch tensors for training: one tensor per state-dict key (parameters
// with requires_grad, buffers updated in place by BatchNorm), and the Ctx the model runs with.
import type { Ctx } from '../engine/ops.js';
import { fromHost, keep, tidy, torchCtx, type TorchOps, type TorchTensor } from '../engine/torch/index.js';
import type { StateDict } from '../io/host-tensor.js';
import type { Module } from '../model/module.js';

export class TorchModelState {
  readonly tensors = new Map<string, TorchTensor>();
  /** Trainable parameters in model.parameters() order (the optimizer's indices). */
  readonly params: TorchTensor[] = [];

  /**
   * channelsLast: 4-D weights (and, through input(), images) live in NHWC memory, which oneDNN's
   * CPU convolutions run faster on (about 5% of a MobileNet step at 256²). Shapes and values are
   * unchanged, and host copies come back in C order.
   */
  constructor(readonly model: Module, sd: StateDict, readonly ops: TorchOps, readonly channelsLast = false) {
    for (const [key, decl] of model.declarations()) {
      const h = sd.get(key);
      if (!h) throw new Error(`state dict lacks ${key}`);
      const t = keep(tidy(() => {
        const x = fromHost(h, { device: ops.device });
        return channelsLast && h.shape.length === 4 ? ops.channelsLast(x) : x;
      }));
      if (decl.kind === 'param') {
        t.requiresGrad_(true);
        this.params.push(t);
      }
      this.tensors.set(key, t);
    }
  }

  ctx(training: boolean): Ctx<TorchTensor> {
    return torchCtx(this.ops, this.tensors, { training, scoped: true });
  }

  /** An image batch [B,3,R,R] in the memory format the weights use. */
  input(x: TorchTensor): TorchTensor {
    return this.channelsLast ? this.ops.channelsLast(x) : x;
  }

  /** Host copy in state_dict order (what state_dict_backbone holds). */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [k, t] of this.tensors) {
      if (this.ops.device === 'cpu') out.set(k, t.toHost());
      else tidy(() => out.set(k, t.to('cpu').toHost()));
    }
    return out;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
  }
}
