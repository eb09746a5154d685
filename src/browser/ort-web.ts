// Which ONNX Runtime Web build runs a session. The WebGPU EP lives only in the asyncify build
// (`onnxruntime-web/webgpu`), whose instrumentation makes the CPU kernels 2–4× slower (measured:
// docs/benchmarks.md, browser); WASM sessions therefore use the plain threaded SIMD build
// (`onnxruntime-web/wasm`, ort-wasm-simd-threaded.wasm). The two are separate module instances,
// each with its own `env`, so configureOrt sets both; the WebGPU one is loaded only when a GPU is.
import * as ortWasm from 'onnxruntime-web/wasm';

export type Ort = typeof ortWasm;
export { ortWasm };

interface OrtConfig { wasmPaths?: string; numThreads: number }
let config: OrtConfig | undefined;

function apply(ort: Ort, c: OrtConfig): void {
  if (c.wasmPaths !== undefined) ort.env.wasm.wasmPaths = c.wasmPaths;
  ort.env.wasm.numThreads = c.numThreads;
}

/**
 * Options of every WASM session: ORT's pool threads wait instead of spinning between kernels, as
 * in Node (engine/onnx/session.ts). In headless Chromium on 2 cores, MobileNet 512 ran
 * 0.806 / 0.848 s warm against 0.877 / 0.967 s spinning (two alternating pairs), with less CPU.
 */
export const wasmSessionOptions = (): ortWasm.InferenceSession.SessionOptions => ({
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

/** The threads a WASM session gets: threads need cross-origin isolation (COOP + COEP). */
export function wasmThreads(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
}

/** Where ONNX Runtime Web fetches its wasm files (served by `segface serve` from node_modules). */
export function configureOrt(wasmPaths?: string): void {
  config = { wasmPaths, numThreads: wasmThreads() };
  apply(ortWasm, config);
  if (gpu) void gpu.then((g) => apply(g as unknown as Ort, config!));
}

let gpu: Promise<typeof import('onnxruntime-web/webgpu')> | undefined;

/** The asyncify build with the WebGPU EP, loaded on first use. */
export function ortWebGpu(): Promise<typeof import('onnxruntime-web/webgpu')> {
  gpu ??= import('onnxruntime-web/webgpu').then((g) => {
    if (config) apply(g as unknown as Ort, config);
    return g;
  });
  return gpu;
}
