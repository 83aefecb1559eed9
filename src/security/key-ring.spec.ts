import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AppConfig, validateEnvironment } from '../config/app-config';
import { KeyRing, KeyRingError, Sealed } from './key-ring';

const flip = (base64: string, byte = 0): string => {
  const bytes = Buffer.from(base64, 'base64');
  bytes[byte] ^= 0x01;
  return bytes.toString('base64');
};

describe('KeyRing', () => {
  const master = randomBytes(32);
  const ring = new KeyRing(master);

  describe('data keys', () => {
    it('wraps a fresh 32-byte key under the master key and unwraps it back', () => {
      const { key, wrapped } = ring.generateDataKey();
      expect(key).toHaveLength(32);
      expect(wrapped).toEqual({
        alg: 'A256GCM',
        kid: createHash('sha256').update(master).digest('hex').slice(0, 8),
        iv: expect.any(String),
        ciphertext: expect.any(String),
        tag: expect.any(String),
      });
      expect(ring.unwrap(JSON.parse(JSON.stringify(wrapped)))).toEqual(key);
      expect(ring.generateDataKey().key).not.toEqual(key);
    });

    it('refuses to unwrap under another master key, naming both key ids', () => {
      const other = new KeyRing(randomBytes(32));
      const { wrapped } = ring.generateDataKey();
      expect(() => other.unwrap(wrapped)).toThrow(KeyRingError);
      expect(() => other.unwrap(wrapped)).toThrow(new RegExp(`${ring.kid}.*${other.kid}`));
    });

    it('refuses a master-sealed secret as a wrapped key, even when it is 32 bytes', () => {
      const sealed = ring.sealWithMaster('x'.repeat(32));
      expect(() => ring.unwrap(sealed)).toThrow(KeyRingError);
    });
  });

  describe('seal and open', () => {
    it('round-trips any string under a data key', () => {
      const { key } = ring.generateDataKey();
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
          expect(ring.open(ring.seal(text, key), key)).toBe(text);
        }),
      );
    });

    it('never repeats an IV and never holds the plaintext', () => {
      const { key } = ring.generateDataKey();
      const a = ring.seal('password=hunter2', key);
      const b = ring.seal('password=hunter2', key);
      expect(a.iv).not.toBe(b.iv);
      expect(a.ciphertext).not.toBe(b.ciphertext);
      expect(JSON.stringify(a)).not.toContain('hunter2');
    });

    it.each<[string, (s: Sealed) => Sealed]>([
      ['the ciphertext is altered', (s) => ({ ...s, ciphertext: flip(s.ciphertext) })],
      ['the tag is altered', (s) => ({ ...s, tag: flip(s.tag) })],
      ['the iv is altered', (s) => ({ ...s, iv: flip(s.iv) })],
      ['the tag is truncated to 4 bytes', (s) => ({ ...s, tag: Buffer.from(s.tag, 'base64').subarray(0, 4).toString('base64') })],
      ['the alg is not A256GCM', (s) => ({ ...s, alg: 'none' as 'A256GCM' })],
      ['a field is not base64', (s) => ({ ...s, ciphertext: '%%%' })],
    ])('throws when %s', (_, alter) => {
      const { key } = ring.generateDataKey();
      expect(() => ring.open(alter(ring.seal('secret', key)), key)).toThrow(KeyRingError);
    });

    it('throws with a wrong key, and says nothing of either key', () => {
      const { key } = ring.generateDataKey();
      const other = ring.generateDataKey().key;
      const sealed = ring.seal('secret', key);
      let error: unknown;
      try {
        ring.open({ ...sealed, kid: ring.seal('x', other).kid }, other);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(KeyRingError);
      const message = (error as Error).message;
      for (const k of [key, other, master]) {
        expect(message).not.toContain(k.toString('base64'));
        expect(message).not.toContain(k.toString('hex'));
      }
    });

    it('binds a secret to its context', () => {
      const sealed = ring.sealWithMaster('answer', 'row-1');
      expect(ring.openWithMaster(sealed, 'row-1')).toBe('answer');
      expect(() => ring.openWithMaster(sealed, 'row-2')).toThrow(KeyRingError);
      expect(() => ring.openWithMaster(sealed)).toThrow(KeyRingError);
    });

    it('keeps the master key out of inspection and serialization', () => {
      expect(inspect(ring, { showHidden: true, depth: 5 })).not.toContain(master.toString('hex'));
      expect(JSON.stringify(ring)).not.toContain(master.toString('base64'));
    });
  });

  describe('fromConfig', () => {
    let dir: string;
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
    const configFor = (env: Record<string, string>) => new AppConfig(validateEnvironment({ DATA_DIR: dir, ...env }));

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'db-addons-keyring-'));
      warnings.length = 0;
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('uses MASTER_KEY when set, and writes no file', async () => {
      const key = randomBytes(32);
      const fromEnv = await KeyRing.fromConfig(configFor({ MASTER_KEY: key.toString('base64') }), logger);
      expect(fromEnv.kid).toBe(new KeyRing(key).kid);
      expect(() => statSync(join(dir, 'master.key'))).toThrow();
      expect(warnings).toEqual([]);
    });

    it('creates DATA_DIR/master.key (mode 0600) when MASTER_KEY is unset, warns, and reuses it next time', async () => {
      const first = await KeyRing.fromConfig(configFor({}), logger);
      const file = join(dir, 'master.key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
      expect(warnings[0]).toMatch(/MASTER_KEY is not set.*Production should set MASTER_KEY/);
      expect(warnings[0]).not.toContain(readFileSync(file, 'utf8').trim());

      const sealed = first.sealWithMaster('kept across restarts');
      const second = await KeyRing.fromConfig(configFor({}), logger);
      expect(second.kid).toBe(first.kid);
      expect(second.openWithMaster(sealed)).toBe('kept across restarts');
    });

    it('agrees on one key when several processes create the file at once', async () => {
      const rings = await Promise.all([1, 2, 3, 4].map(() => KeyRing.fromConfig(configFor({}), logger)));
      expect(new Set(rings.map((r) => r.kid)).size).toBe(1);
    });

    it('refuses a key file that does not hold 32 bytes of base64, without printing it', async () => {
      writeFileSync(join(dir, 'master.key'), 'c2hvcnQta2V5\n', { mode: 0o600 });
      await expect(KeyRing.fromConfig(configFor({}), logger)).rejects.toThrow(/does not hold the base64 of 32 bytes/);
      await expect(KeyRing.fromConfig(configFor({}), logger)).rejects.not.toThrow(/c2hvcnQta2V5/);
    });
  });
});
