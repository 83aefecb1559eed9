import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSpec, RuntimeStore } from './runtime-store';

/** The runtime file shared by two processes on one DATA_DIR: each event's jobs are stored once. */
describe('RuntimeStore on a real file, shared by two processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-runtime-'));
  const file = join(dir, 'runtime.sqlite');
  let a: RuntimeStore;
  let b: RuntimeStore;
  const now = new Date('2026-01-05T09:00:00.000Z');
  const job = (key: string): JobSpec => ({
    key,
    job: { kind: 'provision', addonId: 'ad-1' },
    context: { actor: 'platform:provisioning', correlationId: 'c-1', causationId: key },
    dueAt: now,
  });

  beforeAll(async () => {
    a = await RuntimeStore.open(file);
    b = await RuntimeStore.open(file);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first to move the checkpoint from where it was stores the jobs; the other is told and stores nothing', async () => {
    expect(await a.commit('sagas', null, 1n, [job('provisioning:e1:0')], now)).toBe(true);
    // B had read the checkpoint before A moved it: refused, its jobs not stored.
    expect(await b.commit('sagas', null, 1n, [job('other:e1:0')], now)).toBe(false);
    expect(await b.checkpoint('sagas')).toBe(1n);
    expect(await b.find('other:e1:0')).toBeNull();
    expect(await b.find('provisioning:e1:0')).toMatchObject({ job: { kind: 'provision' } });
    // Once done (deleted), a late repeat of the same event cannot bring the job back.
    await a.cancel('provisioning:e1:0');
    expect(await b.commit('sagas', null, 1n, [job('provisioning:e1:0')], now)).toBe(false);
    expect(await a.find('provisioning:e1:0')).toBeNull();
    // From the checkpoint it reads now, B goes on; the checkpoint never moves back.
    expect(await b.commit('sagas', 1n, 2n, [job('provisioning:e2:0')], now)).toBe(true);
    expect(await a.commit('sagas', 1n, 2n, [], now)).toBe(false);
    expect(await a.checkpoint('sagas')).toBe(2n);
    expect(await a.counts()).toEqual({ pending: 1, dead: 0 });
  });
});
