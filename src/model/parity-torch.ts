// The libtorch runner for parity checks (eager, CPU, float32, inference mode).
import { UserError } from '../errors.js';
import { fromData, fromHost, inferenceMode, loadTorch, setNumThreads, tidy, type TorchTensor } from '../engine/torch/index.js';
import type { Ctx } from '../engine/ops.js';
import { toFloat32 } from '../io/host-tensor.js';
import type { Array4, Runner } from './parity.js';

export function torchRunner(threads?: number): Runner {
  return async (model, weights, input, opts = {}) => {
    const engine = loadTorch();
    if (threads) setNumThreads(threads);
    return inferenceMode(() => {
      const bound = new Map<string, TorchTensor>();
      try {
        for (const [k, t] of weights) bound.set(k, fromHost(t));
        return tidy(() => {
          const recorded = new Map<string, TorchTensor>();
          const ctx: Ctx<TorchTensor> = {
            ops: engine.ops,
            training: false,
            get(key) {
              const t = bound.get(key);
              if (!t) throw new UserError(`the weights have no entry ${key}`);
              return t;
            },
            record(name, value) {
              recorded.set(name, value);
            },
          };
          recorded.set('logits', model.forward(ctx, fromData(input.data, input.shape, 'float32'), opts));
          const out = new Map<string, Array4>();
          for (const [name, t] of recorded) out.set(name, { data: Float32Array.from(toFloat32(t.toHost())), shape: [...t.shape] });
          return out;
        });
      } finally {
        for (const t of bound.values()) t.dispose();
      }
    });
  };
}
