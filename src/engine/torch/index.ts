// The libtorch engine's public face. Importing this module loads nothing native; the addon is
// loaded by loadTorch() (or the first tensor operation), which explains how to build it if missing.
import { native } from './native.js';
import { TorchOps, type TorchOpsOptions } from './ops.js';
import { fromNative } from './tensor.js';

export { TorchOps, type TorchOpsOptions, type CreateOptions, type CrossEntropyOptions } from './ops.js';
export { TorchTensor, callOp, callTensor, fromHost, fromData, toHost, isTorchTensor, type Device, type FromHostOptions } from './tensor.js';
export { tidy, keep, noGrad, enableGrad, inferenceMode, isGradEnabled } from './scope.js';
export { AdamW, SGD, type AdamWOptions, type SGDOptions, type OptimizerStateDict, type ParamGroupInput } from './optim.js';
export { addonPath } from './native.js';
export { ProcessGroup, DdpReducer, ncclAvailable, type DistInitOptions, type ReduceOp } from './dist.js';
export { torchCtx, torchDevice, deviceWeights, type TorchCtxOptions } from './ctx.js';

/** Intra-op threads (default: every core, unless OMP_NUM_THREADS is set). */
export function setNumThreads(n: number): void {
  native().setNumThreads(n);
}

export function getNumThreads(): number {
  return native().getNumThreads();
}

/** Seeds libtorch's CPU and CUDA generators (torch.manual_seed). */
export function manualSeed(seed: number | bigint): void {
  native().manualSeed(seed);
}

export function cudaDeviceCount(): number {
  return native().cudaDeviceCount();
}

export function cudaAvailable(): boolean {
  return cudaDeviceCount() > 0;
}

/** Tensor handles alive right now (not disposed, not collected): for leak checks. */
export function liveTensorCount(): number {
  return native().liveHandles();
}

/**
 * Loads a torch.save'd buffer through libtorch's own reader (torch::pickle_load): dicts come
 * back as Maps, tensors as TorchTensor, lists/tuples as arrays.
 */
export function pickleLoad(bytes: Uint8Array): unknown {
  return fromNative(native().pickleLoad(bytes));
}

export interface TorchEngine {
  readonly version: string;
  /** Ops creating tensors on opts.device (default CPU). */
  readonly ops: TorchOps;
  readonly cudaDeviceCount: number;
}

/** Loads the addon now (UserError with install steps if it is not built) and returns the engine. */
export function loadTorch(opts: TorchOpsOptions = {}): TorchEngine {
  const n = native();
  return { version: n.torchVersion, ops: new TorchOps(opts), cudaDeviceCount: n.cudaDeviceCount() };
}
