// The Ctx a model runs in on libtorch (the counterpart of engine/onnx/ctx.ts): weights bound to
// device tensors by state-dict key. Also the one place that turns `--device` into a libtorch device.
import type { Ctx } from '../ops.js';
import type { StateDict } from '../../io/host-tensor.js';
import { UserError } from '../../errors.js';
import { native } from './native.js';
import type { TorchOps } from './ops.js';
import { tidy } from './scope.js';
import { fromHost, type TorchTensor } from './tensor.js';

export interface TorchCtxOptions {
  training?: boolean;
  /** Receives every ctx.record()ed tensor (parity checks). */
  record?: (name: string, value: TorchTensor) => void;
  /**
   * Free each block's temporaries when it returns (Ctx.scope). Off where record() keeps
   * intermediate tensors alive past their block.
   */
  scoped?: boolean;
}

export function torchCtx(ops: TorchOps, weights: ReadonlyMap<string, TorchTensor>, opts: TorchCtxOptions = {}): Ctx<TorchTensor> {
  return {
    ops,
    training: opts.training ?? false,
    get(key: string): TorchTensor {
      const t = weights.get(key);
      if (!t) throw new Error(`the weights have no entry ${key}`);
      return t;
    },
    ...(opts.record ? { record: opts.record } : {}),
    ...(opts.scoped ? { scope: tidy } : {}),
  };
}

/**
 * 'cpu' or 'cuda' for `--device` (default cpu), loading the addon (a UserError saying how to build
 * it when it is missing); a UserError when CUDA is asked for and libtorch sees no device.
 */
export function torchDevice(device: string | undefined): 'cpu' | 'cuda' {
  const n = native();
  if (device !== 'cuda') return 'cpu';
  if (n.cudaDeviceCount() === 0) {
    throw new UserError('--device cuda: this libtorch has no CUDA device available; use --device cpu, or build the addon against a CUDA PyTorch (LIBTORCH=python npm run build:native)');
  }
  return 'cuda';
}

/** A host state dict copied to `device`, key by key. */
export function deviceWeights(sd: StateDict, device: string): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of sd) out.set(k, fromHost(v, { device }));
  return out;
}
