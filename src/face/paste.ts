// Aligned crops in, full-resolution labels out: crop every face from the photo in one GridSample
// run, and paste each face's logits back onto its region of the photo in chunked GridSample runs
// whose argmax and foreground probability are composited here: each pixel goes to the face with the highest
// 1 − p(background); pixels no face covers stay background.
import { cropGrid, pasteGrid, pasteRegion, type Alignment } from './geometry.js';
import { cropGraph, pasteGraph } from './graphs.js';
import type { GraphRuntime, GraphSession } from './runtime.js';

/** Photo pixels per paste-back run (bounds memory: C floats per point). */
const PASTE_CHUNK = 1 << 20;

export interface Composite {
  /** Native class id per photo pixel, [H,W]. */
  labels: Uint8Array;
  /** 1 + index of the face that owns each pixel, 0 where none covers it, [H,W]. */
  owner: Uint8Array;
  /** The owner's 1 − p(background) per pixel, −1 where no face covers it, [H,W]. */
  foreground: Float32Array;
}

export class FacePaster {
  private readonly paste = new Map<string, Promise<GraphSession>>();
  private crop?: Promise<GraphSession>;

  constructor(private readonly runtime: GraphRuntime, readonly resolution: number) {}

  private cropSession(): Promise<GraphSession> {
    this.crop ??= this.runtime.open(cropGraph(this.resolution));
    return this.crop;
  }

  private pasteSession(h: number, C: number): Promise<GraphSession> {
    const key = `${h}x${C}`;
    let s = this.paste.get(key);
    if (!s) { s = this.runtime.open(pasteGraph(h, C)); this.paste.set(key, s); }
    return s;
  }

  /** RGB photo [H,W,3] → ImageNet-normalised aligned crops [n,3,R,R]. */
  async crops(photo: { data: Uint8Array; width: number; height: number }, aligns: readonly Alignment[]): Promise<Float32Array> {
    const R = this.resolution, n = aligns.length;
    if (n === 0) return new Float32Array(0);
    const grid = new Float32Array(R * n * R * 2); // [1,R,n·R,2]
    aligns.forEach((al, i) => cropGrid(al, photo.width, photo.height, grid, n * R, i * R * 2));
    const out = await (await this.cropSession()).run({
      photo: { data: photo.data, shape: [1, photo.height, photo.width, 3] },
      grid: { data: grid, shape: [1, R, n * R, 2] },
    });
    return out.crops!.data as Float32Array;
  }

  /**
   * Faces' logits [n,C,h,h] (h normally R) → composite over a W×H photo. Face i's pixels are
   * those of its paste region (spec: the pre-image of |c| ≤ 2 with the tanh warp, the crop square
   * without it).
   */
  async composite(width: number, height: number, aligns: readonly Alignment[], logits: Float32Array, C: number, h: number): Promise<Composite> {
    const n = aligns.length;
    const labels = new Uint8Array(width * height), owner = new Uint8Array(width * height);
    const best = new Float32Array(width * height).fill(-1);
    if (n === 0) return { labels, owner, foreground: best };
    const session = await this.pasteSession(h, C);
    for (let i = 0; i < n; i++) {
      const al = aligns[i]!;
      const region = pasteRegion(al, width, height);
      const rw = region.x1 - region.x0, rh = region.y1 - region.y0;
      if (rw <= 0 || rh <= 0) continue;
      const { grid, covered } = pasteGrid(al, region);
      const face = logits.subarray(i * C * h * h, (i + 1) * C * h * h);
      const total = rw * rh;
      for (let start = 0; start < total; start += PASTE_CHUNK) {
        const end = Math.min(total, start + PASTE_CHUNK);
        const out = await session.run({
          logits: { data: face, shape: [1, C, h, h] },
          grid: { data: grid.subarray(start * 2, end * 2), shape: [1, 1, end - start, 2] },
        });
        const lab = out.labels!.data as Uint8Array, fg = out.foreground!.data as Float32Array;
        for (let p = start; p < end; p++) {
          if (!covered[p]) continue;
          const q = (region.y0 + Math.floor(p / rw)) * width + region.x0 + (p % rw);
          const f = fg[p - start]!;
          if (f > best[q]!) { best[q] = f; labels[q] = lab[p - start]!; owner[q] = i + 1; }
        }
      }
    }
    return { labels, owner, foreground: best };
  }

  async dispose(): Promise<void> {
    const all = [this.crop, ...this.paste.values()].filter((s): s is Promise<GraphSession> => !!s);
    this.crop = undefined;
    this.paste.clear();
    await Promise.all(all.map(async (s) => (await s).release().catch(() => undefined)));
  }
}
