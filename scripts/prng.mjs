// mulberry32: a small seeded PRNG. The same seed gives the same sequence, so a mutation, a
// benchmark's plan or a power-cut image can be made again (scripts/metamorphic-lib.mjs,
// bench/lib/mix.mjs, test/helpers/powercut.ts, and the seeded tests: test/parser/fuzz.test.ts,
// test/reliability/fuzz.test.ts and crash.test.ts, the store contract's random sequence).

/** A generator of numbers in [0, 1) from a 32-bit seed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
