// A map with a bound on entries (least recently used goes first) and an expiry per entry. Used
// for SNS signing certificates (by URL) and Mailgun's used tokens. A Map keeps insertion order:
// re-inserting on a hit makes its first key the least recently used one, so every operation
// is O(1). Time is passed in (ms), never read from a clock here.

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class BoundedCache<V> {
  private readonly map = new Map<string, Entry<V>>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value if present and not expired at `now` (an expired one is dropped). */
  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }
}
