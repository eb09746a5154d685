// Shared pieces of the fuzz and chaos tests: a seeded PRNG, a walker over the pickle opcodes
// torch writes, and a tally that the tests print as one JSON line (docs/reliability.md quotes it).

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(xs: readonly T[]) => T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]! };
}

export interface Op { pos: number; code: number; argStart: number; argLen: number }

/** Opcode → fixed argument length, or a function of the bytes after it (protocols 2–4). */
const ARGS: Record<number, number | ((b: Uint8Array, p: number) => number)> = {
  0x80: 1, 0x7d: 0, 0x71: 1, 0x72: 4, 0x28: 0, 0x74: 0, 0x85: 0, 0x86: 0, 0x87: 0, 0x29: 0, 0x88: 0, 0x89: 0,
  0x52: 0, 0x75: 0, 0x73: 0, 0x68: 1, 0x6a: 4, 0x5d: 0, 0x65: 0, 0x61: 0, 0x47: 8, 0x4e: 0, 0x2e: 0, 0x62: 0,
  0x81: 0, 0x51: 0, 0x94: 0, 0x95: 8, 0x4b: 1, 0x4d: 2, 0x4a: 4,
  0x58: (b, p) => 4 + u32(b, p), 0x42: (b, p) => 4 + u32(b, p), 0x8c: (b, p) => 1 + b[p]!, 0x43: (b, p) => 1 + b[p]!,
  0x8a: (b, p) => 1 + b[p]!,
  // GLOBAL: two newline-terminated lines.
  0x63: (b, p) => { const a = b.indexOf(0x0a, p); return b.indexOf(0x0a, a + 1) + 1 - p; },
};

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** The opcodes of a pickle, in order (stops at STOP or an opcode it does not know). */
export function pickleOps(b: Uint8Array): Op[] {
  const ops: Op[] = [];
  let p = 0;
  while (p < b.length) {
    const code = b[p]!;
    const a = ARGS[code];
    if (a === undefined) break;
    const argLen = typeof a === 'number' ? a : a(b, p + 1);
    ops.push({ pos: p, code, argStart: p + 1, argLen });
    p += 1 + argLen;
    if (code === 0x2e) break;
  }
  return ops;
}

/** Opcode bytes torch's pickles use: a mutation swaps one for another to reach deep parser paths. */
export const OPCODES = Object.keys(ARGS).map(Number);

/** Counts of outcomes per case kind, printed as one line for docs/reliability.md. */
export class Tally {
  private readonly rows = new Map<string, Map<string, number>>();
  add(kind: string, outcome: string): void {
    const r = this.rows.get(kind) ?? new Map<string, number>();
    r.set(outcome, (r.get(outcome) ?? 0) + 1);
    this.rows.set(kind, r);
  }
  count(kind: string, outcome?: string): number {
    const r = this.rows.get(kind);
    if (!r) return 0;
    if (outcome) return r.get(outcome) ?? 0;
    let n = 0;
    for (const v of r.values()) n += v;
    return n;
  }
  print(label: string): void {
    const o: Record<string, Record<string, number>> = {};
    for (const [k, r] of this.rows) o[k] = Object.fromEntries(r);
    console.log(`${label}: ${JSON.stringify(o)}`);
  }
}
