import { randomBytes } from 'node:crypto';
import { KeyRing } from '../security/key-ring';
import { SimulatedClock } from '../shared/clock';
import { ARCHIVE_LINK_KEY_PURPOSE, ArchiveLinks, redactArchiveLink } from './archive-links';

const ADDON = '6f1c2b9e-4d3a-4c55-9a0e-0b7d5f2e8a11';
const BACKUP = '0e3b9d47-1a2c-4f6e-8b5d-9c0a7e6f1b22';
const T0 = '2025-03-03T10:00:00.000Z';

/** The same token with one character of its payload or MAC changed to another valid one. */
function flip(token: string, index: number): string {
  const c = token[index];
  const other = c === 'A' ? 'B' : 'A';
  return token.slice(0, index) + other + token.slice(index + 1);
}

describe('ArchiveLinks', () => {
  const master = randomBytes(32);
  const ring = new KeyRing(master);
  let clock: SimulatedClock;
  let links: ArchiveLinks;

  beforeEach(() => {
    clock = new SimulatedClock(T0);
    links = new ArchiveLinks(ring.deriveKey(ARCHIVE_LINK_KEY_PURPOSE), 300, clock);
  });

  it('grants the add-on and backup it names, until 5 minutes later', () => {
    const { token, expiresAt } = links.issue(ADDON, BACKUP);
    expect(expiresAt.toISOString()).toBe('2025-03-03T10:05:00.000Z');
    expect(links.check(token)).toEqual({ valid: true, addonId: ADDON, backupId: BACKUP, expiresAt });
  });

  it('expires exactly at its expiry: valid 1 ms before, expired at it and after', async () => {
    const { token } = links.issue(ADDON, BACKUP);
    await clock.advance(300_000 - 1);
    expect(links.check(token).valid).toBe(true);
    await clock.advance(1);
    expect(links.check(token)).toEqual({ valid: false, reason: 'expired' });
    await clock.advance(86_400_000);
    expect(links.check(token)).toEqual({ valid: false, reason: 'expired' });
  });

  it('takes its lifetime from the configuration', () => {
    const short = new ArchiveLinks(ring.deriveKey(ARCHIVE_LINK_KEY_PURPOSE), 60, clock);
    expect(short.issue(ADDON, BACKUP).expiresAt.toISOString()).toBe('2025-03-03T10:01:00.000Z');
  });

  it('refuses a token altered anywhere, in its payload or its MAC', () => {
    const { token } = links.issue(ADDON, BACKUP);
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      expect(links.check(flip(token, i))).toEqual({ valid: false, reason: 'invalid' });
    }
  });

  it('refuses a payload re-signed by nobody: another backup, a later expiry', () => {
    const { token } = links.issue(ADDON, BACKUP);
    const [, mac] = token.split('.');
    for (const claims of [
      [1, ADDON, 'another-backup', Date.parse(T0) + 300_000],
      [1, ADDON, BACKUP, Date.parse(T0) + 86_400_000],
    ]) {
      const forged = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
      expect(links.check(forged)).toEqual({ valid: false, reason: 'invalid' });
    }
  });

  it('accepts only the canonical spelling of the MAC', () => {
    const { token } = links.issue(ADDON, BACKUP);
    const last = token.at(-1)!;
    // The last of 43 base64url characters carries 4 bits of the MAC and 2 spare bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(last);
    const sibling = alphabet[(index & ~3) | ((index + 1) & 3)];
    const twin = token.slice(0, -1) + sibling;
    expect(Buffer.from(twin.split('.')[1], 'base64url')).toEqual(Buffer.from(token.split('.')[1], 'base64url'));
    expect(links.check(twin)).toEqual({ valid: false, reason: 'invalid' });
  });

  it('refuses a token from another master key, or for another purpose of the same one', () => {
    const { token } = links.issue(ADDON, BACKUP);
    const otherMaster = new ArchiveLinks(new KeyRing(randomBytes(32)).deriveKey(ARCHIVE_LINK_KEY_PURPOSE), 300, clock);
    const otherPurpose = new ArchiveLinks(ring.deriveKey('something-else'), 300, clock);
    expect(otherMaster.check(token)).toEqual({ valid: false, reason: 'invalid' });
    expect(otherPurpose.check(token)).toEqual({ valid: false, reason: 'invalid' });
    // The same master key after a restart derives the same key: the link still works.
    expect(new ArchiveLinks(new KeyRing(master).deriveKey(ARCHIVE_LINK_KEY_PURPOSE), 300, clock).check(token).valid).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['no MAC', 'abc'],
    ['garbage', 'not a token at all'],
    ['too long', `${'A'.repeat(600)}.${'A'.repeat(43)}`],
    ['a number', 42],
    ['undefined', undefined],
  ])('refuses %s', (_, token) => {
    expect(links.check(token)).toEqual({ valid: false, reason: 'invalid' });
  });

  it('carries nothing secret: the payload is the ids and the expiry, never the key', () => {
    const { token } = links.issue(ADDON, BACKUP);
    const [payload] = token.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toEqual([1, ADDON, BACKUP, Date.parse(T0) + 300_000]);
    const key = ring.deriveKey(ARCHIVE_LINK_KEY_PURPOSE);
    for (const secret of [master, key]) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(token).not.toContain(secret.toString(encoding));
    }
  });

  it('derives a 32-byte key per purpose that is neither the master key nor another purpose\'s', () => {
    const a = ring.deriveKey('archive-links');
    expect(a).toHaveLength(32);
    expect(a.equals(master)).toBe(false);
    expect(a.equals(ring.deriveKey('other'))).toBe(false);
    expect(a.equals(ring.deriveKey('archive-links'))).toBe(true);
    expect(() => ring.deriveKey('Not A Purpose!')).toThrow();
  });

  it('redacts the token from a URL for logs', () => {
    const { token } = links.issue(ADDON, BACKUP);
    expect(redactArchiveLink(`/v1/backup-archives/${token}`)).toBe('/v1/backup-archives/[redacted]');
    expect(redactArchiveLink(`/v1/backup-archives/${token}?x=1`)).toBe('/v1/backup-archives/[redacted]?x=1');
    expect(redactArchiveLink('/v1/apps/x')).toBe('/v1/apps/x');
  });
});
