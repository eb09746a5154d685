// Per-head alignment: where each model expects a face on its canvas.
//   LaPa / Helen: SegFace's five-point similarity to FaRL's template plus the tanh warp (k = 0.8,
//     half = 0), as its LaPa head was trained (spec segface.md §5.4).
//   CelebAMask-HQ: the CelebA-HQ crop square (get_quad of the CelebA-HQ/FFHQ scripts) widened by
//     CELEB_MARGIN, so hair, hats, neck and cloth that leave the official crop are still in view.
import { fitSimilarity, type Alignment, type Point } from './geometry.js';
import type { HeadKind } from '../model/classes.js';

/** Image-left eye, image-right eye, nose tip, image-left mouth corner, image-right mouth corner. */
export type Landmarks5 = readonly [Point, Point, Point, Point, Point];

/** FaRL/SegFace template on a 512 canvas, same order. */
export const TEMPLATE_512: Landmarks5 = [[196, 226], [316, 226], [256, 286], [220, 360.4], [292, 360.4]];

export const LAPA_WARP = 0.8;

/**
 * The CelebA-HQ square is widened by this factor (the face fills 1/1.3 of the canvas instead of
 * all of it). At 1.0 long hair, hats and shoulders are cut at the crop edge (facer #15, #31).
 */
export const CELEB_MARGIN = 1.3;

/** Template points for a model of resolution R: t = T/256 − 1, q = (t + 1)·(R − 1)/2. */
export function templateAt(R: number): Point[] {
  return TEMPLATE_512.map(([x, y]) => [((x / 256 - 1 + 1) * (R - 1)) / 2, ((y / 256 - 1 + 1) * (R - 1)) / 2] as const);
}

export function lapaAlignment(lm: Landmarks5, R: number): Alignment {
  return { size: R, toCanvas: fitSimilarity(lm, templateAt(R)), warp: LAPA_WARP, half: 0 };
}

/** The CelebA-HQ crop square: centre c and half-axis x (image-right), y = rot90(x) (down). */
export function celebQuad(lm: Landmarks5): { c: Point; x: Point } {
  const eye: Point = [(lm[0][0] + lm[1][0]) / 2, (lm[0][1] + lm[1][1]) / 2];
  const mouth: Point = [(lm[3][0] + lm[4][0]) / 2, (lm[3][1] + lm[4][1]) / 2];
  const e2e: Point = [lm[1][0] - lm[0][0], lm[1][1] - lm[0][1]];
  const e2m: Point = [mouth[0] - eye[0], mouth[1] - eye[1]];
  // x = eye_to_eye − rot90(eye_to_mouth), rot90(v) = (−v_y, v_x)
  let x: [number, number] = [e2e[0] + e2m[1], e2e[1] - e2m[0]];
  const n = Math.hypot(x[0], x[1]);
  const len = Math.max(Math.hypot(e2e[0], e2e[1]) * 2.0, Math.hypot(e2m[0], e2m[1]) * 1.8);
  x = [(x[0] / n) * len, (x[1] / n) * len];
  return { c: [eye[0] + e2m[0] * 0.1, eye[1] + e2m[1] * 0.1], x };
}

export function celebAlignment(lm: Landmarks5, R: number, margin = CELEB_MARGIN): Alignment {
  const { c, x } = celebQuad(lm);
  const len = Math.hypot(x[0], x[1]) * margin;
  const k = R / (2 * len), ex = x[0] / Math.hypot(x[0], x[1]), ey = x[1] / Math.hypot(x[0], x[1]);
  const a = k * ex, b = k * ey;
  return { size: R, toCanvas: { a, b, tx: R / 2 - a * c[0] - b * c[1], ty: R / 2 + b * c[0] - a * c[1] }, warp: 0, half: 0.5 };
}

/** The alignment a head was trained with. */
export function alignmentFor(head: HeadKind, lm: Landmarks5, R: number): Alignment {
  return head === 'celeb' ? celebAlignment(lm, R) : lapaAlignment(lm, R);
}
