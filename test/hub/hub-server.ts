// A stand-in for the Hugging Face hub on 127.0.0.1: serves files under
// /kartiknarayan/SegFace/resolve/main/<path> the way the hub does (a redirect carrying
// x-linked-etag / x-linked-size, then the bytes from a "CDN" path, with Range support), and can
// misbehave on request: cut the connection mid-body, announce a wrong hash.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURE_CHECKPOINT = join(REPO_ROOT, '..', 'shared', 'fixtures', 'mobilenet_seed0_512', 'model.pt');

export interface HubServer {
  endpoint: string;
  requests: { url: string; range?: string }[];
  /** Cut the next full-body response after this many bytes. */
  cutNextAfter?: number;
  /** Announce this sha256 instead of the real one. */
  fakeSha?: string;
  close(): Promise<void>;
}

export async function startHub(files: Record<string, Uint8Array>): Promise<HubServer> {
  const shas = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')]));
  const state: HubServer = { endpoint: '', requests: [], close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = req.url ?? '';
    state.requests.push({ url, range: req.headers.range });
    const hub = url.match(/^\/kartiknarayan\/SegFace\/resolve\/main\/(.+)$/);
    if (hub) {
      const key = decodeURIComponent(hub[1]!);
      if (!files[key]) { res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found'); return; }
      res.writeHead(302, {
        location: `/cdn/${encodeURIComponent(key)}`,
        'x-linked-etag': `"${state.fakeSha ?? shas[key]}"`,
        'x-linked-size': String(files[key]!.length),
      }).end();
      return;
    }
    const cdn = url.match(/^\/cdn\/(.+)$/);
    const body = cdn ? files[decodeURIComponent(cdn[1]!)] : undefined;
    if (!body) { res.writeHead(404).end(); return; }
    let start = 0;
    const m = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end(); return; }
      res.writeHead(206, { 'content-length': String(body.length - start), 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { 'content-length': String(body.length) });
    }
    const cut = state.cutNextAfter;
    if (cut !== undefined) {
      state.cutNextAfter = undefined;
      res.write(body.subarray(start, start + cut), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); });
  return state;
}
