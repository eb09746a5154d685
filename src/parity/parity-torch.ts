// The libtorch runner for parity checks (eager, CPU, float32, inference mode).
import { deviceWeights, fromData, inferenceMode, loadTorch, setNumThreads, tidy, torchCtx, type TorchTensor } from '../engine/torch/index.js';
import { toFloat32 } from '../io/host-tensor.js';
import type { Array4, Runner } from './fixture.js';

export function torchRunner(threads?: number): Runner {
  return async (model, weights, input, opts = {}) => {
    const engine = loadTorch();
    if (threads) setNumThreads(threads);
    return inferenceMode(() => {
      const bound = deviceWeights(weights, 'cpu');
      try {
        return tidy(() => {
          const recorded = new Map<string, TorchTensor>();
          const ctx = torchCtx(engine.ops, bound, { record: (name, value) => recorded.set(name, value) });
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
