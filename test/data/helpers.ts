// Small on-disk datasets for reader tests, written with sharp into a temporary folder.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export function tempDir(prefix = 'segface-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function writeGrayPng(path: string, data: Uint8Array, w: number, h: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp(data, { raw: { width: w, height: h, channels: 1 } }).png().toFile(path);
}

export async function writeRgbJpg(path: string, w: number, h: number, seed = 1): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + seed * 11) & 255;
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).toFile(path);
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** A 106-point LaPa landmark file whose points all sit at (x, y) + i. */
export function lapaLandmarkText(x: number, y: number): string {
  const v: number[] = [];
  for (let i = 0; i < 106; i++) v.push(x + (i % 5), y + (i % 7));
  return `106\n${v.join(' ')}\n`;
}
