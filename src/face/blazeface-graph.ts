// BlazeFace-256 made size-free: the shipped ONNX file is fully convolutional except for constants
// that pin it to a 1×256×256 input (two ConstantOfShape zero blocks that pad the channels before
// a residual Add, and the Reshape shapes of the four outputs). Rewriting those lets one run cover
// a whole pyramid level of any size that is a multiple of 32: the same convolutions a 256 window
// computes, without the windows' overlap (a 1920-px photo: 2 runs instead of 25).
// No fs here, so the page rewrites the same file.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Input sides must be multiples of this (the coarsest anchor grid's stride). */
export const BLAZEFACE_STRIDE = 32;

export function dynamicBlazeFace(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const drop = new Set<string>();
  const pads: onnxProto.onnx.ITensorProto[] = [];
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const zeroBlock = new Map<string, number>(); // ConstantOfShape output → channels it adds
  for (const n of g.node ?? []) {
    if (n.opType === 'ConstantOfShape') {
      const shape = int64s(inits.get(n.input![0]!));
      if (shape.length !== 4) throw new Error('BlazeFace: unexpected ConstantOfShape');
      zeroBlock.set(n.output![0]!, shape[1]!);
      drop.add(n.input![0]!);
      continue;
    }
    if (n.opType === 'Concat' && n.input!.length === 2 && zeroBlock.has(n.input![1]!)) {
      // Concat(x, zeros[1,c,h,w]) on the channel axis == Pad(x) with c zero channels at the end.
      const name = `${n.output![0]}_pads`;
      pads.push(int64Tensor(name, [0, 0, 0, 0, 0, zeroBlock.get(n.input![1]!)!, 0, 0]));
      nodes.push({ opType: 'Pad', input: [n.input![0]!, name], output: n.output, name: n.name, attribute: [{ name: 'mode', s: new TextEncoder().encode('constant'), type: onnx.AttributeProto.AttributeType.STRING }] });
      continue;
    }
    if (n.opType === 'Reshape') {
      const shape = int64s(inits.get(n.input![1]!));
      if (shape.length !== 3) throw new Error('BlazeFace: unexpected Reshape');
      // [1, anchors, k] → [batch, anchors of this grid, k]
      const name = `${n.output![0]}_shape`;
      pads.push(int64Tensor(name, [0, -1, shape[2]!]));
      drop.add(n.input![1]!);
      nodes.push({ ...n, input: [n.input![0]!, name] });
      continue;
    }
    nodes.push(n);
  }
  g.node = nodes;
  g.initializer = [...(g.initializer ?? []).filter((t) => !drop.has(t.name!)), ...pads];
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) {
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    const free = (g.input ?? []).includes(v) ? [0, 1, 2] : [0, 1];
    for (const k of free) if (dims[k]) dims[k] = { dimParam: `${v.name}_d${k}` };
  }
  g.valueInfo = [];
  return onnx.ModelProto.encode(model).finish();
}

function int64s(t: onnxProto.onnx.ITensorProto | undefined): number[] {
  if (!t) throw new Error('BlazeFace: missing shape constant');
  if (t.int64Data && t.int64Data.length > 0) return t.int64Data.map((v) => Number(v));
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}

function int64Tensor(name: string, values: number[]): onnxProto.onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}
