// The ONNX graph builder: records inputs, initializers, nodes and outputs and serialises them with
// onnx's own protobuf schema (npm `onnx-proto`). No fs here, so it also runs in a browser.
import onnxProto from 'onnx-proto';
import type { DType, TensorLike } from '../ops.js';

const { onnx } = onnxProto;
type Attr = onnxProto.onnx.IAttributeProto;

/** Opset 20: LayerNormalization (17), ReduceMean with an axes input (18), Gelu (20). */
export const OPSET = 20;
/** IR version 9 is the first that carries opset 20. */
export const IR_VERSION = 9;

/** A symbolic tensor: a value name in the graph plus its statically inferred shape and dtype. */
export interface OnnxValue extends TensorLike {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type ConstData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

const ELEM_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  bfloat16: onnx.TensorProto.DataType.BFLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

export function elemType(dtype: DType): number {
  return ELEM_TYPE[dtype];
}

export { dtypeSize as bytesPerElement } from '../dtype.js';

/** Checks that host data is held in dtype's typed array (float16/bfloat16 as raw 16-bit words). */
export function checkDataFits(data: ConstData, dtype: DType): void {
  const ok =
    (dtype === 'float32' && data instanceof Float32Array) ||
    (dtype === 'float64' && data instanceof Float64Array) ||
    (dtype === 'int64' && data instanceof BigInt64Array) ||
    (dtype === 'int32' && data instanceof Int32Array) ||
    ((dtype === 'uint8' || dtype === 'bool') && data instanceof Uint8Array) ||
    ((dtype === 'float16' || dtype === 'bfloat16') && data instanceof Uint16Array);
  if (!ok) throw new Error(`constant of dtype ${dtype} cannot hold a ${data.constructor.name}`);
}

export interface Initializer {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: ConstData;
}

export interface NodeRec {
  readonly op: string;
  inputs: string[];
  readonly outputs: readonly string[];
  readonly attrs: Attr[];
  readonly domain?: string;
}

/** Attribute value types the builder understands; arrays of numbers become INTS unless floats(). */
export type AttrValue = number | string | readonly number[] | { floats: readonly number[] } | { float: number };

function attr(name: string, v: AttrValue): Attr {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { name, type: T.FLOAT, f: v };
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: [...(v as number[])] };
  if ('floats' in v) return { name, type: T.FLOATS, floats: [...v.floats] };
  return { name, type: T.FLOAT, f: (v as { float: number }).float };
}

/** A small-constant key for deduplication: dtype, shape and the bytes themselves. */
function contentKey(dtype: DType, shape: readonly number[], data: ConstData): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  return `${dtype}|${shape.join(',')}|${hex}`;
}

/** Constants up to this size are deduplicated by content; larger ones by array identity. */
const DEDUPE_BYTES = 1 << 12;

export class GraphBuilder {
  private readonly inputs: OnnxValue[] = [];
  private readonly outputs: OnnxValue[] = [];
  private readonly inits = new Map<string, Initializer>();
  private readonly nodes: NodeRec[] = [];
  /** Symbolic dims of graph inputs/outputs: value name → (axis → dim_param). */
  private readonly dimParams = new Map<string, Map<number, string>>();
  private readonly byContent = new Map<string, OnnxValue>();
  private readonly byArray = new WeakMap<object, Map<string, OnnxValue>>();
  private readonly used = new Set<string>();
  /** Shape and dtype of every value the ops recorded (for build-time rewrites). */
  private readonly values = new Map<string, OnnxValue>();
  private counter = 0;
  /** How many nodes nodeFirst() has placed at the front. */
  private prefixCount = 0;

  constructor(readonly graphName = 'segface') {}

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  input(name: string, shape: readonly number[], dtype: DType = 'float32'): OnnxValue {
    if (this.used.has(name)) throw new Error(`graph value name ${name} is already taken`);
    this.used.add(name);
    const v: OnnxValue = { name, shape: [...shape], dtype };
    this.inputs.push(v);
    return v;
  }

  /**
   * Embeds host data as an initializer. Identical small constants and repeated registrations of
   * the same array share one initializer. `name` is a preference (e.g. the state-dict key).
   */
  initializer(data: ConstData, shape: readonly number[], dtype: DType, name?: string): OnnxValue {
    checkDataFits(data, dtype);
    let n = 1;
    for (const d of shape) n *= d;
    if (n !== data.length) throw new Error(`constant has ${data.length} elements, shape [${shape.join(', ')}] needs ${n}`);
    const sig = `${dtype}|${shape.join(',')}|${data.byteOffset}|${data.byteLength}`;
    const small = data.byteLength <= DEDUPE_BYTES;
    if (small) {
      const hit = this.byContent.get(contentKey(dtype, shape, data));
      if (hit) return hit;
    } else {
      const hit = this.byArray.get(data.buffer)?.get(sig);
      if (hit) return hit;
    }
    let vname = name ?? this.fresh('const');
    if (this.used.has(vname)) vname = this.fresh(vname);
    this.used.add(vname);
    const v: OnnxValue = { name: vname, shape: [...shape], dtype };
    this.inits.set(vname, { name: vname, dtype, shape: [...shape], data });
    if (small) this.byContent.set(contentKey(dtype, shape, data), v);
    else {
      let m = this.byArray.get(data.buffer);
      if (!m) this.byArray.set(data.buffer, (m = new Map()));
      m.set(sig, v);
    }
    return v;
  }

  /** Records a node; returns its output names (fresh unless given). */
  node(
    op: string,
    inputs: readonly (OnnxValue | string | null)[],
    attrs: Record<string, AttrValue | undefined> = {},
    nOutputs = 1,
    domain?: string,
  ): string[] {
    const outs: string[] = [];
    for (let i = 0; i < nOutputs; i++) {
      const nm = this.fresh(op);
      this.used.add(nm);
      outs.push(nm);
    }
    const ins = inputs.map((x) => (x === null ? '' : typeof x === 'string' ? x : x.name));
    const as: Attr[] = [];
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) as.push(attr(k, v));
    this.nodes.push({ op, inputs: [...ins], outputs: outs, attrs: as, domain });
    return outs;
  }

  // ---- rewriting hooks (dynamic batch) ---------------------------------------------------

  /** The recorded nodes, in order (inputs may be rewritten through replaceInput). */
  get nodeList(): readonly Readonly<NodeRec>[] {
    return this.nodes;
  }

  get inputList(): readonly OnnxValue[] {
    return this.inputs;
  }

  get outputList(): readonly OnnxValue[] {
    return this.outputs;
  }

  initializerOf(name: string): Initializer | undefined {
    return this.inits.get(name);
  }

  replaceInput(nodeIndex: number, slot: number, name: string): void {
    this.nodes[nodeIndex]!.inputs[slot] = name;
  }

  // ---- rewriting hooks (build-time passes, see rewrite/) --------------------------------

  /** Remembers a node output's shape and dtype (OnnxOps calls this for every value it makes). */
  noteValue(v: OnnxValue): void {
    this.values.set(v.name, v);
  }

  /** A value's shape and dtype: graph input, initializer or noted node output. */
  valueOf(name: string): OnnxValue | undefined {
    const init = this.inits.get(name);
    if (init) return { name, shape: init.shape, dtype: init.dtype };
    return this.values.get(name) ?? this.inputs.find((v) => v.name === name);
  }

  /** Every node input reading `from` reads `to` instead. */
  replaceUses(from: string, to: string): void {
    for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  }

  /**
   * Drops nodes whose outputs nothing reads (graph outputs count as read) and puts the rest in
   * an order where every node follows its producers; the relative order is kept otherwise, so
   * two traces rewritten alike stay node-for-node aligned.
   */
  pruneAndSort(): void {
    const live = new Set<string>(this.outputs.map((o) => o.name));
    const keep = new Array<boolean>(this.nodes.length).fill(false);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!n.outputs.some((o) => live.has(o))) continue;
      keep[i] = true;
      for (const x of n.inputs) live.add(x);
    }
    // Rewrites append nodes after the ones that read them: repeat the backward liveness until stable.
    let changed = true;
    while (changed) {
      changed = false;
      this.nodes.forEach((n, i) => {
        if (keep[i] || !n.outputs.some((o) => live.has(o))) return;
        keep[i] = changed = true;
        for (const x of n.inputs) live.add(x);
      });
    }
    const pending = this.nodes.filter((_, i) => keep[i]);
    const ready = new Set<string>([...this.inputs.map((v) => v.name), ...this.inits.keys(), '']);
    const sorted: NodeRec[] = [];
    while (pending.length > 0) {
      const i = pending.findIndex((n) => n.inputs.every((x) => ready.has(x)));
      if (i < 0) throw new Error(`graph rewrite left a cycle or a dangling input at ${pending[0]!.op}`);
      const [n] = pending.splice(i, 1);
      sorted.push(n!);
      for (const o of n!.outputs) ready.add(o);
    }
    this.nodes.splice(0, this.nodes.length, ...sorted);
  }

  /** Records a node like node(), but places it first (it may only read graph inputs/constants). */
  nodeFirst(op: string, inputs: readonly (OnnxValue | string)[], attrs: Record<string, AttrValue | undefined> = {}): string {
    const before = this.nodes.length;
    const [out] = this.node(op, inputs, attrs);
    const rec = this.nodes.splice(before, 1)[0]!;
    this.nodes.splice(this.prefixCount++, 0, rec);
    return out!;
  }

  /** How many nodes nodeFirst() has placed at the front. */
  get prefixLength(): number {
    return this.prefixCount;
  }

  /** Makes dim `axis` of a graph input or output symbolic (e.g. 'batch'). */
  setDimParam(valueName: string, axis: number, param: string): void {
    let m = this.dimParams.get(valueName);
    if (!m) this.dimParams.set(valueName, (m = new Map()));
    m.set(axis, param);
  }

  /** Marks a value as a graph output under `name` (an Identity node renames it). */
  output(v: OnnxValue, name: string = v.name): OnnxValue {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`graph output ${name} is declared twice`);
    let vname = v.name;
    if (name !== v.name) {
      if (this.used.has(name)) throw new Error(`graph value name ${name} is already taken`);
      this.used.add(name);
      this.nodes.push({ op: 'Identity', inputs: [v.name], outputs: [name], attrs: [] });
      vname = name;
    }
    const o: OnnxValue = { name: vname, shape: [...v.shape], dtype: v.dtype };
    this.outputs.push(o);
    return o;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Names of the initializers that nodes or outputs actually use (unused weights are dropped). */
  private liveInitializers(): Initializer[] {
    const refs = new Set<string>();
    for (const n of this.nodes) for (const i of n.inputs) refs.add(i);
    for (const o of this.outputs) refs.add(o.name);
    return [...this.inits.values()].filter((t) => refs.has(t.name));
  }

  /** Initializers that will be serialised (for checks such as "every weight embedded once"). */
  initializerSummary(): { name: string; dtype: DType; shape: readonly number[]; bytes: number }[] {
    return this.liveInitializers().map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.data.byteLength }));
  }

  toModelProto(producer = 'segface'): onnxProto.onnx.ModelProto {
    if (this.outputs.length === 0) throw new Error('graph has no outputs');
    const valueInfo = (v: OnnxValue): onnxProto.onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: ELEM_TYPE[v.dtype],
          shape: {
            dim: v.shape.map((d, i) => {
              const p = this.dimParams.get(v.name)?.get(i);
              return p ? { dimParam: p } : { dimValue: d };
            }),
          },
        },
      },
    });
    const initializer = this.liveInitializers().map((t): onnxProto.onnx.ITensorProto => ({
      name: t.name,
      dims: [...t.shape],
      dataType: ELEM_TYPE[t.dtype],
      // raw_data is little-endian, as are typed arrays on every platform Node and browsers run on.
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    }));
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: producer,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes.map((n) => ({
          opType: n.op,
          input: [...n.inputs],
          output: [...n.outputs],
          attribute: n.attrs,
          ...(n.domain ? { domain: n.domain } : {}),
        })),
        initializer,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
  }

  serialize(producer?: string): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto(producer)).finish();
  }
}
