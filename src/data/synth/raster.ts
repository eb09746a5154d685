// A tiny rasteriser for the synthetic faces: filled shapes defined in a rotated "face frame"
// painted into an RGB buffer and a label buffer at once, with hard edges so the label map is
// exact. Every painted pixel is also recorded in the shape's part mask (before later shapes
// cover it), which is what lets the writer emit overlapping CelebAMask-HQ style masks.

export type Rgb = [number, number, number];

/** A region in face-frame coordinates (u right, v down, in pixels, origin at the frame centre). */
export interface Shape {
  /** Bounding box in frame coordinates: [u0, v0, u1, v1]. */
  box: [number, number, number, number];
  inside(u: number, v: number): boolean;
}

export function ellipse(cu: number, cv: number, ru: number, rv: number, rot = 0): Shape {
  const c = Math.cos(rot), s = Math.sin(rot), r = Math.max(ru, rv);
  return {
    box: [cu - r, cv - r, cu + r, cv + r],
    inside(u, v) {
      const du = u - cu, dv = v - cv;
      const x = du * c + dv * s, y = -du * s + dv * c;
      return (x * x) / (ru * ru) + (y * y) / (rv * rv) <= 1;
    },
  };
}

export function rect(u0: number, v0: number, u1: number, v1: number): Shape {
  return { box: [u0, v0, u1, v1], inside: (u, v) => u >= u0 && u <= u1 && v >= v0 && v <= v1 };
}

/** Convex or concave polygon (even-odd rule). */
export function polygon(pts: ReadonlyArray<[number, number]>): Shape {
  const us = pts.map((p) => p[0]), vs = pts.map((p) => p[1]);
  return {
    box: [Math.min(...us), Math.min(...vs), Math.max(...us), Math.max(...vs)],
    inside(u, v) {
      let inside = false;
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [ui, vi] = pts[i]!, [uj, vj] = pts[j]!;
        if ((vi > v) !== (vj > v) && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside;
      }
      return inside;
    },
  };
}

export const union = (...ss: Shape[]): Shape => ({
  box: [Math.min(...ss.map((s) => s.box[0])), Math.min(...ss.map((s) => s.box[1])),
    Math.max(...ss.map((s) => s.box[2])), Math.max(...ss.map((s) => s.box[3]))],
  inside: (u, v) => ss.some((s) => s.inside(u, v)),
});

export const intersect = (a: Shape, pred: (u: number, v: number) => boolean): Shape => ({
  box: a.box, inside: (u, v) => a.inside(u, v) && pred(u, v),
});

export const minus = (a: Shape, b: Shape): Shape => ({ box: a.box, inside: (u, v) => a.inside(u, v) && !b.inside(u, v) });

/** Colour of a painted pixel from frame coordinates and a per-pixel random number in [0,1). */
export type Fill = (u: number, v: number, noise: number) => Rgb;

export class Canvas {
  readonly rgb: Uint8Array;
  readonly label: Uint8Array;
  /** Raw part masks (label value → pixels that shape painted), before any overwrite. */
  readonly parts = new Map<number, Uint8Array>();
  private noiseState: number;

  constructor(readonly size: number, seed: number) {
    this.rgb = new Uint8Array(size * size * 3);
    this.label = new Uint8Array(size * size);
    this.noiseState = seed >>> 0 || 1;
  }

  private noise(): number {
    // xorshift32: cheap per-pixel grain, deterministic per image.
    let x = this.noiseState;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.noiseState = x;
    return x / 4294967296;
  }

  /**
   * Paints `shape` placed in a frame centred at (cx, cy) and rotated by `rot` radians.
   * `label` null paints colour only (e.g. shading that keeps the part).
   */
  paint(shape: Shape, cx: number, cy: number, rot: number, label: number | null, fill: Fill): void {
    const S = this.size, c = Math.cos(rot), s = Math.sin(rot);
    const [u0, v0, u1, v1] = shape.box;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [u, v] of [[u0, v0], [u1, v0], [u0, v1], [u1, v1]] as const) {
      const x = cx + u * c - v * s, y = cy + u * s + v * c;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const xa = Math.max(0, Math.floor(x0)), xb = Math.min(S - 1, Math.ceil(x1));
    const ya = Math.max(0, Math.floor(y0)), yb = Math.min(S - 1, Math.ceil(y1));
    let mask: Uint8Array | undefined;
    if (label !== null && label > 0) {
      mask = this.parts.get(label);
      if (!mask) { mask = new Uint8Array(S * S); this.parts.set(label, mask); }
    }
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        // pixel centre → frame coordinates (inverse rotation)
        const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        const u = dx * c + dy * s, v = -dx * s + dy * c;
        if (!shape.inside(u, v)) continue;
        const i = y * S + x;
        const [r, g, b] = fill(u, v, this.noise());
        this.rgb[i * 3] = r < 0 ? 0 : r > 255 ? 255 : r;
        this.rgb[i * 3 + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
        this.rgb[i * 3 + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
        if (label !== null) this.label[i] = label;
        if (mask) mask[i] = 1;
      }
    }
  }

  /**
   * CelebAMask-HQ style part masks whose official merge (later label values overwrite earlier
   * ones) gives back exactly `label`: each part keeps the pixels it painted that ended up under
   * the same or a higher-priority label, so annotations overlap the way the real ones do.
   */
  partMasks(): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const [k, raw] of [...this.parts].sort((a, b) => a[0] - b[0])) {
      const m = new Uint8Array(raw.length);
      let any = false;
      for (let i = 0; i < raw.length; i++) {
        if (raw[i] && this.label[i]! >= k) { m[i] = 255; any = true; }
      }
      if (any) out.set(k, m);
    }
    return out;
  }
}
