import { Injectable, Logger } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppConfig } from '../config/app-config';

/**
 * Something encrypted with AES-256-GCM, as JSON-safe base64 strings. `kid` names the key
 * that sealed it (the first 8 hex characters of its SHA-256), so a store can hold data
 * sealed under several keys once keys rotate, and a wrong key is reported as such.
 */
export interface Sealed {
  alg: 'A256GCM';
  kid: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** A data key sealed under the master key: `kid` is the master key's id. */
export type WrappedKey = Sealed;

/** Opening failed: wrong key, tampered data, or not something this ring sealed. */
export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MASTER_KEY_FILE = 'master.key';

/**
 * Additional authenticated data: what a ciphertext is for. A wrapped key cannot be opened
 * as a sealed secret (nor the reverse), and a secret sealed for one `context` (say, a row
 * id) cannot be moved to another, even though the same key sealed both.
 */
const aad = (purpose: 'wrap' | 'seal', kid: string, context: string) =>
  Buffer.from(JSON.stringify(['db-addons', purpose, kid, context]));

/** The id of a key: short, stable, and useless to recover the key. */
export const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * Envelope encryption with AES-256-GCM. The master key never leaves this object: it wraps
 * per-resource data keys (`generateDataKey` / `unwrap`) and seals the process's own local
 * secrets (`sealWithMaster`). Callers keep the wrapped key beside the data it sealed.
 *
 * Provided by `SecurityModule` through `KeyRing.fromConfig` (the class is the DI token).
 */
@Injectable()
export class KeyRing {
  /** Id of the master key; the `kid` of every wrapped key and master-sealed secret. */
  readonly kid: string;
  // A private field: never enumerated, logged or serialized with the object.
  readonly #master: Buffer;

  constructor(masterKey: Buffer) {
    if (!Buffer.isBuffer(masterKey) || masterKey.length !== KEY_BYTES) {
      throw new KeyRingError(`The master key must be ${KEY_BYTES} bytes.`);
    }
    this.#master = Buffer.from(masterKey);
    this.kid = keyId(this.#master);
  }

  /**
   * The ring of this process: `MASTER_KEY` when set; otherwise `DATA_DIR/master.key`,
   * created (32 random bytes, mode 0600) when missing. The file is for development and
   * single-machine installs: whoever reads the data directory gets the key with it.
   */
  static async fromConfig(config: AppConfig, logger = new Logger('KeyRing')): Promise<KeyRing> {
    if (config.masterKey) return new KeyRing(config.masterKey);
    const file = join(config.dataDir, MASTER_KEY_FILE);
    const { key, created } = await loadOrCreateKeyFile(file);
    logger.warn(
      `MASTER_KEY is not set: ${created ? 'created' : 'using'} ${file}. ` +
        'Production should set MASTER_KEY (openssl rand -base64 32) and keep it out of the data directory.',
    );
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) logger.warn(`${file} is readable by other users (mode ${mode.toString(8)}): chmod 600 it.`);
    return new KeyRing(key);
  }

  /** A fresh random key for one resource, and the same key wrapped under the master key. */
  generateDataKey(): { key: Buffer; wrapped: WrappedKey } {
    const key = randomBytes(KEY_BYTES);
    return { key, wrapped: encrypt(this.#master, key, aad('wrap', this.kid, '')) };
  }

  /** The data key inside `wrapped`. @throws KeyRingError when it was not wrapped by this master key. */
  unwrap(wrapped: WrappedKey): Buffer {
    checkKid(wrapped, this.kid);
    const key = decrypt(this.#master, wrapped, aad('wrap', this.kid, ''));
    if (key.length !== KEY_BYTES) throw new KeyRingError('The wrapped value is not a data key.');
    return key;
  }

  /**
   * Encrypts `plaintext` under a data key. `context` (optional) binds it to where it is
   * kept: `open` must be given the same one.
   */
  seal(plaintext: string, key: Buffer, context = ''): Sealed {
    const kid = keyId(checkKey(key));
    return encrypt(key, Buffer.from(plaintext, 'utf8'), aad('seal', kid, context));
  }

  /** @throws KeyRingError when the key or context is wrong, or the data was altered. */
  open(sealed: Sealed, key: Buffer, context = ''): string {
    const kid = keyId(checkKey(key));
    checkKid(sealed, kid);
    return decrypt(key, sealed, aad('seal', kid, context)).toString('utf8');
  }

  /** Seals a secret of this process (e.g. a stored HTTP answer) under the master key. */
  sealWithMaster(plaintext: string, context = ''): Sealed {
    return this.seal(plaintext, this.#master, context);
  }

  openWithMaster(sealed: Sealed, context = ''): string {
    return this.open(sealed, this.#master, context);
  }

  /**
   * A 32-byte key for one `purpose` (e.g. `archive-links`), derived from the master key
   * with HKDF-SHA256: each purpose gets its own key, and none of them leads back to the
   * master key or to another purpose's. The same master key and purpose give the same key,
   * so what it signed stays valid across restarts.
   */
  deriveKey(purpose: string): Buffer {
    if (!PURPOSE.test(purpose)) throw new KeyRingError('A key purpose is 1 to 64 of a-z 0-9 . : -');
    return Buffer.from(hkdfSync('sha256', this.#master, HKDF_SALT, `derive:${purpose}`, KEY_BYTES));
  }
}

const PURPOSE = /^[a-z0-9.:-]{1,64}$/;
/** Fixed and public: HKDF's salt only separates this application's derivations from others'. */
const HKDF_SALT = Buffer.from('db-addons/key-ring/v1');

function encrypt(key: Buffer, plaintext: Buffer, additionalData: Buffer): Sealed {
  // A random 96-bit IV per message: with a fresh data key per resource and the master
  // key used for few messages, we stay far from GCM's 2^32-messages-per-key bound.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    alg: 'A256GCM',
    kid: keyId(key),
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

function decrypt(key: Buffer, sealed: Sealed, additionalData: Buffer): Buffer {
  const iv = base64Field(sealed, 'iv');
  const tag = base64Field(sealed, 'tag');
  const ciphertext = base64Field(sealed, 'ciphertext');
  // Node accepts GCM tags as short as 4 bytes unless told otherwise: a forger would only
  // have to guess 32 bits. Pin the length.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new KeyRingError('Malformed sealed value.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new KeyRingError('The sealed value cannot be opened: wrong key or context, or it was altered.');
  }
}

function checkKid(sealed: Sealed, expected: string): void {
  if (typeof sealed !== 'object' || sealed === null || sealed.alg !== 'A256GCM') {
    throw new KeyRingError('Not an A256GCM sealed value.');
  }
  if (sealed.kid !== expected) {
    // Key ids are not secret, and naming both is what an operator needs during a rotation.
    throw new KeyRingError(`Sealed under key ${String(sealed.kid).slice(0, 16)}, not under key ${expected}.`);
  }
}

function checkKey(key: Buffer): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new KeyRingError(`A key is ${KEY_BYTES} bytes.`);
  return key;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Field(sealed: Sealed, field: 'iv' | 'tag' | 'ciphertext'): Buffer {
  const value = sealed[field];
  if (typeof value !== 'string' || !BASE64.test(value)) throw new KeyRingError('Malformed sealed value.');
  return Buffer.from(value, 'base64');
}

/**
 * Reads the key file, or creates it. The key is written to a temporary file first and then
 * hard-linked into place, which fails if the name exists: two processes starting at once
 * agree on one key, and neither can read a half-written file.
 */
async function loadOrCreateKeyFile(file: string): Promise<{ key: Buffer; created: boolean }> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(KEY_BYTES);
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${fresh.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return { key: fresh, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  const text = (await readFile(file, 'utf8')).trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== text) {
    throw new KeyRingError(`${file} does not hold the base64 of ${KEY_BYTES} bytes.`);
  }
  return { key, created: false };
}
