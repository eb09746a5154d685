// Protocol-2 pickle writer for the value model of py-values.ts, emitting the same opcodes Python's
// pickler does for these types, so both Python's and torch's weights-only unpicklers read it.
import { Counter, OrderedDict, PyFloat, PyGlobal, PyPersistent, PyReduce, isTuple, type PyValue } from './py-values.js';

export interface PickleOptions {
  /** Rewrites a value before it is written (e.g. a tensor into a PyReduce); return undefined to keep it. */
  replace?: (v: PyValue) => PyValue | undefined;
}

class ByteSink {
  buf = new Uint8Array(1 << 16);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  op(code: number): void {
    this.ensure(1);
    this.buf[this.len++] = code;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u8(x: number): void {
    this.op(x & 0xff);
  }
  u16(x: number): void {
    this.u8(x);
    this.u8(x >>> 8);
  }
  u32(x: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, x >>> 0, true);
    this.len += 4;
  }
  f64be(x: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, x, false);
    this.len += 8;
  }
}

const enc = new TextEncoder();

function encodeLong(x: bigint): Uint8Array {
  if (x === 0n) return new Uint8Array(0);
  const out: number[] = [];
  let v = x;
  for (;;) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
    const sign = out[out.length - 1]! & 0x80;
    if ((v === 0n && !sign) || (v === -1n && sign)) break;
  }
  return Uint8Array.from(out);
}

/** Pickle `value` (protocol 2). Throws on values with no Python counterpart (functions, cycles). */
export function pickle(value: PyValue, opts: PickleOptions = {}): Uint8Array {
  const s = new ByteSink();
  const active = new Set<object>();
  const str = (x: string): void => {
    const b = enc.encode(x);
    s.op(0x58); // BINUNICODE
    s.u32(b.length);
    s.bytes(b);
  };
  const int = (x: number | bigint): void => {
    if (typeof x === 'number' && x >= 0 && x < 256) (s.op(0x4b), s.u8(x)); // BININT1
    else if (typeof x === 'number' && x >= 0 && x < 65536) (s.op(0x4d), s.u16(x)); // BININT2
    else if (typeof x === 'number' && x >= -(2 ** 31) && x < 2 ** 31) (s.op(0x4a), s.u32(x)); // BININT
    else {
      const b = encodeLong(BigInt(x));
      s.op(0x8a); // LONG1
      s.u8(b.length);
      s.bytes(b);
    }
  };
  const global = (g: PyGlobal): void => {
    s.op(0x63);
    s.bytes(enc.encode(`${g.module}\n${g.name}\n`));
  };
  const items = (kv: Iterable<[PyValue, PyValue]>): void => {
    // Batches of 1000 as Python does: MARK k v ... SETITEMS
    let n = 0;
    for (const [k, v] of kv) {
      if (n === 0) s.op(0x28);
      write(k);
      write(v);
      if (++n === 1000) (s.op(0x75), (n = 0));
    }
    if (n) s.op(0x75);
  };
  const tupleOf = (xs: readonly PyValue[]): void => {
    if (xs.length === 0) return s.op(0x29);
    if (xs.length <= 3) {
      for (const x of xs) write(x);
      return s.op([0x85, 0x86, 0x87][xs.length - 1]!);
    }
    s.op(0x28);
    for (const x of xs) write(x);
    s.op(0x74);
  };

  const write = (v0: PyValue): void => {
    const v = opts.replace?.(v0) ?? v0;
    if (v === null || v === undefined) return s.op(0x4e);
    if (v === true) return s.op(0x88);
    if (v === false) return s.op(0x89);
    if (typeof v === 'bigint') return int(v);
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return int(v);
      s.op(0x47); // BINFLOAT
      return s.f64be(v);
    }
    if (typeof v === 'string') return str(v);
    if (v instanceof PyFloat) return (s.op(0x47), s.f64be(v.value));
    if (v instanceof PyGlobal) return global(v);
    if (v instanceof Uint8Array) {
      s.op(0x42); // BINBYTES (Python 3 reads it in any protocol)
      s.u32(v.length);
      return s.bytes(v);
    }
    if (typeof v !== 'object') throw new Error(`cannot pickle a value of type ${typeof v}`);
    if (active.has(v)) throw new Error('cannot pickle a value that contains itself');
    active.add(v);
    try {
      if (v instanceof PyPersistent) {
        write(v.pid);
        s.op(0x51); // BINPERSID
      } else if (v instanceof PyReduce) {
        global(v.func);
        tupleOf(v.args);
        s.op(0x52);
      } else if (isTuple(v)) {
        tupleOf(v);
      } else if (Array.isArray(v)) {
        s.op(0x5d); // EMPTY_LIST, then MARK ... APPENDS in batches of 1000
        for (let i = 0; i < v.length; i += 1000) {
          s.op(0x28);
          for (const x of v.slice(i, i + 1000)) write(x);
          s.op(0x65);
        }
      } else if (v instanceof Counter) {
        global(new PyGlobal('collections', 'Counter'));
        s.op(0x7d);
        items(v as Map<PyValue, PyValue>);
        s.op(0x85);
        s.op(0x52);
      } else if (v instanceof OrderedDict) {
        global(new PyGlobal('collections', 'OrderedDict'));
        s.op(0x29);
        s.op(0x52);
        items(v as Map<PyValue, PyValue>);
        if (v.attributes && v.attributes.size) {
          s.op(0x7d);
          items(v.attributes as Map<PyValue, PyValue>);
          s.op(0x62); // BUILD
        }
      } else if (v instanceof Map) {
        s.op(0x7d);
        items(v as Map<PyValue, PyValue>);
      } else if (v instanceof Set) {
        global(new PyGlobal('builtins', 'set'));
        s.op(0x5d);
        if (v.size) {
          s.op(0x28);
          for (const x of v) write(x);
          s.op(0x65);
        }
        s.op(0x85);
        s.op(0x52);
      } else if (ArrayBuffer.isView(v)) {
        throw new Error('cannot pickle a typed array directly (wrap it in a HostTensor)');
      } else {
        s.op(0x7d);
        items(Object.entries(v as Record<string, PyValue>));
      }
    } finally {
      active.delete(v);
    }
  };

  s.op(0x80);
  s.u8(2);
  write(value);
  s.op(0x2e);
  return s.buf.slice(0, s.len);
}
