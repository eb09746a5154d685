// torchvision's ShiftedWindowAttention (v1) and ShiftedWindowAttentionV2 with their state-dict
// names and the padding / shift / mask behaviour of `shifted_window_attention` (spec §14).
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { init } from '../init.js';
import { Activation, Linear } from '../layers.js';
import { Layer, Sequential } from '../module.js';
import {
  cachedRelativePositionIndex, relativeCoordsTable, relativePositionIndex, shiftedWindowMask, windowPlan,
} from './swin-windows.js';

const LOG_100 = Math.log(100);

/** torchvision's SwinTransformer re-initialises every Linear: trunc_normal(std .02), zero bias. */
export const swinLinear = (inF: number, outF: number, bias = true): Linear =>
  new Linear(inF, outF, bias, init.truncNormal(0.02), init.zeros);

export class ShiftedWindowAttention extends Layer {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly cpbMlp: Sequential | null = null;
  private readonly keyBiasMask: Float32Array | null = null;

  /** Input/output NHWC [B, H, W, dim]. */
  constructor(
    readonly dim: number,
    readonly window: number,
    readonly shift: number,
    readonly heads: number,
    readonly v2: boolean,
  ) {
    super();
    const side = 2 * window - 1;
    if (v2) {
      this.param('logit_scale', [heads, 1, 1], init.constant(Math.log(10)));
      this.buffer('relative_coords_table', [1, side, side, 2], () => relativeCoordsTable(window));
    } else {
      this.param('relative_position_bias_table', [side * side, heads], init.truncNormal(0.02));
    }
    this.buffer('relative_position_index', [window ** 4], () => relativePositionIndex(window), 'int64');
    this.qkv = this.add('qkv', swinLinear(dim, 3 * dim));
    this.proj = this.add('proj', swinLinear(dim, dim));
    if (v2) {
      this.cpbMlp = this.add('cpb_mlp', new Sequential([swinLinear(2, 512), new Activation('relu'), swinLinear(512, heads, false)]));
      // The key third of the qkv bias is zeroed at every call (torchvision clones and zeroes it).
      this.keyBiasMask = new Float32Array(3 * dim).fill(1).fill(0, dim, 2 * dim);
    }
  }

  /** [1, heads, W², W²] additive bias. */
  private positionBias<T extends TensorLike>(ctx: Ctx<T>): T {
    const F = ctx.ops;
    const n = this.window * this.window;
    const index = F.constant(cachedRelativePositionIndex(this.window), [n * n], 'int64');
    const table = this.v2
      ? F.reshape(this.cpbMlp!.forward(ctx, this.w(ctx, 'relative_coords_table')), [-1, this.heads])
      : this.w(ctx, 'relative_position_bias_table');
    let bias = F.indexSelect(table, 0, index); // [N·N, heads]
    bias = F.reshape(F.permute(F.reshape(bias, [n, n, this.heads]), [2, 0, 1]), [1, this.heads, n, n]);
    return this.v2 ? F.mul(F.sigmoid(bias), 16) : bias;
  }

  forward<T extends TensorLike>(ctx: Ctx<T>, input: T): T {
    const F = ctx.ops;
    const [B, H, W, C] = input.shape as [number, number, number, number];
    const ws = this.window, heads = this.heads, hd = C / heads, n = ws * ws;
    const plan = windowPlan(H, W, ws, this.shift);
    const { padH, padW, shiftH, shiftW, numWindows } = plan;
    const shifted = shiftH + shiftW > 0;

    let x = plan.padB + plan.padR > 0 ? F.pad(input, [0, 0, 0, plan.padR, 0, plan.padB]) : input;
    if (shifted) x = F.roll(x, [-shiftH, -shiftW], [1, 2]);
    // [B, pH, pW, C] → [B·nW, W², C], windows row-major
    x = F.reshape(x, [B, padH / ws, ws, padW / ws, ws, C]);
    x = F.reshape(F.permute(x, [0, 1, 3, 2, 4, 5]), [B * numWindows, n, C]);

    let qkvBias = this.w(ctx, 'qkv.bias');
    if (this.keyBiasMask) qkvBias = F.mul(qkvBias, F.constant(this.keyBiasMask, [3 * C]));
    let qkv = F.linear(x, this.w(ctx, 'qkv.weight'), qkvBias);
    qkv = F.permute(F.reshape(qkv, [B * numWindows, n, 3, heads, hd]), [2, 0, 3, 1, 4]); // [3, B·nW, h, N, hd]
    const part = (i: number): T => F.reshape(F.slice(qkv, 0, i, i + 1), [B * numWindows, heads, n, hd]);
    let q = part(0), k = part(1);
    const v = part(2);

    let attn: T;
    if (this.v2) {
      q = l2Normalize(ctx, q);
      k = l2Normalize(ctx, k);
      attn = F.matmul(q, F.transpose(k, -2, -1));
      attn = F.mul(attn, F.exp(F.clamp(this.w(ctx, 'logit_scale'), null, LOG_100)));
    } else {
      attn = F.matmul(F.mul(q, hd ** -0.5), F.transpose(k, -2, -1));
    }
    attn = F.add(attn, this.positionBias(ctx)); // [B·nW, h, N, N]

    if (shifted) {
      const mask = F.constant(shiftedWindowMask(plan), [1, numWindows, 1, n, n]);
      attn = F.reshape(F.add(F.reshape(attn, [B, numWindows, heads, n, n]), mask), [B * numWindows, heads, n, n]);
    }
    attn = F.softmax(attn, -1);

    x = F.reshape(F.transpose(F.matmul(attn, v), 1, 2), [B * numWindows, n, C]);
    x = this.proj.forward(ctx, x);

    // reverse windows → [B, pH, pW, C], undo the shift, crop the padding
    x = F.reshape(x, [B, padH / ws, padW / ws, ws, ws, C]);
    x = F.reshape(F.permute(x, [0, 1, 3, 2, 4, 5]), [B, padH, padW, C]);
    if (shifted) x = F.roll(x, [shiftH, shiftW], [1, 2]);
    if (plan.padB > 0) x = F.slice(x, 1, 0, H);
    if (plan.padR > 0) x = F.slice(x, 2, 0, W);
    return x;
  }
}

/** F.normalize(x, dim=-1): x / max(‖x‖₂, 1e-12). */
function l2Normalize<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
  const F = ctx.ops;
  const norm = F.sqrt(F.sum(F.mul(x, x), [-1], true));
  return F.div(x, F.clamp(norm, 1e-12, null));
}
