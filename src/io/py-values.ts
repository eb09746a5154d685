// The JS shape of unpickled Python values (what readCheckpoint returns and writeCheckpoint takes).
//
//   None → null            bool → boolean          str → string        bytes → Uint8Array
//   int → number, or bigint beyond ±2^53            float → number (write PyFloat to force a float)
//   list → array           tuple → frozen array (Object.isFrozen; make one with tuple(...))
//   dict → Map (insertion order = pickle order)     OrderedDict → OrderedDict (a Map)
//   collections.Counter → Counter (a Map of counts) set/frozenset → Set
//   torch tensor / Parameter → HostTensor (src/io/host-tensor.ts)
// The writer also accepts plain objects as dicts with string keys.
import type { HostTensor } from './host-tensor.js';

/** Dict keys (in practice str or int; Map compares tuples by identity). */
export type PyKey = PyValue;

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | HostTensor
  | PyValue[]
  | readonly PyValue[]
  | Map<PyKey, PyValue>
  | Set<PyValue>
  | PyGlobal
  | PyReduce
  | PyPersistent
  | { readonly [key: string]: PyValue };

/** `collections.OrderedDict`. `attributes` holds instance state set by BUILD (e.g. a state dict's `_metadata`). */
export class OrderedDict<K = PyKey, V = PyValue> extends Map<K, V> {
  attributes?: Map<PyKey, PyValue>;
}

/** `collections.Counter`: counts by key (the MultiStepLR scheduler keeps its milestones in one). */
export class Counter<K = PyKey> extends Map<K, number> {}

/** A Python float that must stay a float when written (a JS integer-valued number is written as int). */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** A reference to an allowed global (`module.name`), e.g. a storage class or a dtype. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Writer-only: `func(*args)` (GLOBAL func, args tuple, REDUCE). */
export class PyReduce {
  constructor(
    readonly func: PyGlobal,
    readonly args: readonly PyValue[],
  ) {}
}

/** Writer-only: a persistent reference (pid pickled, then BINPERSID), as torch uses for storages. */
export class PyPersistent {
  constructor(readonly pid: PyValue) {}
}

/** A Python tuple: a frozen array. */
export function tuple(...items: PyValue[]): readonly PyValue[] {
  return Object.freeze(items);
}

export function isTuple(v: unknown): v is readonly PyValue[] {
  return Array.isArray(v) && Object.isFrozen(v);
}
