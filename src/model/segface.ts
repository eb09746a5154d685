// The SegFace network (spec §1): backbone → per-tap projections → fusion → random-Fourier PE →
// two-way transformer decoder with one token per class → logits [B,C,R,R].
// Children are registered in the official order (backbone, pe_layer, face_decoder, linear_c,
// linear_fuse) so declarations() enumerates the official state_dict keys in order.
import type { Ctx, TensorLike } from '../engine/ops.js';
import { UserError } from '../errors.js';
import { headSpec, tokenNames, type HeadKind } from './classes.js';
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

export interface SegFaceOptions<T extends TensorLike = TensorLike> {
  /**
   * LaPa only: 5 landmarks per image ([B,5,2] flattened, pixel coordinates at the model
   * resolution). When given, the input is tanh-warped before the network and the logits are
   * warped back (spec §5.4); SegFace applies it to LaPa samples (dataset id 1) only.
   * The grids are computed on the host and embedded as constants.
   */
  landmarks?: ArrayLike<number>;
  /**
   * LaPa only, instead of `landmarks`: the two sampling grids as tensors [B,R,R,2] (e.g. graph
   * inputs, so one built graph serves every image), from lapaWarpGrids(). Needs ops.gridSample.
   */
  warpGrids?: { input: T; output: T };
}

/** Host grids for SegFaceOptions.warpGrids: input warp and inverse (logits) warp, [B,R,R,2] each. */
export function lapaWarpGrids(landmarks: ArrayLike<number>, batch: number, resolution: number): { input: Float32Array; output: Float32Array } {
  return { input: tanhWarpGrid(landmarks, batch, resolution), output: inverseTanhWarpGrid(landmarks, batch, resolution) };
}

export class SegFace extends Module {
  readonly backbone: Backbone;
  readonly pe_layer: PositionEmbeddingRandom;
  readonly face_decoder: FaceDecoder;
  readonly linear_c = new ModuleList<TapProjection>();
  readonly linear_fuse: Conv2d;
  readonly numClasses: number;

  /** The resolution the model was built for (informational; the input shape decides). */
  resolution = 512;

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
  forward<T extends TensorLike>(ctx: Ctx<T>, x: T, opts: SegFaceOptions<T> = {}): T {
    const [b, , r] = x.shape as [number, number, number, number];
    const warps = headSpec(this.head).landmarkWarp;
    const grids = warps ? opts.warpGrids : undefined;
    const landmarks = warps && !grids ? opts.landmarks : undefined;
    if (grids && !ctx.ops.gridSample) throw new UserError(`the ${ctx.ops.backend} engine has no gridSample; pass landmarks instead of warpGrids`);
    if (grids) x = ctx.ops.gridSample!(x, grids.input);
    else if (landmarks) x = gridSampleHost(ctx, x, tanhWarpGrid(landmarks, b, r), r, r);

    const taps = this.backbone.forward(ctx, x);
    taps.forEach((t, i) => ctx.record?.(`feat_tap${i}`, t));
    const projected = taps.map((t, i) => this.linear_c.items[i]!.forward(ctx, t)); // each [B,256,h_i,w_i]
    const fused = this.linear_fuse.forward(ctx, fuseInputs(ctx, projected)); // [B,256,R/4,R/4]
    ctx.record?.('feat_fused', fused);
    const [, , h, w] = fused.shape as [number, number, number, number];
    const pe = this.pe_layer.forward(ctx, h, w); // [1,256,h,w]
    ctx.record?.('feat_image_pe', pe);
    let logits = this.face_decoder.forward(ctx, fused, pe); // [B,N,R,R]

    if (grids) logits = ctx.ops.gridSample!(logits, grids.output);
    else if (landmarks) logits = gridSampleHost(ctx, logits, inverseTanhWarpGrid(landmarks, b, r), r, r);
    return logits;
  }
}
