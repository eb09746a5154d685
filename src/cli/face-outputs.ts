// `--outputs crops`: each face's aligned model input and its labels on that canvas, in
// `<name>.faces/NN.crop.png`, `NN.labels.png` (class ids) and `NN.color.png`.
import { join } from 'node:path';
import type { ParseResult } from '../api/result.js';
import { colorize, labelsPng, rgbPng } from '../image/encode.js';
import type { OutFile } from '../io/write-files.js';

export async function faceCropFiles(r: ParseResult, out: string, stem: string): Promise<OutFile[]> {
  const palette = new Uint8Array(256 * 3);
  for (const c of r.classes) palette.set(c.color, c.id * 3);
  const files: OutFile[] = [];
  for (const [i, f] of (r.faces ?? []).entries()) {
    if (!f.crop) continue;
    const base = join(out, `${stem}.faces`, String(i).padStart(2, '0'));
    const { rgb, labels, size } = f.crop;
    files.push(
      { path: `${base}.crop.png`, data: await rgbPng(rgb, size, size) },
      { path: `${base}.labels.png`, data: await labelsPng(labels, size, size) },
      { path: `${base}.color.png`, data: await rgbPng(colorize(labels, palette), size, size) },
    );
  }
  return files;
}
