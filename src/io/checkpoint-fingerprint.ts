// A content fingerprint of a checkpoint file that stays cheap for a 1 GB file: a torch zip's
// central directory lists every entry's name, size and CRC-32, so hashing it (a few KB at the
// file's end) identifies the content — and the reader checks those CRCs against the data.
// Files that are not zips (a fixture's weights.json) are hashed whole.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const MAX_DIRECTORY = 64 << 20;

async function wholeFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** `zipcd:<sha256 of size + central directory>` for a zip, else `sha256:<whole file>`. */
export async function checkpointFingerprint(path: string): Promise<string> {
  const f = await open(path, 'r');
  try {
    const size = (await f.stat()).size;
    const read = async (pos: number, n: number) => {
      const b = Buffer.alloc(n);
      const { bytesRead } = await f.read(b, 0, n, pos);
      return b.subarray(0, bytesRead);
    };
    const tailLen = Math.min(size, 22 + 0xffff + 20);
    const tailStart = size - tailLen;
    const tail = await read(tailStart, tailLen);
    let e = tail.length - 22;
    while (e >= 0 && tail.readUInt32LE(e) !== EOCD) e--;
    if (e < 0) return await wholeFile(path);
    let cdSize = tail.readUInt32LE(e + 12);
    let cdOffset = tail.readUInt32LE(e + 16);
    if (e >= 20 && tail.readUInt32LE(e - 20) === EOCD64_LOCATOR) {
      const rec = Number(tail.readBigUInt64LE(e - 20 + 8));
      const r = await read(rec, 56);
      if (r.length < 56 || r.readUInt32LE(0) !== EOCD64) return await wholeFile(path);
      cdSize = Number(r.readBigUInt64LE(40));
      cdOffset = Number(r.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size || cdSize > MAX_DIRECTORY) return await wholeFile(path);
    const cd = await read(cdOffset, cdSize);
    return `zipcd:${createHash('sha256').update(`${size}:`).update(cd).digest('hex')}`;
  } finally {
    await f.close();
  }
}
