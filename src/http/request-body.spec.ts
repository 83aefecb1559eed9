import { inspectBody, MAX_BODY_DEPTH } from './request-body';

describe('inspectBody', () => {
  it('accepts ordinary bodies', () => {
    expect(inspectBody({ role: 'owner', nested: [{ a: 1 }], proto: 'fine', constructorName: 'x' })).toEqual([]);
    expect(inspectBody(undefined)).toEqual([]);
  });

  it('names every prototype key with its path, at any depth', () => {
    const body = JSON.parse('{"__proto__":{"x":1},"a":{"constructor":{"prototype":{}}},"b":[{"prototype":1}]}');
    expect(inspectBody(body)).toEqual(
      expect.arrayContaining([
        { field: '__proto__', messages: ['property __proto__ should not exist'] },
        { field: 'a.constructor', messages: ['property constructor should not exist'] },
        { field: 'b.0.prototype', messages: ['property prototype should not exist'] },
      ]),
    );
  });

  it('says too_deep past the depth limit, without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(inspectBody(deep)).toBe('too_deep');
    let ok: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH; i++) ok = { a: ok };
    expect(inspectBody(ok)).toEqual([]);
  });
});
