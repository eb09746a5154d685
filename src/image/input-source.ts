// Every kind of image input the library takes → a file path, encoded bytes or raw pixels, with
// the name messages use. Anything else is refused with a UserError saying what was passed.
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { fetchBytes, type FetchBytesOptions } from '../hub/fetch-bytes.js';
import type { ImageInput, RawPixels } from './read.js';

export type Source =
  | { kind: 'path'; path: string; name: string }
  | { kind: 'bytes'; bytes: Uint8Array; name: string }
  | { kind: 'raw'; raw: RawPixels; name: string };

const EXPECTED = 'expected a file path, an http(s) or file: URL, a Buffer, typed array, ArrayBuffer or Blob of an encoded image, or raw pixels {data, width, height, channels}';

/** A short description of a value for messages (never its contents). */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x === 'string' ? `the string ${JSON.stringify(x.slice(0, 60))}` : `a ${typeof x}`;
  const ctor = (x as object).constructor?.name;
  if (ctor && ctor !== 'Object') return `a ${ctor}`;
  return `an object with keys {${Object.keys(x).slice(0, 8).join(', ')}}`;
}

function isRaw(x: object): x is RawPixels {
  return 'data' in x && 'width' in x && 'height' in x;
}

async function fromUrl(url: URL, text: string, download?: FetchBytesOptions): Promise<Source> {
  if (url.protocol === 'file:') {
    let path: string;
    try { path = fileURLToPath(url); } catch (e) { throw new UserError(`${text}: not a usable file: URL (${(e as Error).message})`); }
    return { kind: 'path', path, name: path };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { kind: 'bytes', bytes: await fetchBytes(url.href, download), name: url.href };
  throw new UserError(`${text}: unsupported URL scheme '${url.protocol}' (expected http:, https: or file:)`);
}

export async function toSource(input: ImageInput, name: string | undefined, download?: FetchBytesOptions): Promise<Source> {
  if (typeof input === 'string') {
    if (/^(https?|file):\/\//i.test(input)) {
      let url: URL;
      try { url = new URL(input); } catch { throw new UserError(`${input}: not a valid URL`); }
      return fromUrl(url, input, download);
    }
    return { kind: 'path', path: input, name: input };
  }
  if (input instanceof URL) return fromUrl(input, input.href, download);
  if (input instanceof Uint8Array) return { kind: 'bytes', bytes: input, name: name ?? '<buffer>' };
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) {
    return { kind: 'bytes', bytes: new Uint8Array(input), name: name ?? '<ArrayBuffer>' };
  }
  if (ArrayBuffer.isView(input)) {
    return { kind: 'bytes', bytes: new Uint8Array(input.buffer, input.byteOffset, input.byteLength), name: name ?? `<${input.constructor.name}>` };
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const fileName = (input as Blob & { name?: string }).name;
    return { kind: 'bytes', bytes: new Uint8Array(await input.arrayBuffer()), name: name ?? (fileName || '<Blob>') };
  }
  if (input !== null && typeof input === 'object' && isRaw(input)) return { kind: 'raw', raw: input, name: name ?? '<pixels>' };
  throw new UserError(`${name ?? 'input'}: cannot read an image from ${describeValue(input)}; ${EXPECTED}`);
}
