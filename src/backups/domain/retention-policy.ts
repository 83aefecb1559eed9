import { DateTime } from 'luxon';
import { RetentionCounts } from '../../catalogue/domain/catalogue';

/**
 * Which backups of an add-on to keep and which to expire at a given instant
 * (grandfather-father-son, DOMAIN.md "Backups"). A pure function of its input: the caller
 * evaluates it after every finished backup and once a day, and emits the expiries.
 *
 * Calendar: days are UTC calendar days, weeks run from Sunday 00:00 UTC to the next
 * Sunday, months are UTC calendar months; "today" is the UTC day of `now`.
 *
 * - Only `done` backups are retained or expired by the buckets. `scheduled`, `running` and
 *   `expired` ones are ignored (neither kept nor expired), and so is any backup created
 *   after `now` (a clock skew between workers must not delete anything).
 * - `error`: expires once `now - createdAt >= 7 days`; until then it is kept with no bucket
 *   and `expiresAt = createdAt + 7 days` (design: a failed attempt stays visible a week).
 * - daily: for each of the last `daily` days (today included), the newest done periodic
 *   backup created that day; it expires at the start of (its day + `daily` days).
 * - weekly: for each of the last `weekly` weeks (this week included), the earliest done
 *   periodic backup of the week (Sunday's when there is one); expires at the week's start
 *   + `weekly` weeks.
 * - monthly: for each of the last `monthly` months (this month included), the earliest
 *   done periodic backup created on or after the month's first Sunday, within the month;
 *   expires at the month's start + `monthly` months.
 * - A periodic backup may sit in several buckets (listed daily, weekly, monthly); it
 *   expires at the latest of their expiries. A done periodic backup in no bucket expires.
 * - manual: the newest `manual` done manual backups are kept (`expiresAt: null`: only a
 *   newer one pushes them out); older ones expire.
 * - After removal (`removedAt` set and not after `now`): periodic backups keep following
 *   the rules above and so run out on their own. Every done manual backup is kept until
 *   `removedAt` + `manualMonthsAfterRemoval` calendar months (day of month clamped, same
 *   time of day), whatever their number, and expires at or after that instant.
 * - A count of 0 keeps nothing in that bucket.
 * - Ties on `createdAt` are broken by id, so the decision is deterministic.
 *
 * Malformed input (an unparseable date, a negative count, a duplicate id) throws a plain
 * `Error`: it is a programming error, not something a user can fix.
 */

export type BackupMethod = 'periodic' | 'manual';
export type BackupStatus = 'scheduled' | 'running' | 'done' | 'error' | 'expired';
export type RetentionBucket = 'daily' | 'weekly' | 'monthly' | 'manual';

export interface RetentionCandidate {
  id: string;
  method: BackupMethod;
  status: BackupStatus;
  /** ISO-8601 UTC; the time the backup was created (buckets are computed from it). */
  createdAt: string;
}

export interface KeptBackup {
  id: string;
  /** Why it is kept; empty for a failed backup kept visible for a while. */
  buckets: RetentionBucket[];
  /** When it will expire if nothing else happens; null when only a newer backup can push it out (manual, count-based). */
  expiresAt: string | null;
}

export interface RetentionDecision {
  /** Newest first. */
  keep: KeptBackup[];
  /** Ids, oldest first. */
  expire: string[];
}

export interface RetentionInput {
  backups: readonly RetentionCandidate[];
  /** ISO-8601 instant of the evaluation. */
  now: string;
  retention: RetentionCounts;
  /** Set once the add-on is removed. */
  removedAt?: string | null;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const ERROR_VISIBLE_MS = 7 * DAY_MS;

const METHODS: readonly string[] = ['periodic', 'manual'] satisfies BackupMethod[];
const STATUSES: readonly string[] = ['scheduled', 'running', 'done', 'error', 'expired'] satisfies BackupStatus[];

interface Candidate {
  id: string;
  method: BackupMethod;
  status: BackupStatus;
  at: number;
}

/** A span of time whose earliest or newest periodic backup is kept in `bucket` until `expiresAt`. */
interface BucketWindow {
  bucket: Exclude<RetentionBucket, 'manual'>;
  from: number;
  to: number;
  pick: 'earliest' | 'newest';
  expiresAt: number;
}

interface Keeping {
  candidate: Candidate;
  buckets: RetentionBucket[];
  expiresAt: number | null;
}

export function applyRetention(input: RetentionInput): RetentionDecision {
  const now = parseInstant(input.now, 'now');
  const removedAt = input.removedAt == null ? null : parseInstant(input.removedAt, 'removedAt');
  checkCounts(input.retention);
  const candidates = parseCandidates(input.backups);

  // Only what is settled by `now` is judged; everything else is left alone.
  const judged = candidates.filter((c) => c.at <= now && (c.status === 'done' || c.status === 'error')).sort(byAge);
  const keeping = new Map<string, Keeping>();
  const expired: Candidate[] = [];

  for (const failed of judged.filter((c) => c.status === 'error')) {
    const until = failed.at + ERROR_VISIBLE_MS;
    if (now >= until) expired.push(failed);
    else keeping.set(failed.id, { candidate: failed, buckets: [], expiresAt: until });
  }

  const periodic = judged.filter((c) => c.status === 'done' && c.method === 'periodic');
  for (const window of bucketWindows(now, input.retention)) {
    const inside = periodic.filter((c) => c.at >= window.from && c.at < window.to);
    if (inside.length === 0) continue;
    const chosen = window.pick === 'earliest' ? inside[0] : inside[inside.length - 1];
    const entry = keeping.get(chosen.id) ?? { candidate: chosen, buckets: [], expiresAt: window.expiresAt };
    entry.buckets.push(window.bucket);
    entry.expiresAt = Math.max(entry.expiresAt ?? 0, window.expiresAt);
    keeping.set(chosen.id, entry);
  }
  expired.push(...periodic.filter((c) => !keeping.has(c.id)));

  const manual = judged.filter((c) => c.status === 'done' && c.method === 'manual');
  if (removedAt !== null && removedAt <= now) {
    const until = plusMonths(removedAt, input.retention.manualMonthsAfterRemoval);
    for (const backup of manual) {
      if (now >= until) expired.push(backup);
      else keeping.set(backup.id, { candidate: backup, buckets: ['manual'], expiresAt: until });
    }
  } else {
    const newestFirst = [...manual].reverse();
    for (const backup of newestFirst.slice(0, input.retention.manual)) {
      keeping.set(backup.id, { candidate: backup, buckets: ['manual'], expiresAt: null });
    }
    expired.push(...newestFirst.slice(input.retention.manual));
  }

  return {
    keep: [...keeping.values()]
      .sort((a, b) => byAge(b.candidate, a.candidate))
      .map(({ candidate, buckets, expiresAt }) => ({
        id: candidate.id,
        buckets,
        expiresAt: expiresAt === null ? null : toIso(expiresAt),
      })),
    expire: expired.sort(byAge).map((c) => c.id),
  };
}

/** The daily, weekly then monthly windows that are still inside the retention at `now`. */
function bucketWindows(now: number, counts: RetentionCounts): BucketWindow[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const windows: BucketWindow[] = [];
  for (let k = 0; k < counts.daily; k++) {
    const from = today - k * DAY_MS;
    windows.push({ bucket: 'daily', from, to: from + DAY_MS, pick: 'newest', expiresAt: from + counts.daily * DAY_MS });
  }
  const thisWeek = today - weekday(today) * DAY_MS;
  for (let k = 0; k < counts.weekly; k++) {
    const from = thisWeek - k * WEEK_MS;
    windows.push({ bucket: 'weekly', from, to: from + WEEK_MS, pick: 'earliest', expiresAt: from + counts.weekly * WEEK_MS });
  }
  const { year, month } = DateTime.fromMillis(now, { zone: 'utc' });
  for (let k = 0; k < counts.monthly; k++) {
    // Date.UTC carries month overflow and underflow into the year.
    const start = Date.UTC(year, month - 1 - k, 1);
    const firstSunday = start + ((7 - weekday(start)) % 7) * DAY_MS;
    windows.push({
      bucket: 'monthly',
      from: firstSunday,
      to: Date.UTC(year, month - k, 1),
      pick: 'earliest',
      expiresAt: Date.UTC(year, month - 1 - k + counts.monthly, 1),
    });
  }
  return windows;
}

/** 0 for Sunday … 6 for Saturday (1970-01-01 was a Thursday). */
function weekday(ms: number): number {
  return (((Math.floor(ms / DAY_MS) + 4) % 7) + 7) % 7;
}

/** Calendar months in UTC; luxon clamps the day of month (Jan 31 + 1 month = Feb 28/29). */
function plusMonths(ms: number, months: number): number {
  return DateTime.fromMillis(ms, { zone: 'utc' }).plus({ months }).toMillis();
}

function byAge(a: Candidate, b: Candidate): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function parseCandidates(backups: readonly RetentionCandidate[]): Candidate[] {
  const seen = new Set<string>();
  return backups.map((backup) => {
    if (typeof backup.id !== 'string' || backup.id === '') throw new Error('Retention: a backup has no id');
    if (seen.has(backup.id)) throw new Error(`Retention: backup ${backup.id} appears twice`);
    seen.add(backup.id);
    if (!METHODS.includes(backup.method)) throw new Error(`Retention: backup ${backup.id} has an unknown method`);
    if (!STATUSES.includes(backup.status)) throw new Error(`Retention: backup ${backup.id} has an unknown status`);
    return { id: backup.id, method: backup.method, status: backup.status, at: parseInstant(backup.createdAt, `createdAt of ${backup.id}`) };
  });
}

function checkCounts(counts: RetentionCounts): void {
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`Retention: ${name} must be a whole number >= 0, got ${value}`);
  }
}

// The common shape (what the store writes) is parsed by hand: retention runs over every
// backup of an add-on at each evaluation, and luxon's ISO parser is an order slower.
const COMMON_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

function parseInstant(value: unknown, what: string): number {
  if (typeof value !== 'string') throw new Error(`Retention: ${what} is not an ISO-8601 string`);
  const match = COMMON_ISO.exec(value);
  if (!match) {
    const parsed = DateTime.fromISO(value, { zone: 'utc' });
    if (!parsed.isValid) throw new Error(`Retention: ${what} is not an ISO-8601 instant: ${JSON.stringify(value.slice(0, 64))}`);
    return parsed.toMillis();
  }
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number);
  const second = Number(match[6] ?? 0);
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const sign = match[9] === '-' ? -1 : 1;
  const [offsetHours, offsetMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
  const daysInMonth = month >= 1 && month <= 12 ? (Date.UTC(year, month, 1) - Date.UTC(year, month - 1, 1)) / DAY_MS : 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    throw new Error(`Retention: ${what} is not a valid instant: ${JSON.stringify(value.slice(0, 64))}`);
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function toIso(ms: number): string {
  const iso = DateTime.fromMillis(ms, { zone: 'utc' }).toISO();
  if (iso === null) throw new Error(`Retention: ${ms} is out of the representable range`);
  return iso;
}
