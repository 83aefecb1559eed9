import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { AppFixture, ADMIN_TOKEN } from './app-fixture';
import { Method, Scenario } from './scenario';

/**
 * Malformed requests at every write endpoint, generated with fast-check from a fixed seed
 * (FUZZ_SEED overrides it; the seed is in the test names). Every answer must be a 4xx with
 * the error shape, and nothing may be appended to the log. Every generated request is
 * invalid by construction (a field of the wrong type or shape, a missing or unknown field,
 * a body that is not a JSON object, a wrong content type, a path naming nothing the caller
 * may reach); where the DTO alone refuses it, the 400 must list the fields at fault.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];
/** Keys that name what objects inherit: a body holding them must not confuse the pipes. */
const INHERITED_KEYS = ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', '__lookupGetter__', 'then', 'toJSON', 'length', 'inspect'];
const MAX_BODY_DEPTH = 32;
/** Keys naming a method every object inherits: today the transformer skips them (see write-api). */
const OBJECT_METHODS = Object.getOwnPropertyNames(Object.prototype).filter(
  (k) => typeof (Object.prototype as unknown as Record<string, unknown>)[k] === 'function' && !FORBIDDEN_KEYS.includes(k),
);

type Params = { app: string; addon: string; feature: string };
type FieldKind = 'enum' | 'string' | 'uuid' | 'int' | 'bool' | 'schedule' | 'iso';

interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  /** A valid value; strings are corrupted from it. */
  valid: unknown;
  /** For `int`: the accepted range. */
  range?: [number, number];
  /** Whether removing it must be reported on it (not for either-or fields). */
  reportedWhenMissing?: boolean;
  /** Whether its valid value in capitals is valid too (a subject may have capitals). */
  upperIsValid?: boolean;
}

interface Endpoint {
  name: string;
  method: Method;
  role: 'admin' | 'owner' | 'platform';
  path: (p: Params) => string;
  /** Which path params it has. */
  params: Array<keyof Params>;
  /** null: the route takes no body. */
  fields: Field[] | null;
}

/** What a case must be answered with, beyond "a 4xx with the error shape and no event". */
interface Expectation {
  code?: string;
  codes?: string[];
  /** With VALIDATION.FAILED: these fields at least are listed. */
  fields?: string[];
  /**
   * With VALIDATION.FAILED, for a body holding prototype keys or keys named like inherited
   * methods: `must` are listed, and either `fields` too, or nothing beyond `may` (such keys
   * are refused up front, before the DTO is checked, and the answer lists only them).
   */
  refusedFirst?: { must: string[]; may: string[] };
}

interface FuzzCase {
  label: string;
  endpoint: Endpoint;
  path: string;
  raw?: string;
  contentType?: string;
  expect: Expectation;
}

// ----- values -----

const nest = (depth: number, leaf: unknown, key = 'a'): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 3 === 2 ? [value] : { [key]: value };
  return value;
};

/** An object with an own key, whatever the key (`__proto__` included): what JSON.parse makes of it. */
function withKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(target)) Object.defineProperty(copy, k, { value: target[k], enumerable: true, writable: true, configurable: true });
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function withoutKey(target: Record<string, unknown>, key: string): Record<string, unknown> {
  let copy: Record<string, unknown> = {};
  for (const k of Object.keys(target)) if (k !== key) copy = withKey(copy, k, target[k]);
  return copy;
}

const smallJson = fc.jsonValue({ maxDepth: 2 });
const badChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 0x09 && c !== 0x20).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u007f', 'é', 'ß', 'Ω', '日本', '😀', '\u200b', '\u202e', '\ufeff', '\u00a0', '\u2028', 'Ｐ', '\\', '"', '\''),
);
/** A valid string with a character that makes it invalid inserted strictly inside it. */
const corrupted = (valid: string) =>
  fc.tuple(fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }), badChar).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at));
/** Longer than any field allows (and over the 64 kB body limit at times). */
const huge = fc.oneof(
  fc.integer({ min: 129, max: 5_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 65_600, max: 80_000 }).map((n) => 'y'.repeat(n)),
  fc.tuple(fc.integer({ min: 200, max: 3_000 }), badChar).map(([n, c]) => `${c}${'z'.repeat(n)}`),
);
const notAString = (nullable: boolean) =>
  fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.array(smallJson, { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), smallJson, { maxKeys: 3 }),
    fc.integer({ min: 1, max: 25 }).map((d) => nest(d, 'deep')),
    ...(nullable ? [fc.constant(null)] : []),
  );

/** Wrong values for a field, each marked `dto` (the DTO refuses it: a 400 on that field) or not. */
function wrongValue(field: Field): fc.Arbitrary<{ value: unknown; dto: boolean }> {
  const dto = (arb: fc.Arbitrary<unknown>) => arb.map((value) => ({ value, dto: true }));
  const domain = (arb: fc.Arbitrary<unknown>) => arb.map((value) => ({ value, dto: false }));
  // null is refused on required fields; on optional ones the DTO reads it as absent (see write-api).
  const nullable = field.required;
  switch (field.kind) {
    case 'enum':
    case 'string':
    case 'uuid':
    case 'iso':
      return fc.oneof(
        dto(notAString(nullable)),
        dto(corrupted(String(field.valid))),
        dto(huge),
        dto(fc.constant('')),
        // (A UUID in capitals is a UUID: the DTO takes it, then nothing is found.)
        ...(field.upperIsValid || field.kind === 'uuid' || String(field.valid).toUpperCase() === field.valid
          ? []
          : [dto(fc.constant(String(field.valid).toUpperCase()))]),
        dto(fc.constant([field.valid])),
      );
    case 'int': {
      const [min, max] = field.range!;
      return fc.oneof(
        dto(fc.integer({ min: -1_000_000, max: min - 1 })),
        dto(fc.integer({ min: max + 1, max: 1_000_000_000 })),
        dto(fc.double({ min: min + 0.001, max: max - 0.001, noNaN: true }).filter((n) => !Number.isInteger(n))),
        dto(fc.integer({ min, max }).map(String)),
        dto(fc.boolean()),
        dto(fc.constant(null)),
        dto(fc.constant([field.valid])),
        dto(fc.constant({ value: field.valid })),
        dto(huge),
      );
    }
    case 'bool':
      return fc.oneof(
        dto(fc.constantFrom('true', 'false', 'yes', 0, 1, null, [], {})),
        dto(fc.integer()),
        dto(fc.constant([true])),
        dto(corrupted('true')),
      );
    case 'schedule':
      return fc.oneof(
        dto(fc.boolean()),
        dto(fc.array(smallJson, { maxLength: 3 })),
        dto(fc.dictionary(fc.string({ maxLength: 5 }), smallJson, { maxKeys: 2 })),
        dto(fc.double({ min: 0.01, max: 22.99, noNaN: true }).filter((n) => !Number.isInteger(n))),
        dto(fc.integer({ min: 65, max: 3_000 }).map((n) => '1'.repeat(n))),
        // Accepted by the DTO, refused by the rules (422).
        domain(fc.oneof(fc.integer({ min: 24, max: 1_000_000 }), fc.integer({ min: -1_000_000, max: -1 }))),
        domain(corrupted('12:00 UTC')),
      );
  }
}

// ----- bodies -----

type Body = Record<string, unknown>;
interface Mutated {
  body: unknown;
  /** Fields a VALIDATION.FAILED must list; null when the rules may answer instead. */
  marks: string[] | null;
  what: string[];
}

const fieldPath = (key: string) => (key === '' ? '(body)' : key.slice(0, 256));

function mutation(endpoint: Endpoint): fc.Arbitrary<(m: Mutated) => Mutated> {
  const fields = endpoint.fields!;
  const names = new Set(fields.map((f) => f.name));
  const extraKey = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
    fc.constantFrom(...INHERITED_KEYS, 'ROLE', 'Plan_Id', 'plan-id', ' name', 'name ', '0', '$where', 'a.b', '\u0000', 'é'),
    fc.integer({ min: 300, max: 2_000 }).map((n) => 'k'.repeat(n)),
  ).filter((k) => !names.has(k) && !FORBIDDEN_KEYS.includes(k));
  const obj = (m: Mutated) => m.body as Body;
  const mark = (m: Mutated, key: string | null) =>
    m.marks === null || key === null ? null : [...m.marks.filter((k) => k !== key), key];

  const wrong = fc
    .constantFrom(...fields)
    .chain((field) => wrongValue(field).map(({ value, dto }) => ({ field, value, dto })))
    .map(({ field, value, dto }) => (m: Mutated): Mutated => ({
      body: withKey(withoutKey(obj(m), field.name), field.name, value),
      marks: dto ? mark(m, field.name) : null,
      what: [...m.what, `wrong ${field.name}`],
    }));
  const required = fields.filter((f) => f.required);
  const missing =
    required.length === 0
      ? null
      : fc.constantFrom(...required).map((field) => (m: Mutated): Mutated => ({
          body: withoutKey(obj(m), field.name),
          marks:
            field.reportedWhenMissing === false ? (m.marks?.filter((k) => k !== field.name) ?? null) : mark(m, field.name),
          what: [...m.what, `missing ${field.name}`],
        }));
  const extra = fc.tuple(extraKey, fc.oneof(smallJson, huge, fc.integer({ min: 1, max: 25 }).map((d) => nest(d, 1)))).map(
    ([key, value]) => (m: Mutated): Mutated => ({
      body: withKey(obj(m), key, value),
      marks: mark(m, fieldPath(key)),
      what: [...m.what, `extra ${JSON.stringify(key.slice(0, 20))}`],
    }),
  );
  // A prototype key at some depth, under an unknown field or inside a known one.
  const forbidden = fc
    .tuple(fc.constantFrom(...FORBIDDEN_KEYS), fc.integer({ min: 0, max: 12 }), fc.option(fc.constantFrom(...fields.map((f) => f.name)), { nil: undefined }))
    .map(([key, depth, under]) => (m: Mutated): Mutated => {
      const leaf = withKey({}, key, { polluted: true });
      const value = nest(depth, leaf, 'p');
      const holder = under ?? 'x';
      return { body: withKey(withoutKey(obj(m), holder), holder, value), marks: null, what: [...m.what, `${key} at depth ${depth + 1} under ${holder}`] };
    });
  const tooDeep = fc.integer({ min: MAX_BODY_DEPTH + 2, max: 400 }).map((depth) => (m: Mutated): Mutated => ({
    body: withKey(obj(m), 'deep', nest(depth, 1)),
    marks: null,
    what: [...m.what, `nested ${depth} deep`],
  }));
  return fc.oneof(
    { weight: 5, arbitrary: wrong },
    ...(missing ? [{ weight: 2, arbitrary: missing }] : []),
    { weight: 3, arbitrary: extra },
    { weight: 1, arbitrary: forbidden },
    { weight: 1, arbitrary: tooDeep },
  );
}

/**
 * As the server's guard walks the parsed body: the paths of prototype keys, whether it is
 * too deep, and the paths of keys named like inherited methods (top-level ones apart).
 */
function inspect(body: unknown): { forbidden: string[]; tooDeep: boolean; methods: string[]; topMethods: string[] } {
  const forbidden: string[] = [];
  const methods: string[] = [];
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) return { forbidden, tooDeep: true, methods, topMethods: [] };
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.includes(key)) forbidden.push(child);
      else pending.push({ value: (value as Record<string, unknown>)[key], path: child, depth: depth + 1 });
      if (OBJECT_METHODS.includes(key)) methods.push(child);
    }
  }
  const topMethods = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body).filter((k) => OBJECT_METHODS.includes(k)) : [];
  return { forbidden, tooDeep: false, methods, topMethods };
}

function expectationFor(text: string, marks: string[] | null): Expectation {
  if (Buffer.byteLength(text) > 64 * 1024) return { code: 'REQUEST.TOO_LARGE' };
  const { forbidden, tooDeep, methods, topMethods } = inspect(JSON.parse(text));
  if (tooDeep) return { code: 'REQUEST.TOO_DEEP' };
  if (forbidden.length > 0) {
    // Refused up front today, listing only those keys: the DTO's own findings may be absent.
    return { code: 'VALIDATION.FAILED', ...(marks && { fields: marks }), refusedFirst: { must: forbidden, may: [...forbidden, ...methods] } };
  }
  if (methods.length > 0) {
    return { code: 'VALIDATION.FAILED', ...(marks && { fields: marks }), refusedFirst: { must: topMethods, may: methods } };
  }
  return marks === null ? {} : { code: 'VALIDATION.FAILED', fields: marks };
}

// ----- the suite -----

describe(`Fuzzing the write endpoints (fast-check seed ${SEED})`, () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  const tokens: Record<Endpoint['role'], string> = { admin: ADMIN_TOKEN, owner: '', platform: '' };
  const ids = { pg: '', redis: '', bobs: '', removed: '' };
  let head: bigint | null = null;
  const answered = new Map<number, number>();

  const endpoints: Endpoint[] = [];

  beforeAll(async () => {
    await fixture.start();
    tokens.owner = await s.token('owner', 'alice');
    tokens.platform = await s.token('platform', 'monitoring');
    const bob = await s.token('owner', 'bob');
    await s.createApp(tokens.owner, 'fuzz');
    await s.createApp(bob, 'bobs');
    ids.pg = await s.runningAddon(tokens.owner, 'fuzz', 'postgresql', 'postgresql-starter-512', '14.17.0');
    ids.redis = await s.runningAddon(tokens.owner, 'fuzz', 'redis', 'redis-business-256');
    ids.bobs = await s.runningAddon(bob, 'bobs', 'mysql', 'mysql-starter-256');
    ids.removed = await s.runningAddon(tokens.owner, 'fuzz', 'mysql', 'mysql-starter-256');
    const window = await s.call(tokens.owner, 'PUT', `/v1/apps/fuzz/addons/${ids.pg}/maintenance-window`, { body: { weekday_utc: 3, starting_hour_utc: 9 } });
    expect(window.status).toBe(200);
    expect((await s.call(tokens.owner, 'DELETE', `/v1/apps/fuzz/addons/${ids.removed}`)).status).toBe(200);

    const addon = (p: Params) => `/v1/apps/${p.app}/addons/${p.addon}`;
    // Templates are valid in shape; where they can be, they are refused by the rules too
    // (already attached, same plan, not newer, inside the window…): a safety net.
    endpoints.push(
      { name: 'issue token', method: 'POST', role: 'admin', path: () => '/v1/tokens', params: [], fields: [
        { name: 'role', kind: 'enum', required: true, valid: 'owner' },
        { name: 'subject', kind: 'string', required: true, valid: 'fuzz-subject', upperIsValid: true },
      ] },
      { name: 'create app', method: 'POST', role: 'owner', path: () => '/v1/apps', params: [], fields: [
        { name: 'name', kind: 'string', required: true, valid: 'fuzz' },
      ] },
      { name: 'provision', method: 'POST', role: 'owner', path: (p) => `/v1/apps/${p.app}/addons`, params: ['app'], fields: [
        { name: 'addon_provider_id', kind: 'enum', required: true, valid: 'postgresql' },
        { name: 'plan_id', kind: 'string', required: true, valid: 'postgresql-starter-512' },
        { name: 'version', kind: 'string', required: false, valid: '14.17.0' },
      ] },
      { name: 'change plan', method: 'PATCH', role: 'owner', path: addon, params: ['app', 'addon'], fields: [
        { name: 'plan_id', kind: 'string', required: true, valid: 'postgresql-starter-512' },
      ] },
      { name: 'upgrade', method: 'POST', role: 'owner', path: (p) => `${addon(p)}/upgrade`, params: ['app', 'addon'], fields: [
        { name: 'version', kind: 'string', required: false, valid: '14.17.0' },
      ] },
      { name: 'maintenance window', method: 'PUT', role: 'owner', path: (p) => `${addon(p)}/maintenance-window`, params: ['app', 'addon'], fields: [
        { name: 'weekday_utc', kind: 'int', required: true, valid: 1, range: [0, 6] },
        { name: 'starting_hour_utc', kind: 'int', required: true, valid: 20, range: [0, 23] },
      ] },
      { name: 'backup schedule', method: 'PUT', role: 'owner', path: (p) => `${addon(p)}/backup-schedule`, params: ['app', 'addon'], fields: [
        { name: 'enabled', kind: 'bool', required: true, valid: true },
        { name: 'scheduled_at', kind: 'schedule', required: false, valid: '12:00 UTC' },
      ] },
      { name: 'restore', method: 'POST', role: 'owner', path: (p) => `${addon(p)}/restore`, params: ['app', 'addon'], fields: [
        { name: 'backup_id', kind: 'uuid', required: true, valid: randomUUID(), reportedWhenMissing: false },
        { name: 'restore_time', kind: 'iso', required: false, valid: '2020-01-01T00:00:00Z' },
      ] },
      { name: 'node failure', method: 'POST', role: 'platform', path: () => '/v1/platform/node-failures', params: [], fields: [
        { name: 'addon_id', kind: 'uuid', required: true, valid: ids.pg },
        { name: 'node', kind: 'string', required: true, valid: 'fuzz-db-9' },
      ] },
      { name: 'node recovery', method: 'POST', role: 'platform', path: () => '/v1/platform/node-recoveries', params: [], fields: [
        { name: 'addon_id', kind: 'uuid', required: true, valid: ids.pg },
        { name: 'node', kind: 'string', required: true, valid: 'fuzz-db-9' },
      ] },
      { name: 'deprovision', method: 'DELETE', role: 'owner', path: addon, params: ['app', 'addon'], fields: null },
      { name: 'enable feature', method: 'PUT', role: 'owner', path: (p) => `${addon(p)}/features/${p.feature}`, params: ['app', 'addon', 'feature'], fields: null },
      { name: 'disable feature', method: 'DELETE', role: 'owner', path: (p) => `${addon(p)}/features/${p.feature}`, params: ['app', 'addon', 'feature'], fields: null },
      { name: 'manual backup', method: 'POST', role: 'owner', path: (p) => `${addon(p)}/backups`, params: ['app', 'addon'], fields: null },
      { name: 'failover', method: 'POST', role: 'platform', path: (p) => `${addon(p)}/failover`, params: ['app', 'addon'], fields: null },
    );
    head = await s.head();
  });

  afterAll(async () => {
    const statuses = [...answered].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ');
    process.stderr.write(`fuzz (seed ${SEED}): ${[...answered.values()].reduce((a, b) => a + b, 0)} requests answered ${statuses}\n`);
    await fixture.dispose();
  });

  const params = (endpoint: Endpoint): Params => ({
    app: 'fuzz',
    addon: endpoint.name === 'failover' ? ids.redis : ids.pg,
    feature: 'force-tls',
  });
  const endpointArb = (withBody: boolean | null) =>
    fc.constantFrom(...endpoints.filter((e) => withBody === null || (e.fields !== null) === withBody));
  const template = (endpoint: Endpoint): Body => {
    let body: Body = {};
    for (const field of endpoint.fields ?? []) if (field.required || field.kind !== 'iso') body = withKey(body, field.name, field.valid);
    return body;
  };

  async function check(c: FuzzCase): Promise<void> {
    const response = await s.call(tokens[c.endpoint.role], c.endpoint.method, c.path, {
      ...(c.raw !== undefined && { raw: c.raw, contentType: c.contentType ?? 'application/json' }),
    });
    answered.set(response.status, (answered.get(response.status) ?? 0) + 1);
    const where = `${c.endpoint.method} ${c.path.slice(0, 120)} [${c.label}] → ${response.status} ${response.text.slice(0, 400)}`;
    const problems: string[] = [];
    if (response.status < 400 || response.status > 499) problems.push('not a 4xx');
    const body = response.body as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const shaped =
      typeof body === 'object' && body !== null && Object.keys(body).join() === 'error' &&
      typeof body.error === 'object' && body.error !== null &&
      Object.keys(body.error).sort().join() === 'code,details,message' &&
      typeof body.error.code === 'string' && /^[A-Z_]+(\.[A-Z_]+)+$/.test(body.error.code) &&
      typeof body.error.message === 'string' && body.error.message.length > 0 &&
      typeof body.error.details === 'object' && body.error.details !== null && !Array.isArray(body.error.details);
    if (!shaped) problems.push('not the error shape');
    if (response.text.length > 16_384) problems.push(`an error answer of ${response.text.length} characters`);
    const code = shaped ? (body.error!.code as string) : undefined;
    const { expect: e } = c;
    if (e.code && code !== e.code) problems.push(`expected ${e.code}`);
    if (e.codes && !e.codes.includes(code ?? '')) problems.push(`expected one of ${e.codes.join(', ')}`);
    if (code === 'VALIDATION.FAILED' && (e.fields || e.refusedFirst)) {
      const listed = ((body.error!.details as { fields?: Array<{ field: string }> }).fields ?? []).map((f) => f.field);
      const all = (fields: string[]) => fields.every((f) => listed.includes(f));
      if (e.refusedFirst) {
        const { must, may } = e.refusedFirst;
        const upFront = listed.length > 0 && listed.every((f) => may.includes(f));
        if (!all(must) || !(upFront || (e.fields !== undefined && all(e.fields)))) {
          problems.push(`fields ${JSON.stringify(listed)}: expected ${JSON.stringify(must)}, and ${JSON.stringify(e.fields)} or nothing beyond ${JSON.stringify(may)}`);
        }
      } else if (e.fields && !all(e.fields)) {
        problems.push(`fields ${JSON.stringify(listed)} miss some of ${JSON.stringify(e.fields)}`);
      }
    }
    const now = await s.head();
    if (now !== head) {
      problems.push(`appended events (head ${head} → ${now})`);
      head = now;
    }
    if (problems.length > 0) throw new Error(`${problems.join('; ')}: ${where}`);
  }

  const run = (arb: fc.Arbitrary<FuzzCase>, numRuns: number) =>
    fc.assert(fc.asyncProperty(arb, check), { seed: SEED, numRuns, endOnFailure: true });

  it(`bad bodies at the endpoints that take one: wrong types, missing, unknown, prototype keys, deep, huge (seed ${SEED}, 500 runs)`, async () => {
    const arb = endpointArb(true).chain((endpoint) =>
      fc
        .oneof(
          { weight: 8, arbitrary: fc.array(mutation(endpoint), { minLength: 1, maxLength: 3 }) },
          { weight: 1, arbitrary: fc.constant(null) },
        )
        .chain((mutations) => {
          if (mutations === null) {
            // An array where the object is expected.
            return fc
              .oneof(fc.constant([template(endpoint)]), fc.constant([]), fc.array(smallJson, { minLength: 1, maxLength: 4 }))
              .map((body): FuzzCase => ({ label: 'an array body', endpoint, path: endpoint.path(params(endpoint)), raw: JSON.stringify(body), expect: {} }));
          }
          const mutated = mutations.reduce<Mutated>((m, f) => f(m), { body: template(endpoint), marks: [], what: [] });
          const raw = JSON.stringify(mutated.body);
          return fc.constant<FuzzCase>({
            label: mutated.what.join(', '),
            endpoint,
            path: endpoint.path(params(endpoint)),
            raw,
            expect: expectationFor(raw, mutated.marks),
          });
        }),
    );
    await run(arb, 500);
  });

  it(`malformed JSON text and wrong content types, at every write endpoint (seed ${SEED}, 200 runs)`, async () => {
    const isJson = (text: string) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    const malformed = (valid: string) =>
      fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
        fc.constantFrom('{', '}', '{"a":}', '{a:1}', "{'a':1}", '{"a":1,}', '[1,2', 'nul', 'undefined', '{"a":NaN}', '{"a":Infinity}', '\u0000', '\ufeff{"a"', '{"a":"\u0000"'),
        fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }).map((n) => valid.slice(0, n)),
        fc.constantFrom('x', ']', '}', ',', '\u0000').map((tail) => valid + tail),
        // JSON, but not an object or an array: the parser is strict.
        fc.constantFrom('1', '-0', 'true', 'false', 'null', '"a string"', '1e999'),
      ).filter((text) => text.trim() !== '' && (!isJson(text) || !/^\s*[[{]/.test(text)));
    const contentTypes = fc.constantFrom(
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=fuzz',
      'application/xml',
      'application/octet-stream',
      'application/jsonx',
      'image/png',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
    );
    const arb = endpointArb(null).chain((endpoint) => {
      const valid = JSON.stringify(endpoint.fields ? template(endpoint) : { note: 'x' });
      const path = endpoint.path(params(endpoint));
      return fc.oneof(
        malformed(valid).map((raw): FuzzCase => ({ label: `malformed ${JSON.stringify(raw.slice(0, 30))}`, endpoint, path, raw, expect: { code: 'REQUEST.MALFORMED_JSON' } })),
        contentTypes.map((contentType): FuzzCase => ({
          label: `as ${contentType}`,
          endpoint,
          path,
          raw: valid,
          contentType,
          expect: { codes: ['REQUEST.UNSUPPORTED_MEDIA_TYPE', 'REQUEST.MALFORMED_JSON'] },
        })),
      );
    });
    await run(arb, 200);
  });

  it(`prototype keys and deep nesting at the routes that take no body (seed ${SEED}, 100 runs)`, async () => {
    const arb = endpointArb(false).chain((endpoint) => {
      const path = endpoint.path(params(endpoint));
      return fc.oneof(
        fc.tuple(fc.constantFrom(...FORBIDDEN_KEYS), fc.integer({ min: 0, max: 20 })).map(([key, depth]): FuzzCase => {
          const raw = JSON.stringify(nest(depth, withKey({}, key, { isAdmin: true }), 'q'));
          return { label: `${key} at depth ${depth + 1}`, endpoint, path, raw, expect: expectationFor(raw, null) };
        }),
        fc.integer({ min: MAX_BODY_DEPTH + 1, max: 500 }).map((depth): FuzzCase => ({
          label: `nested ${depth} deep`,
          endpoint,
          path,
          raw: JSON.stringify(nest(depth, 1)),
          expect: { code: 'REQUEST.TOO_DEEP' },
        })),
      );
    });
    await run(arb, 100);
  });

  it(`path params naming nothing the caller may reach (seed ${SEED}, 200 runs)`, async () => {
    const encode = (text: string) => {
      try {
        return encodeURIComponent(text);
      } catch {
        return 'lone%20surrogate';
      }
    };
    const junk = fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '..', '.', '%20', 'a%2Fb', '%C3%28');
    const segment = (valid: string[], extra: string[]) =>
      fc
        .oneof(
          fc.string({ minLength: 1, maxLength: 40 }).map(encode),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).map(encode),
          junk,
          fc.constantFrom(...extra),
        )
        .filter((seg) => {
          if (seg === '') return false;
          try {
            return !valid.includes(decodeURIComponent(seg));
          } catch {
            return true;
          }
        });
    const arb = endpointArb(null)
      .filter((e) => e.params.length > 0 || e.name.startsWith('node'))
      .chain((endpoint) => {
        const base = params(endpoint);
        const body = endpoint.fields ? JSON.stringify(template(endpoint)) : undefined;
        if (endpoint.params.length === 0) {
          // Node reports name the add-on in the body: one that does not exist, or was removed.
          return fc.oneof(fc.uuid({ version: 4 }), fc.constant(ids.removed)).map((addonId): FuzzCase => ({
            label: `addon_id ${addonId}`,
            endpoint,
            path: endpoint.path(base),
            raw: JSON.stringify({ addon_id: addonId, node: 'fuzz-db-1' }),
            expect: { code: 'ADDON.NOT_FOUND' },
          }));
        }
        const apps = segment(['fuzz'], ['UPPER', 'Fuzz', 'a', '-fuzz', 'fuzz-', 'x'.repeat(49), 'no-such-app', 'bobs', 'fuzz%00', 'f%C3%BCzz']);
        const addons = segment([ids.pg, ids.redis], [ids.pg.toUpperCase(), `${ids.pg}x`, ids.bobs, ids.removed, randomUUID(), 'not-a-uuid']);
        const features = segment(['force-tls', 'internet-access'], ['FORCE-TLS', 'force_tls', 'tls', 'redis-aof', 'redis-cache']);
        return fc.constantFrom(...endpoint.params).chain((which) =>
          (which === 'app' ? apps : which === 'addon' ? addons : features).map((seg): FuzzCase => ({
            label: `${which} ${seg.slice(0, 40)}`,
            endpoint,
            path: endpoint.path({ ...base, [which]: seg }),
            ...(body !== undefined && { raw: body }),
            expect: {},
          })),
        );
      });
    await run(arb, 200);
  });

  it('left the log as it was, and the add-ons as they were', async () => {
    expect(await s.head()).toBe(head);
    const pg = (await s.call(tokens.owner, 'GET', `/v1/apps/fuzz/addons/${ids.pg}`)).body.addon;
    expect(pg).toMatchObject({ status: 'running', plan: { id: 'postgresql-starter-512' }, version: '14.17.0' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
