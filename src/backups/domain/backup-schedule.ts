import { DateTime, IANAZone } from 'luxon';
import { DomainError } from '../../shared/domain/domain-error';
import { isKnownZone } from '../../shared/domain/time-zones';

/**
 * The daily backup hour of an add-on: an hour of the day in a time zone (UTC by default).
 * Everything here is pure; instants come in and go out as ISO-8601 strings.
 *
 * DST: the backup runs once per local calendar day at `hour`:00 local time. A local hour
 * skipped by a spring-forward change runs at the next valid instant (the moment the clocks
 * jump); a local hour repeated by a fall-back change runs at its first occurrence only.
 * In a zone offset by a fraction of an hour (Asia/Kolkata), the "UTC hour" is the UTC hour
 * the run starts in (05:00 in Kolkata is 23:30 UTC: hour 23).
 */
export interface BackupScheduleTime {
  /** Hour of day in `timezone`, 0-23. */
  hour: number;
  /** IANA zone name, 'UTC' when none is given. */
  timezone: string;
}

const MAX_INPUT_LENGTH = 64;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;

const ACCEPTED = 'Use an hour 0-23, optionally with a time zone: 3, "4:00 UTC", "20 Europe/Paris".';
const ZONE_EXAMPLES = 'Use an IANA time zone name such as UTC, Europe/Paris or America/New_York.';

/** `3`, `03`, `3:00`, `03:00`, each optionally followed by a zone name. */
const SHAPE = /^(\d{1,2})(?::(\d{2}))?(?:[ \t]+(\S+))?$/;
/** An IANA name starts with a letter; this keeps out offsets ("+02:00") that newer Intl versions accept. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * Reads a `scheduled_at` value (API, CLI `--schedule-at`): a number 0-23 (UTC) or a string
 * `"3"`, `"03:00"`, `"4:00 UTC"`, `"20 Europe/Paris"`. Backups are scheduled on the hour,
 * so minutes other than `:00` are refused.
 * @throws DomainError `SCHEDULE.INVALID_TIME` or `SCHEDULE.UNKNOWN_TIMEZONE`
 */
export function parseScheduledAt(input: unknown): BackupScheduleTime {
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) throw invalidTime(`${String(input)} is not a whole hour.`, { input });
    if (input < 0 || input > 23) throw invalidTime(`Hour ${input} is out of range.`, { input });
    return { hour: input || 0, timezone: 'UTC' }; // -0 → 0
  }
  if (typeof input !== 'string') {
    const kind = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
    const article = kind === 'null' || kind === 'undefined' ? '' : /^[aeiou]/.test(kind) ? 'an ' : 'a ';
    throw invalidTime(`The backup time must be a number or a string, not ${article}${kind}.`, { type: kind });
  }
  // Echo at most MAX_INPUT_LENGTH characters of what was sent, in messages and details alike.
  const shown = input.slice(0, MAX_INPUT_LENGTH);
  if (input.length > MAX_INPUT_LENGTH) {
    throw invalidTime(`The backup time is too long (${input.length} characters, at most ${MAX_INPUT_LENGTH}).`, {
      input: shown,
    });
  }
  const match = SHAPE.exec(input.trim());
  if (!match) throw invalidTime(`"${shown}" is not a backup time.`, { input: shown });
  const [, hourText, minutes, zone] = match;
  const hour = Number(hourText);
  if (hour > 23) throw invalidTime(`Hour ${hour} is out of range.`, { input: shown });
  if (minutes !== undefined && minutes !== '00') {
    throw invalidTime(`Backups start on the hour: minutes must be :00, not :${minutes}.`, { input: shown });
  }
  return { hour, timezone: zone === undefined ? 'UTC' : knownZone(zone) };
}

/**
 * The UTC hour (0-23) of the run scheduled for one calendar date: the UTC calendar day of
 * `day`, read as a date in the schedule's zone. (The run itself may fall on the UTC day
 * before or after: "20 America/New_York" on 15 January runs at 01:00 UTC on the 16th.)
 */
export function utcHourOn(schedule: BackupScheduleTime, day: string): number {
  const date = Math.floor(parseInstant(day, 'day') / DAY_MS) * DAY_MS;
  return utcHourOf(runOn(checked(schedule), date));
}

/** The distinct UTC hours (sorted) the schedule runs at over the dates of `year`: two for a zone with DST. */
export function utcHoursOverYear(schedule: BackupScheduleTime, year: number): number[] {
  if (!Number.isInteger(year)) throw new Error(`Schedule: ${year} is not a year`);
  const { hour, zone } = checked(schedule);
  const key = `${hour} ${zone.name} ${year}`;
  let hours = hoursOverYear.get(key);
  if (!hours) {
    const seen = new Set<number>();
    for (let date = Date.UTC(year, 0, 1); date < Date.UTC(year + 1, 0, 1); date += DAY_MS) {
      seen.add(utcHourOf(runOn({ hour, zone }, date)));
    }
    hours = [...seen].sort((a, b) => a - b);
    if (hoursOverYear.size >= HOURS_OVER_YEAR_KEPT) hoursOverYear.delete(hoursOverYear.keys().next().value!);
    hoursOverYear.set(key, hours);
  }
  return [...hours];
}

/**
 * The answers of `utcHoursOverYear`, kept: each takes a year of zone offsets (a few
 * milliseconds), and every provision, window change and schedule change asks for one. The
 * zone rules are fixed for the life of the process, so a kept answer stays true.
 */
const hoursOverYear = new Map<string, number[]>();
const HOURS_OVER_YEAR_KEPT = 1024;

/** The ISO-8601 UTC instant of the first scheduled run strictly after `after`. */
export function nextRunAfter(schedule: BackupScheduleTime, after: string): string {
  return toIso(nextRun(checked(schedule), parseInstant(after, 'after')));
}

/**
 * The hour of the next run after `at`, in UTC and in the schedule's zone, for answers such
 * as "daily at 19:00 UTC (20:00 Europe/Paris)". The local hour differs from `hour` only on
 * a day whose `hour` does not exist locally.
 */
export function describeSchedule(
  schedule: BackupScheduleTime,
  at: string,
): { hourUtc: number; hourLocal: number; timezone: string } {
  const zoned = checked(schedule);
  const run = nextRun(zoned, parseInstant(at, 'at'));
  return {
    hourUtc: utcHourOf(run),
    hourLocal: utcHourOf(run + zoned.zone.offset(run) * MINUTE_MS),
    timezone: schedule.timezone,
  };
}

interface ZonedSchedule {
  hour: number;
  zone: IANAZone;
}

function nextRun(schedule: ZonedSchedule, after: number): number {
  // The local date of `after`, then the next days: a run is at most ~26 hours away.
  const localDate = Math.floor((after + schedule.zone.offset(after) * MINUTE_MS) / DAY_MS) * DAY_MS;
  for (let date = localDate - DAY_MS; ; date += DAY_MS) {
    const run = runOn(schedule, date);
    if (run > after) return run;
  }
}

/** The UTC instant of the run on a local calendar date (given as that date's midnight UTC ms). */
function runOn({ hour, zone }: ZonedSchedule, date: number): number {
  const wall = date + hour * HOUR_MS;
  // Offsets a day either side bound the candidates: zones change offset at most once a day.
  const offsets = new Set([zone.offset(wall - DAY_MS), zone.offset(wall + DAY_MS)]);
  const valid = [...offsets]
    .map((offset) => wall - offset * MINUTE_MS)
    .filter((instant) => instant + zone.offset(instant) * MINUTE_MS === wall);
  // Repeated local time (fall back): its first occurrence.
  if (valid.length > 0) return Math.min(...valid);
  // Skipped local time (spring forward): the instant the clocks jump, found between the two
  // readings of `wall` (the jump is at most the difference between the offsets).
  const [before, after] = [zone.offset(wall - DAY_MS), zone.offset(wall + DAY_MS)].map((o) => wall - o * MINUTE_MS);
  let [low, high] = [Math.min(before, after), Math.max(before, after)];
  const offsetBefore = zone.offset(low);
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (zone.offset(middle) === offsetBefore) low = middle;
    else high = middle;
  }
  return high;
}

function utcHourOf(instant: number): number {
  return Math.floor((((instant % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

function checked(schedule: BackupScheduleTime): ZonedSchedule {
  const { hour, timezone } = schedule;
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new Error(`Schedule: hour ${hour} is not 0-23`);
  if (!isKnownZone(timezone)) throw new Error(`Schedule: unknown time zone ${timezone}`);
  return { hour, zone: IANAZone.create(timezone) };
}

/** Validates a zone name and spells it as the zone database does ("europe/paris" → "Europe/Paris"). */
function knownZone(name: string): string {
  if (!ZONE_NAME.test(name) || !isKnownZone(name)) {
    throw new DomainError('SCHEDULE.UNKNOWN_TIMEZONE', `"${name}" is not a known time zone. ${ZONE_EXAMPLES}`, {
      timezone: name,
    });
  }
  return canonicalSpelling().get(name.toLowerCase()) ?? name;
}

let spellings: Map<string, string> | undefined;
function canonicalSpelling(): Map<string, string> {
  // Intl lists canonical zones only; the UTC aliases the contract names are added by hand.
  spellings ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), 'UTC', 'GMT', 'Etc/UTC', 'Etc/GMT'].map((zone) => [zone.toLowerCase(), zone]),
  );
  return spellings;
}

function invalidTime(reason: string, details: Record<string, unknown>): DomainError {
  return new DomainError('SCHEDULE.INVALID_TIME', `${reason} ${ACCEPTED}`, details);
}

function parseInstant(value: string, what: string): number {
  const parsed = typeof value === 'string' ? DateTime.fromISO(value, { zone: 'utc' }) : undefined;
  if (!parsed?.isValid) throw new Error(`Schedule: ${what} is not an ISO-8601 instant: ${String(value).slice(0, 64)}`);
  return parsed.toMillis();
}

function toIso(ms: number): string {
  const iso = DateTime.fromMillis(ms, { zone: 'utc' }).toISO();
  if (iso === null) throw new Error(`Schedule: ${ms} is out of the representable range`);
  return iso;
}
