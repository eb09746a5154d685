// A symbolic batch dimension for graphs the builder emits with static shapes. The builder bakes
// the batch size into shape constants (Reshape targets, Resize sizes, Expand shapes). Building
// the same model at two batch sizes and diffing the graphs shows exactly which int64 entries
// scale with the batch; those entries are recomputed at run time from Shape(input)[0].
// Batches 2 and 3 (not 1) so that no op takes a batch-1 shortcut in one build only.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;

export const DYNAMIC_BUILD_BATCHES = [2, 3] as const;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tensorBytes(t: Tensor): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create({ ...t, name: '' })).finish();
}

function int64Values(t: Tensor): bigint[] {
  const raw = t.rawData ?? new Uint8Array(0);
  const copy = new Uint8Array(raw); // own buffer: aligned for the 64-bit view
  return [...new BigInt64Array(copy.buffer, 0, copy.length / 8)];
}

function int64Tensor(name: string, values: readonly bigint[]): Tensor {
  const data = BigInt64Array.from(values);
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

/** One entry of a batch-dependent shape constant: a fixed value, or k·batch. */
type Entry = { fixed: bigint } | { perBatch: bigint };

/**
 * Rewrites `small` (built at batch DYNAMIC_BUILD_BATCHES[0]) so its batch dimension is symbolic,
 * using `large` (the same model built at DYNAMIC_BUILD_BATCHES[1]) to find what depends on it.
 * Throws when the two builds differ in anything but int64 shape constants proportional to the
 * batch (then the model cannot be exported with a dynamic batch).
 */
export function makeBatchDynamic(small: Uint8Array, large: Uint8Array, dimName = 'batch'): Uint8Array {
  const [bs, bl] = DYNAMIC_BUILD_BATCHES.map(BigInt) as [bigint, bigint];
  const ma: Model = onnx.ModelProto.decode(small);
  const mb: Model = onnx.ModelProto.decode(large);
  const ga = ma.graph as onnxProto.onnx.GraphProto, gb = mb.graph as onnxProto.onnx.GraphProto;
  const fail = (why: string): never => { throw new Error(`cannot make the batch dimension dynamic: ${why}`); };
  if (ga.node.length !== gb.node.length) fail(`the graphs at batch ${bs} and ${bl} have ${ga.node.length} and ${gb.node.length} nodes`);
  if (ga.input.length !== 1 || gb.input.length !== 1) fail('expected exactly one graph input');
  const initA = new Map(ga.initializer.map((t) => [t.name!, t]));
  const initB = new Map(gb.initializer.map((t) => [t.name!, t]));
  // Value names of the large build → the small build's (counters may drift between builds).
  const alias = new Map<string, string>([[gb.input[0]!.name!, ga.input[0]!.name!]]);
  const replace = new Map<string, Entry[]>(); // small-build initializer name → its dynamic recipe
  const nodeInputs: { node: number; input: number; init: string }[] = [];

  ga.node.forEach((na, i) => {
    const nb = gb.node[i]!;
    const where = `node ${i} (${na.opType})`;
    if (na.opType !== nb.opType || na.input!.length !== nb.input!.length || na.output!.length !== nb.output!.length) fail(`${where} differs between the builds`);
    const attrs = (n: Node) => (n.attribute ?? []).map((a) => onnx.AttributeProto.encode(a).finish());
    const aa = attrs(na), ab = attrs(nb);
    if (aa.length !== ab.length || aa.some((x, k) => !sameBytes(x, ab[k]!))) fail(`${where} has batch-dependent attributes`);
    na.input!.forEach((nameA, j) => {
      const nameB = nb.input![j]!;
      const ta = initA.get(nameA), tb = initB.get(nameB);
      if (ta || tb) {
        if (!ta || !tb) return fail(`${where} input ${j} is a constant in one build only`);
        if (sameBytes(tensorBytes(ta), tensorBytes(tb))) return;
        if (ta.dataType !== onnx.TensorProto.DataType.INT64 || ta.dims!.length !== 1 || num(ta.dims![0]) !== num(tb.dims![0])) {
          return fail(`${where} input ${j} (${nameA}) is a batch-dependent constant that is not a shape`);
        }
        const va = int64Values(ta), vb = int64Values(tb);
        const entries = va.map((x, k): Entry => {
          const y = vb[k]!;
          if (x === y) return { fixed: x };
          const per = (y - x) / (bl - bs);
          if (per <= 0n || per * bs !== x || per * bl !== y) fail(`${where}: shape entry ${x} vs ${y} is not proportional to the batch`);
          return { perBatch: per };
        });
        replace.set(nameA, entries);
        nodeInputs.push({ node: i, input: j, init: nameA });
        return;
      }
      if (nameA === '' && nameB === '') return;
      if (alias.get(nameB) !== nameA) fail(`${where} input ${j} is wired differently in the two builds`);
    });
    nb.output!.forEach((o, k) => alias.set(o, na.output![k]!));
  });

  // Shape(input)[0:1] → [batch] (int64), then one Concat per batch-dependent constant.
  const input = ga.input[0]!;
  const pre: Node[] = [];
  const newInits: Tensor[] = [];
  const batchVal = `${dimName}_size`;
  pre.push({ opType: 'Shape', input: [input.name!], output: [batchVal], attribute: [{ name: 'start', type: onnx.AttributeProto.AttributeType.INT, i: 0 }, { name: 'end', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
  const dynName = new Map<string, string>();
  let counter = 0;
  for (const [init, entries] of replace) {
    const stem = `${dimName}_shape${counter++}`;
    const parts: string[] = [];
    let run: bigint[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const c = `${stem}_c${parts.length}`;
      newInits.push(int64Tensor(c, run));
      parts.push(c);
      run = [];
    };
    for (const e of entries) {
      if ('fixed' in e) { run.push(e.fixed); continue; }
      flush();
      if (e.perBatch === 1n) { parts.push(batchVal); continue; }
      const k = `${stem}_k${parts.length}`, m = `${stem}_m${parts.length}`;
      newInits.push(int64Tensor(k, [e.perBatch]));
      pre.push({ opType: 'Mul', input: [batchVal, k], output: [m] });
      parts.push(m);
    }
    flush();
    pre.push({ opType: 'Concat', input: parts, output: [stem], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
    dynName.set(init, stem);
  }
  for (const { node, input: j, init } of nodeInputs) ga.node[node]!.input![j] = dynName.get(init)!;
  ga.node = [...pre, ...ga.node];

  // Graph input and outputs: the dims that differ between the builds become the symbol.
  const dims = (v: onnxProto.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!;
  const symbolic = (va: onnxProto.onnx.IValueInfoProto, vb: onnxProto.onnx.IValueInfoProto, what: string) => {
    const da = dims(va), db = dims(vb);
    da.forEach((d, k) => {
      const x = BigInt(num(d.dimValue)), y = BigInt(num(db[k]!.dimValue));
      if (x === y) return;
      if (x !== bs || y !== bl) fail(`${what} dim ${k} is ${x} vs ${y}, not the batch`);
      da[k] = { dimParam: dimName };
    });
  };
  symbolic(input, gb.input[0]!, 'the input');
  ga.output.forEach((o, k) => symbolic(o, gb.output[k]!, `output ${o.name}`));

  // Drop the now unused batch-specific constants.
  const used = new Set<string>();
  for (const n of ga.node) for (const i of n.input ?? []) used.add(i);
  for (const o of ga.output) used.add(o.name!);
  ga.initializer = [...ga.initializer.filter((t) => used.has(t.name!)), ...newInits];
  return onnx.ModelProto.encode(ma).finish();
}
