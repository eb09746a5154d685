// Running built graphs with onnxruntime-node. ORT's types stay inside this file.
import * as ort from 'onnxruntime-node';
import { halfToFloat } from './host-data.js';

export type InputData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface SessionOptions {
  /** Intra-op threads (ORT's default: one per core). */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** e.g. ['cpu'] (default) or ['cuda', 'cpu']. */
  executionProviders?: string[];
  /** ORT's log level: 0 verbose … 3 error (default: 3, so optimiser notes stay quiet). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * ORT's memory pattern (default off): it plans one block for all activations of a run on top
   * of the arena, which made peak memory 1.5–1.7× higher (MobileNet 512², batch 4: 2.41 → 1.41 GB)
   * without making runs faster.
   */
  memPattern?: boolean;
  /**
   * Whether ORT's intra-op workers spin while waiting for work (ORT's default; ours: off, unless
   * SEGFACE_ORT_SPIN=1). On this shared 2-vCPU machine spinning workers took the cores the other
   * thread needed: MobileNet 512 1137 → 1053 ms and Swin-B 512 10.8 → 9.0 s per image with it off
   * (2 threads, load ≈ 7; docs/rewrites.md). The same reasoning as OMP_WAIT_POLICY=PASSIVE for
   * libtorch. Numerics are unaffected.
   */
  spinning?: boolean;
}

const spinDefault = (): boolean => process.env.SEGFACE_ORT_SPIN === '1';

/** An opaque loaded model. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Declared shapes, by input and output (symbolic dims as their names); [] for non-tensors. */
  readonly inputShapes: readonly (readonly (number | string)[])[];
  readonly outputShapes: readonly (readonly (number | string)[])[];
  /** @internal */
  readonly inner: unknown;
}

/** A feed; `dtype` tells ORT that a Uint8Array holds bools ('bool') rather than bytes. */
export interface InputTensor {
  data: InputData;
  shape: readonly number[];
  dtype?: 'bool';
}

export interface OutputTensor {
  data: Float32Array;
  shape: number[];
}

export interface RawOutputTensor {
  /** float16 outputs arrive widened to float32 (dtype still says 'float16'). */
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  dtype: string;
  shape: number[];
}

export async function createSession(bytes: Uint8Array, opts: SessionOptions = {}): Promise<OnnxSession> {
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
      executionProviders: opts.executionProviders ?? ['cpu'],
      logSeverityLevel: opts.logSeverityLevel ?? 3,
      enableMemPattern: opts.memPattern ?? false,
      ...((opts.spinning ?? spinDefault()) ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    });
  } catch (e) {
    throw new Error(`ONNX Runtime could not load the model (${bytes.byteLength} bytes): ${(e as Error).message}`);
  }
  const shapes = (m: readonly ort.InferenceSession.ValueMetadata[]) => m.map((v) => (v.isTensor ? [...v.shape] : []));
  return { inputNames: [...s.inputNames], outputNames: [...s.outputNames], inputShapes: shapes(s.inputMetadata), outputShapes: shapes(s.outputMetadata), inner: s };
}

function dtypeOf(data: InputData): ort.Tensor.Type {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Runs and returns every output (or the named ones) as ORT produced them. */
export async function runRaw(
  session: OnnxSession, inputs: Record<string, InputTensor>, outputNames?: readonly string[],
): Promise<Record<string, RawOutputTensor>> {
  const s = session.inner as ort.InferenceSession;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor(t.dtype ?? dtypeOf(t.data), t.data, [...t.shape]);
  const res = outputNames ? await s.run(feeds, [...outputNames]) : await s.run(feeds);
  const out: Record<string, RawOutputTensor> = {};
  for (const [name, t] of Object.entries(res)) {
    let data = t.data as RawOutputTensor['data'] | Uint16Array;
    if (t.type === 'float16') data = Float32Array.from(data as Uint16Array, halfToFloat);
    out[name] = { data: data as RawOutputTensor['data'], dtype: t.type, shape: t.dims.map(Number) };
    t.dispose();
  }
  return out;
}

/** Runs and returns the outputs as float32 (integer outputs such as argmax are converted). */
export async function run(
  session: OnnxSession, inputs: Record<string, InputTensor>, outputNames?: readonly string[],
): Promise<Record<string, OutputTensor>> {
  const raw = await runRaw(session, inputs, outputNames);
  const out: Record<string, OutputTensor> = {};
  for (const [name, t] of Object.entries(raw)) {
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
    out[name] = { data, shape: t.shape };
  }
  return out;
}

export async function releaseSession(session: OnnxSession): Promise<void> {
  await (session.inner as ort.InferenceSession).release();
}
