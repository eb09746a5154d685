// One procedural face with an exact 19-class CelebAMask-HQ label map. Pose (roll, yaw, scale,
// position), colours, hair style, background clutter and occluders vary per image; the accessory
// classes are drawn only in a minority of images and stay small, so their pixel and image shares
// form a long tail like the real data's (spec §11, paper Fig. 1).
import { Rng } from '../../model/init.js';
import { Canvas, ellipse, intersect, minus, polygon, rect, union, type Fill, type Rgb } from './raster.js';

/** CelebAMask-HQ label values (celebamask_hq.py merge order, label = index + 1). */
export const L = {
  background: 0, neck: 1, skin: 2, cloth: 3, l_ear: 4, r_ear: 5, l_brow: 6, r_brow: 7, l_eye: 8, r_eye: 9,
  nose: 10, mouth: 11, l_lip: 12, u_lip: 13, hair: 14, eye_g: 15, hat: 16, ear_r: 17, neck_l: 18,
} as const;

/** How often the long-tail parts appear (fraction of images). */
export const ACCESSORY_RATES = { eye_g: 0.1, hat: 0.06, ear_r: 0.15, neck_l: 0.07 } as const;

export interface SynthFace {
  size: number;
  rgb: Uint8Array;
  label: Uint8Array;
  /** Per-part binary masks (0/255) whose official merge reproduces `label`. */
  masks: Map<number, Uint8Array>;
  /**
   * The five warp points in pixels, [x0,y0,…]: image-left eye centre, image-right eye centre,
   * nose tip, image-left and image-right mouth corners (the order of LaPa's template points).
   */
  points5: Float32Array;
  /** 68 landmarks in pixels (iBUG order, see the end of drawFace), [x0,y0,…]. */
  points68: Float32Array;
}

const SKIN_TONES: Rgb[] = [[255, 224, 196], [241, 194, 160], [224, 172, 125], [198, 134, 90], [141, 85, 54], [95, 60, 40]];
const HAIR_COLOURS: Rgb[] = [[20, 16, 14], [60, 40, 25], [110, 75, 40], [200, 160, 100], [150, 150, 150], [120, 40, 30]];

export function drawFace(size: number, seed: number): SynthFace {
  const rng = new Rng(seed);
  const U = (a: number, b: number) => a + (b - a) * rng.uniform();
  const chance = (p: number) => rng.uniform() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
  const jitter = (c: Rgb, d: number): Rgb => [c[0] + U(-d, d), c[1] + U(-d, d), c[2] + U(-d, d)];
  const randColour = (): Rgb => [U(0, 255), U(0, 255), U(0, 255)];
  const S = size;
  const cv = new Canvas(S, (seed ^ 0x5bd1e995) >>> 0);

  // Flat colour with grain and a vertical light gradient.
  const flat = (c: Rgb, grain = 10, shade = 0.15, ref = 1): Fill => (_u, v, n) => {
    const k = 1 - (shade * v) / ref, g = (n - 0.5) * grain;
    return [c[0] * k + g, c[1] * k + g, c[2] * k + g];
  };

  // ---- pose -------------------------------------------------------------------------------
  const a = S * U(0.17, 0.27); // face half-width
  const b = a * U(1.2, 1.4); // face half-height
  const cx = S * (0.5 + U(-0.08, 0.08));
  const cy = S * (0.45 + U(-0.07, 0.07));
  const roll = (U(-25, 25) * Math.PI) / 180;
  const yaw = U(-0.35, 0.35); // shifts the features sideways, hides the far ear
  const bodyRoll = roll * 0.3;
  const fu = yaw * a * 0.45; // feature offset along u

  // ---- background ---------------------------------------------------------------------------
  const bg1 = randColour(), bg2 = randColour();
  cv.paint(rect(-S, -S, S, S), S / 2, S / 2, 0, L.background, (_u, v, n) => {
    const t = Math.min(1, Math.max(0, v / S + 0.5)), g = (n - 0.5) * 12;
    return [bg1[0] * (1 - t) + bg2[0] * t + g, bg1[1] * (1 - t) + bg2[1] * t + g, bg1[2] * (1 - t) + bg2[2] * t + g];
  });
  const clutter = Math.floor(U(0, 4));
  for (let i = 0; i < clutter; i++) {
    cv.paint(ellipse(0, 0, S * U(0.05, 0.2), S * U(0.05, 0.2), U(0, Math.PI)), S * U(0, 1), S * U(0, 1), 0, L.background, flat(randColour(), 14, 0.1, S));
  }

  const skin = jitter(pick(SKIN_TONES), 12);
  const hairC = jitter(pick(HAIR_COLOURS), 15);
  const hairStyle = chance(0.06) ? 'bald' : chance(0.45) ? 'long' : 'short';
  const hairFill: Fill = (u, v, n) => {
    const stripe = 10 * Math.sin(u * 0.9 + v * 0.15), g = (n - 0.5) * 16 + stripe;
    return [hairC[0] + g, hairC[1] + g, hairC[2] + g];
  };

  // ---- hair behind the head (long styles fall to the shoulders) -----------------------------
  if (hairStyle === 'long') {
    const back = union(ellipse(0, -0.1 * b, 1.3 * a, 1.15 * b), rect(-1.25 * a, -0.1 * b, 1.25 * a, U(0.9, 1.5) * b));
    cv.paint(back, cx, cy, roll, L.hair, hairFill);
  }

  // ---- neck, clothes, necklace (body frame, less rolled than the head) -----------------------
  const neck = rect(-0.42 * a, 0.3 * b, 0.42 * a, 1.6 * b);
  cv.paint(neck, cx, cy, bodyRoll, L.neck, flat(skin.map((x) => x * 0.88) as Rgb, 8, 0.1, b));
  if (chance(0.92)) {
    const clothC = randColour();
    const body = union(ellipse(0, 2.35 * b, 2.3 * a, 1.05 * b), polygon([[-0.5 * a, 1.35 * b], [0.5 * a, 1.35 * b], [0.9 * a, 1.7 * b], [-0.9 * a, 1.7 * b]]));
    const vneck = polygon([[-0.35 * a, 1.3 * b], [0.35 * a, 1.3 * b], [0, U(1.5, 1.8) * b]]);
    cv.paint(minus(body, vneck), cx, cy, bodyRoll, L.cloth, flat(clothC, 12, 0.2, b));
  }
  if (chance(ACCESSORY_RATES.neck_l)) {
    const rv = U(0.25, 0.45) * b, ru = 0.44 * a, t = U(0.04, 0.07) * a;
    const ring = minus(ellipse(0, 1.05 * b, ru + t, rv + t), ellipse(0, 1.05 * b, ru, rv));
    const metal: Rgb = chance(0.5) ? [212, 175, 55] : [200, 200, 210];
    cv.paint(intersect(ring, (_u, v) => v > 1.05 * b), cx, cy, bodyRoll, L.neck_l, flat(metal, 30, 0, 1));
  }

  // ---- ears and earrings ------------------------------------------------------------------------
  const earR = 0.2 * a, earV = 0.32 * b;
  const sides: Array<[number, number, number]> = [[1, L.l_ear, yaw > 0.22 ? 0 : 1], [-1, L.r_ear, yaw < -0.22 ? 0 : 1]];
  const earrings = chance(ACCESSORY_RATES.ear_r);
  for (const [side, lab, visible] of sides) {
    if (!visible || chance(0.1)) continue; // hidden by pose or hair
    const eu = side * (0.97 * a) + fu * 0.3;
    cv.paint(ellipse(eu, 0.05 * b, earR, earV), cx, cy, roll, lab, flat(skin.map((x) => x * 0.93) as Rgb, 8, 0.1, b));
    if (earrings) {
      const r = U(0.04, 0.08) * a;
      const shape = chance(0.5) ? ellipse(eu, 0.05 * b + earV + r * 0.6, r, r) : polygon([[eu, 0.05 * b + earV], [eu - r, 0.05 * b + earV + 2.5 * r], [eu + r, 0.05 * b + earV + 2.5 * r]]);
      cv.paint(shape, cx, cy, roll, L.ear_r, flat(chance(0.5) ? [230, 200, 60] : [220, 220, 230], 30, 0, 1));
    }
  }

  // ---- face ---------------------------------------------------------------------------------------
  const face = union(ellipse(0, 0, a, b), ellipse(0, 0.35 * b, 0.75 * a, 0.68 * b));
  cv.paint(face, cx, cy, roll, L.skin, (u, v, n) => {
    const k = 1 - 0.12 * (v / b) - 0.1 * Math.abs((u - fu) / a), g = (n - 0.5) * 8;
    return [skin[0] * k + g, skin[1] * k + g, skin[2] * k + g];
  });

  // ---- brows, eyes, nose, mouth -------------------------------------------------------------------
  const eyeDx = U(0.34, 0.42) * a, eyeV = U(-0.2, -0.1) * b;
  const near = (side: number) => 1 - side * yaw * 0.5; // far-side features shrink with yaw
  const browC = hairStyle === 'bald' ? ([60, 45, 35] as Rgb) : (hairC.map((x) => x * 0.8) as Rgb);
  const browTilt = U(-0.15, 0.15);
  const eyeOpen = chance(0.1) ? U(0.015, 0.03) : U(0.05, 0.085);
  const iris = jitter(pick<Rgb>([[70, 45, 25], [40, 90, 140], [60, 110, 60], [30, 25, 20]]), 15);
  // Per side (+1 image right, −1 image left): brow and eye ellipses, kept for the landmarks.
  const parts68 = new Map<number, { eu: number; bv: number; bru: number; brv: number; ru: number; rv: number }>();
  for (const [side, browL, eyeL] of [[1, L.l_brow, L.l_eye], [-1, L.r_brow, L.r_eye]] as const) {
    const s = near(side), eu = side * eyeDx * s + fu;
    const bv = eyeV - U(0.15, 0.22) * b, bru = 0.22 * a * s, brv = U(0.035, 0.06) * b;
    cv.paint(ellipse(eu, bv, bru, brv, side * browTilt), cx, cy, roll, browL, flat(browC, 12, 0, 1));
    const ru = 0.16 * a * s, rv = eyeOpen * b;
    parts68.set(side, { eu, bv, bru, brv, ru, rv });
    cv.paint(ellipse(eu, eyeV, ru, rv), cx, cy, roll, eyeL, (u, v, n) => {
      const d = Math.hypot(u - eu, v - eyeV), g = (n - 0.5) * 10;
      const c: Rgb = d < rv * 0.95 ? (d < rv * 0.4 ? [15, 10, 10] : iris) : [235, 232, 225];
      return [c[0] + g, c[1] + g, c[2] + g];
    });
  }
  const noseW = U(0.11, 0.17) * a, noseTop = eyeV + 0.05 * b, noseBot = U(0.2, 0.28) * b;
  cv.paint(polygon([[fu * 1.2, noseTop], [fu * 1.2 + noseW, noseBot], [fu * 1.2, noseBot + 0.04 * b], [fu * 1.2 - noseW, noseBot]]),
    cx, cy, roll, L.nose, flat(skin.map((x) => x * 0.9) as Rgb, 8, 0.2, b));
  const mv = U(0.48, 0.58) * b, mw = U(0.26, 0.36) * a, mu = fu * 1.1;
  const lipC = jitter([170, 70, 80], 25);
  const open = chance(0.35) ? U(0.03, 0.08) * b : 0;
  const outer = ellipse(mu, mv, mw, 0.1 * b + open);
  cv.paint(intersect(outer, (_u, v) => v < mv), cx, cy, roll, L.u_lip, flat(lipC, 10, 0, 1));
  cv.paint(intersect(outer, (_u, v) => v >= mv), cx, cy, roll, L.l_lip, flat(lipC.map((x) => x * 1.08) as Rgb, 10, 0, 1));
  if (open > 0) cv.paint(ellipse(mu, mv, mw * 0.75, open), cx, cy, roll, L.mouth, flat([90, 25, 30], 10, 0, 1));

  // ---- hair in front (fringe / hairline) -----------------------------------------------------------
  if (hairStyle !== 'bald') {
    const line = U(-0.65, -0.4) * b, wave = U(0, 0.12) * b, f = U(0.05, 0.15);
    const cap = intersect(ellipse(0, -0.1 * b, 1.1 * a, 1.08 * b), (u, v) => v < line + wave * Math.sin(u * f));
    const sideburns = hairStyle === 'long' ? union(rect(-1.12 * a, -0.5 * b, -0.85 * a, 0.3 * b), rect(0.85 * a, -0.5 * b, 1.12 * a, 0.3 * b)) : rect(0, 0, 0, 0);
    cv.paint(union(cap, sideburns), cx, cy, roll, L.hair, hairFill);
  }

  // ---- accessories on top: glasses, hat ----------------------------------------------------------
  if (chance(ACCESSORY_RATES.eye_g)) {
    const frameC: Rgb = pick<Rgb>([[20, 20, 20], [90, 60, 30], [160, 160, 170]]);
    const tint: Rgb = chance(0.3) ? [40, 40, 50] : [205, 215, 225];
    const lu = 0.27 * a, lv = U(0.12, 0.18) * b;
    for (const side of [1, -1]) {
      const eu = side * eyeDx * near(side) + fu;
      const outerL = ellipse(eu, eyeV, lu, lv), innerL = ellipse(eu, eyeV, lu * 0.85, lv * 0.8);
      cv.paint(outerL, cx, cy, roll, L.eye_g, (u, v, n) => {
        const lens = innerL.inside(u, v), g = (n - 0.5) * 8;
        const c = lens ? tint : frameC;
        return [c[0] + g, c[1] + g, c[2] + g];
      });
    }
    const bridgeU = eyeDx - lu;
    cv.paint(rect(fu - bridgeU * 1.05, eyeV - 0.03 * b, fu + bridgeU * 1.05, eyeV), cx, cy, roll, L.eye_g, flat(frameC, 6, 0, 1));
  }
  if (chance(ACCESSORY_RATES.hat)) {
    const hatC = randColour();
    const crownTop = -U(1.15, 1.45) * b, brimV = -U(0.5, 0.65) * b;
    const crown = intersect(ellipse(0, brimV, 1.1 * a, brimV - crownTop), (_u, v) => v <= brimV);
    const brim = ellipse(0, brimV, U(1.2, 1.5) * a, 0.1 * b);
    cv.paint(union(crown, brim), cx, cy, roll, L.hat, flat(hatC, 14, 0.1, b));
  }

  // ---- occluder (hand, microphone, object) over part of the face: background in every mask -----------
  if (chance(0.12)) {
    const oc = chance(0.5) ? skin.map((x) => x * 0.95) as Rgb : randColour();
    const ou = U(-0.8, 0.8) * a, ov = U(0, 1.1) * b;
    cv.paint(ellipse(ou, ov, U(0.25, 0.5) * a, U(0.2, 0.45) * b, U(0, Math.PI)), cx, cy, roll, L.background, flat(oc, 10, 0.1, b));
  }

  // Face frame → pixel coordinates (the rasteriser's forward rotation).
  const cr = Math.cos(roll), sr = Math.sin(roll);
  const px = (u: number, v: number) => [cx + u * cr - v * sr, cy + u * sr + v * cr];
  const points5 = new Float32Array([
    ...px(-eyeDx * near(-1) + fu, eyeV), ...px(eyeDx * near(1) + fu, eyeV),
    ...px(fu * 1.2, noseBot + 0.04 * b), ...px(mu - mw, mv), ...px(mu + mw, mv),
  ]);
  // iBUG-style 68 points (as Helen's landmarks.txt): jaw 0–16 along the lower face outline, brows
  // 17–26, nose 27–35 (tip 30), eye rings 36–41 / 42–47 (image-left first, so their means are the
  // eye centres), outer lip ring 48–59 (corners 48 and 54), inner ring 60–67.
  const pts: number[][] = [];
  const ring = (u0: number, v0: number, ru: number, rv: number, k: number, start: number) => {
    for (let i = 0; i < k; i++) { const t = start + (2 * Math.PI * i) / k; pts.push(px(u0 + ru * Math.cos(t), v0 + rv * Math.sin(t))); }
  };
  for (let i = 0; i <= 16; i++) { const t = Math.PI - (Math.PI * i) / 16; pts.push(px(a * Math.cos(t), b * Math.sin(t))); }
  for (const side of [-1, 1]) {
    const p = parts68.get(side)!;
    for (let i = 0; i < 5; i++) pts.push(px(p.eu - p.bru + (p.bru * i) / 2, p.bv));
  }
  for (let i = 0; i < 4; i++) pts.push(px(fu * 1.2, noseTop + ((noseBot + 0.04 * b - noseTop) * i) / 3));
  for (let i = 0; i < 5; i++) pts.push(px(fu * 1.2 - noseW + (noseW * i) / 2, noseBot));
  // point 30 is the tip: the 4th bridge point (index 30) already is (fu·1.2, noseBot + 0.04b).
  for (const side of [-1, 1]) { const p = parts68.get(side)!; ring(p.eu, eyeV, p.ru, p.rv, 6, Math.PI); }
  ring(mu, mv, mw, 0.1 * b + open, 12, Math.PI);
  ring(mu, mv, mw * 0.75, Math.max(open, 0.01 * b), 8, Math.PI);
  const points68 = Float32Array.from(pts.flat());
  return { size: S, rgb: cv.rgb, label: cv.label, masks: cv.partMasks(), points5, points68 };
}
