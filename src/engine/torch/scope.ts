// Deterministic freeing: tidy() scopes free every tensor created inside them except what they
// return; noGrad()/inferenceMode() scopes switch autograd off. All scopes are synchronous:
// an async callback would outlive its scope, so a returned promise is an error.
import { native } from './native.js';

/** Anything a scope can free (TorchTensor). */
export interface Disposable {
  dispose(): void;
}

const scopes: Set<Disposable>[] = [];

/** Called by every new tensor: it belongs to the innermost open tidy scope (if any). */
export function track(t: Disposable): void {
  scopes[scopes.length - 1]?.add(t);
}

function isThenable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Every Disposable reachable from v through arrays, Maps, Sets and plain/own object fields. */
function collect(v: unknown, isTensor: (x: unknown) => x is Disposable, out: Set<Disposable>, seen = new Set<unknown>()): void {
  if (typeof v !== 'object' || v === null || seen.has(v)) return;
  seen.add(v);
  if (isTensor(v)) {
    out.add(v);
    return;
  }
  if (ArrayBuffer.isView(v)) return;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      collect(k, isTensor, out, seen);
      collect(x, isTensor, out, seen);
    }
    return;
  }
  if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) collect(x, isTensor, out, seen);
    return;
  }
  for (const x of Object.values(v)) collect(x, isTensor, out, seen);
}

let tensorTest: (x: unknown) => x is Disposable = (x): x is Disposable => false;
/** tensor.ts registers how to recognise a tensor (avoids an import cycle). */
export function setTensorTest(f: (x: unknown) => x is Disposable): void {
  tensorTest = f;
}

/**
 * Runs fn and frees every tensor created inside it, except the tensors in its result (found in
 * arrays, Maps, Sets and object fields), which move to the enclosing scope. Nests. If fn throws,
 * everything created inside is freed.
 */
export function tidy<R>(fn: () => R): R {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  scopes.pop();
  if (isThenable(result)) {
    for (const t of scope) t.dispose();
    throw new Error('tidy() needs a synchronous function (it returned a promise)');
  }
  const kept = new Set<Disposable>();
  collect(result, tensorTest, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Exempts the tensors in v from every open tidy scope (they live until disposed or collected). */
export function keep<V>(v: V): V {
  const found = new Set<Disposable>();
  collect(v, tensorTest, found);
  for (const s of scopes) for (const t of found) s.delete(t);
  return v;
}

function restoring<R>(fn: () => R, restore: () => void, what: string): R {
  let result: R;
  try {
    result = fn();
  } finally {
    restore();
  }
  if (isThenable(result)) throw new Error(`${what}() needs a synchronous function (it returned a promise)`);
  return result;
}

/** Runs fn with autograd recording off (torch.no_grad()). */
export function noGrad<R>(fn: () => R): R {
  const n = native();
  const prev = n.setGradEnabled(false);
  return restoring(fn, () => n.setGradEnabled(prev), 'noGrad');
}

/** Runs fn with autograd recording on (torch.enable_grad()), e.g. inside a noGrad scope. */
export function enableGrad<R>(fn: () => R): R {
  const n = native();
  const prev = n.setGradEnabled(true);
  return restoring(fn, () => n.setGradEnabled(prev), 'enableGrad');
}

/**
 * Runs fn in torch.inference_mode(): faster than noGrad, but tensors made inside can never
 * take part in autograd later (use for evaluation / parsing only).
 */
export function inferenceMode<R>(fn: () => R): R {
  const n = native();
  n.inferenceModeEnter();
  return restoring(fn, () => n.inferenceModeExit(), 'inferenceMode');
}

export function isGradEnabled(): boolean {
  return native().isGradEnabled();
}
