// LaPa (datasets/lapa.py@9416628, spec §7.3): <split>/images/<n>.jpg, labels/<n>.png (ids 0..10),
// landmarks/<n>.txt ("106" then 212 numbers). Samples are sorted by name (the official reader
// takes os.listdir order, which is file-system dependent).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { listDir } from './fs-util.js';
import { OFFICIAL_LABELS } from './labels.js';
import type { DatasetIndex, LapaSpec, Split } from './types.js';

export const LAPA_LANDMARKS = 106;

export function parseLapaLandmarks(text: string, file: string): number[] {
  const v = text.split(/\s+/).filter(Boolean).map(Number);
  if (v[0] !== LAPA_LANDMARKS || v.length !== LAPA_LANDMARKS * 2 + 1 || v.some((x) => !Number.isFinite(x))) {
    throw new UserError(`${file}: expected "106" followed by 212 numbers, got ${v.length} values starting with ${v[0]}`);
  }
  return v.slice(1);
}

export async function indexLapa(root: string, split: Split): Promise<DatasetIndex> {
  const base = join(root, split);
  const imgDir = join(base, 'images'), lblDir = join(base, 'labels'), lmDir = join(base, 'landmarks');
  const names = (await listDir(imgDir, 'image folder')).filter((n) => n.endsWith('.jpg')).map((n) => n.split('.')[0]!).sort();
  const labels = new Set(await listDir(lblDir, 'label folder'));
  const lms = new Set(await listDir(lmDir, 'landmark folder'));
  const samples: LapaSpec[] = [];
  for (const name of names) {
    const label = join(lblDir, `${name}.png`), lm = join(lmDir, `${name}.txt`);
    if (!labels.has(`${name}.png`)) throw new UserError(`${label}: missing label for ${join(imgDir, `${name}.jpg`)}`);
    if (!lms.has(`${name}.txt`)) throw new UserError(`${lm}: missing landmarks for ${join(imgDir, `${name}.jpg`)}`);
    const landmarks = parseLapaLandmarks(await readFile(lm, 'utf8'), lm);
    samples.push({ kind: 'lapa', name: `${split}.${name}`, image: join(imgDir, `${name}.jpg`), label, landmarks });
  }
  return { dataset: 'lapa', split, root, samples, classNames: OFFICIAL_LABELS.lapa };
}

/** The five warp points from 106 landmarks (lapa.py@9416628:147-159): eye centres, nose tip, mouth corners. */
export function lapaFivePoints(lm: ArrayLike<number>, float32 = false): Float32Array {
  const p = (i: number, a: 0 | 1) => lm[i * 2 + a]!;
  // float32: the eye means as numpy computes them on float32 landmarks (sum rounded, then halved).
  const mid = (i: number, j: number, a: 0 | 1) => (float32 ? Math.fround(p(i, a) + p(j, a)) : p(i, a) + p(j, a)) / 2;
  return new Float32Array([
    mid(74, 104, 0), mid(74, 104, 1),
    mid(83, 105, 0), mid(83, 105, 1),
    p(54, 0), p(54, 1),
    p(84, 0), p(84, 1),
    p(90, 0), p(90, 1),
  ]);
}
