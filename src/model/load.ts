// Strict state-dict binding (like `load_state_dict(strict=True)`): the checkpoint must hold
// exactly the model's keys with the declared shapes; otherwise one UserError lists what is
// missing, unexpected or mis-shaped. Also random weights from the declared initialisers.
import { isFloat } from '../engine/dtype.js';
import { UserError } from '../errors.js';
import { hostTensor, toFloat32, type HostTensor, type StateDict } from '../io/host-tensor.js';
import { Rng } from './init.js';
import type { Module } from './module.js';

const SHOW = 5;

function listing(title: string, items: string[]): string {
  if (items.length === 0) return '';
  const more = items.length > SHOW ? `, … (${items.length - SHOW} more)` : '';
  return `\n  ${title} (${items.length}): ${items.slice(0, SHOW).join(', ')}${more}`;
}

/**
 * The model's state dict taken from `sd`, in declaration order, floats as float32.
 * `source` names the checkpoint file in messages; `what` names the model.
 */
export function bindStateDict(model: Module, sd: StateDict, source: string, what = 'the model'): StateDict {
  const decls = new Map(model.declarations());
  const missing: string[] = [];
  const mismatched: string[] = [];
  const out: StateDict = new Map();
  for (const [key, d] of decls) {
    const t = sd.get(key);
    if (!t) { missing.push(key); continue; }
    const same = t.shape.length === d.shape.length && t.shape.every((n, i) => n === d.shape[i]);
    const kindOk = isFloat(t.dtype) === isFloat(d.dtype);
    if (!same || !kindOk) {
      mismatched.push(`${key} [${t.shape.join(',')}] ${t.dtype} vs expected [${d.shape.join(',')}] ${d.dtype}`);
      continue;
    }
    out.set(key, fitDType(t, d.dtype));
  }
  const unexpected = [...sd.keys()].filter((k) => !decls.has(k));
  if (missing.length || unexpected.length || mismatched.length) {
    throw new UserError(
      `${source}: checkpoint does not fit ${what} (${sd.size} entries, model expects ${decls.size})` +
      listing('missing keys', missing) + listing('unexpected keys', unexpected) + listing('shape mismatches', mismatched),
    );
  }
  return out;
}

function fitDType(t: HostTensor, dtype: string): HostTensor {
  if (t.dtype === dtype) return t;
  if (dtype === 'float32') return hostTensor('float32', t.shape, toFloat32(t));
  if (dtype === 'int64' && !(t.data instanceof BigInt64Array)) {
    return hostTensor('int64', t.shape, BigInt64Array.from(Array.from(t.data as ArrayLike<number>, (v) => BigInt(Math.trunc(v)))));
  }
  return t;
}

/** Every declared tensor drawn from its initialiser (torchvision's schemes), deterministically. */
export function randomStateDict(model: Module, seed = 0): StateDict {
  const rng = new Rng(seed);
  const out: StateDict = new Map();
  for (const [key, d] of model.declarations()) out.set(key, hostTensor(d.dtype, d.shape, d.init(d.shape, rng, d.dtype)));
  return out;
}
