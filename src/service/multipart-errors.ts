// What went wrong in a multipart upload, in the client's terms. busboy and @fastify/multipart
// throw plain Errors (no status) for bodies that break the format: no boundary, a body cut short,
// a bad part header. Those are the client's fault (400), not the server's (500). Errors that
// carry a 4xx status already (a file over the size limit: 413) keep it.
export function multipartProblem(e: unknown): string | undefined {
  const err = e as { statusCode?: number; message?: string; code?: string } | undefined;
  const status = err?.statusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 406) return undefined;
  const msg = (err?.message ?? String(e)).replace(/^Multipart: /, '');
  return msg.length > 200 ? `${msg.slice(0, 200)}…` : msg;
}
