import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing } from '../security/key-ring';
import { Claim, IdempotencyStore, StoredAnswer } from './idempotency.store';

const answer: StoredAnswer = { status: 201, body: { token: { value: 'dba_secret-value-in-the-answer' } }, headers: { Location: '/v1/x' } };

function claimed(claim: Claim) {
  if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
  return claim.claim;
}

describe('IdempotencyStore (http.sqlite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-idem-'));
  const keyRing = new KeyRing(randomBytes(32));
  let file: string;
  let files = 0;
  let clock: number;
  const open = (options: Partial<Parameters<typeof IdempotencyStore.open>[0]> = {}) =>
    IdempotencyStore.open({ file, keyRing, now: () => clock, ...options });
  let store: IdempotencyStore;

  beforeEach(async () => {
    file = join(dir, `http-${++files}.sqlite`);
    clock = Date.parse('2025-03-01T10:00:00Z');
    store = await open();
  });
  afterEach(() => store.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('claims a new key once, then replays the completed answer for the same request', async () => {
    const claim = claimed(await store.claim('scope-a', 'fp-1'));
    await store.complete(claim, answer);
    expect(await store.claim('scope-a', 'fp-1')).toEqual({ kind: 'replay', answer });
    expect(await store.claim('scope-a', 'fp-1')).toEqual({ kind: 'replay', answer });
  });

  it('refuses the same key for another request, running or done', async () => {
    const claim = claimed(await store.claim('scope-a', 'fp-1'));
    expect(await store.claim('scope-a', 'fp-2')).toEqual({ kind: 'key_reused' });
    await store.complete(claim, answer);
    expect(await store.claim('scope-a', 'fp-2')).toEqual({ kind: 'key_reused' });
  });

  it('says in_progress while the first request runs, even to concurrent claims of one process', async () => {
    const claims = await Promise.all([1, 2, 3].map(() => store.claim('scope-a', 'fp-1')));
    expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'in_progress', 'in_progress']);
  });

  it('keeps scopes apart', async () => {
    claimed(await store.claim('scope-a', 'fp-1'));
    claimed(await store.claim('scope-b', 'fp-1'));
  });

  it('lets a released key (a 5xx) run again', async () => {
    await store.release(claimed(await store.claim('scope-a', 'fp-1')));
    claimed(await store.claim('scope-a', 'fp-2'));
  });

  it('keeps answers across a reopen, and sees claims of another process', async () => {
    await store.complete(claimed(await store.claim('scope-a', 'fp-1')), answer);
    const running = claimed(await store.claim('scope-b', 'fp-1'));
    const other = await open();
    try {
      expect(await other.claim('scope-a', 'fp-1')).toEqual({ kind: 'replay', answer });
      expect(await other.claim('scope-b', 'fp-1')).toEqual({ kind: 'in_progress' });
      expect(await other.claim('scope-b', 'fp-9')).toEqual({ kind: 'key_reused' });
    } finally {
      await other.close();
    }
    await store.release(running);
    await store.close();
    store = await open();
    expect(await store.claim('scope-a', 'fp-1')).toEqual({ kind: 'replay', answer });
  });

  it('forgets answers after the TTL (24 h by default)', async () => {
    await store.complete(claimed(await store.claim('scope-a', 'fp-1')), answer);
    clock += 24 * 60 * 60 * 1000 - 1;
    expect((await store.claim('scope-a', 'fp-1')).kind).toBe('replay');
    clock += 1;
    claimed(await store.claim('scope-a', 'fp-2'));
  });

  it('takes over a running claim whose process is gone once its lease ends, and the late finish does not overwrite', async () => {
    const crashed = await open({ leaseMs: 60_000 });
    const lost = claimed(await crashed.claim('scope-a', 'fp-1'));
    await crashed.close();
    expect(await store.claim('scope-a', 'fp-1')).toEqual({ kind: 'in_progress' });
    clock += 60_000;
    const retry = claimed(await store.claim('scope-a', 'fp-1'));
    const late = await open();
    await late.complete(lost, { status: 200, body: { stale: true }, headers: {} });
    await late.close();
    await store.complete(retry, answer);
    expect(await store.claim('scope-a', 'fp-1')).toEqual({ kind: 'replay', answer });
  });

  it('seals answers with the master key: the file never holds them in clear', async () => {
    await store.complete(claimed(await store.claim('scope-a', 'fp-1')), answer);
    await store.close();
    const bytes = readdirSync(dir)
      .filter((name) => name.startsWith(`http-${files}.sqlite`))
      .map((name) => readFileSync(join(dir, name)).toString('latin1'))
      .join('');
    expect(bytes).toContain('A256GCM');
    expect(bytes).not.toContain('dba_secret-value-in-the-answer');
    store = await open();
  });

  it('refuses to replay an answer it cannot open (another master key) rather than run the request again', async () => {
    await store.complete(claimed(await store.claim('scope-a', 'fp-1')), answer);
    const otherKey = await IdempotencyStore.open({ file, keyRing: new KeyRing(randomBytes(32)), now: () => clock });
    try {
      await expect(otherKey.claim('scope-a', 'fp-1')).rejects.toThrow(/cannot be opened|not under key/);
    } finally {
      await otherKey.close();
    }
  });
});
