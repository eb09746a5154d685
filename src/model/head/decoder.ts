// SegFace's FaceDecoder (spec §5.2–5.3): one learnable token per class as the transformer's
// queries, ×4 upscaling of the refined image tokens, one shared hypernetwork MLP, and the
// per-pixel dot product that forms the logits.
import type { Ctx, TensorLike } from '../../engine/ops.js';
import { Activation, ConvTranspose2d, LayerNorm2d, Linear } from '../layers.js';
import { init } from '../init.js';
import { Module, Sequential } from '../module.js';
import { ModuleList } from '../module-list.js';
import { TwoWayTransformer } from './transformer.js';

/** nn.Embedding(1, dim): key `weight` [1,dim], N(0,1) init. */
class Token extends Module {
  constructor(dim: number) {
    super();
    this.param('weight', [1, dim], init.normal(1));
  }
}

/** SAM's MLP (no sigmoid): ReLU between layers, keys `layers.{i}`. */
export class HyperMLP extends Module {
  readonly layers = new ModuleList<Linear>();
  constructor(inDim: number, hidden: number, outDim: number, depth: number) {
    super();
    this.add('layers', this.layers);
    for (let i = 0; i < depth; i++) {
      this.layers.push(new Linear(i === 0 ? inDim : hidden, i === depth - 1 ? outDim : hidden));
    }
  }
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
    this.layers.items.forEach((l, i) => {
      x = l.forward(ctx, x);
      if (i < this.layers.items.length - 1) x = ctx.ops.relu(x);
    });
    return x;
  }
}

export class FaceDecoder extends Module {
  readonly transformer: TwoWayTransformer;
  readonly output_upscaling: Sequential;
  readonly output_hypernetwork_mlps: HyperMLP;
  constructor(readonly tokenNames: readonly string[], readonly dim = 256) {
    super();
    this.transformer = this.add('transformer', new TwoWayTransformer(2, dim, 8, 2048, 2));
    for (const name of tokenNames) this.add(`${name}_token`, new Token(dim));
    this.output_upscaling = this.add('output_upscaling', new Sequential([
      new ConvTranspose2d(dim, dim / 4, 2, 2),
      new LayerNorm2d(dim / 4, 1e-6),
      new Activation('gelu'),
      new ConvTranspose2d(dim / 4, dim / 8, 2, 2),
      new Activation('gelu'),
    ]));
    this.output_hypernetwork_mlps = this.add('output_hypernetwork_mlps', new HyperMLP(dim, dim, dim / 8, 3));
  }

  /** image [B,256,h,w], imagePe [1,256,h,w] → logits [B,N,4h,4w]. */
  forward<T extends TensorLike>(ctx: Ctx<T>, image: T, imagePe: T): T {
    const F = ctx.ops;
    const [b, c, h, w] = image.shape as [number, number, number, number];
    const n = this.tokenNames.length;
    const tokens = F.concat(this.tokenNames.map((t) => ctx.get(`${this.prefix}${t}_token.weight`)), 0); // [N,256]
    const queries = F.expand(F.reshape(tokens, [1, n, c]), [b, n, c]);
    const [tokOut, srcOut] = this.transformer.forward(ctx, image, imagePe, queries);
    ctx.record?.('feat_tokens_out', tokOut);
    const src = F.reshape(F.transpose(srcOut, 1, 2), [b, c, h, w]);
    ctx.record?.('feat_src_out', src);
    const up = this.output_upscaling.forward(ctx, src); // [B,32,4h,4w]
    ctx.record?.('feat_upscaled', up);
    const hyper = this.output_hypernetwork_mlps.forward(ctx, tokOut); // [B,N,32]
    ctx.record?.('feat_hyper_in', hyper);
    const [, cu, hu, wu] = up.shape as [number, number, number, number];
    return F.reshape(F.matmul(hyper, F.reshape(up, [b, cu, hu * wu])), [b, n, hu, wu]);
  }
}

