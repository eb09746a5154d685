// Writes a synthetic face set in the CelebAMask-HQ layout (spec §7.2) so the real reader loads
// it: CelebA-HQ-img/<id>.jpg, CelebAMask-HQ-mask-anno/<id//2000>/<id:05d>_<suffix>.png (0/255
// masks, only for parts present, overlapping like the real annotations), the HQ↔CelebA mapping and
// the CelebA partition file. Everything goes to a temporary sibling folder that is renamed into
// place at the end, so an interrupted run leaves no half-written data set.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../errors.js';
import { Rng } from '../../model/init.js';
import { CELEB_FILES, celebMaskPath } from '../celebamask-hq.js';
import { CELEB_MASK_SUFFIXES } from '../labels.js';
import { drawFace } from './face.js';

export interface SynthOptions {
  out: string;
  n: number;
  resolution: number;
  seed: number;
  /** Fractions of images in val and test (each at least one image when n ≥ 3). */
  valFrac?: number;
  testFrac?: number;
  /** Images encoded concurrently. */
  concurrency?: number;
  jpegQuality?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SynthSummary {
  root: string;
  counts: { train: number; val: number; test: number };
}

/** Per-image seed from the set's seed and the image id. */
export function imageSeed(seed: number, id: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(id + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** Split of each id (0 train, 1 val, 2 test), a seeded shuffle. */
export function synthSplits(n: number, seed: number, valFrac = 0.1, testFrac = 0.1): Uint8Array {
  const nTest = n >= 3 ? Math.max(1, Math.round(n * testFrac)) : 0;
  const nVal = n >= 3 ? Math.max(1, Math.round(n * valFrac)) : 0;
  const ids = Array.from({ length: n }, (_, i) => i);
  const rng = new Rng((seed ^ 0x27d4eb2f) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  const g = new Uint8Array(n);
  ids.forEach((id, k) => { g[id] = k < nTest ? 2 : k < nTest + nVal ? 1 : 0; });
  return g;
}

/** Runs `fill(tmp)` on a fresh temporary sibling of `out`, then renames it to `out`. */
async function intoFreshFolder(out: string, fill: (tmp: string) => Promise<void>): Promise<string> {
  const root = resolve(out);
  if (existsSync(root) && readdirSync(root).length > 0) throw new UserError(`${root}: output folder exists and is not empty`);
  const tmp = join(dirname(root), `.${basename(root)}.partial-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    await fill(tmp);
    if (existsSync(root)) await rmdir(root); // empty (checked above)
    await mkdir(dirname(root), { recursive: true });
    await rename(tmp, root);
    return root;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

function checkSizes(n: number, R: number): void {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--n must be a positive integer, got ${n}`);
  if (!Number.isInteger(R) || R < 32 || R > 2048) throw new UserError(`--resolution must be an integer in 32..2048, got ${R}`);
}

/** Draws every face with `concurrency` encoders in flight; `emit` writes one face's files. */
async function drawAll(o: SynthOptions, emit: (id: number, face: ReturnType<typeof drawFace>) => Promise<unknown>): Promise<void> {
  let next = 0, done = 0;
  const worker = async () => {
    for (let id = next++; id < o.n; id = next++) {
      await emit(id, drawFace(o.resolution, imageSeed(o.seed, id)));
      o.onProgress?.(++done, o.n);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
}

const countSplits = (groups: Uint8Array) => {
  const counts = { train: 0, val: 0, test: 0 };
  for (const g of groups) counts[(['train', 'val', 'test'] as const)[g]!]++;
  return counts;
};

export async function writeSynthCelebA(o: SynthOptions): Promise<SynthSummary> {
  const { n, resolution: R, seed } = o;
  checkSizes(n, R);
  const groups = synthSplits(n, seed, o.valFrac, o.testFrac);
  const root = await intoFreshFolder(o.out, async (tmp) => {
    const imgDir = join(tmp, CELEB_FILES.images), maskDir = join(tmp, CELEB_FILES.masks);
    await mkdir(imgDir, { recursive: true });
    for (let d = 0; d <= Math.floor((n - 1) / 2000); d++) await mkdir(join(maskDir, String(d)), { recursive: true });
    const quality = o.jpegQuality ?? 92;
    await drawAll(o, (id, face) => Promise.all([
      sharp(face.rgb, { raw: { width: R, height: R, channels: 3 } }).jpeg({ quality }).toFile(join(imgDir, `${id}.jpg`)),
      ...[...face.masks].map(([k, m]) => sharp(m, { raw: { width: R, height: R, channels: 1 } })
        .toColourspace('b-w').png({ compressionLevel: 3 }).toFile(join(maskDir, celebMaskPath(id, CELEB_MASK_SUFFIXES[k - 1]!)))),
    ]));

    // CelebA file names: the HQ image with id i stands for CelebA image i+1 (000001.jpg, ...).
    const orig = (i: number) => `${String(i + 1).padStart(6, '0')}.jpg`;
    const mapping = ['idx         orig_idx    orig_file'];
    for (let id = 0; id < n; id++) mapping.push(`${id} ${id} ${orig(id)}`);
    const partition: string[] = [];
    for (let id = 0; id < n; id++) partition.push(`${orig(id)} ${groups[id]}`);
    // The real partition file also lists CelebA images that are not in CelebA-HQ; the reader skips them.
    for (let i = n; i < n + 3; i++) partition.push(`${orig(i)} ${i % 3}`);
    await writeFile(join(tmp, CELEB_FILES.mapping), `${mapping.join('\n')}\n`);
    await writeFile(join(tmp, CELEB_FILES.partition), `${partition.join('\n')}\n`);
  });
  return { root, counts: countSplits(groups) };
}

/** CelebAMask-HQ label value → LaPa class (ears count as skin; neck, clothes and accessories as background). */
export const CELEB_TO_LAPA = Uint8Array.from([
  0, /* neck */ 0, /* skin */ 1, /* cloth */ 0, /* l_ear */ 1, /* r_ear */ 1, /* l_brow */ 2, /* r_brow */ 3,
  /* l_eye */ 4, /* r_eye */ 5, /* nose */ 6, /* mouth */ 8, /* l_lip */ 9, /* u_lip */ 7, /* hair */ 10,
  /* eye_g */ 1, /* hat */ 0, /* ear_r */ 0, /* neck_l */ 0,
]);

/**
 * The same faces in the LaPa layout (<split>/images|labels|landmarks), 11 classes, with 106-point
 * landmark files in which the points the five-point warp reads (74/104, 83/105, 54, 84, 90) are
 * the drawn eye centres, nose tip and mouth corners; the other points sit at the face centre.
 */
export async function writeSynthLapa(o: SynthOptions): Promise<SynthSummary> {
  const { n, resolution: R, seed } = o;
  checkSizes(n, R);
  const groups = synthSplits(n, seed, o.valFrac, o.testFrac);
  const names = ['train', 'val', 'test'] as const;
  const root = await intoFreshFolder(o.out, async (tmp) => {
    for (const sp of names) for (const sub of ['images', 'labels', 'landmarks']) await mkdir(join(tmp, sp, sub), { recursive: true });
    const quality = o.jpegQuality ?? 92;
    await drawAll(o, (id, face) => {
      const dir = join(tmp, names[groups[id]!]!), stem = String(id).padStart(5, '0');
      const lbl = face.label.map((v) => CELEB_TO_LAPA[v]!);
      const p = face.points5;
      const cxy = [(p[0]! + p[2]!) / 2, (p[1]! + p[7]!) / 2];
      const pts: number[][] = Array.from({ length: 106 }, () => cxy);
      pts[74] = pts[104] = [p[0]!, p[1]!];
      pts[83] = pts[105] = [p[2]!, p[3]!];
      pts[54] = [p[4]!, p[5]!];
      pts[84] = [p[6]!, p[7]!];
      pts[90] = [p[8]!, p[9]!];
      return Promise.all([
        sharp(face.rgb, { raw: { width: R, height: R, channels: 3 } }).jpeg({ quality }).toFile(join(dir, 'images', `${stem}.jpg`)),
        sharp(lbl, { raw: { width: R, height: R, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, 'labels', `${stem}.png`)),
        writeFile(join(dir, 'landmarks', `${stem}.txt`), `106\n${pts.map(([x, y]) => `${x!.toFixed(4)} ${y!.toFixed(4)}`).join('\n')}\n`),
      ]);
    });
  });
  return { root, counts: countSplits(groups) };
}

/**
 * The same faces in the Helen layout: <train|test>/<name>_image.jpg and <name>_label.png (11
 * classes), and one landmarks.txt with 68 points per face written at twice their pixel value,
 * since the reader halves them (Helen's annotations are for images twice the size). Helen has no
 * val split: val images go to train.
 */
export async function writeSynthHelen(o: SynthOptions): Promise<SynthSummary> {
  const { n, resolution: R, seed } = o;
  checkSizes(n, R);
  const groups = synthSplits(n, seed, o.valFrac, o.testFrac).map((g) => (g === 1 ? 0 : g));
  const root = await intoFreshFolder(o.out, async (tmp) => {
    for (const sp of ['train', 'test']) await mkdir(join(tmp, sp), { recursive: true });
    const quality = o.jpegQuality ?? 92;
    const lines: string[] = new Array(n);
    await drawAll(o, (id, face) => {
      const dir = join(tmp, groups[id] === 2 ? 'test' : 'train'), name = `synth_${String(id).padStart(5, '0')}`;
      lines[id] = `${Array.from(face.points68, (v) => (2 * v).toFixed(4)).join(' ')} ${name}`;
      return Promise.all([
        sharp(face.rgb, { raw: { width: R, height: R, channels: 3 } }).jpeg({ quality }).toFile(join(dir, `${name}_image.jpg`)),
        sharp(face.label.map((v) => CELEB_TO_LAPA[v]!), { raw: { width: R, height: R, channels: 1 } })
          .toColourspace('b-w').png().toFile(join(dir, `${name}_label.png`)),
      ]);
    });
    await writeFile(join(tmp, 'landmarks.txt'), `${lines.join('\n')}\n`);
  });
  return { root, counts: countSplits(groups) };
}
