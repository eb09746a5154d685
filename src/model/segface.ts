// The SegFace network (spec §1): backbone → per-tap projections → fusion → random-Fourier PE →
// two-way transformer decoder with one token per class → logits [B,C,R,R].
// Children are registered in the official order (backbone, pe_layer, face_decoder, linear_c,
// linear_fuse) so declarations() enumerates the official state_dict keys in order.
import type { Ctx, TensorLike } from '../engine/ops.js';
import { tokenNames, type HeadKind } from './classes.js';
import { Conv2d } from './layers.js';
import { Module } from './module.js';
import { ModuleList } from './module-list.js';
import type { Backbone } from './backbones/backbone.js';
import { FaceDecoder } from './head/decoder.js';
import { fuseInputs, TapProjection } from './head/fusion.js';
import { gridSampleHost } from './head/grid-sample.js';
import { PositionEmbeddingRandom } from './head/pe.js';
import { inverseTanhWarpGrid, tanhWarpGrid } from './head/tanh-warp.js';

export const EMBED_DIM = 256;

export interface SegFaceOptions {
  /**
   * LaPa only: 5 landmarks per image ([B,5,2] flattened, pixel coordinates at the model
   * resolution). When given, the input is tanh-warped before the network and the logits are
   * warped back (spec §5.4); SegFace applies it to LaPa samples (dataset id 1) only.
   */
  landmarks?: ArrayLike<number>;
}

export class SegFace extends Module {
  readonly backbone: Backbone;
  readonly pe_layer: PositionEmbeddingRandom;
  readonly face_decoder: FaceDecoder;
  readonly linear_c = new ModuleList<TapProjection>();
  readonly linear_fuse: Conv2d;
  readonly numClasses: number;

  constructor(backbone: Backbone, readonly head: HeadKind) {
    super();
    this.backbone = this.add('backbone', backbone);
    this.pe_layer = this.add('pe_layer', new PositionEmbeddingRandom(EMBED_DIM / 2));
    const tokens = tokenNames(head);
    this.numClasses = tokens.length;
    this.face_decoder = this.add('face_decoder', new FaceDecoder(tokens, EMBED_DIM));
    this.add('linear_c', this.linear_c);
    for (const c of backbone.tapChannels) this.linear_c.push(new TapProjection(c, EMBED_DIM));
    this.linear_fuse = this.add('linear_fuse', new Conv2d(4 * EMBED_DIM, EMBED_DIM, 1, { bias: false }));
  }

  /** x [B,3,R,R] normalised RGB → logits [B,numClasses,R,R] (R a multiple of 32). */
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T, opts: SegFaceOptions = {}): T {
    const [b, , r] = x.shape as [number, number, number, number];
    const warp = this.head === 'lapa' && opts.landmarks !== undefined;
    if (warp) x = gridSampleHost(ctx, x, tanhWarpGrid(opts.landmarks!, b, r), r, r);

    const taps = this.backbone.forward(ctx, x);
    taps.forEach((t, i) => ctx.record?.(`feat_tap${i}`, t));
    const projected = taps.map((t, i) => this.linear_c.items[i]!.forward(ctx, t)); // each [B,256,h_i,w_i]
    const fused = this.linear_fuse.forward(ctx, fuseInputs(ctx, projected)); // [B,256,R/4,R/4]
    ctx.record?.('feat_fused', fused);
    const [, , h, w] = fused.shape as [number, number, number, number];
    const pe = this.pe_layer.forward(ctx, h, w); // [1,256,h,w]
    ctx.record?.('feat_image_pe', pe);
    let logits = this.face_decoder.forward(ctx, fused, pe); // [B,N,R,R]

    if (warp) logits = gridSampleHost(ctx, logits, inverseTanhWarpGrid(opts.landmarks!, b, r), r, r);
    return logits;
  }
}
