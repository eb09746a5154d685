// Which run an experiment folder holds. A fresh `train` refuses a folder that already holds one
// (it would overwrite model_0.pt, keep the old run's later checkpoints and append to its log);
// `--resume` takes the newest checkpoint that verifies (zip CRCs, structure, fits the model,
// finite weights, the epoch its name says) and falls back to the one before, with a warning.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import type { StateDict } from '../io/host-tensor.js';
import { readTrainCheckpoint, type LoadedTrainCheckpoint } from './checkpoint.js';

const RUN_FILE = /^(model_\d+\.pt|interrupted_epoch\d+\.pt|train\.log|train_log\.jsonl)$/;

/** Throws unless `dir` is new or holds no run. */
export function refuseExistingRun(dir: string): void {
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return; }
  const found = names.filter((n) => RUN_FILE.test(n)).sort();
  if (found.length === 0) return;
  const shown = found.slice(0, 4).join(', ') + (found.length > 4 ? `, … (${found.length} files)` : '');
  throw new UserError(`${dir}: this experiment folder already holds a run (${shown}); pass --resume to continue it, or choose another --expt_name`);
}

export interface ResumePoint { path: string; ck: LoadedTrainCheckpoint; weights: StateDict }

/**
 * The newest checkpoint of `dir` that loads and verifies; `bind` fits its weights to the model
 * (throwing a UserError when they do not). Unusable newer ones are named in `warn`.
 */
export async function resumePoint(dir: string, bind: (sd: StateDict, path: string) => StateDict, warn: (s: string) => void): Promise<ResumePoint | undefined> {
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return undefined; }
  const found = names.flatMap((n) => { const m = /^model_(\d+)\.pt$/.exec(n); return m ? [{ path: join(dir, n), epoch: Number(m[1]) }] : []; })
    .sort((a, b) => b.epoch - a.epoch);
  const problems: string[] = [];
  for (const c of found) {
    try {
      const ck = await readTrainCheckpoint(c.path);
      if (ck.epoch !== c.epoch) throw new UserError(`${c.path}: holds epoch ${ck.epoch}, not ${c.epoch}`);
      const weights = bind(ck.stateDict, c.path);
      for (const [k, t] of weights) {
        if (t.data instanceof Float32Array && !t.data.every(Number.isFinite)) throw new UserError(`${c.path}: weight '${k}' is not finite`);
      }
      if (problems.length) warn(`warning: --resume: ${problems.join('; ')}; resuming from ${c.path} instead`);
      return { path: c.path, ck, weights };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push(`${e.message.split('\n')[0]} (skipped)`);
    }
  }
  if (problems.length) throw new UserError(`--resume: no usable checkpoint in ${dir}: ${problems.join('; ')}`);
  return undefined;
}

/** Drops log records of epochs after `epoch` (a fallback re-runs them), atomically. */
export function trimEpochLog(file: string, epoch: number): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const keep = lines.filter((l) => { try { return (JSON.parse(l) as { epoch: number }).epoch <= epoch; } catch { return false; } });
  if (keep.length !== lines.length) writeFileAtomic(file, [new TextEncoder().encode(keep.map((l) => `${l}\n`).join(''))]);
}
