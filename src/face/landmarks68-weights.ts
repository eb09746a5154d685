// The 68-point landmark net's weights: face-api's TF.js shards (@vladmandic/face-api, MIT, a dev
// dependency) converted to ONNX by `npm run build:detector` into dist/detector/, which the package
// ships. In the repository, where that build output may be absent, the same conversion runs in
// memory from node_modules (0.36 MB of weights, tens of milliseconds).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { landmarks68Onnx, readTfjsWeights } from './landmarks68-onnx.js';
import { SHIPPED_DETECTOR_DIR } from './weights.js';

export const FACE_API_PACKAGE = '@vladmandic/face-api';
export const LANDMARKS_MANIFEST = 'model/face_landmark_68_model-weights_manifest.json';
export const LANDMARKS_FILE = 'face_landmark_68.onnx';

const shipped = (dir = SHIPPED_DETECTOR_DIR) => join(dir, LANDMARKS_FILE);

function packageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${FACE_API_PACKAGE}/package.json`));
  } catch {
    return undefined;
  }
}

/** The ONNX model converted from the installed package's shards. */
export function convertLandmarks68(dir = packageDir()): Uint8Array {
  if (!dir || !existsSync(join(dir, LANDMARKS_MANIFEST))) {
    throw new UserError(`face landmarks need ${LANDMARKS_FILE}, missing from ${SHIPPED_DETECTOR_DIR} (reinstall segface; in the repository run scripts/setup.sh), or pass --no-detect`);
  }
  const model = join(dir, dirname(LANDMARKS_MANIFEST));
  const weights = readTfjsWeights(readFileSync(join(dir, LANDMARKS_MANIFEST), 'utf8'), (p) => new Uint8Array(readFileSync(join(model, p))));
  return landmarks68Onnx(weights);
}

/** Writes the converted model, face-api's licence and a NOTICE into dist/detector/. */
export async function shipLandmarks68(outDir = SHIPPED_DETECTOR_DIR): Promise<string[]> {
  const dir = packageDir();
  if (!dir) throw new UserError(`npm run build:detector needs the dev dependency ${FACE_API_PACKAGE} (npm install)`);
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string; license: string };
  await mkdir(outDir, { recursive: true });
  const notice = [
    `${LANDMARKS_FILE}: the 68-point face landmark net of face-api (Vincent Mühler; maintained by Vladimir Mandic),`,
    `converted to ONNX by segface from the TF.js weights model/face_landmark_68_model.bin of the npm package`,
    `${FACE_API_PACKAGE}@${pkg.version} (dequantised, same architecture; see src/face/landmarks68-onnx.ts).`,
    `Licence: ${pkg.license}, text in LICENSE.face-api next to this file.`,
    '',
  ].join('\n');
  const written: string[] = [];
  const put = async (name: string, data: Uint8Array | string) => {
    const to = join(outDir, name), tmp = `${to}.${process.pid}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, to);
    written.push(to);
  };
  await put(LANDMARKS_FILE, convertLandmarks68(dir));
  await put('LICENSE.face-api', await readFile(join(dir, 'LICENSE')));
  await put('NOTICE.face-api', notice);
  return written;
}

let cached: Promise<Uint8Array> | undefined;

/** The shipped ONNX file, else the in-memory conversion from node_modules. */
export function landmarks68Bytes(): Promise<Uint8Array> {
  cached ??= (async () => {
    if (existsSync(shipped())) { const b = await readFile(shipped()); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); }
    return convertLandmarks68();
  })();
  cached.catch(() => { cached = undefined; });
  return cached;
}
