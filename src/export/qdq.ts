// int8 QDQ graphs from a float32 ONNX model (the rewritten graph the builder emits): the heavy
// linear nodes — Conv with group 1 and Gemm, weights constant — get
//   activation: QuantizeLinear(uint8, per tensor, calibrated range) → DequantizeLinear
//   weight:     int8 per output channel, symmetric, → DequantizeLinear (axis 0)
//   bias:       int32 at scale s_x·s_w[o] → DequantizeLinear
//   Conv output: Q → DQ as well (ORT fuses DQ→Conv→Q into QLinearConv; Gemm without an output
//   Q becomes QGemm with a float output).
// Everything else (norms, softmax, attention products, resizes) stays float32, as do the nodes
// whose weights fall under `keepFloat` (the precision search in int8-calibrate.ts picks them).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;
const T = onnx.TensorProto.DataType;

/** A node int8 can take over: its activation input, weight and bias initializer names. */
export interface Target {
  node: Node;
  index: number;
  activation: string;
  weight: string;
  bias: string | null;
  /** Conv needs its output quantized too (QLinearConv has an int8 output). */
  quantizeOutput: boolean;
}

export interface Range { min: number; max: number }

const attrI = (n: Node, name: string, d: number): number => {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? d : Number(a.i);
};

function floatData(t: Tensor): Float32Array | null {
  if (t.dataType !== T.FLOAT) return null;
  if (t.rawData && t.rawData.length) {
    const b = t.rawData;
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  return t.floatData?.length ? Float32Array.from(t.floatData) : null;
}

export function decodeModel(bytes: Uint8Array): Model {
  return onnx.ModelProto.decode(bytes);
}

/** The Conv (group 1) and Gemm (transB=1) nodes with constant float weights, in graph order. */
export function quantizableNodes(m: Model): Target[] {
  const inits = new Map((m.graph!.initializer ?? []).map((t) => [t.name!, t]));
  const out: Target[] = [];
  (m.graph!.node ?? []).forEach((n, index) => {
    const [x, w, b] = n.input ?? [];
    const wt = w ? inits.get(w) : undefined;
    if (!x || !wt || wt.dataType !== T.FLOAT || inits.has(x)) return;
    const bias = b && inits.get(b)?.dataType === T.FLOAT ? b : null;
    if (b && !bias) return;
    if (n.opType === 'Conv' && attrI(n, 'group', 1) === 1) out.push({ node: n, index, activation: x, weight: w!, bias, quantizeOutput: true });
    if (n.opType === 'Gemm' && attrI(n, 'transB', 0) === 1 && attrI(n, 'transA', 0) === 0 && !n.attribute?.some((a) => a.name === 'alpha' || a.name === 'beta')) {
      out.push({ node: n, index, activation: x, weight: w!, bias, quantizeOutput: false });
    }
  });
  return out;
}

/** The tensors whose ranges calibration must observe for `targets`. */
export function calibrationTensors(targets: readonly Target[]): string[] {
  const s = new Set<string>();
  for (const t of targets) {
    s.add(t.activation);
    if (t.quantizeOutput) s.add(t.node.output![0]!);
  }
  return [...s];
}

/** The model with extra float outputs (for calibration runs). */
export function withOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const m = decodeModel(bytes);
  const have = new Set((m.graph!.output ?? []).map((o) => o.name));
  for (const name of names) {
    if (!have.has(name)) m.graph!.output!.push({ name, type: { tensorType: { elemType: T.FLOAT } } });
  }
  return onnx.ModelProto.encode(m).finish();
}

/** uint8 asymmetric parameters covering [min, max] ∪ {0}. */
function activationParams(r: Range): { scale: number; zero: number } {
  const lo = Math.min(0, r.min), hi = Math.max(0, r.max);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  return { scale: Math.fround(scale), zero: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

const f32 = (name: string, values: ArrayLike<number>, dims: number[]): Tensor =>
  ({ name, dataType: T.FLOAT, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });

/**
 * The QDQ model: `targets` (minus those kept float) quantized with the calibrated `ranges`.
 * Weights stay in the file once, as int8 (the float copies are dropped when nothing else reads them).
 */
export function quantizeModel(bytes: Uint8Array, ranges: ReadonlyMap<string, Range>, keepFloat: (weight: string) => boolean = () => false): Uint8Array {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const targets = quantizableNodes(m).filter((t) => !keepFloat(t.weight) && ranges.has(t.activation) && (!t.quantizeOutput || ranges.has(t.node.output![0]!)));
  const before = new Map<number, Node[]>();
  const after = new Map<number, Node[]>();
  const added: Tensor[] = [];
  const qdqOf = new Map<string, string>();
  let k = 0;
  const fresh = (stem: string): string => `qdq.${stem}.${k++}`;

  /** Q→DQ of an activation, shared by every quantized reader; returns the DQ output. */
  const qdq = (name: string, at: number, into: Map<number, Node[]>): string => {
    const hit = qdqOf.get(name);
    if (hit) return hit;
    const { scale, zero } = activationParams(ranges.get(name)!);
    const s = fresh('scale'), z = fresh('zero'), q = fresh('q'), dq = fresh('dq');
    added.push(f32(s, [scale], []), { name: z, dataType: T.UINT8, dims: [], rawData: Uint8Array.of(zero) });
    const list = into.get(at) ?? [];
    list.push({ opType: 'QuantizeLinear', input: [name, s, z], output: [q] }, { opType: 'DequantizeLinear', input: [q, s, z], output: [dq] });
    into.set(at, list);
    qdqOf.set(name, dq);
    return dq;
  };

  const weightUse = new Map<string, number>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) weightUse.set(i, (weightUse.get(i) ?? 0) + 1);

  for (const t of targets) {
    const wt = inits.get(t.weight)!;
    const w = floatData(wt)!;
    const dims = wt.dims!.map(Number);
    const o = dims[0]!, per = w.length / o;
    const ws = new Float32Array(o);
    const wq = new Int8Array(w.length);
    for (let r = 0; r < o; r++) {
      let mx = 0;
      for (let i = 0; i < per; i++) mx = Math.max(mx, Math.abs(w[r * per + i]!));
      const s = Math.fround(mx > 0 ? mx / 127 : 1);
      ws[r] = s;
      for (let i = 0; i < per; i++) wq[r * per + i] = Math.max(-127, Math.min(127, Math.round(w[r * per + i]! / s)));
    }
    const x = qdq(t.activation, t.index, before);
    const wn = fresh('w'), wsn = fresh('wscale'), wzn = fresh('wzero'), wdq = fresh('wdq');
    added.push({ name: wn, dataType: T.INT8, dims, rawData: new Uint8Array(wq.buffer) }, f32(wsn, ws, [o]),
      { name: wzn, dataType: T.INT8, dims: [o], rawData: new Uint8Array(o) });
    const pre = before.get(t.index) ?? [];
    pre.push({ opType: 'DequantizeLinear', input: [wn, wsn, wzn], output: [wdq], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
    let bdq: string | null = null;
    if (t.bias) {
      const b = floatData(inits.get(t.bias)!)!;
      const sx = activationParams(ranges.get(t.activation)!).scale;
      const bs = Float32Array.from(ws, (s) => s * sx);
      const bq = Int32Array.from(b, (v, i) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / bs[i]!))));
      const bn = fresh('b'), bsn = fresh('bscale'), bzn = fresh('bzero');
      bdq = fresh('bdq');
      added.push({ name: bn, dataType: T.INT32, dims: [o], rawData: new Uint8Array(bq.buffer) }, f32(bsn, bs, [o]),
        { name: bzn, dataType: T.INT32, dims: [o], rawData: new Uint8Array(4 * o) });
      pre.push({ opType: 'DequantizeLinear', input: [bn, bsn, bzn], output: [bdq], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
    }
    before.set(t.index, pre);
    t.node.input = [x, wdq, ...(bdq ? [bdq] : [])];
    if (t.quantizeOutput) {
      // Conv → Q → DQ → (old readers): rename the Conv's output, the DQ takes the old name.
      const out = t.node.output![0]!;
      const raw = fresh('conv');
      t.node.output = [raw];
      const { scale, zero } = activationParams(ranges.get(out)!);
      const s = fresh('scale'), z = fresh('zero'), q = fresh('q');
      added.push(f32(s, [scale], []), { name: z, dataType: T.UINT8, dims: [], rawData: Uint8Array.of(zero) });
      after.set(t.index, [{ opType: 'QuantizeLinear', input: [raw, s, z], output: [q] }, { opType: 'DequantizeLinear', input: [q, s, z], output: [out] }]);
      qdqOf.set(out, out); // a quantized reader of this output takes the DQ as it is
    }
  }
  const nodes: Node[] = [];
  (g.node ?? []).forEach((n, i) => nodes.push(...(before.get(i) ?? []), n, ...(after.get(i) ?? [])));
  g.node = nodes;
  // Float weights nobody reads any more are dropped (the int8 copies replace them).
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []).filter((t) => read.has(t.name!)), ...added];
  return onnx.ModelProto.encode(m).finish();
}

/** The model with metadata entries set (added or replaced). */
export function setMetadata(bytes: Uint8Array, entries: Record<string, string>): Uint8Array {
  const m = decodeModel(bytes);
  const props = (m.metadataProps ?? []).filter((p) => !(p.key! in entries));
  m.metadataProps = [...props, ...Object.entries(entries).map(([key, value]) => ({ key, value }))];
  return onnx.ModelProto.encode(m).finish();
}
