// Shared by the bench scripts: flags, medians, the Python reference as a child process (its own
// process so ru_maxrss is that run's peak), weight files shared by both sides, and a table printer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildSegFace } from '../src/model/build.js';
import { randomStateDict } from '../src/model/load.js';
import type { SegFace } from '../src/model/segface.js';
import type { StateDict } from '../src/io/host-tensor.js';
import { OrderedDict } from '../src/io/py-values.js';
import { writeCheckpointFile } from '../src/io/files.js';

/** Debian's interpreter: python3-torch lives there, not in a pyenv shim. */
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
export const REFERENCE_PY = process.env.BENCH_REFERENCE_PY ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'reference.py');
export const BENCH_DIR = process.env.BENCH_DIR ?? join(tmpdir(), 'segface-bench');

export function flag(name: string, d: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : d;
}
export const has = (name: string): boolean => process.argv.includes(`--${name}`);

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `f` warmup + runs times and returns the timed runs' seconds. */
export async function timeRuns(f: () => unknown, runs: number, warmup: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    await f();
    if (i >= warmup) out.push((performance.now() - t0) / 1000);
  }
  return out;
}

function procStatusMb(field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident set of this process so far, MiB: VmHWM, not getrusage's maxrss, which Linux
 * carries over from the parent through fork+exec (a big parent would hide the child's peak).
 */
export function peakRssMb(): number {
  return procStatusMb('VmHWM') ?? process.resourceUsage().maxRSS / 1024;
}

/** Current resident set, MiB. */
export function rssMb(): number {
  return procStatusMb('VmRSS') ?? process.memoryUsage().rss / 2 ** 20;
}

/** bench/reference.py <cmd> ...args → its JSON line. */
export function reference(cmd: string, args: Record<string, string | number | boolean>, env: NodeJS.ProcessEnv = process.env): Record<string, number> & { times?: number[] } {
  const argv = [REFERENCE_PY, cmd];
  for (const [k, v] of Object.entries(args)) {
    if (v === false) continue;
    argv.push(`--${k}`);
    if (v !== true) argv.push(String(v));
  }
  const r = spawnSync(PYTHON, argv, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) {
    const hint = /No module named 'torch/.test(r.stderr) ? ' (run scripts/bench-setup.sh)' : '';
    throw new Error(`reference.py ${cmd} failed${hint}:\n${r.stderr || r.error?.message}`);
  }
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, number> & { times?: number[] };
}

/** The model and its seeded random weights, written once as a bare state dict both sides load. */
export function sharedWeights(model: string, resolution = 512): { net: SegFace; sd: StateDict; path: string } {
  const net = buildSegFace({ model, head: 'celeb', resolution });
  const sd = randomStateDict(net, 1);
  mkdirSync(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, `${model}-celeb-random.pt`);
  if (!existsSync(path)) writeCheckpointFile(path, new OrderedDict(sd));
  return { net, sd, path };
}

/** Fixed-width table: header row then rows. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  cells.forEach((r, j) => {
    console.log(r.map((c, i) => String(c).padStart(w[i]!)).join('  '));
    if (j === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  });
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

export function runMain(url: string, main: () => Promise<void>): void {
  if (url === new URL(`file://${process.argv[1]}`).href) {
    main().catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
  }
}
