// Inference precision on the libtorch engine: the float dtype the weights are converted to (once,
// at load) and the arithmetic runs in, and the memory format of the 4-D tensors. Whether a
// device can run a dtype is asked of libtorch itself: its CPU kernels lack float16 almost
// everywhere (1.13), and bfloat16 only for ConvTranspose, which ops.ts runs in float32 there.
import { UserError } from '../../errors.js';
import type { StateDict } from '../../io/host-tensor.js';
import { inFloat32Modules, type Float32Modules } from '../precision-plan.js';
import { native } from './native.js';
import { TorchOps } from './ops.js';
import { keep, tidy } from './scope.js';
import { fromHost, type Device, type TorchTensor } from './tensor.js';

export type Precision = 'fp32' | 'fp16' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16'];
export const PRECISION_DTYPE = { fp32: 'float32', fp16: 'float16', bf16: 'bfloat16' } as const;
export type FloatDType = (typeof PRECISION_DTYPE)[Precision];

export function parsePrecision(v: string, what = '--precision'): Precision {
  if ((PRECISIONS as readonly string[]).includes(v)) return v as Precision;
  throw new UserError(`${what} must be one of ${PRECISIONS.join(', ')}, got '${v}'`);
}

const checked = new Map<string, string | null>();

/**
 * A tiny run of every kind of layer the models use (conv, depthwise conv, ConvTranspose, batch
 * and layer norm, matmul, softmax, GELU, hardswish, bilinear resize) in the precision's dtype on
 * the device: null when it works, else libtorch's first message line.
 */
function probe(precision: Precision, device: Device): string | null {
  const key = `${precision}@${device}`;
  if (checked.has(key)) return checked.get(key)!;
  const dtype = PRECISION_DTYPE[precision];
  const ops = new TorchOps({ device, floatDType: dtype });
  let why: string | null = null;
  try {
    tidy(() => {
      const r = (shape: number[]) => ops.cast(ops.randn(shape), dtype);
      const x = r([1, 4, 8, 8]);
      let y = ops.conv2d(x, r([4, 4, 3, 3]), r([4]), { padding: 1 });
      y = ops.conv2d(y, r([4, 1, 3, 3]), null, { padding: 1, groups: 4 });
      y = ops.batchNorm(y, r([4]), r([4]), r([4]), ops.abs(r([4])), false, 0.1, 1e-5);
      y = ops.hardswish(ops.gelu(ops.convTranspose2d(y, r([4, 4, 2, 2]), r([4]), { stride: 2 })));
      y = ops.layerNorm(ops.softmax(ops.matmul(y, r([16, 16])), -1), [16], r([16]), r([16]), 1e-5);
      ops.interpolateBilinear(y, [4, 4]).toFloat32Array();
    });
  } catch (e) {
    why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  }
  checked.set(key, why);
  return why;
}

/** A UserError when this libtorch cannot run SegFace in `precision` on `device`. */
export function checkPrecision(precision: Precision, device: Device): void {
  if (precision === 'fp32') return;
  const why = probe(precision, device);
  if (why === null) return;
  const others = PRECISIONS.filter((p) => p !== precision && probe(p, device) === null);
  const cpu = device === 'cpu' ? ' or --device cuda' : '';
  throw new UserError(`--precision ${precision} is not supported on ${device} by libtorch ${native().torchVersion} (${why}); use --precision ${others.join(' or ')}${cpu}`);
}

export interface BindOptions {
  device: Device;
  precision: Precision;
  /** 4-D float weights in NHWC memory (shapes unchanged), which cuDNN's fast kernels want. */
  channelsLast?: boolean;
  /**
   * Module prefixes whose weights stay float32 (engine/precision-plan.ts): their layers then
   * compute in float32 (ops.ts follows the weights), the rest in the precision's dtype.
   */
  float32Modules?: Float32Modules;
}

/**
 * The state dict on the device in the precision's dtype (integer buffers keep theirs), each
 * tensor converted once: what `model.to(device, dtype).to(memory_format=channels_last)` gives.
 */
export function bindWeights(sd: StateDict, o: BindOptions): Map<string, TorchTensor> {
  const dtype = PRECISION_DTYPE[o.precision];
  const ops = new TorchOps({ device: o.device });
  const out = new Map<string, TorchTensor>();
  try {
    for (const [k, h] of sd) {
      out.set(k, keep(tidy(() => {
        let t = fromHost(h, { device: o.device });
        if (h.dtype === 'float32' && dtype !== 'float32' && !inFloat32Modules(k, o.float32Modules)) t = ops.cast(t, dtype);
        return o.channelsLast && h.shape.length === 4 && h.dtype !== 'int64' ? ops.channelsLast(t) : t;
      })));
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}
