// CRC-32s of a stored zip's entries computed while the archive is still being read, so the check
// costs no time of its own when reading and summing run on different threads (files.ts: the
// read runs on libuv's pool while this sums what has arrived). It only precomputes: readZip still
// asks for every entry's CRC and gets the precomputed value only for the exact byte range summed
// here, so a damaged or unusual archive (data descriptors, compression) is checked as before.
import { SIG_LOCAL, U32_MAX, u16, u32, u64, zip64Extra } from './zip.js';

/** crc(bytes, previous) → the CRC-32 continued over bytes (0 starts one). */
export type Crc32Update = (bytes: Uint8Array, crc: number) => number;

export class ZipCrcAhead {
  /** Start of the next local header, or -1 once the walk has stopped. */
  private header = 0;
  private data = -1;
  private size = 0;
  private done = 0;
  private crc = 0;
  private readonly sums = new Map<number, { length: number; crc: number }>();

  constructor(private readonly bytes: Uint8Array, private readonly update: Crc32Update) {}

  /** Sum what bytes[0, available) adds; call as the read progresses. */
  advance(available: number): void {
    const b = this.bytes;
    while (this.header >= 0) {
      if (this.data < 0) {
        const p = this.header;
        if (p + 30 > available) return;
        // Anything but a plain stored entry with its sizes up front ends the walk (the central
        // directory, a data descriptor, compression): readZip sums the rest itself.
        if (u32(b, p) !== SIG_LOCAL || (u16(b, p + 6) & 8) !== 0 || u16(b, p + 8) !== 0) return this.stop();
        const nlen = u16(b, p + 26);
        const xlen = u16(b, p + 28);
        if (p + 30 + nlen + xlen > available) return;
        let size = u32(b, p + 18);
        if (size === U32_MAX) size = this.zip64Size(p + 30 + nlen, xlen, u32(b, p + 22) === U32_MAX);
        if (size < 0) return this.stop();
        this.data = p + 30 + nlen + xlen;
        this.size = size;
        this.done = 0;
        this.crc = 0;
      }
      const end = Math.min(available, this.data + this.size);
      const from = this.data + this.done;
      if (end > from) {
        this.crc = this.update(b.subarray(from, end), this.crc);
        this.done = end - this.data;
      }
      if (this.done < this.size) return;
      this.sums.set(this.data, { length: this.size, crc: this.crc >>> 0 });
      this.header = this.data + this.size;
      this.data = -1;
    }
  }

  /** The CRC summed here for exactly `data` (a view onto the same bytes), else undefined. */
  lookup(data: Uint8Array): number | undefined {
    if (data.buffer !== this.bytes.buffer) return undefined;
    const s = this.sums.get(data.byteOffset - this.bytes.byteOffset);
    return s && s.length === data.length ? s.crc : undefined;
  }

  /** The compressed size from a ZIP64 extra field (after the uncompressed one if that is saturated too). */
  private zip64Size(x: number, xlen: number, usizeFirst: boolean): number {
    const q = zip64Extra(this.bytes, x, xlen);
    return q < 0 ? -1 : u64(this.bytes, q + (usizeFirst ? 8 : 0));
  }

  private stop(): void {
    this.header = -1;
  }
}
