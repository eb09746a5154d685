// Shared test plumbing: build a tiny graph, run it in ORT, check ORT's shapes against ours.
import assert from 'node:assert/strict';
import { GraphBuilder, type OnnxValue } from '../../src/engine/onnx/graph.js';
import { OnnxOps } from '../../src/engine/onnx/ops.js';
import { createSession, releaseSession, runRaw, type InputData, type RawOutputTensor } from '../../src/engine/onnx/session.js';
import type { DType } from '../../src/engine/ops.js';

export interface In { data: InputData; shape: number[]; dtype?: DType }

/**
 * Declares `inputs` as graph inputs, lets `body` record ops, runs the graph and returns ORT's
 * outputs. Asserts that every output's inferred shape and dtype equal ORT's.
 */
export async function runOps(
  inputs: Record<string, In>,
  body: (ops: OnnxOps, x: Record<string, OnnxValue>) => Record<string, OnnxValue>,
): Promise<Record<string, RawOutputTensor>> {
  const g = new GraphBuilder();
  const ops = new OnnxOps(g);
  const xs: Record<string, OnnxValue> = {};
  for (const [k, v] of Object.entries(inputs)) xs[k] = g.input(k, v.shape, v.dtype ?? dtypeOf(v.data));
  const outs = body(ops, xs);
  const declared: Record<string, OnnxValue> = {};
  for (const [k, v] of Object.entries(outs)) declared[k] = g.output(v, k);
  const s = await createSession(g.serialize(), { threads: 1 });
  try {
    const res = await runRaw(s, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { data: v.data, shape: v.shape, ...(v.dtype === 'bool' ? { dtype: 'bool' as const } : {}) }])));
    for (const [k, v] of Object.entries(declared)) {
      assert.deepEqual(res[k]!.shape, [...v.shape], `inferred shape of ${k}`);
      assert.equal(res[k]!.dtype === 'bool' ? 'bool' : res[k]!.dtype, v.dtype, `inferred dtype of ${k}`);
    }
    return res;
  } finally {
    await releaseSession(s);
  }
}

function dtypeOf(d: InputData): DType {
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof BigInt64Array) return 'int64';
  if (d instanceof Int32Array) return 'int32';
  return 'uint8';
}

export function f32(shape: number[], seed = 1): In {
  let n = 1;
  for (const d of shape) n *= d;
  let s = seed >>> 0;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 4 - 2;
  }
  return { data, shape };
}

export function i64(values: number[], shape: number[] = [values.length]): In {
  return { data: BigInt64Array.from(values, (v) => BigInt(v)), shape };
}

export function nums(d: RawOutputTensor['data'] | ArrayLike<number>): number[] {
  return Array.from(d as ArrayLike<number | bigint>, Number);
}

export function assertClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: element ${at} is ${Number(actual[at])}, expected ${expected[at]} (rel err ${worst})`);
}

/** erf to ~1e-12 (series / continued fraction), for the exact-GELU reference. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = 0;
    let term = ax;
    for (let n = 0; n < 200; n++) {
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17) break;
      term *= (-ax * ax) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for larger |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
