// Bundles the page script (src/browser/app.ts and the shared model, graph-builder, checkpoint and
// image code it imports) with esbuild into one ES module for the browser.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, from this file's place in dist/src/service (or src/service). */
export function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.includes(`${join('dist', 'src', 'service')}`) ? '../../..' : '../..';
  return join(here, up);
}

/** The page script's entry: the TypeScript source when present, else the compiled JS. */
export function webEntry(root = repoRoot()): string {
  const ts = join(root, 'src', 'browser', 'app.ts');
  if (existsSync(ts)) return ts;
  const js = join(root, 'dist', 'src', 'browser', 'app.js');
  if (existsSync(js)) return js;
  throw new Error(`no page script source (looked for ${ts} and ${js})`);
}

export interface BundleOptions {
  minify?: boolean;
  /** Also write the bundle here. */
  outFile?: string;
}

/** The prebuilt bundle `npm run build:web` writes (and `npm pack` ships). */
export const prebuiltBundle = (root = repoRoot()) => join(root, 'dist', 'web', 'app.js');

/**
 * The bundled page script. In the repository (TypeScript sources present) it is bundled fresh with
 * esbuild, a dev dependency; an installed package has no sources and serves its prebuilt copy.
 */
export async function buildWebBundle(opts: BundleOptions = {}): Promise<string> {
  const root = repoRoot();
  const prebuilt = prebuiltBundle(root);
  const { readFile } = await import('node:fs/promises');
  const fromSources = existsSync(join(root, 'src', 'browser', 'app.ts'));
  if (!fromSources && !opts.outFile) {
    if (existsSync(prebuilt)) return readFile(prebuilt, 'utf8');
    throw new Error(`${prebuilt} is missing from this install (the package ships it; reinstall segface)`);
  }
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    if (existsSync(prebuilt)) return readFile(prebuilt, 'utf8');
    throw new Error('esbuild is not installed and dist/web/app.js was not built (npm run build:web)');
  }
  const r = await esbuild.build({
    entryPoints: [webEntry(root)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: opts.minify ?? true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    absWorkingDir: root,
    ...(opts.outFile ? { outfile: opts.outFile } : { outdir: join(root, 'dist', 'web') }),
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no script');
  if (opts.outFile) {
    const { mkdir, writeFile, rename } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    await mkdir(dirname(opts.outFile), { recursive: true });
    const tmp = `${opts.outFile}.${process.pid}.tmp`;
    await writeFile(tmp, js.text);
    await rename(tmp, opts.outFile);
  }
  return js.text;
}
