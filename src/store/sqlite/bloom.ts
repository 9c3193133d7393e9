// A Bloom filter of strings: "absent" is certain, "maybe present" is not. The pre-send memory
// (./presend-memory.ts) holds the suppression keys in one so that the common answer, "not
// suppressed", needs no statement; a false "maybe" costs only the statement it would have run.
//
// m bits (a power of two: an index is a mask, not a division), k probes by double hashing
// (Kirsch and Mitzenmacher: h1 + i*h2 is as good as k independent hashes for a filter). At
// 10 bits a key and k = 7 about 0.8 % of absent keys answer "maybe"; at 20 bits, 0.01 %.

/** Two 32-bit hashes of a string (Math.imul mixing per UTF-16 unit, then a finaliser each). */
function hash2(s: string, out: Uint32Array): void {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x5bd1e995);
    a ^= a >>> 15;
    b = Math.imul(b ^ c, 0xcc9e2d51);
    b = (b << 13) | (b >>> 19);
  }
  out[0] = fmix(a);
  out[1] = fmix(b) | 1; // odd: the probes of one key never repeat a bit before m of them
}

/** murmur3's finaliser: every input bit moves about half the output bits. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class BloomFilter {
  readonly bits: Uint32Array;
  private readonly mask: number;
  /** Keys added (with repeats): how full the filter is. */
  added = 0;
  private readonly h = new Uint32Array(2);

  /** A filter of at least `minBits` bits (rounded up to a power of two, at least 32), k probes. */
  constructor(minBits: number, readonly k = 7, given?: Uint32Array) {
    let m = 32;
    while (m < minBits && m < 2 ** 31) m *= 2;
    if (given && given.length * 32 !== m) throw new Error(`a Bloom filter of ${given.length * 32} bits is not a power of two`);
    this.bits = given ?? new Uint32Array(m / 32);
    this.mask = m - 1;
  }

  /** The filter whose bits another thread filled (./presend-worker.ts; taken, not copied), with its count of keys. */
  static of(bits: Uint32Array, added: number, k = 7): BloomFilter {
    const f = new BloomFilter(bits.length * 32, k, bits);
    f.added = added;
    return f;
  }

  /** Bits in the filter. */
  get size(): number {
    return this.mask + 1;
  }

  add(key: string): void {
    hash2(key, this.h);
    const h1 = this.h[0]!;
    const h2 = this.h[1]!;
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      const w = bit >>> 5;
      this.bits[w] = this.bits[w]! | (1 << (bit & 31));
    }
    this.added++;
  }

  /** False: the key was never added. True: it may have been. */
  has(key: string): boolean {
    hash2(key, this.h);
    const h1 = this.h[0]!;
    const h2 = this.h[1]!;
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
