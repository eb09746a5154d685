// Chains of pure token movement as one Gather. Swin's window attention moves tokens around
// without touching their channels: pad → roll (Slice + Concat per axis) → window partition
// (Reshape, 6-D Transpose, Reshape) before qkv, and the reverse (Reshape, Transpose, roll back,
// crop) after proj, each step a full copy in ORT. Every value in such a chain is a fixed
// rearrangement of the source's tokens (or a zero token from the pad), so the whole chain is one
// Gather of the source's tokens along the token axis with a constant index, computed here by
// running the chain on token numbers. Bit-identical: only copies, in one step instead of several.
import type { NodeRec } from '../graph.js';
import type { OnnxOps, OnnxValue } from '../ops.js';
import { attrInt, attrInts, type GraphView } from './view.js';
import type { RewriteNote } from './index.js';

const MOVES = new Set(['Reshape', 'Transpose', 'Slice', 'Concat', 'Pad']);
const COPIES = new Set(['Transpose', 'Slice', 'Concat', 'Pad']);

/** A host tensor of token numbers (-1: a zero token), channels dropped (the last axis has size 1). */
interface Idx { shape: number[]; data: Int32Array }

const strides = (s: readonly number[]): number[] => {
  const out = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) out[i] = out[i + 1]! * s[i + 1]!;
  return out;
};

/** Element index of each output position of a strided view: out[p] = in[offset + Σ p_k·step_k]. */
function view(x: Idx, shape: number[], offset: number, steps: number[]): Idx {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Int32Array(n);
  const pos = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = offset;
    for (let k = 0; k < shape.length; k++) at += pos[k]! * steps[k]!;
    data[i] = x.data[at]!;
    for (let k = shape.length - 1; k >= 0 && ++pos[k]! === shape[k]; k--) pos[k] = 0;
  }
  return { shape, data };
}

/** One movement node on token numbers, or null when it touches the channel axis or is not simple. */
function step(v: GraphView, n: Readonly<NodeRec>, ins: Idx[]): Idx | null {
  const x = ins[0]!;
  const r = x.shape.length;
  const last = (a: number): boolean => (a < 0 ? a + r : a) === r - 1;
  switch (n.op) {
    case 'Reshape': {
      const s = v.ints(n.inputs[1]!);
      const out = v.shape(n.outputs[0]!);
      if (!s || !out || s.some((d) => d <= 0)) return null;
      return { shape: [...s.slice(0, -1), 1], data: x.data };
    }
    case 'Transpose': {
      const p = attrInts(n, 'perm');
      if (!p || p[r - 1] !== r - 1) return null;
      const st = strides(x.shape);
      return view(x, p.map((k) => x.shape[k]!), 0, p.map((k) => st[k]!));
    }
    case 'Slice': {
      const [s, e, a, t] = [1, 2, 3, 4].map((i) => (n.inputs[i] ? v.ints(n.inputs[i]!) : undefined));
      if (!s || !e || !a || a.length !== 1 || s.length !== 1 || last(a[0]!) || (t && t[0] !== 1)) return null;
      const axis = a[0]! < 0 ? a[0]! + r : a[0]!;
      const len = x.shape[axis]!;
      const b0 = Math.min(Math.max(s[0]! < 0 ? s[0]! + len : s[0]!, 0), len);
      const b1 = Math.min(Math.max(e[0]! < 0 ? e[0]! + len : e[0]!, 0), len);
      const st = strides(x.shape);
      return view(x, x.shape.map((d, k) => (k === axis ? Math.max(b1 - b0, 0) : d)), b0 * st[axis]!, st);
    }
    case 'Concat': {
      const axis = attrInt(n, 'axis', 0);
      if (last(axis)) return null;
      const ax = axis < 0 ? axis + r : axis;
      const shape = x.shape.map((d, k) => (k === ax ? ins.reduce((acc, t) => acc + t.shape[ax]!, 0) : d));
      const outer = shape.slice(0, ax).reduce((p, q) => p * q, 1);
      const data = new Int32Array(shape.reduce((p, q) => p * q, 1));
      let o = 0;
      for (let i = 0; i < outer; i++) {
        for (const t of ins) {
          const block = t.data.length / outer;
          data.set(t.data.subarray(i * block, (i + 1) * block), o);
          o += block;
        }
      }
      return { shape, data };
    }
    case 'Pad': {
      const pads = v.ints(n.inputs[1]!);
      const value = n.inputs[2] ? v.graph.initializerOf(n.inputs[2]) : undefined;
      if (!pads || pads.length !== 2 * r || pads.some((p) => p < 0) || pads[r - 1] !== 0 || pads[2 * r - 1] !== 0) return null;
      if (n.inputs[3] || (value && Number(value.data[0]) !== 0) || (n.attrs.length && n.attrs.some((a) => a.name === 'mode' && a.s && new TextDecoder().decode(a.s) !== 'constant'))) return null;
      const shape = x.shape.map((d, k) => d + pads[k]! + pads[k + r]!);
      const out: Idx = { shape, data: new Int32Array(shape.reduce((p, q) => p * q, 1)).fill(-1) };
      const so = strides(shape);
      const si = strides(x.shape);
      for (let i = 0; i < x.data.length; i++) {
        let at = 0;
        for (let k = 0; k < r; k++) at += (Math.floor(i / si[k]!) % x.shape[k]! + pads[k]!) * so[k]!;
        out.data[at] = x.data[i]!;
      }
      return out;
    }
  }
  return null;
}

/**
 * The movement sub-graph ending at `end`: its nodes in graph order and its one non-constant
 * source, or null when a leaf is anything else.
 */
function chainTo(v: GraphView, end: string): { nodes: Readonly<NodeRec>[]; source: string } | null {
  const seen = new Set<Readonly<NodeRec>>();
  let source: string | null = null;
  const c = v.shape(end)?.at(-1);
  const walk = (name: string): boolean => {
    const n = v.producer(name);
    if (n && MOVES.has(n.op) && v.shape(n.inputs[0]!)?.at(-1) === c && !v.isConstant(name)) {
      if (seen.has(n)) return true;
      seen.add(n);
      return (n.op === 'Concat' ? n.inputs : [n.inputs[0]!]).every(walk);
    }
    if (source !== null && source !== name) return false;
    source = name;
    return true;
  };
  if (!walk(end) || source === null) return null;
  const order = v.graph.nodeList.filter((n) => seen.has(n));
  return { nodes: order, source };
}

export function tokenGather(v: GraphView, ops: OnnxOps, notes: RewriteNote[]): void {
  const g = v.graph;
  let count = 0, removed = 0;
  const batch = g.inputList[0]?.shape[0] ?? 1;
  if (batch < 1) return;
  // Chain ends: movement outputs that no movement node reads.
  const ends = g.nodeList.filter((n) => MOVES.has(n.op) && !v.readersOf(n.outputs[0]!).some((r) => MOVES.has(r.op)));
  for (const endNode of ends) {
    const end = endNode.outputs[0]!;
    const chain = chainTo(v, end);
    if (!chain || chain.nodes.filter((n) => COPIES.has(n.op)).length < 2) continue;
    // Only chains whose copies all go away (Swin's qkv split shares its Transpose between q, k, v).
    const inChain = new Set(chain.nodes);
    if (chain.nodes.some((n) => n !== endNode && (v.isGraphOutput(n.outputs[0]!) || v.readersOf(n.outputs[0]!).some((r) => !inChain.has(r))))) continue;
    const xs = v.shape(chain.source);
    const zs = v.shape(end);
    if (!xs || !zs || xs.length < 2 || v.dtype(chain.source) !== 'float32') continue;
    const c = xs.at(-1)!;
    // The batch is outermost in every value here, but may be merged with other dims ([B·nW·N, C]).
    const b = batch;
    const all = xs.slice(0, -1).reduce((p, q) => p * q, 1);
    if (all % b !== 0) continue;
    const tokens = all / b; // per batch element
    const vals = new Map<string, Idx>();
    const src: Idx = { shape: [...xs.slice(0, -1), 1], data: Int32Array.from({ length: all }, (_, i) => i) };
    vals.set(chain.source, src);
    let ok = true;
    for (const n of chain.nodes) {
      const ins = (n.op === 'Concat' ? n.inputs : [n.inputs[0]!]).map((i) => vals.get(i)!);
      const out = ins.every(Boolean) ? step(v, n, ins) : null;
      if (!out) { ok = false; break; }
      vals.set(n.outputs[0]!, out);
    }
    const z = vals.get(end);
    const total = zs.slice(0, -1).reduce((p, q) => p * q, 1);
    if (!ok || !z || z.data.length !== total || total % b !== 0) continue;
    // Batch element k must read only its own tokens, in the same pattern: index = idx0 + k·tokens.
    const per = total / b;
    const idx0 = z.data.subarray(0, per);
    let regular = true;
    for (let k = 1; k < b && regular; k++) {
      for (let i = 0; i < per; i++) {
        const want = idx0[i]! < 0 ? -1 : idx0[i]! + k * tokens;
        if (z.data[k * per + i] !== want) { regular = false; break; }
      }
    }
    if (!regular || idx0.some((t) => t >= tokens)) continue;
    const padded = idx0.some((t) => t < 0);
    let x = ops.reshape(g.valueOf(chain.source)!, [b, tokens, c]);
    if (padded) x = ops.pad(x, [0, 0, 0, 1]); // token number `tokens` is a zero token
    const index = g.initializer(BigInt64Array.from(idx0, (t) => BigInt(t < 0 ? tokens : t)), [per], 'int64');
    const y = ops.reshape(ops.indexSelect(x, 1, index), [...zs]);
    g.replaceUses(end, y.name);
    count++;
    removed += chain.nodes.filter((n) => COPIES.has(n.op)).length - (padded ? 2 : 1);
  }
  if (count > 0) notes.push({ rewrite: 'token-gather', detail: `${count} token-movement chains → one Gather each (${removed} fewer copies)`, macsBefore: 0, macsAfter: 0 });
}
