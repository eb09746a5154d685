#!/usr/bin/env node
// npm run bench -- <name> [options]: compiles the project (tsc) unless --no-build, then runs
// dist/bench/<name>.js with the remaining options.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = ['infer', 'train', 'load', 'consensus', 'cuda', 'profile', 'browser', 'ddp', 'wild'];
const args = process.argv.slice(2);
const name = args.shift();
if (!name || !NAMES.includes(name)) {
  console.error(`usage: npm run bench -- <${NAMES.join('|')}> [options]  (${name ? `unknown benchmark '${name}'` : 'no benchmark named'})`);
  process.exit(2);
}
const noBuild = args.includes('--no-build');
const rest = args.filter((a) => a !== '--no-build');
if (!noBuild) {
  // tsc emits even when an unrelated file has type errors; only a missing output is fatal.
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'ignore' });
}
const script = join(root, 'dist', 'bench', `${name}.js`);
if (!existsSync(script)) {
  console.error(`bench: ${script} is missing (tsc failed to emit it; run npx tsc -p tsconfig.json to see why)`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--max-old-space-size=8192', script, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
