// How long an admitted POST /parse keeps its admission slot: until the exchange is over in every
// sense. The connection side ends when the response is sent or the connection closes (client
// abort, a dropped slow client, a socket error, our timeouts); the work side when the parse it
// started finishes (an inference cannot be interrupted, so it keeps the slot past an abort).
// The slot is given back once, when both have ended, whichever comes last.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ticket } from './admission.js';

export interface Lifecycle {
  /** The connection side has ended (answered or gone): start no work for it. */
  readonly closed: boolean;
  /** Keeps the slot until `job` settles (also when nobody waits for it any more). */
  hold(job: Promise<unknown>): void;
  /** The upload has been read completely: its deadline no longer applies. */
  uploadDone(): void;
}

export interface LifecycleOptions {
  /** Time from admission to the last byte of the upload; past it the client is answered and cut off. */
  uploadTimeoutMs: number;
  /** That answer: 408 by default; 503 where the request's own deadline is the earlier one. */
  expired?: { statusCode: number; error: string };
}

export function trackRequest(req: IncomingMessage, res: ServerResponse, ticket: Ticket, o: LifecycleOptions): Lifecycle {
  let open = 1; // the connection side; each held job adds one
  const end = () => { if (--open === 0) ticket.release(); };
  let connectionEnded = false;
  const socket = req.socket;
  const onEnd = () => {
    if (connectionEnded) return;
    connectionEnded = true;
    clearTimeout(uploadTimer);
    res.off('finish', onEnd).off('close', onEnd);
    socket?.off('close', onEnd); // keep-alive sockets outlive many requests
    end();
  };
  // 'close' comes after a sent response and after an aborted connection alike; 'finish' covers
  // responses whose connection stays open (keep-alive) where 'close' may come later.
  res.once('finish', onEnd);
  res.once('close', onEnd);
  socket?.once('close', onEnd);

  const uploadTimer = setTimeout(() => {
    // A client that does not finish its upload in time (slow or stalled) is answered and cut off;
    // closing the request stream also ends the body parser that waits for it.
    if (!res.headersSent) {
      const expired = o.expired ?? { statusCode: 408, error: `upload not received within ${o.uploadTimeoutMs} ms` };
      const body = JSON.stringify({ error: expired.error, statusCode: expired.statusCode });
      res.writeHead(expired.statusCode, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body, () => req.destroy());
    } else req.destroy();
  }, o.uploadTimeoutMs);
  uploadTimer.unref();

  return {
    get closed() { return connectionEnded; },
    hold(job) {
      open++;
      void job.catch(() => undefined).finally(end);
    },
    uploadDone() { clearTimeout(uploadTimer); },
  };
}
