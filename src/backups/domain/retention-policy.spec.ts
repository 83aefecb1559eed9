import { CLASS_POLICIES, RetentionCounts } from '../../catalogue/domain/catalogue';
import { DomainError } from '../../shared/domain/domain-error';
import { applyRetention, BackupStatus, RetentionBucket, RetentionCandidate, RetentionDecision } from './retention-policy';

const STARTER = CLASS_POLICIES.starter.retention; // 7 daily, 4 weekly, 0 monthly, 10 manual, 1 month after removal
const BUSINESS = CLASS_POLICIES.business.retention; // 7 daily, 8 weekly, 12 monthly, 50 manual, 12 months after removal

/** Counts that keep nothing but what is given, to look at one rule at a time. */
const only = (counts: Partial<RetentionCounts>): RetentionCounts => ({
  daily: 0,
  weekly: 0,
  monthly: 0,
  manual: 0,
  manualMonthsAfterRemoval: 0,
  ...counts,
});

/** 'YYYY-MM-DDTHH:MM' (UTC) → a full ISO instant; longer strings are taken as they are. */
const at = (time: string): string => (time.length === 16 ? `${time}:00Z` : time);

const periodic = (time: string, status: BackupStatus = 'done'): RetentionCandidate => ({
  id: `p ${time}`,
  method: 'periodic',
  status,
  createdAt: at(time),
});
const manual = (time: string, status: BackupStatus = 'done'): RetentionCandidate => ({
  id: `m ${time}`,
  method: 'manual',
  status,
  createdAt: at(time),
});

/** The decision as readable lines: `<id> <buckets or -> until <expiry or "pushed out">`. */
function decide(input: { backups: RetentionCandidate[]; now: string; retention: RetentionCounts; removedAt?: string }) {
  const decision = applyRetention({
    backups: input.backups,
    now: at(input.now),
    retention: input.retention,
    removedAt: input.removedAt === undefined ? null : at(input.removedAt),
  });
  return {
    keep: decision.keep.map((k) => `${k.id} ${k.buckets.join('+') || '-'} until ${short(k.expiresAt)}`),
    expire: decision.expire,
  };
}

function short(iso: string | null): string {
  return iso === null ? 'pushed out' : iso.replace(/:00\.000Z$/, 'Z');
}

describe('applyRetention', () => {
  describe('what is judged', () => {
    it('ignores scheduled, running and already expired backups, and any created after now', () => {
      expect(
        decide({
          backups: [
            periodic('2025-01-05T01:00', 'expired'),
            periodic('2025-01-06T01:00', 'scheduled'),
            periodic('2025-01-06T02:00', 'running'),
            periodic('2025-01-06T03:00'),
            periodic('2025-01-06T10:00'), // after now: a clock skew must not delete anything
          ],
          now: '2025-01-06T09:00',
          retention: STARTER,
        }),
      ).toEqual({
        keep: ['p 2025-01-06T03:00 daily+weekly until 2025-02-02T00:00Z'],
        expire: [],
      });
    });

    it('reads an instant with an offset in UTC (00:30+01:00 on Sunday is Saturday 23:30 UTC)', () => {
      const saturdayNight: RetentionCandidate = {
        id: 'sat',
        method: 'periodic',
        status: 'done',
        createdAt: '2025-01-05T00:30:00+01:00',
      };
      expect(
        decide({ backups: [saturdayNight, periodic('2025-01-05T01:00')], now: '2025-01-05T12:00', retention: only({ weekly: 1 }) }),
      ).toEqual({ keep: ['p 2025-01-05T01:00 weekly until 2025-01-12T00:00Z'], expire: ['sat'] });
    });
  });

  describe('error backups', () => {
    const failed = periodic('2025-01-01T12:00', 'error');

    it('stay visible, in no bucket, for 7 days', () => {
      expect(decide({ backups: [failed], now: '2025-01-08T11:59:59.999Z', retention: STARTER })).toEqual({
        keep: ['p 2025-01-01T12:00 - until 2025-01-08T12:00Z'],
        expire: [],
      });
    });

    it('expire at exactly 7 days', () => {
      expect(decide({ backups: [failed], now: '2025-01-08T12:00:00.000Z', retention: STARTER })).toEqual({
        keep: [],
        expire: ['p 2025-01-01T12:00'],
      });
    });

    it('are never a daily, weekly or manual backup: the done ones are chosen', () => {
      expect(
        decide({
          backups: [
            periodic('2025-01-05T01:00', 'error'), // Sunday's attempt failed
            periodic('2025-01-05T05:00'),
            manual('2025-01-05T09:00'),
            manual('2025-01-05T10:00', 'error'),
          ],
          now: '2025-01-05T12:00',
          retention: only({ weekly: 1, manual: 1 }),
        }),
      ).toEqual({
        keep: [
          'm 2025-01-05T10:00 - until 2025-01-12T10:00Z',
          'm 2025-01-05T09:00 manual until pushed out',
          'p 2025-01-05T05:00 weekly until 2025-01-12T00:00Z',
          'p 2025-01-05T01:00 - until 2025-01-12T01:00Z',
        ],
        expire: [],
      });
    });
  });

  describe('daily', () => {
    const DAILY = only({ daily: 7 });

    it('keeps the newest backup of each of the last 7 days, today included', () => {
      expect(
        decide({
          backups: [
            periodic('2025-01-03T01:00'),
            periodic('2025-01-04T01:00'),
            periodic('2025-01-05T01:00'),
            periodic('2025-01-06T01:00'),
            periodic('2025-01-07T01:00'),
            periodic('2025-01-08T01:00'),
            periodic('2025-01-09T01:00'),
            periodic('2025-01-10T01:00'),
          ],
          now: '2025-01-10T20:00',
          retention: DAILY,
        }),
      ).toEqual({
        keep: [
          'p 2025-01-10T01:00 daily until 2025-01-17T00:00Z',
          'p 2025-01-09T01:00 daily until 2025-01-16T00:00Z',
          'p 2025-01-08T01:00 daily until 2025-01-15T00:00Z',
          'p 2025-01-07T01:00 daily until 2025-01-14T00:00Z',
          'p 2025-01-06T01:00 daily until 2025-01-13T00:00Z',
          'p 2025-01-05T01:00 daily until 2025-01-12T00:00Z',
          'p 2025-01-04T01:00 daily until 2025-01-11T00:00Z',
        ],
        expire: ['p 2025-01-03T01:00'],
      });
    });

    it('with several backups on one day, keeps the newest of that day only', () => {
      expect(
        decide({
          backups: [periodic('2025-01-10T01:00'), periodic('2025-01-10T17:00'), periodic('2025-01-10T09:00')],
          now: '2025-01-10T20:00',
          retention: DAILY,
        }),
      ).toEqual({
        keep: ['p 2025-01-10T17:00 daily until 2025-01-17T00:00Z'],
        expire: ['p 2025-01-10T01:00', 'p 2025-01-10T09:00'],
      });
    });

    it('does not fill a day without backup with another backup of an earlier day', () => {
      expect(
        decide({
          backups: [periodic('2025-01-08T01:00'), periodic('2025-01-08T13:00'), periodic('2025-01-10T01:00')],
          now: '2025-01-10T20:00',
          retention: DAILY,
        }),
      ).toEqual({
        keep: ['p 2025-01-10T01:00 daily until 2025-01-17T00:00Z', 'p 2025-01-08T13:00 daily until 2025-01-15T00:00Z'],
        expire: ['p 2025-01-08T01:00'],
      });
    });

    it('lets a daily backup go at the start of its day + 7 days', () => {
      const backups = [periodic('2025-01-04T23:59')];
      expect(decide({ backups, now: '2025-01-10T23:59:59.999Z', retention: DAILY })).toEqual({
        keep: ['p 2025-01-04T23:59 daily until 2025-01-11T00:00Z'],
        expire: [],
      });
      expect(decide({ backups, now: '2025-01-11T00:00', retention: DAILY })).toEqual({
        keep: [],
        expire: ['p 2025-01-04T23:59'],
      });
    });
  });

  describe('weekly', () => {
    const WEEKLY = only({ weekly: 4 });

    it("keeps the earliest backup of each of the last 4 weeks (Sunday's when there is one)", () => {
      // Weeks start on Sundays: 5, 12, 19, 26 January, 2 February 2025. Now: Wednesday 5 February.
      expect(
        decide({
          backups: [
            periodic('2025-01-05T01:00'), // its week is the 5th one back: out
            periodic('2025-01-11T01:00'),
            periodic('2025-01-12T01:00'),
            periodic('2025-01-12T13:00'),
            periodic('2025-01-15T01:00'),
            periodic('2025-01-19T01:00'),
            periodic('2025-01-25T23:59'), // Saturday: still the week of the 19th
            periodic('2025-01-26T00:00'),
            periodic('2025-02-03T01:00'), // no backup on Sunday 2 February: Monday's is the week's
            periodic('2025-02-04T01:00'),
          ],
          now: '2025-02-05T12:00',
          retention: WEEKLY,
        }),
      ).toEqual({
        keep: [
          'p 2025-02-03T01:00 weekly until 2025-03-02T00:00Z',
          'p 2025-01-26T00:00 weekly until 2025-02-23T00:00Z',
          'p 2025-01-19T01:00 weekly until 2025-02-16T00:00Z',
          'p 2025-01-12T01:00 weekly until 2025-02-09T00:00Z',
        ],
        expire: [
          'p 2025-01-05T01:00',
          'p 2025-01-11T01:00',
          'p 2025-01-12T13:00',
          'p 2025-01-15T01:00',
          'p 2025-01-25T23:59',
          'p 2025-02-04T01:00',
        ],
      });
    });

    it('lets a weekly backup go at its week start + 4 weeks', () => {
      const backups = [periodic('2025-01-12T01:00')];
      expect(decide({ backups, now: '2025-02-08T23:59:59.999Z', retention: WEEKLY }).keep).toEqual([
        'p 2025-01-12T01:00 weekly until 2025-02-09T00:00Z',
      ]);
      expect(decide({ backups, now: '2025-02-09T00:00', retention: WEEKLY }).expire).toEqual(['p 2025-01-12T01:00']);
    });
  });

  describe('monthly', () => {
    const MONTHLY = only({ monthly: 12 });

    it('keeps the earliest backup on or after the first Sunday of each of the last 12 months', () => {
      // First Sundays of 2025: 2 Feb, 2 Mar, 4 May, 1 Jun (the 1st is a Sunday), 2 Nov.
      expect(
        decide({
          backups: [
            periodic('2025-02-01T01:00'), // before February's first Sunday, and none after it
            periodic('2025-03-01T01:00'), // before March's first Sunday
            periodic('2025-03-02T01:00'),
            periodic('2025-03-03T01:00'),
            periodic('2025-05-31T01:00'), // after May's first Sunday: May's
            periodic('2025-06-01T01:00'),
            periodic('2025-06-02T01:00'),
            periodic('2025-11-01T01:00'),
            periodic('2025-11-03T01:00'), // no backup on Sunday 2 November: the next one
            periodic('2025-11-04T01:00'),
          ],
          now: '2025-11-10T12:00',
          retention: MONTHLY,
        }),
      ).toEqual({
        keep: [
          'p 2025-11-03T01:00 monthly until 2026-11-01T00:00Z',
          'p 2025-06-01T01:00 monthly until 2026-06-01T00:00Z',
          'p 2025-05-31T01:00 monthly until 2026-05-01T00:00Z',
          'p 2025-03-02T01:00 monthly until 2026-03-01T00:00Z',
        ],
        expire: [
          'p 2025-02-01T01:00',
          'p 2025-03-01T01:00',
          'p 2025-03-03T01:00',
          'p 2025-06-02T01:00',
          'p 2025-11-01T01:00',
          'p 2025-11-04T01:00',
        ],
      });
    });

    it('lets a monthly backup go at its month start + 12 months', () => {
      const backups = [periodic('2025-03-02T01:00')];
      expect(decide({ backups, now: '2026-02-28T23:59:59.999Z', retention: MONTHLY }).keep).toEqual([
        'p 2025-03-02T01:00 monthly until 2026-03-01T00:00Z',
      ]);
      expect(decide({ backups, now: '2026-03-01T00:00', retention: MONTHLY }).expire).toEqual(['p 2025-03-02T01:00']);
    });

    it('keeps no monthly backup for Starter (a count of 0 keeps nothing)', () => {
      const backups = [periodic('2025-06-01T01:00')];
      expect(decide({ backups, now: '2025-07-20T12:00', retention: STARTER })).toEqual({
        keep: [],
        expire: ['p 2025-06-01T01:00'],
      });
      expect(decide({ backups, now: '2025-07-20T12:00', retention: BUSINESS })).toEqual({
        keep: ['p 2025-06-01T01:00 weekly+monthly until 2026-06-01T00:00Z'],
        expire: [],
      });
    });
  });

  describe('periodic backups in several buckets, or none', () => {
    it('lists every bucket (daily, weekly, monthly) and expires at the latest of them', () => {
      // Sunday 1 February 2026: today, this week's first, and this month's first Sunday.
      expect(decide({ backups: [periodic('2026-02-01T01:00')], now: '2026-02-01T12:00', retention: BUSINESS })).toEqual({
        keep: ['p 2026-02-01T01:00 daily+weekly+monthly until 2027-02-01T00:00Z'],
        expire: [],
      });
    });

    it('expires a done periodic backup that is in no bucket', () => {
      expect(
        decide({
          backups: [periodic('2025-01-07T01:00'), periodic('2025-01-08T01:00')],
          now: '2025-01-20T12:00',
          retention: STARTER,
        }),
      ).toEqual({ keep: ['p 2025-01-07T01:00 weekly until 2025-02-02T00:00Z'], expire: ['p 2025-01-08T01:00'] });
    });

    it('keeps nothing when every count is 0', () => {
      expect(
        decide({
          backups: [periodic('2025-01-05T01:00'), manual('2025-01-05T02:00')],
          now: '2025-01-05T12:00',
          retention: only({}),
        }),
      ).toEqual({ keep: [], expire: ['p 2025-01-05T01:00', 'm 2025-01-05T02:00'] });
    });
  });

  describe('manual', () => {
    const tenManuals = Array.from({ length: 10 }, (_, i) => manual(`2025-01-${String(i + 1).padStart(2, '0')}T15:00`));

    it('keeps the newest 10 for Starter, with no expiry date', () => {
      const { keep, expire } = decide({ backups: tenManuals, now: '2025-01-10T16:00', retention: STARTER });
      expect(keep).toHaveLength(10);
      expect(keep[0]).toBe('m 2025-01-10T15:00 manual until pushed out');
      expect(keep[9]).toBe('m 2025-01-01T15:00 manual until pushed out');
      expect(expire).toEqual([]);
    });

    it('an 11th evicts the oldest', () => {
      const { keep, expire } = decide({
        backups: [...tenManuals, manual('2025-01-11T15:00')],
        now: '2025-01-11T16:00',
        retention: STARTER,
      });
      expect(keep).toHaveLength(10);
      expect(keep[0]).toBe('m 2025-01-11T15:00 manual until pushed out');
      expect(expire).toEqual(['m 2025-01-01T15:00']);
    });

    it('Business keeps 50; the 51st and 52nd evict the two oldest', () => {
      const backups = Array.from({ length: 52 }, (_, i) =>
        manual(`2025-03-${String(Math.floor(i / 2) + 1).padStart(2, '0')}T${i % 2 === 0 ? '09' : '15'}:00`),
      );
      const { keep, expire } = decide({ backups, now: '2025-03-27T00:00', retention: BUSINESS });
      expect(keep).toHaveLength(50);
      expect(keep[49]).toBe('m 2025-03-02T09:00 manual until pushed out');
      expect(expire).toEqual(['m 2025-03-01T09:00', 'm 2025-03-01T15:00']);
    });

    it('is independent of the periodic buckets: a manual backup on a Sunday is not the weekly', () => {
      expect(
        decide({
          backups: [manual('2025-01-05T00:30'), periodic('2025-01-05T01:00')],
          now: '2025-01-05T12:00',
          retention: only({ weekly: 4 }),
        }),
      ).toEqual({ keep: ['p 2025-01-05T01:00 weekly until 2025-02-02T00:00Z'], expire: ['m 2025-01-05T00:30'] });
    });
  });

  describe('after the add-on is removed', () => {
    const beforeRemoval = [
      periodic('2025-01-26T01:00'),
      periodic('2025-01-30T01:00'),
      periodic('2025-01-31T01:00'),
      manual('2025-01-10T15:00'),
      manual('2025-01-31T15:00'),
    ];

    it('Starter: manual backups are kept 1 calendar month (31 January → 28 February), periodic ones run out', () => {
      const removedAt = '2025-01-31T16:00';
      expect(decide({ backups: beforeRemoval, now: '2025-01-31T23:59', retention: STARTER, removedAt })).toEqual({
        keep: [
          'm 2025-01-31T15:00 manual until 2025-02-28T16:00Z',
          'p 2025-01-31T01:00 daily until 2025-02-07T00:00Z',
          'p 2025-01-30T01:00 daily until 2025-02-06T00:00Z',
          'p 2025-01-26T01:00 daily+weekly until 2025-02-23T00:00Z',
          'm 2025-01-10T15:00 manual until 2025-02-28T16:00Z',
        ],
        expire: [],
      });
      expect(decide({ backups: beforeRemoval, now: '2025-02-28T15:59:59.999Z', retention: STARTER, removedAt })).toEqual({
        keep: ['m 2025-01-31T15:00 manual until 2025-02-28T16:00Z', 'm 2025-01-10T15:00 manual until 2025-02-28T16:00Z'],
        expire: ['p 2025-01-26T01:00', 'p 2025-01-30T01:00', 'p 2025-01-31T01:00'],
      });
      expect(decide({ backups: beforeRemoval, now: '2025-02-28T16:00', retention: STARTER, removedAt })).toEqual({
        keep: [],
        expire: ['m 2025-01-10T15:00', 'p 2025-01-26T01:00', 'p 2025-01-30T01:00', 'p 2025-01-31T01:00', 'm 2025-01-31T15:00'],
      });
    });

    it('Starter in a leap year: 31 January + 1 month is 29 February', () => {
      expect(
        decide({ backups: [manual('2024-01-02T15:00')], now: '2024-02-29T15:59', retention: STARTER, removedAt: '2024-01-31T16:00' }),
      ).toEqual({ keep: ['m 2024-01-02T15:00 manual until 2024-02-29T16:00Z'], expire: [] });
    });

    it('Business: manual backups are kept 12 months (29 February 2024 → 28 February 2025)', () => {
      const backups = [manual('2024-02-01T15:00'), periodic('2024-02-04T01:00')];
      const removedAt = '2024-02-29T10:00';
      expect(decide({ backups, now: '2024-12-31T12:00', retention: BUSINESS, removedAt })).toEqual({
        keep: ['p 2024-02-04T01:00 monthly until 2025-02-01T00:00Z', 'm 2024-02-01T15:00 manual until 2025-02-28T10:00Z'],
        expire: [],
      });
      expect(decide({ backups, now: '2025-02-28T09:59', retention: BUSINESS, removedAt })).toEqual({
        keep: ['m 2024-02-01T15:00 manual until 2025-02-28T10:00Z'],
        expire: ['p 2024-02-04T01:00'],
      });
      expect(decide({ backups, now: '2025-02-28T10:00', retention: BUSINESS, removedAt }).expire).toEqual([
        'm 2024-02-01T15:00',
        'p 2024-02-04T01:00',
      ]);
    });

    it('keeps every done manual backup, whatever the count limit', () => {
      const eleven = Array.from({ length: 11 }, (_, i) => manual(`2025-01-${String(i + 10).padStart(2, '0')}T15:00`));
      const { keep, expire } = decide({ backups: eleven, now: '2025-01-21T12:00', retention: STARTER, removedAt: '2025-01-20T16:00' });
      expect(keep).toHaveLength(11);
      expect(expire).toEqual([]);
    });

    it('a removal after now is not yet in effect', () => {
      expect(
        decide({ backups: [manual('2025-01-10T15:00')], now: '2025-01-20T12:00', retention: STARTER, removedAt: '2025-01-25T00:00' }).keep,
      ).toEqual(['m 2025-01-10T15:00 manual until pushed out']);
    });
  });

  describe('malformed input is a programming error (a plain Error, not a DomainError)', () => {
    const plainError = (run: () => unknown) => {
      expect(run).toThrow(Error);
      expect(run).not.toThrow(DomainError);
    };

    it.each([
      ['an unparseable now', { now: 'yesterday' }],
      ['an unparseable createdAt', { backups: [{ ...periodic('2025-01-05T01:00'), createdAt: 'sunday' }] }],
      ['an impossible date', { backups: [periodic('2025-02-30T01:00')] }],
      ['an unparseable removedAt', { removedAt: 'soon' }],
      ['a negative count', { retention: { ...STARTER, manual: -1 } }],
      ['a duplicate id', { backups: [periodic('2025-01-05T01:00'), periodic('2025-01-05T01:00')] }],
    ])('%s', (_, override) => {
      plainError(() => applyRetention({ backups: [], now: '2025-03-01T00:00:00Z', retention: STARTER, ...override }));
    });
  });
});

// ----- 400 days of backups, evaluated the way the platform does -----

const DAY_MS = 86_400_000;
const START = Date.UTC(2025, 0, 1); // a Wednesday
const DAYS = 400; // through Wednesday 4 February 2026

interface SimBackup extends RetentionCandidate {
  /** The attempt failed (its status becomes 'expired' once it is gone). */
  failed: boolean;
  expiredAt?: string;
}

/** What is left after a day's last evaluation: `createdAt (YYYY-MM-DDTHH:MM) buckets` for periodic ones. */
interface Survivors {
  periodic: string[];
  manual: string[];
  error: string[];
}

interface SimulationResult {
  backups: SimBackup[];
  /** Survivors at the end of each simulated day, by UTC date. */
  endOfDay: Map<string, Survivors>;
  /** The first decision after the removal, as `createdAt buckets until expiresAt`. */
  firstAfterRemoval: string[];
  /** Broken invariants, with the instant they were seen. */
  violations: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const minute = (isoString: string) => isoString.slice(0, 16);

/**
 * Day i (0-based) of the run: a periodic backup at 01:00 (done), a failed manual attempt at
 * 12:00 every 50th day, a manual backup at 15:00 every 3rd day; retention is evaluated after
 * each new backup and at 23:59, and its expiries are applied. After `removedAt`, nothing new
 * is created; evaluations go on.
 */
function simulate(
  retention: RetentionCounts,
  options: { removedAt?: string; manualUntilAfterRemoval?: string; extraEvaluations?: string[] } = {},
): SimulationResult {
  const backups: SimBackup[] = [];
  const byId = new Map<string, SimBackup>();
  const announced = new Map<string, string | null>();
  const endOfDay = new Map<string, Survivors>();
  const violations: string[] = [];
  let firstAfterRemoval: string[] | undefined;
  const removedAt = options.removedAt ? Date.parse(options.removedAt) : Infinity;

  const evaluate = (nowMs: number): RetentionDecision => {
    const now = iso(nowMs);
    const removed = nowMs >= removedAt;
    const decision = applyRetention({ backups, now, retention, removedAt: removed ? options.removedAt : null });
    violations.push(...broken(decision, now, retention, backups, announced, removed ? options.manualUntilAfterRemoval : undefined));
    for (const id of decision.expire) Object.assign(byId.get(id)!, { status: 'expired', expiredAt: now });
    for (const kept of decision.keep) announced.set(kept.id, kept.expiresAt);
    if (removed && !firstAfterRemoval) {
      firstAfterRemoval = decision.keep
        .map((k) => `${minute(byId.get(k.id)!.createdAt)} ${k.buckets.join('+') || '-'} until ${short(k.expiresAt)}`)
        .sort();
    }
    return decision;
  };
  const create = (method: 'periodic' | 'manual', status: BackupStatus, timeMs: number) => {
    if (timeMs >= removedAt) return;
    const backup: SimBackup = {
      id: `${method}@${minute(iso(timeMs))}`,
      method,
      status,
      createdAt: iso(timeMs),
      failed: status === 'error',
    };
    backups.push(backup);
    byId.set(backup.id, backup);
    evaluate(timeMs);
  };
  const hours = (h: number, m = 0) => (h * 60 + m) * 60_000;
  const extra = (options.extraEvaluations ?? []).map((e) => Date.parse(e));

  for (let i = 0; i < DAYS; i++) {
    const day = START + i * DAY_MS;
    const steps: [number, () => unknown][] = [
      [day + hours(1), () => create('periodic', 'done', day + hours(1))],
      [day + hours(23, 59), () => evaluate(day + hours(23, 59))],
      ...extra.filter((e) => e >= day && e < day + DAY_MS).map((e): [number, () => unknown] => [e, () => evaluate(e)]),
    ];
    if (i % 50 === 49) steps.push([day + hours(12), () => create('manual', 'error', day + hours(12))]);
    if (i % 3 === 0) steps.push([day + hours(15), () => create('manual', 'done', day + hours(15))]);
    let last: RetentionDecision | undefined;
    for (const [, step] of steps.sort((a, b) => a[0] - b[0])) last = step() as RetentionDecision | undefined;
    endOfDay.set(iso(day).slice(0, 10), survivors(backups, last!));
  }
  return { backups, endOfDay, firstAfterRemoval: firstAfterRemoval ?? [], violations };
}

function survivors(backups: SimBackup[], decision: RetentionDecision): Survivors {
  const kept = new Map(decision.keep.map((k) => [k.id, k]));
  const live = backups.filter((b) => b.status === 'done' || b.status === 'error');
  return {
    periodic: live
      .filter((b) => b.method === 'periodic' && b.status === 'done')
      .map((b) => `${minute(b.createdAt)} ${kept.get(b.id)?.buckets.join('+')}`)
      .sort(),
    manual: live.filter((b) => b.method === 'manual' && b.status === 'done').map((b) => minute(b.createdAt)).sort(),
    error: live.filter((b) => b.status === 'error').map((b) => minute(b.createdAt)).sort(),
  };
}

/** The oldest instant a periodic backup may still be kept from, whatever its bucket. */
function oldestAllowed(nowMs: number, r: RetentionCounts): number {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const date = new Date(today);
  const limits = [
    r.daily > 0 ? today - (r.daily - 1) * DAY_MS : Infinity,
    r.weekly > 0 ? today - date.getUTCDay() * DAY_MS - (r.weekly - 1) * 7 * DAY_MS : Infinity,
    r.monthly > 0 ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - (r.monthly - 1), 1) : Infinity,
  ];
  return Math.min(...limits);
}

function broken(
  decision: RetentionDecision,
  now: string,
  r: RetentionCounts,
  backups: SimBackup[],
  announced: Map<string, string | null>,
  manualUntil: string | undefined,
): string[] {
  const problems: string[] = [];
  const nowMs = Date.parse(now);
  const byId = new Map(backups.map((b) => [b.id, b]));
  const count = (bucket: RetentionBucket) => decision.keep.filter((k) => k.buckets.includes(bucket)).length;
  for (const [bucket, limit] of [['daily', r.daily], ['weekly', r.weekly], ['monthly', r.monthly], ['manual', r.manual]] as const) {
    if (count(bucket) > limit) problems.push(`${now}: ${count(bucket)} ${bucket} backups kept, at most ${limit}`);
  }
  const dailyDays = decision.keep.filter((k) => k.buckets.includes('daily')).map((k) => byId.get(k.id)!.createdAt.slice(0, 10));
  if (new Set(dailyDays).size !== dailyDays.length) problems.push(`${now}: two daily backups on one day`);
  for (const kept of decision.keep) {
    const backup = byId.get(kept.id)!;
    if (backup.method === 'periodic' && backup.status === 'done' && Date.parse(backup.createdAt) < oldestAllowed(nowMs, r)) {
      problems.push(`${now}: ${kept.id} kept beyond its longest bucket`);
    }
    if (kept.expiresAt !== null && Date.parse(kept.expiresAt) <= nowMs) problems.push(`${now}: ${kept.id} kept past ${kept.expiresAt}`);
    if (manualUntil && backup.method === 'manual' && backup.status === 'done' && kept.expiresAt !== manualUntil) {
      problems.push(`${now}: ${kept.id} kept until ${kept.expiresAt}, not ${manualUntil}`);
    }
  }
  for (const id of decision.expire) {
    // Nothing in this run pushes a dated backup out early: it goes when it said it would.
    const promised = announced.get(id);
    if (promised && Date.parse(promised) > nowMs) problems.push(`${now}: ${id} expired before ${promised}`);
  }
  const judged = new Set([...decision.keep.map((k) => k.id), ...decision.expire]);
  const settled = backups.filter((b) => b.status === 'done' || b.status === 'error');
  if (judged.size !== settled.length || settled.some((b) => !judged.has(b.id))) problems.push(`${now}: a settled backup was not judged`);
  return problems;
}

/** Every third day from `first` to `last` at 15:00, as literal endpoints of the manual pattern. */
function everyThirdDay(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let ms = Date.parse(`${first}T15:00:00Z`); ms <= Date.parse(`${last}T15:00:00Z`); ms += 3 * DAY_MS) dates.push(minute(iso(ms)));
  return dates;
}

describe('400 days of daily backups', () => {
  describe('Starter (7 daily, 4 weekly, 10 manual)', () => {
    const run = simulate(STARTER);

    it('never breaks an invariant', () => {
      expect(run.violations).toEqual([]);
    });

    it('on 31 January 2025: 7 dailies, 4 Sunday weeklies, the 10 newest manuals', () => {
      expect(run.endOfDay.get('2025-01-31')).toEqual({
        periodic: [
          '2025-01-05T01:00 weekly',
          '2025-01-12T01:00 weekly',
          '2025-01-19T01:00 weekly',
          '2025-01-25T01:00 daily',
          '2025-01-26T01:00 daily+weekly',
          '2025-01-27T01:00 daily',
          '2025-01-28T01:00 daily',
          '2025-01-29T01:00 daily',
          '2025-01-30T01:00 daily',
          '2025-01-31T01:00 daily',
        ],
        // The 11th manual (31 January) pushed out 1 January's.
        manual: [
          '2025-01-04T15:00',
          '2025-01-07T15:00',
          '2025-01-10T15:00',
          '2025-01-13T15:00',
          '2025-01-16T15:00',
          '2025-01-19T15:00',
          '2025-01-22T15:00',
          '2025-01-25T15:00',
          '2025-01-28T15:00',
          '2025-01-31T15:00',
        ],
        error: [],
      });
    });

    it('on Sunday 1 June 2025', () => {
      expect(run.endOfDay.get('2025-06-01')).toEqual({
        periodic: [
          '2025-05-11T01:00 weekly',
          '2025-05-18T01:00 weekly',
          '2025-05-25T01:00 weekly',
          '2025-05-26T01:00 daily',
          '2025-05-27T01:00 daily',
          '2025-05-28T01:00 daily',
          '2025-05-29T01:00 daily',
          '2025-05-30T01:00 daily',
          '2025-05-31T01:00 daily',
          '2025-06-01T01:00 daily+weekly',
        ],
        manual: [
          '2025-05-04T15:00',
          '2025-05-07T15:00',
          '2025-05-10T15:00',
          '2025-05-13T15:00',
          '2025-05-16T15:00',
          '2025-05-19T15:00',
          '2025-05-22T15:00',
          '2025-05-25T15:00',
          '2025-05-28T15:00',
          '2025-05-31T15:00',
        ],
        error: ['2025-05-30T12:00'],
      });
    });

    it('after day 400 (Wednesday 4 February 2026)', () => {
      expect(run.endOfDay.get('2026-02-04')).toEqual({
        periodic: [
          '2026-01-11T01:00 weekly',
          '2026-01-18T01:00 weekly',
          '2026-01-25T01:00 weekly',
          '2026-01-29T01:00 daily',
          '2026-01-30T01:00 daily',
          '2026-01-31T01:00 daily',
          '2026-02-01T01:00 daily+weekly',
          '2026-02-02T01:00 daily',
          '2026-02-03T01:00 daily',
          '2026-02-04T01:00 daily',
        ],
        manual: [
          '2026-01-08T15:00',
          '2026-01-11T15:00',
          '2026-01-14T15:00',
          '2026-01-17T15:00',
          '2026-01-20T15:00',
          '2026-01-23T15:00',
          '2026-01-26T15:00',
          '2026-01-29T15:00',
          '2026-02-01T15:00',
          '2026-02-04T15:00',
        ],
        error: ['2026-02-04T12:00'],
      });
      expect(run.backups).toHaveLength(400 + 134 + 8);
    });
  });

  describe('Business (7 daily, 8 weekly, 12 monthly, 50 manual)', () => {
    const run = simulate(BUSINESS);

    it('never breaks an invariant', () => {
      expect(run.violations).toEqual([]);
    });

    it('on 31 January 2025: the first week is kept by its earliest backup, Wednesday 1 January', () => {
      expect(run.endOfDay.get('2025-01-31')).toEqual({
        periodic: [
          '2025-01-01T01:00 weekly',
          '2025-01-05T01:00 weekly+monthly',
          '2025-01-12T01:00 weekly',
          '2025-01-19T01:00 weekly',
          '2025-01-25T01:00 daily',
          '2025-01-26T01:00 daily+weekly',
          '2025-01-27T01:00 daily',
          '2025-01-28T01:00 daily',
          '2025-01-29T01:00 daily',
          '2025-01-30T01:00 daily',
          '2025-01-31T01:00 daily',
        ],
        manual: everyThirdDay('2025-01-01', '2025-01-31'),
        error: [],
      });
      expect(run.endOfDay.get('2025-01-31')!.manual).toHaveLength(11);
    });

    it('on Sunday 1 June 2025 (a month that starts on a Sunday); the 51st manual pushed out the first', () => {
      expect(run.endOfDay.get('2025-06-01')).toEqual({
        periodic: [
          '2025-01-05T01:00 monthly',
          '2025-02-02T01:00 monthly',
          '2025-03-02T01:00 monthly',
          '2025-04-06T01:00 monthly',
          '2025-04-13T01:00 weekly',
          '2025-04-20T01:00 weekly',
          '2025-04-27T01:00 weekly',
          '2025-05-04T01:00 weekly+monthly',
          '2025-05-11T01:00 weekly',
          '2025-05-18T01:00 weekly',
          '2025-05-25T01:00 weekly',
          '2025-05-26T01:00 daily',
          '2025-05-27T01:00 daily',
          '2025-05-28T01:00 daily',
          '2025-05-29T01:00 daily',
          '2025-05-30T01:00 daily',
          '2025-05-31T01:00 daily',
          '2025-06-01T01:00 daily+weekly+monthly',
        ],
        manual: everyThirdDay('2025-01-04', '2025-05-31'),
        error: ['2025-05-30T12:00'],
      });
      expect(run.endOfDay.get('2025-06-01')!.manual).toHaveLength(50);
    });

    it('on 1 January 2026: January 2025 has left the 12 months', () => {
      expect(run.endOfDay.get('2026-01-01')).toEqual({
        periodic: [
          '2025-02-02T01:00 monthly',
          '2025-03-02T01:00 monthly',
          '2025-04-06T01:00 monthly',
          '2025-05-04T01:00 monthly',
          '2025-06-01T01:00 monthly',
          '2025-07-06T01:00 monthly',
          '2025-08-03T01:00 monthly',
          '2025-09-07T01:00 monthly',
          '2025-10-05T01:00 monthly',
          '2025-11-02T01:00 monthly',
          '2025-11-09T01:00 weekly',
          '2025-11-16T01:00 weekly',
          '2025-11-23T01:00 weekly',
          '2025-11-30T01:00 weekly',
          '2025-12-07T01:00 weekly+monthly',
          '2025-12-14T01:00 weekly',
          '2025-12-21T01:00 weekly',
          '2025-12-26T01:00 daily',
          '2025-12-27T01:00 daily',
          '2025-12-28T01:00 daily+weekly',
          '2025-12-29T01:00 daily',
          '2025-12-30T01:00 daily',
          '2025-12-31T01:00 daily',
          '2026-01-01T01:00 daily',
        ],
        manual: everyThirdDay('2025-08-05', '2025-12-30'),
        error: [],
      });
      expect(run.endOfDay.get('2026-01-01')!.manual).toHaveLength(50);
    });

    it('after day 400 (Wednesday 4 February 2026)', () => {
      expect(run.endOfDay.get('2026-02-04')).toEqual({
        periodic: [
          '2025-03-02T01:00 monthly',
          '2025-04-06T01:00 monthly',
          '2025-05-04T01:00 monthly',
          '2025-06-01T01:00 monthly',
          '2025-07-06T01:00 monthly',
          '2025-08-03T01:00 monthly',
          '2025-09-07T01:00 monthly',
          '2025-10-05T01:00 monthly',
          '2025-11-02T01:00 monthly',
          '2025-12-07T01:00 monthly',
          '2025-12-14T01:00 weekly',
          '2025-12-21T01:00 weekly',
          '2025-12-28T01:00 weekly',
          '2026-01-04T01:00 weekly+monthly',
          '2026-01-11T01:00 weekly',
          '2026-01-18T01:00 weekly',
          '2026-01-25T01:00 weekly',
          '2026-01-29T01:00 daily',
          '2026-01-30T01:00 daily',
          '2026-01-31T01:00 daily',
          '2026-02-01T01:00 daily+weekly+monthly',
          '2026-02-02T01:00 daily',
          '2026-02-03T01:00 daily',
          '2026-02-04T01:00 daily',
        ],
        manual: [
          '2025-09-10T15:00', '2025-09-13T15:00', '2025-09-16T15:00', '2025-09-19T15:00', '2025-09-22T15:00',
          '2025-09-25T15:00', '2025-09-28T15:00', '2025-10-01T15:00', '2025-10-04T15:00', '2025-10-07T15:00',
          '2025-10-10T15:00', '2025-10-13T15:00', '2025-10-16T15:00', '2025-10-19T15:00', '2025-10-22T15:00',
          '2025-10-25T15:00', '2025-10-28T15:00', '2025-10-31T15:00', '2025-11-03T15:00', '2025-11-06T15:00',
          '2025-11-09T15:00', '2025-11-12T15:00', '2025-11-15T15:00', '2025-11-18T15:00', '2025-11-21T15:00',
          '2025-11-24T15:00', '2025-11-27T15:00', '2025-11-30T15:00', '2025-12-03T15:00', '2025-12-06T15:00',
          '2025-12-09T15:00', '2025-12-12T15:00', '2025-12-15T15:00', '2025-12-18T15:00', '2025-12-21T15:00',
          '2025-12-24T15:00', '2025-12-27T15:00', '2025-12-30T15:00', '2026-01-02T15:00', '2026-01-05T15:00',
          '2026-01-08T15:00', '2026-01-11T15:00', '2026-01-14T15:00', '2026-01-17T15:00', '2026-01-20T15:00',
          '2026-01-23T15:00', '2026-01-26T15:00', '2026-01-29T15:00', '2026-02-01T15:00', '2026-02-04T15:00',
        ],
        error: ['2026-02-04T12:00'],
      });
    });
  });

  describe('Starter removed on Friday 31 October 2025 at 16:00', () => {
    const run = simulate(STARTER, {
      removedAt: '2025-10-31T16:00:00.000Z',
      manualUntilAfterRemoval: '2025-11-30T16:00:00.000Z',
      extraEvaluations: ['2025-11-30T15:59:59.999Z', '2025-11-30T16:00:00.000Z'],
    });

    it('never breaks an invariant', () => {
      expect(run.violations).toEqual([]);
    });

    it('announces when each backup goes: periodic ones within their windows, manual ones 1 month after removal', () => {
      expect(run.firstAfterRemoval).toEqual([
        '2025-10-04T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-05T01:00 weekly until 2025-11-02T00:00Z',
        '2025-10-07T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-10T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-12T01:00 weekly until 2025-11-09T00:00Z',
        '2025-10-13T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-16T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-19T01:00 weekly until 2025-11-16T00:00Z',
        '2025-10-19T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-22T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-25T01:00 daily until 2025-11-01T00:00Z',
        '2025-10-25T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-26T01:00 daily+weekly until 2025-11-23T00:00Z',
        '2025-10-27T01:00 daily until 2025-11-03T00:00Z',
        '2025-10-27T12:00 - until 2025-11-03T12:00Z',
        '2025-10-28T01:00 daily until 2025-11-04T00:00Z',
        '2025-10-28T15:00 manual until 2025-11-30T16:00Z',
        '2025-10-29T01:00 daily until 2025-11-05T00:00Z',
        '2025-10-30T01:00 daily until 2025-11-06T00:00Z',
        '2025-10-31T01:00 daily until 2025-11-07T00:00Z',
        '2025-10-31T15:00 manual until 2025-11-30T16:00Z',
      ]);
    });

    it('creates nothing after the removal and runs out on time', () => {
      expect(run.backups.filter((b) => b.createdAt > '2025-10-31T16:00:00.000Z')).toEqual([]);
      expect(run.endOfDay.get('2025-11-22')!.periodic).toEqual(['2025-10-26T01:00 weekly']);
      expect(run.endOfDay.get('2025-11-23')!.periodic).toEqual([]);
      expect(run.endOfDay.get('2025-11-29')!.manual).toEqual(everyThirdDay('2025-10-04', '2025-10-31'));
      expect(run.endOfDay.get('2025-11-30')).toEqual({ periodic: [], manual: [], error: [] });
      expect(run.endOfDay.get('2026-02-04')).toEqual({ periodic: [], manual: [], error: [] });
    });

    it('expires the manual backups exactly 1 month after the removal', () => {
      const manuals = run.backups.filter((b) => b.method === 'manual' && !b.failed && b.createdAt >= '2025-10-04');
      expect(manuals.map((b) => b.expiredAt)).toEqual(
        Array(10).fill('2025-11-30T16:00:00.000Z'),
      );
    });
  });

  describe('Business removed on Friday 31 January 2025 at 16:00', () => {
    const run = simulate(BUSINESS, {
      removedAt: '2025-01-31T16:00:00.000Z',
      manualUntilAfterRemoval: '2026-01-31T16:00:00.000Z',
      extraEvaluations: ['2026-01-31T15:59:59.999Z', '2026-01-31T16:00:00.000Z'],
    });

    it('never breaks an invariant', () => {
      expect(run.violations).toEqual([]);
    });

    it('announces when each backup goes: the monthly one at the end of its 12 months, manual ones 12 months after removal', () => {
      expect(run.firstAfterRemoval).toEqual([
        '2025-01-01T01:00 weekly until 2025-02-23T00:00Z',
        '2025-01-01T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-04T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-05T01:00 weekly+monthly until 2026-01-01T00:00Z',
        '2025-01-07T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-10T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-12T01:00 weekly until 2025-03-09T00:00Z',
        '2025-01-13T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-16T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-19T01:00 weekly until 2025-03-16T00:00Z',
        '2025-01-19T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-22T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-25T01:00 daily until 2025-02-01T00:00Z',
        '2025-01-25T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-26T01:00 daily+weekly until 2025-03-23T00:00Z',
        '2025-01-27T01:00 daily until 2025-02-03T00:00Z',
        '2025-01-28T01:00 daily until 2025-02-04T00:00Z',
        '2025-01-28T15:00 manual until 2026-01-31T16:00Z',
        '2025-01-29T01:00 daily until 2025-02-05T00:00Z',
        '2025-01-30T01:00 daily until 2025-02-06T00:00Z',
        '2025-01-31T01:00 daily until 2025-02-07T00:00Z',
        '2025-01-31T15:00 manual until 2026-01-31T16:00Z',
      ]);
    });

    it('runs out: the last periodic backup on 1 January 2026, the manual ones on 31 January 2026 at 16:00', () => {
      const elevenManuals = everyThirdDay('2025-01-01', '2025-01-31');
      expect(run.endOfDay.get('2025-12-31')).toEqual({ periodic: ['2025-01-05T01:00 monthly'], manual: elevenManuals, error: [] });
      expect(run.endOfDay.get('2026-01-01')).toEqual({ periodic: [], manual: elevenManuals, error: [] });
      expect(run.endOfDay.get('2026-01-31')).toEqual({ periodic: [], manual: [], error: [] });
      expect(run.backups.filter((b) => b.method === 'manual' && !b.failed).map((b) => b.expiredAt)).toEqual(
        Array(11).fill('2026-01-31T16:00:00.000Z'),
      );
    });
  });
});
