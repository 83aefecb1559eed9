import type { Role } from './principal';

/**
 * A bearer token's stream is `token-<sha256 hex of the token>`: the plaintext is never
 * stored, and a token is found by hashing what the caller sends. Tokens carry 256 random
 * bits, so a fast hash is enough (no salt or slow hash needed against guessing).
 */
export const TOKEN_STREAM_CATEGORY = 'token';

/** A token was issued: whoever presents it acts as `role:subject`. */
export interface TokenIssued {
  type: 'TokenIssued';
  data: { role: Role; subject: string; tokenId: string };
}

export const TOKEN_ISSUED_SCHEMA_VERSION = 1;

export type TokenEvent = TokenIssued;
