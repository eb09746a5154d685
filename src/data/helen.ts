// Helen (datasets/helen.py@9416628, spec §7.4): <split>/<name>_image.jpg and <name>_label.png, one
// landmarks.txt for all (136 numbers then the name per line, halved on load). Each sample is cropped
// to a square of 1.2× the landmark box around its centre (clipped to the image) before resizing.
// There is no val folder: the official "val" loader reads the test split.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { listDir } from './fs-util.js';
import { OFFICIAL_LABELS } from './labels.js';
import type { DatasetIndex, HelenSpec, Split } from './types.js';

export const HELEN_LANDMARKS = 68;

export async function readHelenLandmarks(root: string): Promise<Map<string, number[]>> {
  const file = join(root, 'landmarks.txt');
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch {
    throw new UserError(`${file}: missing file`);
  }
  const out = new Map<string, number[]>();
  text.split(/\r?\n/).forEach((line, i) => {
    const cols = line.trim().split(/\s+/).filter(Boolean);
    if (cols.length === 0) return;
    const nums = cols.slice(0, HELEN_LANDMARKS * 2).map(Number);
    if (cols.length < HELEN_LANDMARKS * 2 + 1 || nums.some((x) => !Number.isFinite(x))) {
      throw new UserError(`${file}:${i + 1}: expected 136 numbers followed by a file name`);
    }
    out.set(cols[cols.length - 1]!, nums);
  });
  return out;
}

export async function indexHelen(root: string, split: Split): Promise<DatasetIndex> {
  const folder = split === 'train' ? 'train' : 'test';
  const dir = join(root, folder);
  const files = await listDir(dir, `${folder} folder`);
  const names = [...new Set(files.map((f) => {
    const base = f.replace(/(_image|_label|_viz)/g, '');
    const dot = base.lastIndexOf('.');
    return dot >= 0 ? base.slice(0, dot) : base;
  }))].filter((n) => n && !n.startsWith('.')).sort();
  const present = new Set(files);
  const landmarks = await readHelenLandmarks(root);
  const samples: HelenSpec[] = names.map((name) => {
    const image = join(dir, `${name}_image.jpg`), label = join(dir, `${name}_label.png`);
    if (!present.has(`${name}_image.jpg`)) throw new UserError(`${image}: missing image`);
    if (!present.has(`${name}_label.png`)) throw new UserError(`${label}: missing label for ${image}`);
    const lm = landmarks.get(name);
    if (!lm) throw new UserError(`${join(root, 'landmarks.txt')}: no landmarks for ${name}`);
    return { kind: 'helen', name, image, label, landmarks: lm };
  });
  return { dataset: 'helen', split, root, samples, classNames: OFFICIAL_LABELS.helen };
}

/**
 * The official crop box from (already halved) landmarks, float32 arithmetic as numpy does it:
 * returns [x1, y1, x2, y2] clipped to the image.
 */
export function helenCropBox(lm: ArrayLike<number>, width: number, height: number): [number, number, number, number] {
  const f = Math.fround;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < lm.length; i += 2) {
    minX = Math.min(minX, lm[i]!); maxX = Math.max(maxX, lm[i]!);
    minY = Math.min(minY, lm[i + 1]!); maxY = Math.max(maxY, lm[i + 1]!);
  }
  const xy = [f(minX), f(minY)], zz = [f(maxX), f(maxY)];
  const wh = [f(f(zz[0]! - xy[0]!) + 1), f(f(zz[1]! - xy[1]!) + 1)];
  const center = [Math.trunc(f(xy[0]! + f(wh[0]! / 2))), Math.trunc(f(xy[1]! + f(wh[1]! / 2)))];
  const boxsize = Math.trunc(Math.max(wh[0]!, wh[1]!) * 1.2);
  const half = Math.floor(boxsize / 2);
  const x1 = center[0]! - half, y1 = center[1]! - half;
  const x2 = x1 + boxsize, y2 = y1 + boxsize;
  return [Math.max(0, x1), Math.max(0, y1), Math.min(width, x2), Math.min(height, y2)];
}

/** The five warp points from 68 landmarks (helen.py): eye centres (mean of 6), nose tip, mouth corners. */
export function helenFivePoints(lm: ArrayLike<number>): Float32Array {
  const mean6 = (s: number, a: 0 | 1) => {
    let v = 0;
    for (let i = s; i < s + 6; i++) v += lm[i * 2 + a]!;
    return v / 6;
  };
  return new Float32Array([
    mean6(36, 0), mean6(36, 1), mean6(42, 0), mean6(42, 1),
    lm[60]!, lm[61]!, lm[96]!, lm[97]!, lm[108]!, lm[109]!,
  ]);
}
