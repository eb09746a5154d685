// Aligned crops in, full-resolution labels out: crop each face from the photo rectangle it reads
// in a GridSample run, and paste each face's logits back onto the photo pixels its canvas covers
// in chunked GridSample runs whose argmax (and, where faces overlap, foreground probability) are
// composited here: each pixel goes to the face with the highest 1 − p(background); pixels no face covers stay
// background.
import { cropFootprint, cropGrid, pasteGrid, pasteRegion, type Alignment } from './geometry.js';
import { cropGraph, pasteGraph } from './graphs.js';
import { band, inLanes, lanesOf, openForLanes } from './lanes.js';
import type { GraphRuntime, GraphSession } from './runtime.js';

/** Photo pixels per paste-back run (bounds memory: C floats per point). */
const PASTE_CHUNK = 1 << 20;

export interface Composite {
  /** Native class id per photo pixel, [H,W]. */
  labels: Uint8Array;
  /** 1 + index of the face that owns each pixel, 0 where none covers it, [H,W]. */
  owner: Uint8Array;
  /**
   * The owner's 1 − p(background) per pixel, −1 where no face covers it, [H,W]; NaN where a
   * single face covers it (not needed there) unless asked for with `foreground: true`.
   */
  foreground: Float32Array;
}

interface Points { pixels: Int32Array; grid: Float32Array }

/** A face's points split into those only it covers and those others cover too (all: `allShared`). */
function split(pixels: Int32Array, grid: Float32Array, count: Uint8Array, allShared: boolean): { solo: Points; shared: Points } {
  let m = 0;
  if (!allShared) for (let k = 0; k < pixels.length; k++) if (count[pixels[k]!]! > 1) m++;
  if (allShared || m === pixels.length) return { solo: { pixels: new Int32Array(0), grid: new Float32Array(0) }, shared: { pixels, grid } };
  if (m === 0) return { solo: { pixels, grid }, shared: { pixels: new Int32Array(0), grid: new Float32Array(0) } };
  const solo = { pixels: new Int32Array(pixels.length - m), grid: new Float32Array(2 * (pixels.length - m)) };
  const shared = { pixels: new Int32Array(m), grid: new Float32Array(2 * m) };
  for (let k = 0, a = 0, b = 0; k < pixels.length; k++) {
    const to = count[pixels[k]!]! > 1 ? shared : solo, j = to === shared ? b++ : a++;
    to.pixels[j] = pixels[k]!;
    to.grid[2 * j] = grid[2 * k]!;
    to.grid[2 * j + 1] = grid[2 * k + 1]!;
  }
  return { solo, shared };
}

/** How many faces cover each pixel, capped at 2 (kept out of the async composite so V8 optimises the loop). */
function coverCount(faces: readonly Points[], size: number): Uint8Array {
  const count = new Uint8Array(size);
  for (const { pixels } of faces) for (let k = 0; k < pixels.length; k++) { const q = pixels[k]!; if (count[q]! < 2) count[q]!++; }
  return count;
}

/** Pixels only face i covers: its label, no probability needed. */
function writeSolo(px: Int32Array, lab: Uint8Array, face: number, labels: Uint8Array, owner: Uint8Array, best: Float32Array): void {
  for (let k = 0; k < px.length; k++) { const q = px[k]!; labels[q] = lab[k]!; owner[q] = face; best[q] = NaN; }
}

/** Pixels several faces cover: face i takes those where its 1 − p(background) is the highest so far. */
function writeShared(px: Int32Array, lab: Uint8Array, prob: Float32Array, face: number, labels: Uint8Array, owner: Uint8Array, best: Float32Array): void {
  for (let k = 0; k < px.length; k++) {
    const q = px[k]!, f = prob[k]!;
    if (f > best[q]!) { best[q] = f; labels[q] = lab[k]!; owner[q] = face; }
  }
}

export class FacePaster {
  private readonly paste = new Map<string, Promise<GraphSession>>();
  private crop?: Promise<GraphSession>;

  private readonly lanes: number;

  constructor(private readonly runtime: GraphRuntime, readonly resolution: number) {
    this.lanes = lanesOf(runtime);
  }

  private cropSession(): Promise<GraphSession> {
    this.crop ??= openForLanes(this.runtime, cropGraph(this.resolution));
    return this.crop;
  }

  private pasteSession(h: number, C: number, foreground: boolean): Promise<GraphSession> {
    const key = `${h}x${C}${foreground ? 'f' : ''}`;
    let s = this.paste.get(key);
    if (!s) { s = openForLanes(this.runtime, pasteGraph(h, C, foreground)); this.paste.set(key, s); }
    return s;
  }

  /**
   * RGB photo [H,W,3] → ImageNet-normalised aligned crops [n,3,R,R]. One run per face over the
   * photo rectangle it reads: converting the whole photo to float was a third of this step.
   */
  async crops(photo: { data: Uint8Array; width: number; height: number }, aligns: readonly Alignment[]): Promise<Float32Array> {
    const R = this.resolution, per = 3 * R * R, faces = await this.faceCrops(photo, aligns);
    const out = new Float32Array(faces.length * per);
    faces.forEach((f, i) => out.set(f, i * per));
    return out;
  }

  /**
   * The same crops, one [3,R,R] array per face. With one lane each is the crop run's own output
   * (a photo's crops are never copied into one batch); with more, each face is cut into row bands
   * (one per lane, all faces' bands side by side in the lanes) and its bands copied together.
   */
  async faceCrops(photo: { data: Uint8Array; width: number; height: number }, aligns: readonly Alignment[]): Promise<Float32Array[]> {
    const R = this.resolution;
    if (aligns.length === 0) return [];
    const session = await this.cropSession();
    const bands = this.lanes;
    const plans = aligns.map((al) => {
      const box = cropFootprint(al, photo.width, photo.height);
      const w = box.x1 - box.x0, h = box.y1 - box.y0;
      return w > 0 && h > 0 ? { box, grid: cropGrid(al, w, h, undefined, R, 0, [box.x0, box.y0]) } : undefined; // grid [1,R,R,2]
    });
    const run = async (i: number, b: number) => {
      const { box, grid } = plans[i]!;
      const [r0, r1] = band(R, bands, b);
      const res = await session.run({
        photo: { data: photo.data, shape: [1, photo.height, photo.width, 3] },
        start: { data: BigInt64Array.from([BigInt(box.y0), BigInt(box.x0)]), shape: [2] },
        end: { data: BigInt64Array.from([BigInt(box.y1), BigInt(box.x1)]), shape: [2] },
        grid: { data: grid.subarray(r0 * R * 2, r1 * R * 2), shape: [1, r1 - r0, R, 2] },
      });
      return res.crops!.data as Float32Array; // [1,3,r1−r0,R]
    };
    const live = plans.flatMap((p, i) => (p ? [i] : []));
    const parts = await inLanes(live.length * bands, this.lanes, (t) => run(live[Math.floor(t / bands)]!, t % bands));
    const out: Float32Array[] = plans.map(() => new Float32Array(0));
    live.forEach((i, k) => {
      if (bands === 1) { out[i] = parts[k]!; return; }
      const crop = new Float32Array(3 * R * R);
      for (let b = 0; b < bands; b++) {
        const [r0, r1] = band(R, bands, b), part = parts[k * bands + b]!, n = (r1 - r0) * R;
        for (let c = 0; c < 3; c++) crop.set(part.subarray(c * n, (c + 1) * n), c * R * R + r0 * R);
      }
      out[i] = crop;
    });
    // Wholly outside the photo: 0, the mean colour.
    return out.map((c) => (c.length > 0 ? c : new Float32Array(3 * R * R)));
  }

  /**
   * Faces' logits [n,C,h,h] (h normally R) → composite over a W×H photo. Face i's pixels are
   * those of its paste region (spec: the pre-image of |c| ≤ 2 with the tanh warp, the crop square
   * without it); only those are sampled. A pixel one face covers is that face's without a softmax;
   * where several cover it, 1 − p(background) decides. `logits` may also be one [C,h,h] array per
   * face (the model's own outputs: no 100 MB batch copy for five faces at 512²).
   */
  async composite(width: number, height: number, aligns: readonly Alignment[], logits: Float32Array | readonly Float32Array[], C: number, h: number, opts: { foreground?: boolean } = {}): Promise<Composite> {
    const n = aligns.length;
    const labels = new Uint8Array(width * height), owner = new Uint8Array(width * height);
    const best = new Float32Array(width * height).fill(-1);
    if (n === 0) return { labels, owner, foreground: best };
    // Each face's covered photo pixels (index into the photo) and their grid points, packed.
    const faces = aligns.map((al) => {
      const region = pasteRegion(al, width, height);
      return region.x1 > region.x0 && region.y1 > region.y0 ? pasteGrid(al, region, width) : { pixels: new Int32Array(0), grid: new Float32Array(0) };
    });
    // How many faces cover each pixel (capped at 2): only shared pixels need the softmax.
    const count = n > 1 ? coverCount(faces, width * height) : new Uint8Array(0);
    // The sampling runs: per face its solo and shared points, in pieces of at most PASTE_CHUNK
    // points and at least one per lane, all side by side in the lanes; then written in face order
    // (where faces overlap, ties keep the earlier face, as one run after the other did).
    const jobs: { face: number; fg: boolean; pixels: Int32Array; grid: Float32Array }[] = [];
    for (let i = 0; i < n; i++) {
      const { pixels, grid } = faces[i]!;
      const { solo, shared } = n > 1 || opts.foreground ? split(pixels, grid, count, !!opts.foreground) : { solo: { pixels, grid }, shared: undefined };
      for (const [set, fg] of [[solo, false], [shared, true]] as const) {
        if (!set || set.pixels.length === 0) continue;
        const P = set.pixels.length, pieces = Math.max(this.lanes, Math.ceil(P / PASTE_CHUNK));
        for (let k = 0; k < pieces; k++) {
          const [p0, p1] = band(P, pieces, k);
          if (p1 > p0) jobs.push({ face: i, fg, pixels: set.pixels.subarray(p0, p1), grid: set.grid.subarray(2 * p0, 2 * p1) });
        }
      }
    }
    const sampled = await inLanes(jobs.length, this.lanes, async (j) => {
      const { face: i, fg, grid } = jobs[j]!;
      const session = await this.pasteSession(h, C, fg);
      const face = logits instanceof Float32Array ? logits.subarray(i * C * h * h, (i + 1) * C * h * h) : logits[i]!;
      const out = await session.run({ logits: { data: face, shape: [1, C, h, h] }, grid: { data: grid, shape: [1, 1, grid.length / 2, 2] } });
      return { lab: out.labels!.data as Uint8Array, prob: fg ? out.foreground!.data as Float32Array : undefined };
    });
    jobs.forEach((job, j) => {
      const { lab, prob } = sampled[j]!;
      if (prob) writeShared(job.pixels, lab, prob, job.face + 1, labels, owner, best);
      else writeSolo(job.pixels, lab, job.face + 1, labels, owner, best);
    });
    return { labels, owner, foreground: best };
  }

  async dispose(): Promise<void> {
    const all = [this.crop, ...this.paste.values()].filter((s): s is Promise<GraphSession> => !!s);
    this.crop = undefined;
    this.paste.clear();
    await Promise.all(all.map(async (s) => (await s).release().catch(() => undefined)));
  }
}
