import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqlite3 from 'sqlite3';
import { collect, event } from '../../../test/contract/event-store.contract';
import { ConcurrencyError } from '../event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

/** What the contract cannot say: one file shared by several stores (processes), reopening, group commit. */
describe('SqliteEventStore on a real file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-sqlite-'));
  let n = 0;
  const file = () => join(dir, `events-${++n}.sqlite`);
  const open = (path: string) => SqliteEventStore.open({ file: path, pollIntervalMs: 20 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps events and continues the numbering after a reopen', async () => {
    const path = file();
    const first = await open(path);
    await first.append('addon-1', [event(), event()], { expectedRevision: 'no_stream' });
    await first.close();
    const second = await open(path);
    const result = await second.append('addon-1', [event()], { expectedRevision: 1n });
    expect(result).toEqual({ nextExpectedRevision: 2n, position: 3n });
    expect(await second.headPosition()).toBe(3n);
    await second.close();
  });

  it('serializes two stores writing one file: one winner per revision, no gap', async () => {
    const path = file();
    const [a, b] = [await open(path), await open(path)];
    await a.append('addon-1', [event()], { expectedRevision: 'no_stream' });
    let revision = 0n;
    for (let round = 0; round < 30; round++) {
      const outcomes = await Promise.allSettled([
        a.append('addon-1', [event('FromA')], { expectedRevision: revision }),
        b.append('addon-1', [event('FromB')], { expectedRevision: revision }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(ConcurrencyError);
      revision++;
    }
    const all = await b.readAll();
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)));
    expect(all.map((e) => e.revision)).toEqual(all.map((_, i) => BigInt(i)));
    await Promise.all([a.close(), b.close()]);
  });

  it('delivers to a subscriber the events another store appends to the same file', async () => {
    const path = file();
    const [reader, writer] = [await open(path), await open(path)];
    const received = collect(reader.subscribeToAll({ fromPosition: 'start' }), 3);
    for (let i = 0; i < 3; i++) await writer.append('addon-9', [event('Remote', { i })], { expectedRevision: 'any' });
    expect((await received).map((e) => e.data.i)).toEqual([0, 1, 2]);
    await Promise.all([reader.close(), writer.close()]);
  });

  it('never shows a reader position N+1 before N, while another store writes', async () => {
    const path = file();
    const [reader, writer] = [await open(path), await open(path)];
    let writing = true;
    const writers = Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 150; i++) await writer.append(`addon-${w}`, [event(), event()], { expectedRevision: 'any' });
      }),
    ).finally(() => (writing = false));
    let reads = 0;
    while (writing || reads === 0) {
      const seen = (await reader.readAll()).map((e) => e.position);
      expect(seen).toEqual(seen.map((_, i) => BigInt(i + 1)));
      reads++;
    }
    await writers;
    expect(await reader.headPosition()).toBe(1_200n);
    await Promise.all([reader.close(), writer.close()]);
  });

  it('answers each append of a group commit on its own: conflicts fail alone, the rest commit', async () => {
    const store = await open(file());
    await store.append('addon-1', [event()], { expectedRevision: 'no_stream' });
    // Fired together, these share transactions; half expect a revision that is not there.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? store.append(`addon-g${i}`, [event(), event()], { expectedRevision: 'no_stream' })
          : store.append('addon-1', [event()], { expectedRevision: 7n }),
      ),
    );
    outcomes.forEach((outcome, i) => {
      if (i % 2 === 0) expect(outcome.status).toBe('fulfilled');
      else expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    });
    const all = await store.readAll();
    expect(all).toHaveLength(1 + 20 * 2);
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)));
    await store.close();
  });

  it('refuses a file written by a newer schema rather than guess', async () => {
    const path = file();
    await (await open(path)).close();
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(path, (error) => {
        if (error) return reject(error);
        db.exec('PRAGMA user_version = 99', (e) => db.close(() => (e ? reject(e) : resolve())));
      });
    });
    await expect(open(path)).rejects.toThrow(/schema 99/);
  });

  it('puts the file in WAL mode, which stays set in the file', async () => {
    const path = file();
    const store = await SqliteEventStore.open({ file: path, synchronous: 'NORMAL' });
    await store.close();
    const mode = await new Promise<string>((resolve, reject) => {
      const db = new sqlite3.Database(path, (error) => {
        if (error) return reject(error);
        db.get('PRAGMA journal_mode', (e, row: { journal_mode: string }) => db.close(() => (e ? reject(e) : resolve(row.journal_mode))));
      });
    });
    expect(mode).toBe('wal');
  });
});
