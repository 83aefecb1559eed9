import { Injectable } from '@nestjs/common';
import { DatabaseProvider } from '../../catalogue/domain/catalogue';
import { KeyRing, Sealed, WrappedKey } from '../../security/key-ring';
import { Random } from '../../shared/random';
import { Connection } from '../domain/addon.events';

export const MASKED_PASSWORD = '********';

/**
 * An add-on's credentials: made at provisioning, the password sealed at once with the
 * add-on's own data key (itself wrapped by the master key), so the clear password exists
 * only in memory, only while provisioning or while its owner reads the app's variables.
 */
@Injectable()
export class Credentials {
  constructor(
    private readonly keys: KeyRing,
    private readonly random: Random,
  ) {}

  /** Sealed for this add-on only: the ciphertext cannot be moved to another add-on's record. */
  create(provider: DatabaseProvider, addonId: string, resourceId: string): Connection {
    const { key, wrapped } = this.keys.generateDataKey();
    try {
      return {
        scheme: provider.scheme,
        user: resourceId.replace(/-/g, '_'),
        host: `${resourceId}.${provider.id}.db-addons.internal`,
        port: this.random.int(30_000, 39_999),
        password: { ...this.keys.seal(this.random.secret(36), key, addonId) },
        dataKey: { ...wrapped },
      };
    } finally {
      key.fill(0);
    }
  }

  /** `<scheme>://<user>:<password>@<host>:<port>`; the password stays masked unless revealed. */
  url(addonId: string, connection: Connection, { reveal }: { reveal: boolean }): string {
    const password = reveal ? this.password(addonId, connection) : MASKED_PASSWORD;
    const { scheme, user, host, port } = connection;
    return `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`;
  }

  private password(addonId: string, connection: Connection): string {
    const key = this.keys.unwrap(connection.dataKey as unknown as WrappedKey);
    try {
      return this.keys.open(connection.password as unknown as Sealed, key, addonId);
    } finally {
      key.fill(0);
    }
  }
}
