import { AppVariable } from '../../apps/domain/app.events';
import { DatabaseType, PROVIDERS } from '../../catalogue/domain/catalogue';

/**
 * The variables a running add-on sets on its app: `<PREFIX>_<TYPE>_URL` holding the
 * connection URL, and the alias `<TYPE>_URL` pointing at it (REDIS_URL=$SCALINGO_REDIS_URL).
 * Both are references: the URL itself, password included, is never stored in an event.
 */
export function addonVariables(prefix: string, providerId: DatabaseType, addonId: string): AppVariable[] {
  const env = PROVIDERS[providerId].envName;
  const main = `${prefix}_${env}_URL`;
  return [
    { name: main, addonUrl: addonId },
    { name: `${env}_URL`, alias: main },
  ];
}
