/**
 * Encoding detection and streaming decode. UTF-8 (with or without BOM) and UTF-16 LE/BE (by BOM) are
 * detected exactly. Without a BOM, the first bytes are checked as UTF-8; if they are not valid
 * UTF-8 the file is decoded as windows-1252 (a superset of Latin-1 for printable text) and the
 * detected encoding says so. Invalid UTF-8 further into a file that started valid is replaced by
 * U+FFFD (the rows keep their line numbers; the import records the encoding it used).
 */
export type Encoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface DetectedEncoding {
  encoding: Encoding;
  bomLength: number;
  /** Human-readable, shown in the preview and stored on the job. */
  label: string;
}

export function detectEncoding(sample: Uint8Array): DetectedEncoding {
  if (sample.length >= 3 && sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) {
    return { encoding: "utf-8", bomLength: 3, label: "UTF-8 (with BOM)" };
  }
  if (sample.length >= 2 && sample[0] === 0xff && sample[1] === 0xfe) return { encoding: "utf-16le", bomLength: 2, label: "UTF-16 LE" };
  if (sample.length >= 2 && sample[0] === 0xfe && sample[1] === 0xff) return { encoding: "utf-16be", bomLength: 2, label: "UTF-16 BE" };
  // UTF-16 without a BOM: text in the Latin range has a zero byte in every other position.
  const pairs = Math.min(sample.length >> 1, 4096);
  if (pairs >= 4) {
    let zeroEven = 0;
    let zeroOdd = 0;
    for (let i = 0; i < pairs; i++) {
      if (sample[2 * i] === 0) zeroEven++;
      if (sample[2 * i + 1] === 0) zeroOdd++;
    }
    if (zeroOdd > pairs * 0.4 && zeroEven < pairs * 0.05) return { encoding: "utf-16le", bomLength: 0, label: "UTF-16 LE (no BOM)" };
    if (zeroEven > pairs * 0.4 && zeroOdd < pairs * 0.05) return { encoding: "utf-16be", bomLength: 0, label: "UTF-16 BE (no BOM)" };
  }
  // Ignore a multi-byte sequence cut by the end of the sample.
  let end = sample.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const b = sample[end - k]!;
    if ((b & 0xc0) === 0xc0) {
      end -= k;
      break;
    }
    if ((b & 0x80) === 0) break;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(sample.subarray(0, end));
    return { encoding: "utf-8", bomLength: 0, label: "UTF-8" };
  } catch {
    return { encoding: "windows-1252", bomLength: 0, label: "Latin-1 / windows-1252 (not valid UTF-8)" };
  }
}

/** A streaming decoder for a detected encoding (skips the BOM). */
export class ChunkDecoder {
  private readonly dec: { decode(input?: Uint8Array, options?: { stream?: boolean }): string };
  private skip: number;
  constructor(det: DetectedEncoding) {
    this.dec = new TextDecoder(det.encoding, { fatal: false, ignoreBOM: true });
    this.skip = det.bomLength;
  }
  write(bytes: Uint8Array): string {
    let b = bytes;
    if (this.skip > 0) {
      const k = Math.min(this.skip, b.length);
      b = b.subarray(k);
      this.skip -= k;
    }
    return this.dec.decode(b, { stream: true });
  }
  end(): string {
    return this.dec.decode();
  }
}
