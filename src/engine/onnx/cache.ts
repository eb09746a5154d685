// Built graphs cached on disk, so a second run skips the (slow) build and serialisation.
// Key: checkpoint content (a given hash, else the zip's central directory — every entry's CRC-32 —
// see io/checkpoint-fingerprint.ts), model id, resolution, batch, dtype and the builder version. Files are written to a temp name and renamed into place.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cacheFolder } from '../../io/cache-dir.js';
import { checkpointFingerprint } from '../../io/checkpoint-fingerprint.js';
import type { StateDict } from '../../io/host-tensor.js';
import { writeFileAtomic } from '../../io/write-files.js';
import { BUILDER_VERSION, buildOnnxGraph, type BuildOptions, type BuiltGraph, type ForwardModel } from './build.js';

export interface GraphCacheKey {
  /** Path of the checkpoint file; identified by its content unless checkpointHash is given. */
  checkpoint?: string;
  /** A content hash of the weights (preferred when known). */
  checkpointHash?: string;
  modelId: string;
  /** Input resolution (square) or [h, w]. */
  resolution: number | readonly [number, number];
  batch: number;
  dtype?: string;
  /** Anything else that changes the graph (e.g. recorded taps). */
  extra?: Record<string, unknown>;
}

/** $SEGFACE_CACHE, else $XDG_CACHE_HOME/segface/onnx, else ~/.cache/segface/onnx. */
export function defaultCacheDir(): string {
  return resolve(cacheFolder('onnx'));
}

/** A hex digest naming one cached graph. */
export async function graphCacheId(key: GraphCacheKey): Promise<string> {
  let ckpt: unknown = key.checkpointHash ?? null;
  // Content, not path + size + mtime: other weights of the same size and mtime are another graph.
  if (!ckpt && key.checkpoint) ckpt = await checkpointFingerprint(resolve(key.checkpoint));
  const canon = JSON.stringify({
    v: BUILDER_VERSION, ckpt, model: key.modelId, res: key.resolution, batch: key.batch,
    dtype: key.dtype ?? 'float32', extra: key.extra ?? null,
  });
  return createHash('sha256').update(canon).digest('hex').slice(0, 32);
}

export interface CachedGraph<M> {
  bytes: Uint8Array;
  meta: M;
  path: string;
  hit: boolean;
}

/**
 * The graph for `key` from the cache, or built by `build` and stored. `meta` (JSON) is stored
 * beside the model, e.g. output names and shapes. A cache that cannot be written is skipped.
 */
export async function cachedGraph<M>(
  key: GraphCacheKey, build: () => { bytes: Uint8Array; meta: M } | Promise<{ bytes: Uint8Array; meta: M }>,
  dir: string = defaultCacheDir(),
): Promise<CachedGraph<M>> {
  const id = await graphCacheId(key);
  const path = join(dir, `${key.modelId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${id}.onnx`);
  const metaPath = `${path}.json`;
  try {
    // The sidecar is written last and records the model's size: both present and agreeing = valid.
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { bytes: number; meta: M };
    const bytes = await readFile(path);
    if (bytes.byteLength === meta.bytes) {
      return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), meta: meta.meta, path, hit: true };
    }
  } catch {
    // miss
  }
  const built = await build();
  try {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, built.bytes);
    await writeFileAtomic(metaPath, JSON.stringify({ bytes: built.bytes.byteLength, meta: built.meta, key }));
  } catch (e) {
    process.emitWarning(`segface: could not cache the ONNX graph in ${dir}: ${(e as Error).message}`);
  }
  return { bytes: built.bytes, meta: built.meta, path, hit: false };
}

/**
 * buildOnnxGraph through the cache. `weights` may be a loader, called only on a cache miss, so a
 * hit never reads the checkpoint.
 */
export async function buildOnnxCached(
  model: ForwardModel,
  weights: StateDict | (() => StateDict | Promise<StateDict>),
  inputShape: readonly number[],
  key: GraphCacheKey,
  opts: BuildOptions = {},
  dir?: string,
): Promise<{ graph: BuiltGraph; path: string; hit: boolean }> {
  const fullKey: GraphCacheKey = {
    ...key,
    dtype: opts.dtype ?? key.dtype,
    extra: { ...key.extra, weightDType: opts.weightDType ?? null, dynamicBatch: opts.dynamicBatch ?? false, inputShape, inputName: opts.inputName ?? null, record: opts.recordIntermediates ?? false, rewrite: opts.rewrite ?? true, ...(opts.extraInputs?.length ? { extraInputs: opts.extraInputs } : {}), ...(opts.float32Modules?.length ? { float32Modules: opts.float32Modules } : {}) },
  };
  const c = await cachedGraph(fullKey, async () => {
    const sd = typeof weights === 'function' ? await weights() : weights;
    const g = buildOnnxGraph(model, sd, inputShape, opts);
    const { bytes, ...meta } = g;
    return { bytes, meta };
  }, dir);
  return { graph: { bytes: c.bytes, ...c.meta }, path: c.path, hit: c.hit };
}
