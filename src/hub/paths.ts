// Where released checkpoints live on the hub and in the local cache.
import { join } from 'node:path';
import { cacheFolder } from '../io/cache-dir.js';

export const HUB_REPO = 'kartiknarayan/SegFace';
export const CHECKPOINT_FILE = 'model_299.pt';

export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** `${HF_ENDPOINT}/kartiknarayan/SegFace/resolve/main/<id>/model_299.pt` */
export function checkpointUrl(id: string): string {
  return `${hubEndpoint()}/${HUB_REPO}/resolve/main/${id}/${CHECKPOINT_FILE}`;
}

/** --cache-dir, else $SEGFACE_CACHE, else $XDG_CACHE_HOME/segface/models, else ~/.cache/segface/models. */
export function cacheDir(override?: string): string {
  return cacheFolder('models', override);
}

export function cachedCheckpointPath(id: string, dir?: string): string {
  return join(cacheDir(dir), id, CHECKPOINT_FILE);
}

const truthy = (v: string | undefined) => !!v && !['0', 'false', 'no', 'off', ''].includes(v.toLowerCase());

/** HF_HUB_OFFLINE / SEGFACE_OFFLINE (or an explicit flag). */
export function isOffline(flag?: boolean): boolean {
  return !!flag || truthy(process.env.HF_HUB_OFFLINE) || truthy(process.env.SEGFACE_OFFLINE);
}
