// face-api's 68-point landmark net (@vladmandic/face-api, MIT) as an ONNX graph, built from its
// TF.js weights with our GraphBuilder. The architecture, from face-api's FaceFeatureExtractor and
// FaceLandmark68Net: input [n,112,112,3] RGB in 0..255, minus the mean colour, ÷ 255; four dense
// blocks of four convolutions each (block 0 starts with a plain 3×3 conv, the others with a
// separable one; the first of each block has stride 2: 112 → 56 → 28 → 14 → 7), every conv
// summed with all earlier ones of its block and ReLU'd; a 7×7 average pool; a 256 → 136
// fully-connected layer giving x, y interleaved for the 68 points in [0, 1] of the input square.
// No fs: the browser could build it too.
import { GraphBuilder, type OnnxValue } from '../engine/onnx/graph.js';
import { one } from './graphs.js';

export const LANDMARK_INPUT = 112;
export const LANDMARK_POINTS = 68;
/** face-api's mean RGB, subtracted in 0..255 before the ÷ 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];
const WIDTHS = [32, 64, 128, 256];

/** One tensor of a TF.js weights manifest. */
interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}
type Manifest = { paths: string[]; weights: ManifestWeight[] }[];

/** A dequantised tensor; `quant` keeps the uint8 codes where the shards were quantised. */
export interface TfTensor { shape: number[]; data: Float32Array; quant?: { q: Uint8Array; scale: number; min: number } }

/**
 * The manifest's tensors, dequantised: uint8 shards hold q with value = min + scale·q (TF.js's
 * affine quantisation). `shards` are the files of each group's `paths`, in order.
 */
export function readTfjsWeights(manifestJson: string, shards: (path: string) => Uint8Array): Map<string, TfTensor> {
  let manifest: Manifest;
  try { manifest = JSON.parse(manifestJson) as Manifest; } catch (e) { throw new Error(`landmark weights manifest: ${(e as Error).message}`); }
  const out = new Map<string, TfTensor>();
  for (const group of manifest) {
    const parts = group.paths.map(shards);
    const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) { bytes.set(p, at); at += p.length; }
    let off = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const data = new Float32Array(n);
      if (q?.dtype === 'uint8') {
        const scale = q.scale ?? 1, min = q.min ?? 0;
        if (off + n > bytes.length) throw new Error(`landmark weights: ${w.name} runs past the end of the shards`);
        const codes = bytes.slice(off, off + n);
        for (let i = 0; i < n; i++) data[i] = min + scale * codes[i]!;
        off += n;
        out.set(w.name, { shape: w.shape, data, quant: { q: codes, scale, min } });
        continue;
      } else if (!q && w.dtype === 'float32') {
        if (off + 4 * n > bytes.length) throw new Error(`landmark weights: ${w.name} runs past the end of the shards`);
        const view = new DataView(bytes.buffer, bytes.byteOffset + off, 4 * n);
        for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
        off += 4 * n;
      } else {
        throw new Error(`landmark weights: ${w.name} is ${q?.dtype ?? w.dtype}, expected uint8-quantised or float32`);
      }
      out.set(w.name, { shape: w.shape, data });
    }
    if (off !== bytes.length) throw new Error(`landmark weights: the shards hold ${bytes.length} bytes, the manifest describes ${off}`);
  }
  return out;
}

/**
 * TF HWIO [kh,kw,I,O] → ONNX OIHW [O,I,kh,kw] (a depthwise [kh,kw,C,1] becomes [1,C,kh,kw]:
 * reshaped to [C,1,kh,kw] by the caller, the same element order).
 */
function hwioToOihw<T extends Float32Array | Uint8Array>(src: T, shape: readonly number[]): T {
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new (src.constructor as new (n: number) => T)(src.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    out[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o]!;
  }
  return out;
}

/**
 * The ONNX model: input `input` [n,112,112,3] float (RGB 0..255, face-api's batch tensor) →
 * `landmarks` [n,136] (x0, y0, x1, y1, … in [0, 1] of the input square).
 */
export function landmarks68Onnx(weights: Map<string, TfTensor>, producer = 'segface'): Uint8Array {
  const want = (name: string, shape: readonly number[]): TfTensor => {
    const t = weights.get(name);
    if (!t) throw new Error(`landmark weights: ${name} is missing`);
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`landmark weights: ${name} is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return t;
  };
  const g = new GraphBuilder('face_api_landmark_68');
  // Quantised tensors stay uint8 in the file (0.36 MB instead of 1.4 MB): value = min + scale·q in
  // the graph, constant-folded by ONNX Runtime when the session is created.
  const init = (t: TfTensor, name: string, shape = t.shape, perm = false): OnnxValue => {
    if (!t.quant) return g.initializer(perm ? hwioToOihw(t.data, t.shape) : t.data, shape, 'float32', name);
    const q = g.initializer(perm ? hwioToOihw(t.quant.q, t.shape) : t.quant.q, shape, 'uint8', name);
    const scale = g.initializer(Float32Array.from([t.quant.scale]), [], 'float32', `${name}/scale`);
    const min = g.initializer(Float32Array.from([t.quant.min]), [], 'float32', `${name}/min`);
    return one(g, 'Add', [one(g, 'Mul', [one(g, 'Cast', [q], { to: 1 }), scale]), min]);
  };

  const input = g.input('input', [0, LANDMARK_INPUT, LANDMARK_INPUT, 3]);
  g.setDimParam('input', 0, 'n');
  const nchw = one(g, 'Transpose', [input], { perm: [0, 3, 1, 2] }); // [n,3,112,112]
  const mean = g.initializer(Float32Array.from(MEAN_RGB), [1, 3, 1, 1], 'float32', 'mean_rgb');
  let x = one(g, 'Div', [one(g, 'Sub', [nchw, mean]), g.initializer(Float32Array.from([255]), [], 'float32', 'scale_255')]);

  // TF 'same' padding: stride 1 pads 1 on each side; stride 2 on an even size pads only the end.
  const pads = (stride: number) => (stride === 2 ? [0, 0, 1, 1] : [1, 1, 1, 1]);
  const conv = (from: OnnxValue, key: string, stride: number, cin: number, cout: number, first: boolean): OnnxValue => {
    if (first) {
      const w = init(want(`${key}/filters`, [3, 3, cin, cout]), `${key}/filters`, [cout, cin, 3, 3], true);
      return one(g, 'Conv', [from, w, init(want(`${key}/bias`, [cout]), `${key}/bias`)], { kernel_shape: [3, 3], strides: [stride, stride], pads: pads(stride) });
    }
    const dw = init(want(`${key}/depthwise_filter`, [3, 3, cin, 1]), `${key}/depthwise_filter`, [cin, 1, 3, 3], true);
    const d = one(g, 'Conv', [from, dw], { kernel_shape: [3, 3], strides: [stride, stride], pads: pads(stride), group: cin });
    const pw = init(want(`${key}/pointwise_filter`, [1, 1, cin, cout]), `${key}/pointwise_filter`, [cout, cin, 1, 1], true);
    return one(g, 'Conv', [d, pw, init(want(`${key}/bias`, [cout]), `${key}/bias`)], { kernel_shape: [1, 1] });
  };

  let cin = 3;
  WIDTHS.forEach((c, b) => {
    const out1 = one(g, 'Relu', [conv(x, `dense${b}/conv0`, 2, cin, c, b === 0)]);
    const out2 = conv(out1, `dense${b}/conv1`, 1, c, c, false);
    let sum = one(g, 'Add', [out1, out2]);
    const out3 = conv(one(g, 'Relu', [sum]), `dense${b}/conv2`, 1, c, c, false);
    sum = one(g, 'Add', [sum, out3]);
    const out4 = conv(one(g, 'Relu', [sum]), `dense${b}/conv3`, 1, c, c, false);
    x = one(g, 'Relu', [one(g, 'Add', [sum, out4])]);
    cin = c;
  }); // [n,256,7,7]
  const pooled = one(g, 'AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] }); // [n,256,1,1]
  const flat = one(g, 'Flatten', [pooled], { axis: 1 }); // [n,256]
  const fc = one(g, 'Add', [one(g, 'MatMul', [flat, init(want('fc/weights', [256, 2 * LANDMARK_POINTS]), 'fc/weights')]), init(want('fc/bias', [2 * LANDMARK_POINTS]), 'fc/bias')]);
  g.output({ name: fc.name, shape: [0, 2 * LANDMARK_POINTS], dtype: 'float32' }, 'landmarks');
  g.setDimParam('landmarks', 0, 'n');
  return g.serialize(producer);
}
