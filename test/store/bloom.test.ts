// The pre-send memory's Bloom filter (src/store/sqlite/bloom.ts), and the hand-over of a filter
// another thread filled (BloomFilter.of: the worker's build, src/store/sqlite/presend-worker.ts).
import { describe, expect, it } from 'vitest';
import { BloomFilter } from '../../src/store/sqlite/bloom.js';

const keys = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `acct${i % 7}\n${tag}${i}@d${i % 13}.example`);

describe('BloomFilter', () => {
  it('never says absent for a key it holds, and rarely says maybe for one it does not', () => {
    const f = new BloomFilter(20_000 * 10);
    for (const k of keys(20_000, 'in')) f.add(k);
    for (const k of keys(20_000, 'in')) expect(f.has(k)).toBe(true);
    const maybe = keys(20_000, 'out').filter((k) => f.has(k)).length;
    // 10+ bits a key (rounded up to 2^18 = 13 a key), k = 7: well under 1 % (expected ~0.2 %)
    expect(maybe).toBeLessThan(200);
  });

  it('a filter handed over as its bits answers as the one that filled them', () => {
    const f = new BloomFilter(4096);
    for (const k of keys(300, 'in')) f.add(k);
    const g = BloomFilter.of(f.bits.slice(), f.added);
    expect(g.size).toBe(f.size);
    expect(g.added).toBe(300);
    for (const k of [...keys(300, 'in'), ...keys(300, 'out')]) expect(g.has(k)).toBe(f.has(k));
    expect(() => BloomFilter.of(new Uint32Array(3), 0)).toThrow(/power of two/);
  });
});
