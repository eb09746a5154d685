// SAM's TwoWayTransformer, verbatim in structure and key order (spec §5.1, §6.1): depth 2,
// embedding 256, 8 heads, MLP 2048 with ReLU, attention downsample 2 for the cross attentions.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { LayerNorm, Linear } from '../layers.js';
import { Layer, Module, scoped } from '../module.js';
import { ModuleList } from '../module-list.js';

/** SAM Attention: q/k/v projections to d/r, multi-head softmax(q·kᵀ/√head_dim)·v, out projection. */
export class Attention extends Module {
  readonly q_proj: Linear; readonly k_proj: Linear; readonly v_proj: Linear; readonly out_proj: Linear;
  readonly internal: number;
  constructor(readonly dim: number, readonly heads: number, downsample = 1) {
    super();
    this.internal = dim / downsample;
    this.q_proj = this.add('q_proj', new Linear(dim, this.internal));
    this.k_proj = this.add('k_proj', new Linear(dim, this.internal));
    this.v_proj = this.add('v_proj', new Linear(dim, this.internal));
    this.out_proj = this.add('out_proj', new Linear(this.internal, dim));
  }
  private split<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    const [b, n] = x.shape as [number, number, number];
    // [B,N,C] → [B,heads,N,C/heads]
    return ctx.ops.transpose(ctx.ops.reshape(x, [b, n, this.heads, this.internal / this.heads]), 1, 2);
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, q: T, k: T, v: T): T {
    const F = ctx.ops;
    const [b, n] = q.shape as [number, number, number];
    const qh = this.split(ctx, this.q_proj.forward(ctx, q));
    const kh = this.split(ctx, this.k_proj.forward(ctx, k));
    const vh = this.split(ctx, this.v_proj.forward(ctx, v));
    let attn = F.matmul(qh, F.transpose(kh, 2, 3)); // [B,heads,Nq,Nk]
    attn = F.softmax(F.div(attn, Math.sqrt(this.internal / this.heads)), -1);
    const out = F.reshape(F.transpose(F.matmul(attn, vh), 1, 2), [b, n, this.internal]); // [B,Nq,d/r]
    return this.out_proj.forward(ctx, out);
  }
}

/** SAM MLPBlock: lin1 → act → lin2. */
export class MLPBlock extends Layer {
  readonly lin1: Linear; readonly lin2: Linear;
  constructor(dim: number, mlpDim: number) {
    super();
    this.lin1 = this.add('lin1', new Linear(dim, mlpDim));
    this.lin2 = this.add('lin2', new Linear(mlpDim, dim));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    return this.lin2.forward(ctx, ctx.ops.relu(this.lin1.forward(ctx, x)));
  }
}

/** Registration order = key order: self_attn, norm1, cross t→i, norm2, mlp, norm3, norm4, cross i→t. */
export class TwoWayAttentionBlock extends Module {
  readonly self_attn: Attention; readonly norm1: LayerNorm;
  readonly cross_attn_token_to_image: Attention; readonly norm2: LayerNorm;
  readonly mlp: MLPBlock; readonly norm3: LayerNorm; readonly norm4: LayerNorm;
  readonly cross_attn_image_to_token: Attention;
  constructor(dim: number, heads: number, mlpDim: number, downsample: number, readonly skipFirstLayerPe: boolean) {
    super();
    this.self_attn = this.add('self_attn', new Attention(dim, heads));
    this.norm1 = this.add('norm1', new LayerNorm(dim));
    this.cross_attn_token_to_image = this.add('cross_attn_token_to_image', new Attention(dim, heads, downsample));
    this.norm2 = this.add('norm2', new LayerNorm(dim));
    this.mlp = this.add('mlp', new MLPBlock(dim, mlpDim));
    this.norm3 = this.add('norm3', new LayerNorm(dim));
    this.norm4 = this.add('norm4', new LayerNorm(dim));
    this.cross_attn_image_to_token = this.add('cross_attn_image_to_token', new Attention(dim, heads, downsample));
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, queries: T, keys: T, queryPe: T, keyPe: T): [T, T] {
    const F = ctx.ops;
    if (this.skipFirstLayerPe) {
      queries = this.self_attn.forward(ctx, queries, queries, queries); // no residual (SAM)
    } else {
      const q = F.add(queries, queryPe);
      queries = F.add(queries, this.self_attn.forward(ctx, q, q, queries));
    }
    queries = this.norm1.forward(ctx, queries);

    let q = F.add(queries, queryPe);
    let k = F.add(keys, keyPe);
    queries = this.norm2.forward(ctx, F.add(queries, this.cross_attn_token_to_image.forward(ctx, q, k, keys)));
    queries = this.norm3.forward(ctx, F.add(queries, this.mlp.forward(ctx, queries)));

    q = F.add(queries, queryPe);
    k = F.add(keys, keyPe);
    keys = this.norm4.forward(ctx, F.add(keys, this.cross_attn_image_to_token.forward(ctx, k, q, queries)));
    return [queries, keys];
  }
}

export class TwoWayTransformer extends Module {
  readonly layers: TwoWayAttentionBlock[] = [];
  readonly final_attn_token_to_image: Attention;
  readonly norm_final_attn: LayerNorm;
  constructor(depth = 2, dim = 256, heads = 8, mlpDim = 2048, downsample = 2) {
    super();
    const list = this.add('layers', new ModuleList());
    for (let i = 0; i < depth; i++) {
      this.layers.push(list.push(new TwoWayAttentionBlock(dim, heads, mlpDim, downsample, i === 0)));
    }
    this.final_attn_token_to_image = this.add('final_attn_token_to_image', new Attention(dim, heads, downsample));
    this.norm_final_attn = this.add('norm_final_attn', new LayerNorm(dim));
  }
  /**
   * image [B,C,h,w], imagePe [1,C,h,w], tokens [B,N,C] → [tokens [B,N,C], image tokens [B,h·w,C]].
   */
  forward<T extends TensorLike>(ctx: Ctx<T>, image: T, imagePe: T, tokens: T): [T, T] {
    const F = ctx.ops;
    const [b, c, h, w] = image.shape as [number, number, number, number];
    const keys0 = F.permute(F.reshape(image, [b, c, h * w]), [0, 2, 1]); // [B,h·w,C]
    const keyPe = F.permute(F.reshape(imagePe, [imagePe.shape[0]!, c, h * w]), [0, 2, 1]); // [1,h·w,C]
    let queries = tokens;
    let keys = keys0;
    for (const layer of this.layers) [queries, keys] = scoped(ctx, () => layer.forward(ctx, queries, keys, tokens, keyPe));
    const q = F.add(queries, tokens);
    const k = F.add(keys, keyPe);
    queries = this.norm_final_attn.forward(ctx, F.add(queries, this.final_attn_token_to_image.forward(ctx, q, k, keys)));
    return [queries, keys];
  }
}
