// Pixel geometry the official dataset code gets from PIL and torchvision: nearest resize of label
// maps (PIL Image.resize NEAREST), the random affine of LaPa training (torchvision F.affine on a
// PIL image → Image.transform AFFINE, bicubic for images and nearest for labels), the crop of
// Helen, and the landmark arithmetic that goes with them. The Pillow code paths ported are
// libImaging/Geometry.c: ImagingScaleAffine (resize NEAREST), affine_fixed (nearest affine,
// 16.16 fixed point) and the generic transform with bicubic_filter (a = −1 cubic, edge rows and
// columns repeated, outside → 0, result truncated to uint8).

/** Pillow's COORD(): truncation toward zero, but every negative coordinate maps to −1. */
const coord = (v: number): number => (v < 0 ? -1 : Math.trunc(v));

/** PIL Image.resize((outW, outH), NEAREST) of a one-channel image. */
export function resizeNearest(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  if (w === outW && h === outH) return src.slice();
  const a0 = w / outW, a4 = h / outH;
  const xtab = new Int32Array(outW);
  let xo = a0 * 0.5;
  // Pillow accumulates the source position in double precision, so do the same.
  for (let x = 0; x < outW; x++) { xtab[x] = Math.min(coord(xo), w - 1); xo += a0; }
  const out = new Uint8Array(outW * outH);
  let yo = a4 * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = Math.min(coord(yo), h - 1);
    const row = yi * w, o = y * outW;
    for (let x = 0; x < outW; x++) out[o + x] = src[row + xtab[x]!]!;
    yo += a4;
  }
  return out;
}

/**
 * torchvision's _get_inverse_affine_matrix (shear 0): maps output pixel positions to input ones,
 * for a rotation by `angle` degrees (counter-clockwise on screen), scale and translation about `center`.
 */
export function inverseAffine(center: [number, number], angle: number, translate: [number, number], scale: number): number[] {
  const rot = angle * (Math.PI / 180); // math.radians
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot), b = -Math.sin(rot), c = Math.sin(rot), d = Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2]! += m[0]! * (-cx - tx) + m[1]! * (-cy - ty);
  m[5]! += m[3]! * (-cx - tx) + m[4]! * (-cy - ty);
  m[2]! += cx;
  m[5]! += cy;
  return m;
}

/** Pillow's cubic with a = −1 (Geometry.c's BICUBIC macro; Resample.c uses a = −0.5 instead). */
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p1 = v2, p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/** Image.transform(size, AFFINE, m, BICUBIC, fillcolor=0) of interleaved RGB [h,w,3], same size out. */
export function affineBicubicRgb(src: Uint8Array, w: number, h: number, m: readonly number[]): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const clampX = (x: number) => (x < 0 ? 0 : x >= w ? w - 1 : x);
  const clampY = (y: number) => (y < 0 ? 0 : y >= h ? h - 1 : y);
  const rows = [0, 0, 0, 0], cols = [0, 0, 0, 0], v = [0, 0, 0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let xin = m[0]! * (x + 0.5) + m[1]! * (y + 0.5) + m[2]!;
      let yin = m[3]! * (x + 0.5) + m[4]! * (y + 0.5) + m[5]!;
      if (xin < 0 || xin >= w || yin < 0 || yin >= h) continue; // fill 0
      xin -= 0.5; yin -= 0.5;
      const xf = Math.floor(xin), yf = Math.floor(yin);
      const dx = xin - xf, dy = yin - yf;
      for (let k = 0; k < 4; k++) { cols[k] = clampX(xf - 1 + k) * 3; rows[k] = clampY(yf - 1 + k) * w * 3; }
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        for (let k = 0; k < 4; k++) {
          const r = rows[k]! + c;
          v[k] = cubic(src[r + cols[0]!]!, src[r + cols[1]!]!, src[r + cols[2]!]!, src[r + cols[3]!]!, dx);
        }
        const val = cubic(v[0]!, v[1]!, v[2]!, v[3]!, dy);
        out[o + c] = val <= 0 ? 0 : val >= 255 ? 255 : Math.trunc(val);
      }
    }
  }
  return out;
}

/** Image.transform(size, AFFINE, m, NEAREST, fillcolor=0) of one channel: Pillow's 16.16 fixed point path. */
export function affineNearest(src: Uint8Array, w: number, h: number, m: readonly number[]): Uint8Array {
  const FIX = (v: number) => Math.floor(v * 65536 + 0.5) | 0;
  const a0 = FIX(m[0]!), a1 = FIX(m[1]!), a3 = FIX(m[3]!), a4 = FIX(m[4]!);
  let a2 = FIX(m[2]! + m[0]! * 0.5 + m[1]! * 0.5);
  let a5 = FIX(m[5]! + m[3]! * 0.5 + m[4]! * 0.5);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let xx = a2, yy = a5;
    for (let x = 0; x < w; x++) {
      const xin = xx >> 16, yin = yy >> 16;
      if (xin >= 0 && xin < w && yin >= 0 && yin < h) out[y * w + x] = src[yin * w + xin]!;
      xx = (xx + a0) | 0;
      yy = (yy + a3) | 0;
    }
    a2 = (a2 + a1) | 0;
    a5 = (a5 + a4) | 0;
  }
  return out;
}

/**
 * The official landmark update for LaPa's augmentation (lapa.py apply_affine_transform_to_landmarks):
 * rotate by −angle (row-vector convention) and scale about the centre, then translate.
 */
export function transformLandmarks(
  pts: Float64Array, center: [number, number], angle: number, scale: number, translate: [number, number],
): Float64Array {
  const r = -angle * (Math.PI / 180); // np.deg2rad
  const c = Math.cos(r), s = Math.sin(r);
  const out = new Float64Array(pts.length);
  for (let i = 0; i < pts.length; i += 2) {
    const x = pts[i]! - center[0], y = pts[i + 1]! - center[1];
    // [x y] · [[c, −s], [s, c]]
    out[i] = (x * c + y * s) * scale + center[0] + translate[0];
    out[i + 1] = (-x * s + y * c) * scale + center[1] + translate[1];
  }
  return out;
}

/** A rectangular crop [y1,y2)×[x1,x2) of an interleaved image with `ch` channels. */
export function crop(src: Uint8Array, w: number, ch: number, x1: number, y1: number, x2: number, y2: number): Uint8Array {
  const cw = x2 - x1, chh = y2 - y1;
  const out = new Uint8Array(cw * chh * ch);
  for (let y = 0; y < chh; y++) {
    out.set(src.subarray(((y1 + y) * w + x1) * ch, ((y1 + y) * w + x2) * ch), y * cw * ch);
  }
  return out;
}
