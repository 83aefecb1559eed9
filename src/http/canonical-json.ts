/**
 * One JSON text per value, whatever the order of its keys: object keys sorted (by UTF-16
 * code units), no whitespace. Two bodies that mean the same give the same text, so the same
 * fingerprint. Built as a string, never as an object: copying keys such as `__proto__`
 * into a new object would change its prototype instead of adding a key.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // NaN, functions, symbols, bigints: none of them comes out of a JSON body.
    if (text === undefined) throw new TypeError('Not a JSON value');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}
