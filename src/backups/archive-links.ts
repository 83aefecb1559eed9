import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/clock';

/** Where a signed link points: `GET <ARCHIVE_LINK_PATH><token>`. */
export const ARCHIVE_LINK_PATH = '/v1/backup-archives/';
/** The KeyRing purpose of the signing key (`KeyRing.deriveKey`). */
export const ARCHIVE_LINK_KEY_PURPOSE = 'archive-links';

export interface ArchiveLink {
  token: string;
  expiresAt: Date;
}

export type ArchiveLinkCheck =
  | { valid: true; addonId: string; backupId: string; expiresAt: Date }
  | { valid: false; reason: 'invalid' | 'expired' };

const VERSION = 1;
const MAC_BYTES = 32;
/** Far above any real token (two UUIDs and a time): a longer one is refused unread. */
const MAX_TOKEN_LENGTH = 512;
const TOKEN = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/;
const ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Short-lived download links for backup archives: the link is the credential, so it needs
 * no bearer token. A token is `<payload>.<mac>`, both base64url: the payload names the
 * add-on, the backup and the expiry (nothing secret), the MAC is HMAC-SHA256 of it under a
 * key derived from the master key for this purpose only. Checked in constant time, expiry
 * measured on the injected clock.
 */
export class ArchiveLinks {
  readonly #key: Buffer;

  constructor(
    key: Buffer,
    readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    if (!Buffer.isBuffer(key) || key.length < 32) throw new RangeError('An archive link key is at least 32 bytes.');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError('The link lifetime is a whole number of seconds, 1 or more.');
    this.#key = Buffer.from(key);
  }

  /** A link to one backup's archive, valid `ttlSeconds` from now. */
  issue(addonId: string, backupId: string): ArchiveLink {
    if (!ID.test(addonId) || !ID.test(backupId)) throw new RangeError('Ids are 1 to 128 of A-Z a-z 0-9 _ -');
    const expiresAt = new Date(this.clock.now().getTime() + this.ttlSeconds * 1000);
    const payload = Buffer.from(JSON.stringify([VERSION, addonId, backupId, expiresAt.getTime()]), 'utf8').toString('base64url');
    return { token: `${payload}.${this.mac(payload).toString('base64url')}`, expiresAt };
  }

  /**
   * What a token grants. `invalid` for anything this key did not sign as it is (altered,
   * truncated, another key, garbage); `expired` from its expiry on (the expiry itself is
   * already too late).
   */
  check(token: unknown): ArchiveLinkCheck {
    const invalid = { valid: false, reason: 'invalid' } as const;
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return invalid;
    const parts = TOKEN.exec(token);
    if (!parts) return invalid;
    const [, payload, mac] = parts;
    const given = Buffer.from(mac, 'base64url');
    // Base64url leaves spare bits in the last character: only the canonical spelling of
    // the MAC is accepted, so no two tokens verify as the same link.
    if (given.length !== MAC_BYTES || given.toString('base64url') !== mac) return invalid;
    if (!timingSafeEqual(given, this.mac(payload))) return invalid;

    const claims = parseClaims(payload);
    if (!claims) return invalid;
    if (this.clock.now().getTime() >= claims.expiresAt.getTime()) return { valid: false, reason: 'expired' };
    return { valid: true, ...claims };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(`archive-link.v${VERSION}.${payload}`, 'utf8').digest();
  }
}

function parseClaims(payload: string): { addonId: string; backupId: string; expiresAt: Date } | null {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(claims) || claims.length !== 4) return null;
  const [version, addonId, backupId, expiresAt] = claims as unknown[];
  if (version !== VERSION || typeof addonId !== 'string' || typeof backupId !== 'string') return null;
  if (!ID.test(addonId) || !ID.test(backupId) || !Number.isSafeInteger(expiresAt)) return null;
  return { addonId, backupId, expiresAt: new Date(expiresAt as number) };
}

/**
 * A URL with the token of an archive link replaced, for logs: whoever reads a log must not
 * be able to download with what they read there.
 */
export function redactArchiveLink(url: string): string {
  if (!url.startsWith(ARCHIVE_LINK_PATH)) return url;
  const query = url.indexOf('?');
  return `${ARCHIVE_LINK_PATH}[redacted]${query >= 0 ? url.slice(query) : ''}`;
}
