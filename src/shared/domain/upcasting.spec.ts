import { UpcastError, Upcasters } from './upcasting';

/** A synthetic event whose shape changed twice: v1 `{ name }`, v2 `{ first, last }`, v3 `{ first, last, initials }`. */
type V1 = { name: string };
type V2 = { first: string; last: string };
type V3 = V2 & { initials: string };
const v1ToV2 = ({ name }: V1): V2 => {
  const [first, last] = name.split(' ');
  if (!last) throw new Error(`"${name}" has no last name`);
  return { first, last };
};
const v2ToV3 = ({ first, last }: V2): V3 => ({ first, last, initials: `${first[0]}${last[0]}` });

const registry = () => new Upcasters({ Renamed: 3, Other: 1 }, { Renamed: { 1: v1ToV2, 2: v2ToV3 } });

describe('Upcasters', () => {
  it('chains the steps from the stored version to the current one', () => {
    expect(registry().upcast('Renamed', 1, { name: 'Ada Lovelace' })).toEqual({
      version: 3,
      data: { first: 'Ada', last: 'Lovelace', initials: 'AL' },
    });
    expect(registry().upcast('Renamed', 2, { first: 'Alan', last: 'Turing' })).toEqual({
      version: 3,
      data: { first: 'Alan', last: 'Turing', initials: 'AT' },
    });
  });

  it('hands current data back as is (the same object), and a type it does not know too', () => {
    const current = { first: 'Grace', last: 'Hopper', initials: 'GH' };
    expect(registry().upcast('Renamed', 3, current).data).toBe(current);
    const other = { any: 'thing' };
    expect(registry().upcast('Other', 1, other)).toEqual({ version: 1, data: other });
    expect(registry().upcast('TokenIssued', 7, other)).toEqual({ version: 7, data: other });
  });

  it('tells the current version of a type, and nothing for an unknown one', () => {
    expect(registry().currentVersion('Renamed')).toBe(3);
    expect(registry().currentVersion('Other')).toBe(1);
    expect(registry().currentVersion('Nope')).toBeUndefined();
  });

  it('refuses a version newer than the current one: written by a newer build', () => {
    expect(() => registry().upcast('Renamed', 4, {})).toThrow(
      new UpcastError('Renamed', 4, 'this build knows versions up to 3; run the build that wrote it, or a newer one'),
    );
    expect(() => registry().upcast('Other', 2, {})).toThrow('Cannot read Other stored at schema version 2');
  });

  it('refuses what is not a version', () => {
    for (const version of [0, -1, 1.5, Number.NaN]) {
      expect(() => registry().upcast('Renamed', version, {})).toThrow(UpcastError);
    }
  });

  it('a step that cannot read its data fails naming the type and the version it read', () => {
    const error = (() => {
      try {
        registry().upcast('Renamed', 1, { name: 'Plato' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UpcastError);
    expect(error).toMatchObject({
      eventType: 'Renamed',
      schemaVersion: 1,
      message: 'Cannot read Renamed stored at schema version 1: "Plato" has no last name',
    });
  });

  it('is checked when built: a missing step, a step past the current version, a step for an unknown type', () => {
    expect(() => new Upcasters({ Renamed: 3 }, { Renamed: { 1: v1ToV2 } })).toThrow(
      'Renamed is at schema version 3 but has no upcaster from version 2',
    );
    expect(() => new Upcasters({ Renamed: 2 }, { Renamed: { 1: v1ToV2, 2: v2ToV3 } })).toThrow(
      'An upcaster for Renamed from version 2, which is not a version before the current one (2)',
    );
    expect(() => new Upcasters({ Renamed: 2 } as Record<string, number>, { Gone: { 1: v1ToV2 } })).toThrow(
      'An upcaster for Gone, which is not an event type of this registry',
    );
    expect(() => new Upcasters({ Renamed: 0 })).toThrow('Renamed: the current schema version must be an integer ≥ 1, not 0');
  });
});
