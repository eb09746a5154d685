// Loads the compiled libtorch addon on first use. Nothing here runs at import time, so code
// that only parses faces can import the engine's types without having libtorch installed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.js';
import type { NativeDist } from './dist.js';

/** An opaque native tensor handle (one at::Tensor reference). */
export type Handle = { readonly __torchHandle: unique symbol };

/** The addon's exports (native/src/addon.cc). */
export interface NativeTorch {
  call(name: string, overload: string, args: unknown[], discard?: boolean): unknown;
  pickleLoad(bytes: Uint8Array): unknown;
  fromTypedArray(data: ArrayBufferView, shape: readonly number[], dtype: string, device?: string): Handle;
  toTypedArray(h: Handle): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;
  info(h: Handle): [number[], string, string, boolean];
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, on: boolean): void;
  backward(h: Handle, grad: Handle | null, retainGraph?: boolean): void;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  free(h: Handle): void;
  isFreed(h: Handle): boolean;
  liveHandles(): number;
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  inferenceModeEnter(): number;
  inferenceModeExit(): number;
  setNumThreads(n: number): void;
  /** glibc only (false elsewhere): M_MMAP_THRESHOLD and M_TRIM_THRESHOLD in bytes. */
  tuneHeap(mmapThreshold: number, trimThreshold: number): boolean;
  getNumThreads(): number;
  manualSeed(seed: number | bigint): void;
  cudaDeviceCount(): number;
  readonly torchVersion: string;
  /** Absent in addons built before distributed training. */
  readonly dist?: NativeDist;
  // cuda_graph.cc (absent in addons built before it; the graph functions throw where
  // cudaGraphsCompiled is false)
  readonly cudaGraphsCompiled?: boolean;
  streamEnter(device: number): number;
  streamExit(): number;
  graphCaptureBegin(device: number): unknown;
  graphCaptureEnd(graph: unknown, ok: boolean): boolean;
  graphReplay(graph: unknown): void;
  graphReset(graph: unknown): void;
  /** torch.backends.cudnn.benchmark = on; returns the previous value. */
  setCudnnBenchmark?(on: boolean): boolean;
}

const ADDON_REL = join('native', 'build', 'Release', 'segface_torch.node');

/** The package root: the nearest folder above this file holding package.json (works from dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('segface: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function addonPath(): string {
  return process.env.SEGFACE_TORCH_ADDON ?? join(packageRoot(), ADDON_REL);
}

/** How to build the addon, from the repository or from an installed package (no dev dependencies). */
function howTo(): string {
  const root = packageRoot();
  const installed = !existsSync(join(root, 'src'));
  const build = installed ? `(cd ${root} && npm run build:native)` : 'npm run build:native';
  const tools = installed ? ' It needs node-addon-api, an optional peer dependency: `npm install node-addon-api` in your project first;' : '';
  return `Install libtorch and build the addon:${tools} \`apt-get install libtorch-dev && ${build}\`, ` +
    `or against a PyTorch install (CUDA where it has it): \`LIBTORCH=python ${build}\` (or LIBTORCH=/path/to/libtorch).`;
}

let cached: NativeTorch | undefined;

const HEAP_MMAP_THRESHOLD = 256 << 20;
const HEAP_TRIM_THRESHOLD = 512 << 20;

/** The addon, loaded on first call; a UserError explains how to build it when it is missing. */
export function native(): NativeTorch {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new UserError(`the libtorch training engine is not built (${path} is missing). ${howTo()}`);
  }
  // OpenMP workers that spin while waiting for work burn the CPU time that the other thread, or a
  // capped VM, needs: passive waiting made a 256² MobileNet step 1.6× faster on our 2-core
  // machine (PyTorch gains the same from it). libgomp reads this once, when the addon loads it.
  if (!process.env.OMP_WAIT_POLICY) process.env.OMP_WAIT_POLICY = 'PASSIVE';
  let mod: NativeTorch;
  try {
    mod = createRequire(import.meta.url)(path) as NativeTorch;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UserError(`the libtorch training engine at ${path} does not load (${why}). ${howTo()}`);
  }
  // Default: every core for intra-op parallelism, unless the user pinned OpenMP already.
  if (!process.env.OMP_NUM_THREADS) mod.setNumThreads(availableParallelism());
  // Reuse activation memory across steps (see TuneHeap in addon.cc), unless the user tuned malloc.
  if (!Object.keys(process.env).some((k) => k.startsWith('MALLOC_')) && !process.env.GLIBC_TUNABLES) mod.tuneHeap(HEAP_MMAP_THRESHOLD, HEAP_TRIM_THRESHOLD);
  cached = mod;
  return mod;
}
