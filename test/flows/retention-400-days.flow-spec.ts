import { derivedUuid } from '../../src/shared/cqrs/event-ids';
import {
  atOf,
  backupsOf,
  DAY,
  dataOf,
  existingBackupFiles,
  expectCleanLogAndJobs,
  expectStatus,
  HOUR,
  ofType,
  Provisioned,
  runningAddon,
} from './flow-kit';
import { Simulation } from './simulation';

const DAYS = 400;
const START = '2026-01-05T09:00:00.000Z'; // a Monday

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (ms: number) => Math.floor(ms / DAY) * DAY;

/**
 * What the retention rules of DOMAIN.md keep after daily periodic backups (00:00 UTC, every
 * day since `firstDay`) and the given manual ones, computed the plain way: the last 7 days'
 * dailies; the Sundays of the last `weekly` weeks (this one included); the first Sunday of
 * each of the last `monthly` months (this one included), when it has come; the newest
 * `manual` manual backups.
 */
function expectedSurvivors(
  addonId: string,
  { now, firstDay, manual, weekly, monthly, manualKept }: {
    now: number;
    firstDay: number;
    manual: string[];
    weekly: number;
    monthly: number;
    manualKept: number;
  },
): Set<string> {
  const periodicId = (day: number) => derivedUuid('periodic-backup', addonId, isoDay(day));
  const today = dayStart(now);
  const keptDays = new Set<number>();
  for (let k = 0; k < 7; k++) keptDays.add(today - k * DAY);
  const thisSunday = today - new Date(today).getUTCDay() * DAY;
  for (let k = 0; k < weekly; k++) keptDays.add(thisSunday - 7 * k * DAY);
  const date = new Date(today);
  for (let k = 0; k < monthly; k++) {
    let firstSunday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - k, 1);
    while (new Date(firstSunday).getUTCDay() !== 0) firstSunday += DAY;
    if (firstSunday <= today) keptDays.add(firstSunday);
  }
  return new Set([
    ...[...keptDays].filter((day) => day >= firstDay).map(periodicId),
    ...manual.slice(-manualKept),
  ]);
}

/**
 * The retention test: 400 simulated days of periodic backups (the scheduler) and a manual
 * backup every third day (HTTP) on a Starter and a Business add-on, through the real flows.
 * At the end, exactly the backups the rules keep are done, every other one expired once,
 * and the archives on disk are exactly those of the survivors.
 */
describe('flow: retention over 400 days', () => {
  let sim: Simulation;

  afterAll(async () => {
    await sim?.dispose();
  });

  it('Starter (7 daily, 4 weekly, 10 manual) and Business (7 daily, 8 weekly, 12 monthly, 50 manual): the exact survivors, and only theirs on disk', async () => {
    const started = Date.now();
    sim = await new Simulation(START).start();
    const starter = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const business = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512', createApp: false });
    const manual = new Map<Provisioned, string[]>([
      [starter, []],
      [business, []],
    ]);

    const day0 = dayStart(Date.parse(START));
    for (let d = 0; d < DAYS; d++) {
      await sim.advanceTo(new Date(day0 + d * DAY + 12 * HOUR).toISOString());
      if (d % 3 !== 0) continue;
      for (const addon of [starter, business]) {
        const res = expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/backups`), 202);
        manual.get(addon)!.push(res.body.backup.id);
      }
    }
    const end = day0 + (DAYS - 1) * DAY + 18 * HOUR;
    await sim.advanceTo(new Date(end).toISOString());
    const simulatedIn = Date.now() - started;

    for (const [addon, policy] of [
      [starter, { weekly: 4, monthly: 0, manualKept: 10 }],
      [business, { weekly: 8, monthly: 12, manualKept: 50 }],
    ] as const) {
      const events = await sim.events(`addon-${addon.id}`);
      const requested = ofType(events, 'BackupRequested');
      const periodic = requested.filter((e) => dataOf(e).method === 'periodic');
      // One periodic backup per day, on time, from the first midnight after provisioning to the last day.
      expect(periodic).toHaveLength(DAYS - 1);
      periodic.forEach((e, i) => expect(atOf(e)).toBe(new Date(day0 + (i + 1) * DAY).toISOString()));
      expect(requested.filter((e) => dataOf(e).method === 'manual').map((e) => dataOf(e).backupId)).toEqual(manual.get(addon));
      // Every backup was taken, none failed.
      const taken = ofType(events, 'BackupTaken').map((e) => dataOf(e).backupId as string);
      expect(taken.sort()).toEqual(requested.map((e) => dataOf(e).backupId as string).sort());
      expect(ofType(events, 'BackupFailed')).toEqual([]);

      const survivors = expectedSurvivors(addon.id, {
        now: end,
        firstDay: day0 + DAY,
        manual: manual.get(addon)!,
        ...policy,
      });
      // Starter: 7 dailies + 3 more Sundays + 10 manual; Business: 7 + 7 Sundays + ~11 first Sundays + 50 manual.
      const listed = await backupsOf(sim, addon);
      const done = listed.filter((b) => b.status === 'done').map((b) => b.id);
      expect(new Set(done)).toEqual(survivors);
      const expired = ofType(events, 'BackupExpired').map((e) => dataOf(e).backupId as string);
      expect(expired.sort()).toEqual(taken.filter((id) => !survivors.has(id)).sort());
      expect(ofType(events, 'BackupExpired').every((e) => dataOf(e).reason === 'retention')).toBe(true);

      // On disk: exactly the survivors' archives, in all three replicas.
      const missing = [...survivors].filter((id) => existingBackupFiles(sim, addon.id, id).length !== 6);
      const leftovers = expired.filter((id) => existingBackupFiles(sim, addon.id, id).length > 0);
      expect({ missing, leftovers }).toEqual({ missing: [], leftovers: [] });
    }
    await expectCleanLogAndJobs(sim);
    // Two timers per add-on, nothing else waiting.
    expect(await sim.runtime.counts()).toEqual({ pending: 4, dead: 0 });
    // For the report: how long 400 days took here.
    process.stdout.write(`retention over ${DAYS} days simulated in ${simulatedIn} ms\n`);
  }, 180_000);
});
