/**
 * The set of keys already seen in one import file (duplicate detection), in memory that grows by
 * 16 bytes per distinct key instead of a JavaScript Set's ~50–80 (a 10,000,000-row file: ~256 MiB
 * → 160 MiB at most, and no per-key heap objects for the garbage collector to trace).
 *
 * Each key is stored as a 64-bit fingerprint (two independent 32-bit hashes) in an open-addressing
 * table. Two different keys share a fingerprint with probability ~n²/2⁶⁵ per file (3·10⁻⁸ for one
 * million keys, 3·10⁻⁶ for ten million); such a row would be rejected as a duplicate, with its line
 * and reason in the error report — never dropped silently.
 */
export class KeySet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used: Uint8Array;
  private count = 0;
  private mask: number;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1 << 4;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key; returns false when it (or a key with the same fingerprint) was already there. */
  add(key: string): boolean {
    // FNV-1a and a murmur3-style mix, each over the UTF-16 code units.
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c ^ key.length;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      let k = Math.imul(c, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h2 = Math.imul(h2 ^ Math.imul(k, 0x1b873593), 5) + 0xe6546b64;
      h2 = (h2 << 13) | (h2 >>> 19);
    }
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h2 ^= h2 >>> 16;
    h2 = Math.imul(h2, 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    const a = h1 >>> 0;
    const b = h2 >>> 0;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    while (this.used[i] === 1) {
      if (this.hi[i] === a && this.lo[i] === b) return false;
      i = (i + 1) & this.mask;
    }
    this.used[i] = 1;
    this.hi[i] = a;
    this.lo[i] = b;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  private grow(): void {
    const { hi, lo, used } = this;
    const cap = (this.mask + 1) * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < used.length; j++) {
      if (used[j] !== 1) continue;
      const a = hi[j]!;
      const b = lo[j]!;
      let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
      while (this.used[i] === 1) i = (i + 1) & this.mask;
      this.used[i] = 1;
      this.hi[i] = a;
      this.lo[i] = b;
    }
  }
}
