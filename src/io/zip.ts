// Zip archives the way PyTorch's `torch.save` writes them: stored (uncompressed) entries, data
// aligned to 64 bytes, ZIP64 once the archive passes 4 GiB. Pure TypeScript on Uint8Array so it
// also runs in a browser; entry data is returned as views (no copies).
import { UserError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  /** The entry's bytes: a view onto the archive. */
  readonly data: Uint8Array;
  /** Offset of the data inside the archive (torch aligns it to 64). */
  readonly dataOffset: number;
  readonly crc32: number;
}

export const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
export const U32_MAX = 0xffffffff;

// ---- CRC32 (slicing-by-8: miniz, which libtorch uses, checks it on every record read) ----------

const CRC_TABLES: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(t);
  }
  return tables;
})();

/** CRC-32 (IEEE) of `bytes`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ];
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// ---- reading ---------------------------------------------------------------------------------

export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 2 ** 32;
}

/** Where the data of the ZIP64 extra field (id 1) starts among the extra fields at [x, x+len), else -1. */
export function zip64Extra(b: Uint8Array, x: number, len: number): number {
  for (let q = x; q + 4 <= x + len; q += 4 + u16(b, q + 2)) if (u16(b, q) === 0x0001) return q + 4;
  return -1;
}

const utf8 = new TextDecoder('utf-8');

export interface ZipReadOptions {
  /**
   * The CRC-32 each entry is checked against (a faster one where the platform has it, e.g.
   * Node's zlib.crc32); false skips the check. Default: crc32() of this file.
   */
  crc32?: ((bytes: Uint8Array) => number) | false;
}

const hex32 = (x: number) => `0x${x.toString(16).padStart(8, '0')}`;

/**
 * The entries of a zip archive, in central-directory order, each checked against its CRC-32.
 * `name` is used in messages (usually the file name). Compressed entries are refused: torch
 * never writes them.
 */
export function readZip(bytes: Uint8Array, name = 'archive', opts: ZipReadOptions = {}): ZipEntry[] {
  const check = opts.crc32 === false ? undefined : (opts.crc32 ?? crc32);
  const len = bytes.length;
  const looksLikeZip = len >= 4 && u32(bytes, 0) === SIG_LOCAL;
  // The end-of-central-directory record sits in the last 22 + (comment ≤ 65535) bytes.
  let eocd = -1;
  for (let o = len - 22; o >= 0 && o >= len - 22 - 0xffff; o--) {
    if (u32(bytes, o) === SIG_EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) {
    if (looksLikeZip) throw new UserError(`${name}: truncated zip archive (no end-of-central-directory record; the file was cut short)`);
    throw new UserError(`${name}: not a zip archive (expected a PyTorch checkpoint written by torch.save)`);
  }
  let count = u16(bytes, eocd + 10);
  let cdSize = u32(bytes, eocd + 12);
  let cdOffset = u32(bytes, eocd + 16);
  const loc = eocd - 20;
  if (loc >= 0 && u32(bytes, loc) === SIG_EOCD64_LOCATOR) {
    const rec = u64(bytes, loc + 8);
    if (rec + 56 > len || u32(bytes, rec) !== SIG_EOCD64) throw new UserError(`${name}: corrupt zip archive (bad ZIP64 end-of-central-directory record)`);
    count = u64(bytes, rec + 32);
    cdSize = u64(bytes, rec + 40);
    cdOffset = u64(bytes, rec + 48);
  }
  if (cdOffset + cdSize > len) throw new UserError(`${name}: truncated zip archive (central directory lies past the end of the file)`);

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > len || u32(bytes, p) !== SIG_CENTRAL) throw new UserError(`${name}: corrupt zip archive (bad central directory entry ${i})`);
    const method = u16(bytes, p + 10);
    const crc = u32(bytes, p + 16);
    let csize = u32(bytes, p + 20);
    let usize = u32(bytes, p + 24);
    const nlen = u16(bytes, p + 28);
    const xlen = u16(bytes, p + 30);
    const clen = u16(bytes, p + 32);
    let local = u32(bytes, p + 42);
    const entryName = utf8.decode(bytes.subarray(p + 46, p + 46 + nlen));
    // ZIP64 extra field: the 64-bit values appear in this order, only for fields saturated at 0xFFFFFFFF.
    let q = zip64Extra(bytes, p + 46 + nlen, xlen);
    if (q >= 0) {
      if (usize === U32_MAX) (usize = u64(bytes, q)), (q += 8);
      if (csize === U32_MAX) (csize = u64(bytes, q)), (q += 8);
      if (local === U32_MAX) local = u64(bytes, q);
    }
    p += 46 + nlen + xlen + clen;
    if (local + 30 > len || u32(bytes, local) !== SIG_LOCAL) {
      if (local + 30 > len) throw new UserError(`${name}: truncated zip archive (entry '${entryName}' lies past the end of the file)`);
      throw new UserError(`${name}: corrupt zip archive (bad local header for entry '${entryName}')`);
    }
    if (method !== 0) {
      throw new UserError(`${name}: zip entry '${entryName}' is compressed (method ${method}); PyTorch checkpoints store entries uncompressed`);
    }
    if (usize !== csize) throw new UserError(`${name}: corrupt zip archive (stored entry '${entryName}' has two different sizes, ${csize} and ${usize})`);
    const dataOffset = local + 30 + u16(bytes, local + 26) + u16(bytes, local + 28);
    if (dataOffset + csize > len) throw new UserError(`${name}: truncated zip archive (entry '${entryName}' is cut short)`);
    const data = bytes.subarray(dataOffset, dataOffset + usize);
    if (check) {
      const got = check(data) >>> 0;
      if (got !== crc) {
        throw new UserError(`${name}: corrupt checkpoint (entry '${entryName}' fails its CRC-32 check: recorded ${hex32(crc)}, data has ${hex32(got)}); the file is damaged, copy or download it again`);
      }
    }
    entries.push({ name: entryName, data, dataOffset, crc32: crc });
  }
  return entries;
}

// ---- writing ---------------------------------------------------------------------------------

export interface ZipWriteOptions {
  /** Data alignment inside the archive (torch uses 64). */
  align?: number;
  /** Write ZIP64 records even for a small archive (tests; torch switches at 4 GiB). */
  forceZip64?: boolean;
  /** A faster CRC-32 where the platform has one (Node's zlib.crc32); defaults to crc32() here. */
  crc32?: (bytes: Uint8Array) => number;
}

/**
 * A stored (uncompressed) zip archive as a list of chunks: headers plus the entries' own bytes
 * (not copied), so a caller can stream them to a file. Use concatBytes() for one buffer.
 */
export function writeZipChunks(entries: readonly { name: string; data: Uint8Array }[], opts: ZipWriteOptions = {}): Uint8Array[] {
  const align = opts.align ?? 64;
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  let any64 = !!opts.forceZip64;
  for (const e of entries) {
    const nameBytes = enc.encode(e.name);
    const size = e.data.length;
    const crc = (opts.crc32 ?? crc32)(e.data);
    const big = !!opts.forceZip64 || size >= U32_MAX || offset >= U32_MAX;
    any64 ||= big;
    // Local header: 30 + name + [zip64 extra 20] + padding extra ('FB' + len + 'Z'*n), as miniz does in torch.
    const z64Len = big ? 20 : 0;
    const pad = (align - ((offset + 30 + nameBytes.length + z64Len + 4) % align)) % align;
    const xlen = z64Len + 4 + pad;
    const local = new Uint8Array(30 + nameBytes.length + xlen);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, big ? 45 : 20, true);
    lv.setUint16(6, 0x0800, true); // UTF-8 names
    lv.setUint16(8, 0, true); // stored
    lv.setUint32(14, crc, true);
    lv.setUint32(18, big ? U32_MAX : size, true);
    lv.setUint32(22, big ? U32_MAX : size, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, xlen, true);
    local.set(nameBytes, 30);
    let x = 30 + nameBytes.length;
    if (big) {
      lv.setUint16(x, 0x0001, true);
      lv.setUint16(x + 2, 16, true);
      setU64(lv, x + 4, size);
      setU64(lv, x + 12, size);
      x += 20;
    }
    lv.setUint16(x, 0x4246, true); // 'FB'
    lv.setUint16(x + 2, pad, true);
    local.fill(0x5a, x + 4, x + 4 + pad); // 'Z'
    chunks.push(local, e.data);

    const cz64 = big ? 28 : 0;
    const cen = new Uint8Array(46 + nameBytes.length + cz64);
    const cv = new DataView(cen.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, big ? 45 : 20, true);
    cv.setUint16(6, big ? 45 : 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, big ? U32_MAX : size, true);
    cv.setUint32(24, big ? U32_MAX : size, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint16(30, cz64, true);
    cv.setUint32(42, big ? U32_MAX : offset, true);
    cen.set(nameBytes, 46);
    if (big) {
      const c = 46 + nameBytes.length;
      cv.setUint16(c, 0x0001, true);
      cv.setUint16(c + 2, 24, true);
      setU64(cv, c + 4, size);
      setU64(cv, c + 12, size);
      setU64(cv, c + 20, offset);
    }
    central.push(cen);
    offset += local.length + size;
  }
  const cdOffset = offset;
  let cdSize = 0;
  for (const c of central) cdSize += c.length;
  chunks.push(...central);
  const n = entries.length;
  if (any64 || n >= 0xffff || cdOffset + cdSize >= U32_MAX) {
    const rec = new Uint8Array(56 + 20);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, SIG_EOCD64, true);
    setU64(rv, 4, 44);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    setU64(rv, 24, n);
    setU64(rv, 32, n);
    setU64(rv, 40, cdSize);
    setU64(rv, 48, cdOffset);
    rv.setUint32(56, SIG_EOCD64_LOCATOR, true);
    setU64(rv, 64, cdOffset + cdSize);
    rv.setUint32(72, 1, true);
    chunks.push(rec);
    any64 = true;
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, any64 ? 0xffff : n, true);
  ev.setUint16(10, any64 ? 0xffff : n, true);
  ev.setUint32(12, any64 ? U32_MAX : cdSize, true);
  ev.setUint32(16, any64 ? U32_MAX : cdOffset, true);
  chunks.push(end);
  return chunks;
}

function setU64(v: DataView, o: number, x: number): void {
  v.setUint32(o, x % 2 ** 32, true);
  v.setUint32(o + 4, Math.floor(x / 2 ** 32), true);
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** A stored zip archive in one buffer. */
export function writeZip(entries: readonly { name: string; data: Uint8Array }[], opts?: ZipWriteOptions): Uint8Array {
  return concatBytes(writeZipChunks(entries, opts));
}
