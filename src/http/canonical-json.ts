import stableStringify from 'safe-stable-stringify';

/**
 * One JSON text per value, whatever the order of its keys: object keys sorted (by UTF-16
 * code units), no whitespace (`safe-stable-stringify`). Two bodies that mean the same give
 * the same text, so the same fingerprint. No body (undefined) is `null`.
 */
export function canonicalJson(value: unknown): string {
  return stableStringify(value) ?? 'null';
}
