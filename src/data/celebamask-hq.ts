// CelebAMask-HQ (datasets/celebamask_hq.py@9416628, spec §7.2): split from the CelebA partition
// file through the HQ↔CelebA mapping; the label map is the 18 binary part masks merged in a fixed
// order where later parts overwrite earlier ones.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readImage } from '../image/read.js';
import { listDir } from './fs-util.js';
import { CELEB_MASK_SUFFIXES, OFFICIAL_LABELS } from './labels.js';
import { readGray } from './read-gray.js';
import type { CelebSpec, DatasetIndex, Split } from './types.js';

export const CELEB_FILES = {
  images: 'CelebA-HQ-img',
  masks: 'CelebAMask-HQ-mask-anno',
  mapping: 'CelebA-HQ-to-CelebA-mapping.txt',
  partition: 'list_eval_partition.txt',
} as const;

const GROUPS: Record<Split, string> = { train: '0', val: '1', test: '2' };

/** Mask path relative to the mask folder: <id//2000>/<id:05d>_<suffix>.png. */
export function celebMaskPath(id: number, suffix: string): string {
  return `${Math.floor(id / 2000)}/${String(id).padStart(5, '0')}_${suffix}.png`;
}

async function readText(path: string): Promise<string> {
  try { return await readFile(path, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: missing file` : `${path}: cannot read (${code ?? String(e)})`);
  }
}

/** HQ ids of a split, in partition-file order. */
export async function celebSplitIds(root: string, split: Split): Promise<number[]> {
  const mappingFile = join(root, CELEB_FILES.mapping);
  const partitionFile = join(root, CELEB_FILES.partition);
  const origToHq = new Map<string, string>();
  for (const line of (await readText(mappingFile)).split(/\r?\n/)) {
    if (!line.includes('.jpg')) continue;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || !/^\d+$/.test(cols[0]!)) throw new UserError(`${mappingFile}: malformed line "${line.trim()}"`);
    origToHq.set(cols[2]!, cols[0]!);
  }
  const ids: number[] = [];
  for (const line of (await readText(partitionFile)).split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 2) continue;
    if (!/^[012]$/.test(cols[1]!)) throw new UserError(`${partitionFile}: malformed line "${line.trim()}"`);
    const hq = origToHq.get(cols[0]!);
    if (hq !== undefined && cols[1] === GROUPS[split]) ids.push(Number(hq));
  }
  return ids;
}

export async function indexCelebAMaskHQ(root: string, split: Split): Promise<DatasetIndex> {
  const ids = await celebSplitIds(root, split);
  const imgDir = join(root, CELEB_FILES.images);
  const maskDir = join(root, CELEB_FILES.masks);
  const images = new Set(await listDir(imgDir, 'image folder'));
  // One listing per mask sub-folder instead of 18 stat calls per sample.
  const masks = new Set<string>();
  for (const sub of await listDir(maskDir, 'mask folder')) {
    if (!/^\d+$/.test(sub)) continue;
    for (const f of await listDir(join(maskDir, sub))) masks.add(`${sub}/${f}`);
  }
  const samples: CelebSpec[] = ids.map((id) => {
    const file = `${id}.jpg`;
    if (!images.has(file)) throw new UserError(`${join(imgDir, file)}: missing image (listed for the ${split} split)`);
    const present: Array<[number, string]> = [];
    CELEB_MASK_SUFFIXES.forEach((suffix, i) => {
      const rel = celebMaskPath(id, suffix);
      if (masks.has(rel)) present.push([i + 1, join(maskDir, rel)]);
    });
    return { kind: 'celebamask_hq', name: String(id), image: join(imgDir, file), masks: present };
  });
  return { dataset: 'celebamask_hq', split, root, samples, classNames: OFFICIAL_LABELS.celebamask_hq };
}

/** Size of the official label canvas when a sample has no part mask at all. */
const DEFAULT_MASK_SIZE = 512;

/**
 * Merges the part masks into one label map at the masks' own size (512² in the real data). Every
 * mask of one sample must have the same size.
 */
export async function celebLabel(spec: CelebSpec): Promise<{ data: Uint8Array; width: number; height: number }> {
  let label: Uint8Array | null = null;
  let w = DEFAULT_MASK_SIZE, h = DEFAULT_MASK_SIZE, first = '';
  // Decode concurrently (sharp's own threads), merge strictly in suffix order.
  const decoded = await Promise.all(spec.masks.map(([, path]) => readGray(path)));
  for (let j = 0; j < spec.masks.length; j++) {
    const [value, path] = spec.masks[j]!;
    const m = decoded[j]!;
    if (!label) { w = m.width; h = m.height; first = path; label = new Uint8Array(w * h); }
    else if (m.width !== w || m.height !== h) {
      throw new UserError(`${path}: mask is ${m.width}×${m.height}, but ${first} is ${w}×${h}`);
    }
    const d = m.data;
    for (let i = 0; i < d.length; i++) if (d[i]! > 0) label[i] = value;
  }
  return { data: label ?? new Uint8Array(w * h), width: w, height: h };
}

export async function loadCelebRaw(spec: CelebSpec) {
  const [image, label] = await Promise.all([readImage(spec.image), celebLabel(spec)]);
  return { image, label };
}
