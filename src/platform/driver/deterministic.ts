import { createHash } from 'node:crypto';

/** A 32-bit seed from any parts (hashed, so similar inputs give unrelated seeds). */
export function seedOf(...parts: ReadonlyArray<string | number>): number {
  return createHash('sha256').update(JSON.stringify(parts)).digest().readUInt32BE(0);
}

/**
 * mulberry32: a small, fast, seedable PRNG. Not for secrets: it only makes the simulated
 * data plane's choices (dump sizes, downtimes, chaos failures) repeatable.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `bytes` pseudo-random bytes as hex. */
  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i += 4) {
      out += (Math.floor(this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    }
    return out.slice(0, bytes * 2);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}
