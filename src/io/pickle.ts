// A safe unpickler, like `torch.load(weights_only=True)`: it knows the opcodes Python writes for
// plain containers (protocols 2-5) and calls only globals the caller allows; anything else is
// refused with an error naming it. Values come back in the shapes described in py-values.ts.
import { UserError } from '../errors.js';
import { Counter, OrderedDict, PyGlobal, type PyKey, type PyValue } from './py-values.js';

/** An allowed global: a callable (REDUCE / NEWOBJ) or, when null, only a marker value (storage classes, dtypes). */
export type GlobalImpl = ((args: readonly PyValue[]) => PyValue) | null;

export interface UnpickleOptions {
  /** File name for messages. */
  name?: string;
  /** Pickle's name inside the file, for messages (e.g. 'data.pkl'). */
  part?: string;
  /** Allowed globals by `module.name`, on top of BASE_GLOBALS. */
  globals?: Readonly<Record<string, GlobalImpl>>;
  /** BINPERSID handler; without one persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
}

const frozen = <T>(a: T[]): readonly T[] => Object.freeze(a);

/** Containers and builtins that are always safe. */
export const BASE_GLOBALS: Readonly<Record<string, GlobalImpl>> = {
  'collections.OrderedDict': (args) => {
    const d = new OrderedDict();
    const init = args[0];
    if (init instanceof Map) for (const [k, v] of init) d.set(k, v);
    else if (Array.isArray(init)) for (const kv of init) d.set((kv as PyValue[])[0] as PyKey, (kv as PyValue[])[1]!);
    return d;
  },
  'collections.Counter': (args) => {
    const c = new Counter();
    const init = args[0];
    if (init instanceof Map) for (const [k, v] of init) c.set(k, Number(v));
    else if (Array.isArray(init)) for (const k of init) c.set(k as PyKey, (c.get(k as PyKey) ?? 0) + 1);
    return c;
  },
  'builtins.set': (args) => new Set(Array.isArray(args[0]) ? (args[0] as PyValue[]) : []),
  'builtins.frozenset': (args) => new Set(Array.isArray(args[0]) ? (args[0] as PyValue[]) : []),
};

// Python 2 module names that Python 3 maps on load (pickle's fix_imports).
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

const OPNAMES: Record<number, string> = {};

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly fail: (msg: string) => never,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): number {
    const p = this.pos;
    if (p + n > this.bytes.length) this.fail(`truncated pickle (needs ${n} more bytes at offset ${p})`);
    this.pos = p + n;
    return p;
  }
  u8(): number {
    return this.bytes[this.need(1)]!;
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  u64(): number {
    const lo = this.u32();
    return lo + this.u32() * 2 ** 32;
  }
  f64be(): number {
    return this.view.getFloat64(this.need(8), false);
  }
  take(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }
  line(): string {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0) this.fail(`truncated pickle (unterminated line at offset ${start})`);
    this.pos = end + 1;
    return latin1(this.bytes.subarray(start, end));
  }
}

const utf8 = new TextDecoder('utf-8');
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Little-endian two's-complement integer (LONG1/LONG4) as number when safe, else bigint. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) x -= 1n << BigInt(8 * b.length);
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

/** Unpickle `bytes`. Throws UserError naming the file for bad data, unknown opcodes and forbidden globals. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): PyValue {
  const name = opts.name ?? 'pickle';
  const where = opts.part ? ` in ${opts.part}` : '';
  const fail = (msg: string): never => {
    throw new UserError(`${name}: ${msg}${where}`);
  };
  const allowed: Record<string, GlobalImpl> = { ...BASE_GLOBALS, ...opts.globals };
  const r = new Reader(bytes, fail);
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const impls = new WeakMap<PyGlobal, GlobalImpl>();

  const pop = (): PyValue => {
    if (stack.length === 0) fail(`corrupt pickle (stack underflow at offset ${r.pos - 1})`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail(`corrupt pickle (stack underflow at offset ${r.pos - 1})`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) fail(`corrupt pickle (no MARK before offset ${r.pos - 1})`);
    stack = prev!;
    return items;
  };
  const global = (module: string, gname: string): PyGlobal => {
    const mod = MODULE_ALIASES[module] ?? module;
    const full = `${mod}.${gname}`;
    if (!Object.prototype.hasOwnProperty.call(allowed, full)) fail(`forbidden global '${full}'`);
    const g = new PyGlobal(mod, gname);
    impls.set(g, allowed[full]!);
    return g;
  };
  const call = (func: PyValue, args: PyValue): PyValue => {
    const impl = func instanceof PyGlobal ? impls.get(func) : undefined;
    if (!impl) fail(`cannot call ${func instanceof PyGlobal ? `'${func.qualifiedName}'` : 'a non-global value'}`);
    if (!Array.isArray(args)) fail('corrupt pickle (call arguments are not a tuple)');
    return impl!(args as PyValue[]);
  };
  const setItem = (d: PyValue, k: PyValue, v: PyValue): void => {
    if (!(d instanceof Map)) fail('corrupt pickle (SETITEM on a non-dict)');
    (d as Map<PyValue, PyValue>).set(k, v);
  };
  const append = (l: PyValue, items: PyValue[]): void => {
    if (l instanceof Set) for (const x of items) l.add(x);
    else if (Array.isArray(l) && !Object.isFrozen(l)) (l as PyValue[]).push(...items);
    else fail('corrupt pickle (APPEND to a non-list)');
  };

  for (;;) {
    const at = r.pos;
    if (at >= bytes.length) fail('truncated pickle (no STOP opcode)');
    const op = r.u8();
    switch (op) {
      case 0x80: // PROTO
        r.u8();
        break;
      case 0x95: // FRAME (protocol 4): only a length hint
        r.u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(r.i32());
        break;
      case 0x4b: // BININT1
        stack.push(r.u8());
        break;
      case 0x4d: // BININT2
        stack.push(r.u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(r.take(r.u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = r.i32();
        if (n < 0) fail(`corrupt pickle (negative LONG4 length at offset ${at})`);
        stack.push(decodeLong(r.take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(r.f64be());
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(r.take(r.u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(r.take(r.u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(r.take(r.u64())));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        stack.push(latin1(r.take(r.u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(r.take(r.i32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(r.take(r.u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(r.take(r.u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(r.take(r.u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(frozen([]));
        break;
      case 0x74: {
        // TUPLE (popMark swaps `stack`, so take the items before touching it)
        const items = popMark();
        stack.push(frozen(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(frozen([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(frozen([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(frozen([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const x = pop();
        append(top(), [x]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map<PyValue, PyValue>();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
        stack.push(d as Map<PyKey, PyValue>);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail(`corrupt pickle (odd SETITEMS at offset ${at})`);
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('corrupt pickle (ADDITEMS on a non-set)');
        for (const x of items) (s as Set<PyValue>).add(x);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = r.line();
        stack.push(global(module, r.line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const gname = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof gname !== 'string') fail(`corrupt pickle (STACK_GLOBAL needs two strings at offset ${at})`);
        stack.push(global(module as string, gname as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const func = pop();
        stack.push(call(func, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); allowed only for the same callables
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: only instance state on an OrderedDict (a state dict's _metadata), as torch allows
        const state = pop();
        const inst = top();
        if (inst instanceof OrderedDict && state instanceof Map) inst.attributes = state;
        else if (inst instanceof OrderedDict && state === null) {
          /* nothing to set */
        } else fail(`unsupported BUILD at offset ${at} (only OrderedDict state is allowed)`);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail(`unexpected persistent id at offset ${at}`);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x71: // BINPUT
        memo.set(r.u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(r.u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const idx = op === 0x68 ? r.u8() : r.u32();
        if (!memo.has(idx)) fail(`corrupt pickle (memo entry ${idx} missing at offset ${at})`);
        stack.push(memo.get(idx)!);
        break;
      }
      default:
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}${OPNAMES[op] ? ` (${OPNAMES[op]})` : ''} at offset ${at}`);
    }
  }
}

// Opcodes we know by name but do not accept (text-protocol and object-building ones).
Object.assign(OPNAMES, {
  0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT', 0x53: 'STRING', 0x56: 'UNICODE', 0x70: 'PUT', 0x67: 'GET',
  0x69: 'INST', 0x6f: 'OBJ', 0x50: 'PERSID', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
});
