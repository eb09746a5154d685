// Aligned crops in, full-resolution labels out: crop each face from the photo rectangle it reads
// in a GridSample run, and paste each face's logits back onto the photo pixels its canvas covers
// in chunked GridSample runs whose argmax (and, where faces overlap, foreground probability) are
// composited here: each pixel goes to the face with the highest 1 − p(background); pixels no face covers stay
// background.
import { cropFootprint, cropGrid, pasteGrid, pasteRegion, type Alignment, type Region } from './geometry.js';
import { cropGraph, pasteGraph } from './graphs.js';
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
  /** Per face, the photo rectangle it was pasted onto: every pixel it owns lies inside. */
  regions: Region[];
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

  constructor(private readonly runtime: GraphRuntime, readonly resolution: number) {}

  private cropSession(): Promise<GraphSession> {
    this.crop ??= this.runtime.open(cropGraph(this.resolution));
    return this.crop;
  }

  private pasteSession(h: number, C: number, foreground: boolean): Promise<GraphSession> {
    const key = `${h}x${C}${foreground ? 'f' : ''}`;
    let s = this.paste.get(key);
    if (!s) { s = this.runtime.open(pasteGraph(h, C, foreground)); this.paste.set(key, s); }
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
   * The same crops, one [3,R,R] array per face: each is the crop run's own output, so a photo's
   * crops are never copied into one batch.
   */
  async faceCrops(photo: { data: Uint8Array; width: number; height: number }, aligns: readonly Alignment[]): Promise<Float32Array[]> {
    const R = this.resolution, out: Float32Array[] = [];
    if (aligns.length === 0) return out;
    const session = await this.cropSession();
    for (const al of aligns) {
      const box = cropFootprint(al, photo.width, photo.height);
      const w = box.x1 - box.x0, h = box.y1 - box.y0;
      if (w <= 0 || h <= 0) { out.push(new Float32Array(3 * R * R)); continue; } // wholly outside: 0, the mean colour
      const grid = cropGrid(al, w, h, undefined, R, 0, [box.x0, box.y0]); // [1,R,R,2]
      const res = await session.run({
        photo: { data: photo.data, shape: [1, photo.height, photo.width, 3] },
        start: { data: BigInt64Array.from([BigInt(box.y0), BigInt(box.x0)]), shape: [2] },
        end: { data: BigInt64Array.from([BigInt(box.y1), BigInt(box.x1)]), shape: [2] },
        grid: { data: grid, shape: [1, R, R, 2] },
      });
      out.push(res.crops!.data as Float32Array);
    }
    return out;
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
    if (n === 0) return { labels, owner, foreground: best, regions: [] };
    // Each face's covered photo pixels (index into the photo) and their grid points, packed.
    const regions = aligns.map((al) => pasteRegion(al, width, height));
    const faces = aligns.map((al, i) => {
      const region = regions[i]!;
      return region.x1 > region.x0 && region.y1 > region.y0 ? pasteGrid(al, region, width) : { pixels: new Int32Array(0), grid: new Float32Array(0) };
    });
    // How many faces cover each pixel (capped at 2): only shared pixels need the softmax.
    const count = n > 1 ? coverCount(faces, width * height) : new Uint8Array(0);
    const sample = async (i: number, grid: Float32Array, fg: boolean) => {
      const session = await this.pasteSession(h, C, fg);
      const face = logits instanceof Float32Array ? logits.subarray(i * C * h * h, (i + 1) * C * h * h) : logits[i]!;
      const points = grid.length / 2;
      if (points <= PASTE_CHUNK) { // one run (the usual case): its outputs as they are, no copy
        const out = await session.run({ logits: { data: face, shape: [1, C, h, h] }, grid: { data: grid, shape: [1, 1, points, 2] } });
        return { lab: out.labels!.data as Uint8Array, prob: fg ? out.foreground!.data as Float32Array : undefined };
      }
      const lab = new Uint8Array(points), prob = fg ? new Float32Array(points) : undefined;
      for (let start = 0; start < lab.length; start += PASTE_CHUNK) {
        const end = Math.min(lab.length, start + PASTE_CHUNK);
        const out = await session.run({
          logits: { data: face, shape: [1, C, h, h] },
          grid: { data: grid.subarray(start * 2, end * 2), shape: [1, 1, end - start, 2] },
        });
        lab.set(out.labels!.data as Uint8Array, start);
        prob?.set(out.foreground!.data as Float32Array, start);
      }
      return { lab, prob };
    };
    for (let i = 0; i < n; i++) {
      const { pixels, grid } = faces[i]!;
      const { solo, shared } = n > 1 || opts.foreground ? split(pixels, grid, count, !!opts.foreground) : { solo: { pixels, grid }, shared: undefined };
      if (solo.pixels.length > 0) {
        writeSolo(solo.pixels, (await sample(i, solo.grid, false)).lab, i + 1, labels, owner, best);
      }
      if (shared && shared.pixels.length > 0) {
        const { lab, prob } = await sample(i, shared.grid, true);
        writeShared(shared.pixels, lab, prob!, i + 1, labels, owner, best);
      }
    }
    return { labels, owner, foreground: best, regions };
  }

  async dispose(): Promise<void> {
    const all = [this.crop, ...this.paste.values()].filter((s): s is Promise<GraphSession> => !!s);
    this.crop = undefined;
    this.paste.clear();
    await Promise.all(all.map(async (s) => (await s).release().catch(() => undefined)));
  }
}
