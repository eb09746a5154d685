// Where the shared fixtures live and the two Swin folders' state dicts (weights.json recipe).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { StateDict } from '../../src/io/host-tensor.js';
import { recipeStateDict } from '../../src/parity/recipe.js';

/** ../shared/fixtures relative to the repo root (tests run from dist/test/model-swin). */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures');

export const fixturePath = (folder: string, file = ''): string => path.join(FIXTURES, folder, file);

export interface RecipeEntry { key: string; shape: number[]; dtype: 'float32' | 'int64' }

/** weights.json entries in file (= official state_dict) order. */
export function recipe(folder: string): RecipeEntry[] {
  return (JSON.parse(readFileSync(fixturePath(folder, 'weights.json'), 'utf8')) as { entries: RecipeEntry[] }).entries;
}

const cache = new Map<string, StateDict>();
export function fixtureStateDict(folder: string): StateDict {
  let sd = cache.get(folder);
  if (!sd) cache.set(folder, (sd = recipeStateDict(fixturePath(folder))));
  return sd;
}
