// `segface data check`: opens every split of a dataset, decodes every sample, and reports what is
// wrong (missing files, unreadable images, labels of the wrong size or with unknown class ids)
// together with the counts per split and the per-class pixel and image frequencies.
import { UserError } from '../errors.js';
import { openSplit } from './datasets.js';
import { SamplePool } from './worker-pool.js';
import type { DatasetName, SampleSpec, Split } from './types.js';
import { OFFICIAL_LABELS } from './labels.js';

export interface CheckOptions {
  dataPath?: string;
  /** Labels are counted at R×R, the resolution a model sees them at. */
  resolution: number;
  numWorkers: number;
  /** Stop collecting after this many problems. */
  maxErrors?: number;
  onProgress?: (split: Split, done: number, total: number) => void;
}

export interface SplitReport { split: Split; samples: number; problem?: string }

export interface CheckReport {
  dataset: DatasetName;
  classNames: readonly string[];
  splits: SplitReport[];
  /** Pixels per class over all readable samples, at R×R. */
  pixels: Float64Array;
  /** Samples containing each class. */
  images: Float64Array;
  checked: number;
  errors: string[];
}

function labelFile(s: SampleSpec): string {
  return s.kind === 'celebamask_hq' ? `${s.masks[0]?.[1] ?? s.image} (merged masks of ${s.name})` : s.label;
}

export async function checkDataset(dataset: DatasetName, o: CheckOptions): Promise<CheckReport> {
  const classNames = OFFICIAL_LABELS[dataset];
  const C = classNames.length;
  const report: CheckReport = {
    dataset, classNames, splits: [], pixels: new Float64Array(C), images: new Float64Array(C), checked: 0, errors: [],
  };
  const maxErrors = o.maxErrors ?? 50;
  const splits: Split[] = dataset === 'helen' ? ['train', 'test'] : ['train', 'val', 'test'];
  const pool = new SamplePool(o.numWorkers);
  try {
    for (const split of splits) {
      let index;
      try {
        index = await openSplit(dataset, split, o.dataPath);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        report.splits.push({ split, samples: 0, problem: e.message });
        report.errors.push(e.message);
        continue;
      }
      report.splits.push({ split, samples: index.samples.length });
      let done = 0, next = 0;
      const window = Math.max(2, o.numWorkers * 2);
      const run = async () => {
        for (let i = next++; i < index.samples.length; i = next++) {
          const spec = index.samples[i]!;
          try {
            const s = await pool.load(spec, { resolution: o.resolution });
            const seen = new Uint8Array(256);
            let bad = -1;
            for (const v of s.label) { seen[v] = 1; if (v >= C && v !== 255) bad = v; }
            if (bad >= 0) throw new UserError(`${labelFile(spec)}: class id ${bad} is outside 0..${C - 1}`);
            for (const v of s.label) if (v < C) report.pixels[v]! += 1;
            for (let k = 0; k < C; k++) if (seen[k]) report.images[k]! += 1;
            report.checked++;
          } catch (e) {
            if (!(e instanceof UserError)) throw e;
            if (report.errors.length < maxErrors) report.errors.push(e.message);
          }
          o.onProgress?.(split, ++done, index.samples.length);
        }
      };
      await Promise.all(Array.from({ length: window }, run));
    }
  } finally {
    await pool.close();
  }
  return report;
}

export function formatCheckReport(r: CheckReport): string[] {
  const lines = [`${r.dataset}: ${r.checked} samples decoded`];
  for (const s of r.splits) lines.push(`  ${s.split.padEnd(5)} ${String(s.samples).padStart(7)} samples${s.problem ? `  (${s.problem})` : ''}`);
  let total = 0;
  for (const v of r.pixels) total += v;
  const w = Math.max(5, ...r.classNames.map((n) => n.length));
  lines.push('', `${'class'.padEnd(w)}  ${'pixels (%)'.padStart(10)}  ${'images (%)'.padStart(10)}`);
  r.classNames.forEach((n, k) => {
    const px = total > 0 ? (100 * r.pixels[k]!) / total : 0;
    const im = r.checked > 0 ? (100 * r.images[k]!) / r.checked : 0;
    lines.push(`${n.padEnd(w)}  ${px.toFixed(3).padStart(10)}  ${im.toFixed(1).padStart(10)}`);
  });
  if (r.errors.length > 0) {
    lines.push('', `${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}:`);
    for (const e of r.errors) lines.push(`  ${e}`);
  }
  return lines;
}
