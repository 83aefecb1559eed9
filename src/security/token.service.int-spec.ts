import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store';
import type { CommandContext } from '../shared/cqrs/command-context';
import { TokenService, tokenStream } from './token.service';

const context: CommandContext = {
  actor: 'admin:root',
  correlationId: 'req-42',
  causationId: '6f1c1f4e-8d0b-4d35-9a57-0d3c5a0b1a11',
};

describe('TokenService on the embedded event store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-tokens-'));
  let file: string;
  let files = 0;
  let store: SqliteEventStore;
  let clock: Date;
  const now = () => clock;

  beforeEach(async () => {
    file = join(dir, `events-${++files}.sqlite`);
    store = await SqliteEventStore.open({ file, synchronous: 'NORMAL' });
    clock = new Date('2025-03-01T10:00:00.000Z');
  });
  afterEach(() => store.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a dba_ token of 32 random bytes, recorded as TokenIssued under the hash of the token', async () => {
    const tokens = new TokenService(store, { now });
    const issued = await tokens.issue({ role: 'owner', subject: 'alice@example.com' }, context);

    expect(issued.value).toMatch(/^dba_[A-Za-z0-9_-]{43}$/);
    expect(issued).toMatchObject({ role: 'owner', subject: 'alice@example.com', createdAt: clock });
    const hash = createHash('sha256').update(issued.value).digest('hex');
    expect(tokenStream(issued.value)).toBe(`token-${hash}`);

    const [event] = await store.readStream(`token-${hash}`);
    expect(event).toMatchObject({
      type: 'TokenIssued',
      data: { role: 'owner', subject: 'alice@example.com', tokenId: issued.tokenId },
      metadata: {
        $correlationId: 'req-42',
        $causationId: context.causationId,
        actor: 'admin:root',
        occurredAt: '2025-03-01T10:00:00.000Z',
        schemaVersion: 1,
      },
    });
  });

  it('never writes the plaintext token to the store', async () => {
    const issued = await new TokenService(store).issue({ role: 'support', subject: 'bob' }, context);
    await store.close();
    const bytes = readdirSync(dir)
      .filter((name) => name.startsWith(`events-${files}.sqlite`))
      .map((name) => readFileSync(join(dir, name)).toString('latin1'))
      .join('');
    expect(bytes).toContain(tokenStream(issued.value));
    expect(bytes).not.toContain(issued.value);
    expect(bytes).not.toContain(issued.value.slice(4));
    store = await SqliteEventStore.open({ file, synchronous: 'NORMAL' });
  });

  it('authenticates an issued token, also from another process on the same file', async () => {
    const issuer = new TokenService(store);
    const issued = await issuer.issue({ role: 'platform', subject: 'platform:scheduler' }, context);
    expect(await issuer.authenticate(issued.value)).toEqual({ role: 'platform', subject: 'platform:scheduler' });

    const other = await SqliteEventStore.open({ file, synchronous: 'NORMAL' });
    try {
      expect(await new TokenService(other).authenticate(issued.value)).toEqual({
        role: 'platform',
        subject: 'platform:scheduler',
      });
    } finally {
      await other.close();
    }
  });

  it('answers null for unknown and malformed tokens, without throwing', async () => {
    const tokens = new TokenService(store);
    const { value } = await tokens.issue({ role: 'owner', subject: 'alice' }, context);
    for (const candidate of [`${value}x`, value.slice(0, -1), 'dba_short', '', ' '.repeat(30), `${value} `, 'é'.repeat(30)]) {
      expect(await tokens.authenticate(candidate)).toBeNull();
    }
    expect(await tokens.authenticate(undefined as unknown as string)).toBeNull();
  });

  it('refuses an invalid role or subject, naming the fields', async () => {
    const tokens = new TokenService(store);
    await expect(tokens.issue({ role: 'root' as never, subject: 'has space' }, context)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { fields: [{ field: 'role' }, { field: 'subject' }] },
    });
    await expect(tokens.issue({ role: 'owner', subject: 'x'.repeat(129) }, context)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    expect(await store.headPosition()).toBeNull();
  });

  it('remembers an unknown token briefly, then sees it once another process has issued it', async () => {
    const reader = new TokenService(store, { now, negativeTtlMs: 5_000 });
    const other = await SqliteEventStore.open({ file, synchronous: 'NORMAL' });
    try {
      // Register a chosen token from "another process", after the reader has missed it.
      const chosen = 'a-token-chosen-by-the-operator-0001';
      expect(await reader.authenticate(chosen)).toBeNull();
      await new TokenService(other).register(chosen, { role: 'admin', subject: 'bootstrap' }, context);
      expect(await reader.authenticate(chosen)).toBeNull();
      clock = new Date(clock.getTime() + 5_001);
      expect(await reader.authenticate(chosen)).toEqual({ role: 'admin', subject: 'bootstrap' });
    } finally {
      await other.close();
    }
  });

  it('serves a known token from memory, reading its stream once per TTL', async () => {
    const tokens = new TokenService(store, { now, positiveTtlMs: 60_000 });
    const { value } = await tokens.issue({ role: 'owner', subject: 'alice' }, context);
    const reads = jest.spyOn(store, 'readStream');
    await Promise.all([tokens.authenticate(value), tokens.authenticate(value)]);
    expect(reads).not.toHaveBeenCalled();
    clock = new Date(clock.getTime() + 60_001);
    await Promise.all([tokens.authenticate(value), tokens.authenticate(value), tokens.authenticate(value)]);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('keeps its cache bounded', async () => {
    const tokens = new TokenService(store, { now, maxCacheEntries: 3 });
    const { value } = await tokens.issue({ role: 'owner', subject: 'alice' }, context);
    for (let i = 0; i < 5; i++) await tokens.authenticate(`unknown-token-number-${i}-padding-padding`);
    const reads = jest.spyOn(store, 'readStream');
    expect(await tokens.authenticate(value)).toEqual({ role: 'owner', subject: 'alice' });
    expect(reads).toHaveBeenCalledTimes(1);
  });

  describe('register (ADMIN_TOKEN at start)', () => {
    const admin = 'operator-chosen-admin-token-000000';

    it('creates the token once; later starts find it', async () => {
      const tokens = new TokenService(store);
      expect(await tokens.register(admin, { role: 'admin', subject: 'bootstrap' }, context)).toBe('created');
      expect(await new TokenService(store).register(admin, { role: 'admin', subject: 'bootstrap' }, context)).toBe('existing');
      expect(await store.readStream(tokenStream(admin))).toHaveLength(1);
      expect(await tokens.authenticate(admin)).toEqual({ role: 'admin', subject: 'bootstrap' });
    });

    it('lets several processes starting together agree (one append, the others find it)', async () => {
      const stores = await Promise.all([1, 2, 3].map(() => SqliteEventStore.open({ file, synchronous: 'NORMAL' })));
      try {
        const outcomes = await Promise.all(
          stores.map((s) => new TokenService(s).register(admin, { role: 'admin', subject: 'bootstrap' }, context)),
        );
        expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
        expect(await store.readStream(tokenStream(admin))).toHaveLength(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('refuses a token already registered with another role, without repeating the token', async () => {
      await new TokenService(store).register(admin, { role: 'support', subject: 'bootstrap' }, context);
      const error = await new TokenService(store)
        .register(admin, { role: 'admin', subject: 'bootstrap' }, context)
        .catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'TOKEN.ROLE_MISMATCH' });
      expect((error as Error).message).toMatch(/support/);
      expect((error as Error).message).not.toContain(admin);
    });
  });
});
