// Resumable, verified download of one file: bytes go to `<dest>.part` (kept across interruptions
// and resumed with an HTTP Range request), the size is checked against Content-Length /
// Content-Range, the sha256 against the hub's LFS etag when it sends one, and only then is the
// file renamed into place. Uses Node's fetch with manual redirects because the hub's first
// response (a redirect to a CDN) carries the hash headers.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import cliProgress from 'cli-progress';
import { UserError } from '../errors.js';

export interface DownloadOptions {
  /** Expected sha256 (hex); otherwise taken from the hub's x-linked-etag when present. */
  sha256?: string;
  /** Progress bar on stderr: default when stderr is a terminal. */
  progress?: boolean;
  /** Extra attempts after a dropped connection (each resumes from the .part file). */
  retries?: number;
  /** Abort when no bytes arrive for this long. */
  idleTimeoutMs?: number;
  /** Added to failure messages: what else the user can do. */
  hint?: string;
  /** Headers sent to the first host only (e.g. Authorization). */
  headers?: Record<string, string>;
}

export interface DownloadResult { path: string; bytes: number; sha256: string; resumedFrom: number }

/** A failed attempt that a retry with Range may fix. */
class Retryable extends Error {}

const SHA256 = /^[0-9a-f]{64}$/;

function etagSha(h: Headers): string | undefined {
  for (const k of ['x-linked-etag', 'etag']) {
    const v = h.get(k)?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (v && SHA256.test(v)) return v;
  }
  return undefined;
}

async function sizeOf(path: string): Promise<number> {
  try { return (await stat(path)).size; } catch { return 0; }
}

async function hashFile(path: string, hash: Hash, bytes: number): Promise<void> {
  if (bytes === 0) return;
  const s = createReadStream(path, { start: 0, end: bytes - 1 });
  for await (const chunk of s) hash.update(chunk as Buffer);
}

interface Opened { res: Response; sha?: string; total?: number }

/** GET with manual redirects, collecting the hash/size headers from every hop. */
async function open(url: string, start: number, signal: AbortSignal, headers: Record<string, string>): Promise<Opened> {
  let sha: string | undefined;
  let linkedSize: number | undefined;
  let current = url;
  const firstHost = new URL(url).host;
  for (let hop = 0; hop < 10; hop++) {
    const h: Record<string, string> = new URL(current).host === firstHost ? { ...headers } : {};
    if (start > 0) h.range = `bytes=${start}-`;
    const res = await fetch(current, { redirect: 'manual', signal, headers: h });
    sha ??= etagSha(res.headers);
    const ls = res.headers.get('x-linked-size');
    if (ls && linkedSize === undefined) linkedSize = Number(ls);
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.body?.cancel();
      current = new URL(res.headers.get('location')!, current).toString();
      continue;
    }
    return { res, sha, total: linkedSize };
  }
  throw new Error('too many redirects');
}

function describeNetworkError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return 'no data received for too long';
  const code = err?.cause?.code;
  if (code) return `${code}${err.cause?.message ? `: ${err.cause.message}` : ''}`;
  return [err?.message ?? String(e), err?.cause?.message].filter(Boolean).join(': ');
}

const inFlight = new Map<string, Promise<DownloadResult>>();

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/**
 * Holds `<dest>.lock` (our pid) while fn runs, so two processes never append to the same .part;
 * a lock whose process is gone is taken over, a live one is waited for.
 */
async function withLock<R>(dest: string, fn: () => Promise<R>, waited: () => Promise<R | undefined>): Promise<R> {
  const lock = `${dest}.lock`;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (pid && pid !== process.pid && alive(pid)) {
        await new Promise((ok) => setTimeout(ok, 500));
        const done = await waited();
        if (done !== undefined) return done;
      } else {
        await rm(lock, { force: true });
      }
    }
  }
  try { return await fn(); } finally { await rm(lock, { force: true }); }
}

/** Downloads `url` to `dest` (no-op when `dest` already exists). */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const existing = await sizeOf(dest);
  if (existing > 0) return { path: dest, bytes: existing, sha256: '', resumedFrom: existing };
  // One download per file: concurrent callers in this process share it, other processes wait.
  let p = inFlight.get(dest);
  if (!p) {
    p = (async () => {
      await mkdir(dirname(dest), { recursive: true });
      return withLock(dest, () => downloadUnlocked(url, dest, opts), async () => {
        const n = await sizeOf(dest);
        return n > 0 ? { path: dest, bytes: n, sha256: '', resumedFrom: n } : undefined;
      });
    })().finally(() => inFlight.delete(dest));
    inFlight.set(dest, p);
  }
  return p;
}

async function downloadUnlocked(url: string, dest: string, opts: DownloadOptions): Promise<DownloadResult> {
  const existing = await sizeOf(dest);
  if (existing > 0) return { path: dest, bytes: existing, sha256: '', resumedFrom: existing };
  const part = `${dest}.part`;
  const hint = opts.hint ? ` ${opts.hint}` : '';
  const retries = opts.retries ?? 3;
  const showBar = opts.progress ?? !!process.stderr.isTTY;
  let firstStart = -1;
  let bar: cliProgress.SingleBar | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      let start = await sizeOf(part);
      if (firstStart < 0) firstStart = start;
      const ctl = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const arm = () => { clearTimeout(timer); timer = setTimeout(() => ctl.abort(), opts.idleTimeoutMs ?? 60_000); };
      try {
        arm();
        let opened: Opened;
        try { opened = await open(url, start, ctl.signal, opts.headers ?? {}); } catch (e) {
          throw new UserError(`cannot download ${url} (${describeNetworkError(e)}).${hint}`);
        }
        const { res } = opened;
        if (res.status === 416 && start > 0) {
          // The .part already holds everything (or is bogus): check its size against the total.
          await res.body?.cancel();
          const total = Number(res.headers.get('content-range')?.match(/\/(\d+)$/)?.[1] ?? NaN);
          if (total === start) { opened.total = total; return await finish(part, dest, start, opened, opts, hint, firstStart); }
          await rm(part, { force: true });
          continue;
        }
        if (res.status === 404) {
          await res.body?.cancel();
          throw new UserError(`${url}: not found on the hub (HTTP 404).${hint}`);
        }
        if (res.status !== 200 && res.status !== 206) {
          await res.body?.cancel();
          throw new UserError(`cannot download ${url} (HTTP ${res.status} ${res.statusText}).${hint}`);
        }
        if (res.status === 200 && start > 0) { await truncate(part, 0); start = 0; } // server ignored Range
        let total = opened.total;
        const cr = res.headers.get('content-range')?.match(/^bytes (\d+)-(\d+)\/(\d+)$/);
        if (res.status === 206) {
          if (!cr || Number(cr[1]) !== start) throw new Retryable(`unexpected Content-Range ${res.headers.get('content-range')}`);
          total = Number(cr[3]);
        } else if (res.headers.get('content-length')) {
          total = Number(res.headers.get('content-length'));
        }
        opened.total = total;
        if (showBar && !bar) {
          bar = new cliProgress.SingleBar({
            format: `${dest.split('/').slice(-2).join('/')} [{bar}] {percentage}% {value}/{total} MB {eta_formatted}`,
            hideCursor: true, stream: process.stderr,
          }, cliProgress.Presets.shades_classic);
          bar.start(Math.max(1, Math.round((total ?? 0) / 1e6)), Math.round(start / 1e6));
        }
        const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
        let got = start;
        try {
          if (!res.body) throw new Retryable('empty response body');
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            arm();
            got += chunk.length;
            if (!out.write(chunk)) await once(out, 'drain');
            bar?.update(Math.round(got / 1e6));
          }
        } catch (e) {
          throw new Retryable(describeNetworkError(e));
        } finally {
          out.end();
          await once(out, 'close');
        }
        if (total !== undefined && got < total) throw new Retryable(`connection closed after ${got} of ${total} bytes`);
        return await finish(part, dest, got, opened, opts, hint, firstStart);
      } catch (e) {
        if (!(e instanceof Retryable)) throw e;
        if (attempt >= retries) {
          throw new UserError(`cannot download ${url}: ${e.message}; the partial file ${part} is kept and the next run resumes it.${hint}`);
        }
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    bar?.stop();
  }
}

async function finish(part: string, dest: string, bytes: number, o: Opened, opts: DownloadOptions, hint: string, resumedFrom: number): Promise<DownloadResult> {
  if (o.total !== undefined && bytes !== o.total) {
    await rm(part, { force: true });
    throw new UserError(`download of ${dest} has ${bytes} bytes, the server announced ${o.total}; deleted it, run again.${hint}`);
  }
  const hash = createHash('sha256');
  await hashFile(part, hash, bytes);
  const sha256 = hash.digest('hex');
  const want = (opts.sha256 ?? o.sha)?.toLowerCase();
  if (want && want !== sha256) {
    await rm(part, { force: true });
    throw new UserError(`download of ${dest} is corrupt: sha256 ${sha256} does not match the expected ${want}; deleted it, run again.${hint}`);
  }
  await rename(part, dest);
  return { path: dest, bytes, sha256, resumedFrom };
}
