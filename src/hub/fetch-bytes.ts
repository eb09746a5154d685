// An image named by an http(s) URL, read into memory: bounded in size (Content-Length checked up
// front, the stream cut past the limit) and in time (one deadline for connect + body). Failures
// are UserErrors that name the URL.
import { UserError } from '../errors.js';

export interface FetchBytesOptions {
  /** Largest accepted body (default 50 MiB). */
  maxBytes?: number;
  /** Deadline for the whole transfer (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

export async function fetchBytes(url: string, opts: FetchBytesOptions = {}): Promise<Uint8Array> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const fail = (why: string) => new UserError(`${url}: ${why}`);
  const why = (e: unknown) => {
    if (signal.aborted) return `no complete answer within ${timeoutMs / 1000} s`;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return `cannot download (${err.cause?.code ?? err.cause?.message ?? err.message})`;
  };
  let res: Response;
  try { res = await fetch(url, { signal, redirect: 'follow' }); } catch (e) { throw fail(why(e)); }
  if (!res.ok) { await res.body?.cancel().catch(() => undefined); throw fail(`HTTP ${res.status} ${res.statusText}`.trim()); }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const over = () => fail(`larger than the download limit of ${maxBytes} bytes`);
  if (declared > maxBytes) { await res.body?.cancel().catch(() => undefined); throw over(); }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) { await res.body?.cancel().catch(() => undefined); throw over(); }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw fail(why(e));
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out;
}
