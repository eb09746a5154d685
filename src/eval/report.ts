// Text of the official evaluation log (inference.py@9416628:121-163) and the long-tail table.
// Numbers are printed the way Python prints them: '%f' for the two headline lines, and
// f"{np.float64}" (shortest round-trip repr) for the per-class lines.
import type { ConfusionAccumulator, SegMetrics } from './metrics.js';

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const neg = x < 0;
  const [mant, expStr] = Math.abs(x).toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  let s: string;
  if (exp >= -5 + 1 && exp < 16) {
    // Fixed notation; Python keeps a trailing ".0" on integral values.
    if (exp >= 0) {
      const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
      const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : '0';
      s = `${intPart}.${frac}`;
    } else {
      s = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    s = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return neg ? `-${s}` : s;
}

/** Python's '%f' (six decimals; nan/inf spelled as Python does). */
export function pyF(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return x.toFixed(6);
}

/** The lines the official validation() logs, in order. */
export function officialLines(m: SegMetrics): string[] {
  const lines = [
    `Pixel accuracy: ${pyF(m.pixelAccuracy)}`,
    `Mean accuracy: ${pyF(m.meanAccuracy)}`,
  ];
  m.classNames.forEach((n, k) => lines.push(`${n} : ${pyRepr(m.iou[k]!)}`));
  lines.push(`Pixel accuracy : ${pyRepr(m.pixelAccuracy)}`);
  lines.push(`Mean accuracy : ${pyRepr(m.meanAccuracy)}`);
  lines.push(`Mean IU : ${pyRepr(m.meanIoU)}`);
  lines.push('---'.repeat(15));
  // The official format string is 'Mean_F1: %f \n' (trailing space and an extra newline).
  lines.push(`Mean_F1: ${pyF(m.meanF1)} \n`);
  for (const [n, v] of m.f1) lines.push(`${n} : ${pyRepr(v)}`);
  lines.push(`Mean_F1 : ${pyRepr(m.meanF1)}`);
  lines.push('Validation Done');
  return lines;
}

export interface LongTailRow {
  name: string;
  f1: number;
  /** Share of all ground-truth pixels, fraction. */
  pixelShare: number;
  /** Share of images whose ground truth contains the class, fraction. */
  imageShare: number;
}

export function longTailRows(acc: ConfusionAccumulator, m: SegMetrics): LongTailRow[] {
  const gt = acc.gtCounts();
  let total = 0;
  for (const v of gt) total += v;
  const f1 = new Map(m.f1);
  return m.classNames.map((name, k) => ({
    name,
    f1: f1.get(name) ?? NaN,
    pixelShare: total > 0 ? gt[k]! / total : 0,
    imageShare: acc.images > 0 ? acc.gtImages[k]! / acc.images : 0,
  }));
}

/** Per-class F1 next to how common the class is, rarest pixel share last. */
export function longTailTable(rows: readonly LongTailRow[]): string[] {
  const sorted = [...rows].sort((a, b) => b.pixelShare - a.pixelShare);
  const w = Math.max(5, ...rows.map((r) => r.name.length));
  const lines = [
    'Long tail: per-class F1 vs. class frequency (ground truth), most common first',
    `${'class'.padEnd(w)}  ${'F1 (%)'.padStart(7)}  ${'pixels (%)'.padStart(10)}  ${'images (%)'.padStart(10)}`,
  ];
  for (const r of sorted) {
    const f1 = Number.isNaN(r.f1) ? 'nan' : (r.f1 * 100).toFixed(2);
    lines.push(
      `${r.name.padEnd(w)}  ${f1.padStart(7)}  ${(r.pixelShare * 100).toFixed(3).padStart(10)}  ${(r.imageShare * 100).toFixed(1).padStart(10)}`,
    );
  }
  return lines;
}
