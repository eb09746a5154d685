// The one rule for segface's cache folders: an explicit folder, else $SEGFACE_CACHE (which holds
// checkpoints in <id>/ and built graphs side by side), else $XDG_CACHE_HOME/segface/<kind>,
// else ~/.cache/segface/<kind>.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheFolder(kind: 'models' | 'onnx', override?: string): string {
  if (override) return override;
  if (process.env.SEGFACE_CACHE) return process.env.SEGFACE_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'segface', kind);
}
