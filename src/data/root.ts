// Where the datasets live: --data_path, else DATA_PATH from the environment, else DATA_PATH from
// a `.env` file in the working directory (the official set-up loads one with python-dotenv).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { DATASET_DIRS } from './labels.js';
import type { DatasetName } from './types.js';

/** KEY=VALUE lines of a dotenv file (comments, `export `, and single/double quotes handled). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}

/** An environment variable, falling back to ./.env (the real environment wins, as in dotenv). */
export function envVar(name: string, cwd = process.cwd()): string | undefined {
  if (process.env[name]) return process.env[name];
  const f = join(cwd, '.env');
  if (!existsSync(f)) return undefined;
  return parseDotenv(readFileSync(f, 'utf8'))[name] || undefined;
}

/**
 * The dataset's own folder. `dataPath` may be DATA_PATH itself (holding CelebAMask-HQ/, LaPa/,
 * helen/) or the dataset folder directly.
 */
export function datasetRoot(dataset: DatasetName, dataPath?: string): string {
  const base = dataPath ?? envVar('DATA_PATH');
  if (!base) {
    throw new UserError('no dataset folder: pass --data_path DIR or set DATA_PATH (in the environment or in ./.env)');
  }
  const abs = resolve(base);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UserError(`${abs}: data folder does not exist`);
  const sub = join(abs, DATASET_DIRS[dataset]);
  if (existsSync(sub) && statSync(sub).isDirectory()) return sub;
  return abs;
}
