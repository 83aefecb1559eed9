import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** Ids and randomness, injected so that domain inputs stay explicit and tests can pin them. */
export abstract class Random {
  abstract uuid(): string;
  /** A whole number in [min, max]. */
  abstract int(min: number, max: number): number;
  /** `bytes` random bytes, base64url. */
  abstract secret(bytes: number): string;
}

export class CryptoRandom extends Random {
  uuid(): string {
    return randomUUID();
  }
  int(min: number, max: number): number {
    return randomInt(min, max + 1);
  }
  secret(bytes: number): string {
    return randomBytes(bytes).toString('base64url');
  }
}
