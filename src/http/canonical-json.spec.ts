import fc from 'fast-check';
import { canonicalJson } from './canonical-json';

const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  entries.sort(() => (seed = (seed * 9301 + 49297) % 233280) / 233280 - 0.5);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of entries) Object.defineProperty(copy, key, { value: shuffleKeys(item, seed), enumerable: true });
  return copy;
};

describe('canonicalJson', () => {
  it('is the same text whatever the key order, and parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        const text = canonicalJson(value);
        expect(canonicalJson(shuffleKeys(value, seed))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: 'x' })).toBe('{"a":"x","b":[{"c":2,"d":1}]}');
  });

  it('keeps a __proto__ key as a key, without touching any prototype', () => {
    const body = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
    expect(canonicalJson(body)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('tells different bodies apart', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson(undefined)).toBe('null');
  });
});
