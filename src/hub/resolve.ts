// `--model` → a local file: a path to a .pt/.onnx as given, or a registry id fetched from the hub
// into the cache (downloaded once; offline mode uses only the cache).
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { UserError } from '../errors.js';
import { findEntry, REGISTRY, type RegistryEntry } from '../model/registry.js';
import { didYouMean } from '../model/suggest.js';
import { downloadFile } from './download.js';
import { cachedCheckpointPath, checkpointUrl, isOffline } from './paths.js';

export interface ResolveOptions {
  cacheDir?: string;
  offline?: boolean;
  /** Download progress bar (default: on a terminal). */
  progress?: boolean;
}

export interface ResolvedModel {
  /** Local file to load. */
  path: string;
  format: 'pt' | 'onnx';
  /** The registry entry when `--model` was an id (or the file sits in a folder named after one). */
  entry?: RegistryEntry;
}

const looksLikePath = (s: string) => /[\\/]/.test(s) || /\.(pt|pth|bin|onnx|ckpt|tar)$/i.test(s);

async function isFile(p: string): Promise<boolean> {
  try { return (await stat(p)).isFile(); } catch { return false; }
}

/** Registry id from a path such as `.../mobilenet_celeba_512/model_299.pt`. */
function entryFromPath(p: string): RegistryEntry | undefined {
  const parts = p.split(/[\\/]/);
  return parts.length >= 2 ? findEntry(parts[parts.length - 2]!) : undefined;
}

export function manualDownloadHint(id: string, dest: string): string {
  return `Download ${checkpointUrl(id)} by hand and save it as ${dest}, or pass --model path/to/model_299.pt.`;
}

export async function resolveModel(spec: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const entry = findEntry(spec);
  if (!entry) {
    if (await isFile(spec)) {
      return { path: spec, format: extname(spec).toLowerCase() === '.onnx' ? 'onnx' : 'pt', entry: entryFromPath(spec) };
    }
    if (looksLikePath(spec)) {
      let why = 'no such file';
      try { if ((await stat(spec)).isDirectory()) why = 'is a directory, expected a .pt or .onnx file'; } catch { /* missing */ }
      throw new UserError(`${spec}: ${why}`);
    }
    throw new UserError(`unknown model '${spec}'${didYouMean(spec, REGISTRY.map((e) => e.id))}: expected a registry id (${REGISTRY.map((e) => e.id).join(', ')}) or a path to a .pt/.onnx file`);
  }
  const dest = cachedCheckpointPath(entry.id, opts.cacheDir);
  if (await isFile(dest)) return { path: dest, format: 'pt', entry };
  const hint = manualDownloadHint(entry.id, dest);
  if (isOffline(opts.offline)) {
    throw new UserError(`${entry.id}: not in the cache and offline mode is on (--offline / HF_HUB_OFFLINE / SEGFACE_OFFLINE). ${hint}`);
  }
  const headers: Record<string, string> = {};
  const token = process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN;
  if (token) headers.authorization = `Bearer ${token}`;
  await downloadFile(checkpointUrl(entry.id), dest, { hint, progress: opts.progress, headers });
  return { path: dest, format: 'pt', entry };
}
