import { DomainError } from '../../shared/domain/domain-error';
import {
  BackupScheduleTime,
  describeSchedule,
  nextRunAfter,
  parseScheduledAt,
  utcHourOn,
  utcHoursOverYear,
} from './backup-schedule';

// 2025 DST changes used below:
// Europe/Paris      spring forward 30 Mar at 01:00 UTC (02:00 CET → 03:00 CEST),
//                   fall back      26 Oct at 01:00 UTC (03:00 CEST → 02:00 CET).
// America/New_York  spring forward  9 Mar at 07:00 UTC (02:00 EST → 03:00 EDT),
//                   fall back       2 Nov at 06:00 UTC (02:00 EDT → 01:00 EST).

function refusal(input: unknown): DomainError {
  try {
    parseScheduledAt(input);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

const schedule = (input: unknown): BackupScheduleTime => parseScheduledAt(input);

describe('parseScheduledAt', () => {
  describe('accepts', () => {
    it.each<[unknown, BackupScheduleTime]>([
      [0, { hour: 0, timezone: 'UTC' }],
      [3, { hour: 3, timezone: 'UTC' }],
      [23, { hour: 23, timezone: 'UTC' }],
      ['3', { hour: 3, timezone: 'UTC' }],
      ['03', { hour: 3, timezone: 'UTC' }],
      ['3:00', { hour: 3, timezone: 'UTC' }],
      ['03:00', { hour: 3, timezone: 'UTC' }],
      ['23', { hour: 23, timezone: 'UTC' }],
      ['4:00 UTC', { hour: 4, timezone: 'UTC' }],
      ['10:00 UTC', { hour: 10, timezone: 'UTC' }],
      ['0 UTC', { hour: 0, timezone: 'UTC' }],
      ['20 Europe/Paris', { hour: 20, timezone: 'Europe/Paris' }],
      ['20:00 Europe/Paris', { hour: 20, timezone: 'Europe/Paris' }],
      ['5 America/New_York', { hour: 5, timezone: 'America/New_York' }],
      ['6 GMT', { hour: 6, timezone: 'GMT' }],
      ['7 Etc/UTC', { hour: 7, timezone: 'Etc/UTC' }],
    ])('%j as %j', (input, expected) => {
      expect(parseScheduledAt(input)).toEqual(expected);
    });

    it('trims surrounding whitespace and tolerates several spaces before the zone', () => {
      expect(parseScheduledAt('  4:00   UTC \t')).toEqual({ hour: 4, timezone: 'UTC' });
      expect(parseScheduledAt(' 3 ')).toEqual({ hour: 3, timezone: 'UTC' });
    });

    it('spells a zone as the zone database does, whatever its case', () => {
      expect(parseScheduledAt('20 europe/paris')).toEqual({ hour: 20, timezone: 'Europe/Paris' });
      expect(parseScheduledAt('4:00 utc')).toEqual({ hour: 4, timezone: 'UTC' });
    });
  });

  describe('refuses with SCHEDULE.INVALID_TIME', () => {
    it.each<[string, unknown]>([
      ['a number out of range', 24],
      ['a negative number', -1],
      ['a fraction of an hour', 3.5],
      ['NaN', Number.NaN],
      ['an hour out of range', '24'],
      ['an hour out of range with a zone', '25:00 UTC'],
      ['minutes other than :00', '4:30'],
      ['minutes other than :00 with a zone', '4:15 UTC'],
      ['seconds', '03:00:00'],
      ['three digits', '003'],
      ['one digit of minutes', '3:0'],
      ['a sign', '+3'],
      ['a 12-hour clock', '3pm'],
      ['a zone glued to the hour', '4:00UTC'],
      ['a zone alone', 'Europe/Paris'],
      ['an empty string', ''],
      ['blanks', '   '],
      ['a word', 'tonight'],
      ['null', null],
      ['undefined', undefined],
      ['a boolean', true],
      ['an object', { hour: 3 }],
      ['an array', [3]],
    ])('%s (%j)', (_, input) => {
      const error = refusal(input);
      expect(error.code).toBe('SCHEDULE.INVALID_TIME');
      expect(error.message).toContain('Use an hour 0-23, optionally with a time zone: 3, "4:00 UTC", "20 Europe/Paris".');
    });

    it('says why: range, minutes, shape, type', () => {
      expect(refusal('24').message).toMatch(/^Hour 24 is out of range\./);
      expect(refusal('4:30').message).toMatch(/^Backups start on the hour: minutes must be :00, not :30\./);
      expect(refusal('tonight').message).toMatch(/^"tonight" is not a backup time\./);
      expect(refusal(null).message).toMatch(/^The backup time must be a number or a string, not null\./);
      expect(refusal({}).message).toMatch(/not an object\./);
    });

    it('refuses a string longer than 64 characters and echoes only its first 64', () => {
      const long = `3 ${'x'.repeat(100)}SECRET-TAIL`;
      const error = refusal(long);
      expect(error.code).toBe('SCHEDULE.INVALID_TIME');
      expect(error.message).toContain('at most 64');
      expect(JSON.stringify(error.details)).not.toContain('SECRET-TAIL');
      expect(error.details).toEqual({ input: long.slice(0, 64) });
      expect(error.message).not.toContain('x'.repeat(65));
    });

    it('accepts exactly 64 characters', () => {
      const padded = `3${' '.repeat(63)}`;
      expect(padded).toHaveLength(64);
      expect(parseScheduledAt(padded)).toEqual({ hour: 3, timezone: 'UTC' });
    });
  });

  describe('refuses with SCHEDULE.UNKNOWN_TIMEZONE', () => {
    it.each(['3 Mars/Olympus', '20 Europe/Pariss', '4:00 CEST', '3 +02:00', '3 UTC+2', '3 Local'])('%j', (input) => {
      const error = refusal(input);
      expect(error.code).toBe('SCHEDULE.UNKNOWN_TIMEZONE');
      expect(error.message).toBe(
        `"${input.split(' ')[1]}" is not a known time zone. Use an IANA time zone name such as UTC, Europe/Paris or America/New_York.`,
      );
    });
  });
});

describe('utcHourOn', () => {
  it('a bare hour is UTC all year', () => {
    expect(utcHourOn(schedule(3), '2025-01-15T12:00:00Z')).toBe(3);
    expect(utcHourOn(schedule('3'), '2025-07-15T23:59:59Z')).toBe(3);
  });

  it('"20 Europe/Paris" is 19 UTC in winter and 18 UTC in summer', () => {
    const paris = schedule('20 Europe/Paris');
    expect(utcHourOn(paris, '2025-01-15T00:00:00Z')).toBe(19);
    expect(utcHourOn(paris, '2025-03-29T00:00:00Z')).toBe(19);
    expect(utcHourOn(paris, '2025-03-30T00:00:00Z')).toBe(18); // spring-forward day: 20:00 is already CEST
    expect(utcHourOn(paris, '2025-07-15T00:00:00Z')).toBe(18);
    expect(utcHourOn(paris, '2025-10-25T00:00:00Z')).toBe(18);
    expect(utcHourOn(paris, '2025-10-26T00:00:00Z')).toBe(19); // fall-back day: 20:00 is CET again
  });

  it('uses the UTC calendar day of the instant it is given', () => {
    const paris = schedule('20 Europe/Paris');
    expect(utcHourOn(paris, '2025-03-29T23:59:59Z')).toBe(19);
    expect(utcHourOn(paris, '2025-03-30T00:00:00+02:00')).toBe(19); // that is 29 March 22:00 UTC
  });

  it('an hour skipped by spring forward runs at the next valid instant', () => {
    // 02:00 does not exist in Paris on 30 March: the clocks jump to 03:00 CEST, 01:00 UTC.
    expect(utcHourOn(schedule('2 Europe/Paris'), '2025-03-29T00:00:00Z')).toBe(1);
    expect(utcHourOn(schedule('2 Europe/Paris'), '2025-03-30T00:00:00Z')).toBe(1);
    expect(utcHourOn(schedule('2 Europe/Paris'), '2025-03-31T00:00:00Z')).toBe(0);
    // 02:00 does not exist in New York on 9 March: 03:00 EDT, 07:00 UTC.
    expect(utcHourOn(schedule('2 America/New_York'), '2025-03-08T00:00:00Z')).toBe(7);
    expect(utcHourOn(schedule('2 America/New_York'), '2025-03-09T00:00:00Z')).toBe(7);
    expect(utcHourOn(schedule('2 America/New_York'), '2025-03-10T00:00:00Z')).toBe(6);
  });

  it('an hour repeated by fall back runs at its first occurrence', () => {
    // 02:00 happens twice in Paris on 26 October: 00:00 UTC (CEST), then 01:00 UTC (CET).
    expect(utcHourOn(schedule('2 Europe/Paris'), '2025-10-25T00:00:00Z')).toBe(0);
    expect(utcHourOn(schedule('2 Europe/Paris'), '2025-10-26T00:00:00Z')).toBe(0);
    expect(utcHourOn(schedule('2 Europe/Paris'), '2025-10-27T00:00:00Z')).toBe(1);
    // 01:00 happens twice in New York on 2 November: 05:00 UTC (EDT), then 06:00 UTC (EST).
    expect(utcHourOn(schedule('1 America/New_York'), '2025-11-01T00:00:00Z')).toBe(5);
    expect(utcHourOn(schedule('1 America/New_York'), '2025-11-02T00:00:00Z')).toBe(5);
    expect(utcHourOn(schedule('1 America/New_York'), '2025-11-03T00:00:00Z')).toBe(6);
  });

  it('America/New_York evenings run on the next UTC day, both sides of DST', () => {
    const evening = schedule('20 America/New_York');
    expect(utcHourOn(evening, '2025-01-15T00:00:00Z')).toBe(1); // 20:00 EST = 01:00 UTC the 16th
    expect(utcHourOn(evening, '2025-03-08T00:00:00Z')).toBe(1);
    expect(utcHourOn(evening, '2025-03-09T00:00:00Z')).toBe(0); // 20:00 EDT = 00:00 UTC the 10th
    expect(utcHourOn(evening, '2025-07-15T00:00:00Z')).toBe(0);
    expect(utcHourOn(evening, '2025-11-01T00:00:00Z')).toBe(0);
    expect(utcHourOn(evening, '2025-11-02T00:00:00Z')).toBe(1);
  });
});

describe('utcHoursOverYear', () => {
  it.each<[unknown, number, number[]]>([
    ['20 Europe/Paris', 2025, [18, 19]],
    ['3', 2025, [3]],
    [3, 2024, [3]],
    ['0 UTC', 2025, [0]],
    ['2 Europe/Paris', 2025, [0, 1]],
    ['0 Europe/Paris', 2025, [22, 23]],
    ['20 America/New_York', 2025, [0, 1]],
    ['1 America/New_York', 2025, [5, 6]],
    ['2 America/New_York', 2025, [6, 7]],
  ])('%j over %i is %j', (input, year, hours) => {
    expect(utcHoursOverYear(schedule(input), year)).toEqual(hours);
  });
});

describe('nextRunAfter', () => {
  it('is strictly after the given instant, across midnight', () => {
    const three = schedule(3);
    expect(nextRunAfter(three, '2025-01-15T02:59:59Z')).toBe('2025-01-15T03:00:00.000Z');
    expect(nextRunAfter(three, '2025-01-15T03:00:00Z')).toBe('2025-01-16T03:00:00.000Z');
    expect(nextRunAfter(three, '2025-01-15T23:30:00Z')).toBe('2025-01-16T03:00:00.000Z');
    expect(nextRunAfter(schedule('0 UTC'), '2025-12-31T23:30:00Z')).toBe('2026-01-01T00:00:00.000Z');
  });

  it('follows a zone whose run falls on the next UTC day', () => {
    expect(nextRunAfter(schedule('20 America/New_York'), '2025-01-15T12:00:00Z')).toBe('2025-01-16T01:00:00.000Z');
    expect(nextRunAfter(schedule('20 America/New_York'), '2025-01-16T00:59:59Z')).toBe('2025-01-16T01:00:00.000Z');
    expect(nextRunAfter(schedule('20 America/New_York'), '2025-01-16T01:00:00Z')).toBe('2025-01-17T01:00:00.000Z');
  });

  it('moves with a DST change: 23 hours apart in spring, 25 in autumn', () => {
    const paris = schedule('20 Europe/Paris');
    expect(nextRunAfter(paris, '2025-03-29T19:00:00Z')).toBe('2025-03-30T18:00:00.000Z');
    expect(nextRunAfter(paris, '2025-10-25T18:00:00Z')).toBe('2025-10-26T19:00:00.000Z');
    const newYork = schedule('20 America/New_York');
    expect(nextRunAfter(newYork, '2025-03-09T01:00:00Z')).toBe('2025-03-10T00:00:00.000Z');
    expect(nextRunAfter(newYork, '2025-11-02T00:00:00Z')).toBe('2025-11-03T01:00:00.000Z');
  });

  it('runs a skipped hour when the clocks jump, and a repeated hour once', () => {
    const two = schedule('2 Europe/Paris');
    expect(nextRunAfter(two, '2025-03-29T23:00:00Z')).toBe('2025-03-30T01:00:00.000Z');
    expect(nextRunAfter(two, '2025-03-30T01:00:00Z')).toBe('2025-03-31T00:00:00.000Z');
    expect(nextRunAfter(two, '2025-10-25T23:00:00Z')).toBe('2025-10-26T00:00:00.000Z');
    // Not 01:00 UTC, the second 02:00 of the same local day.
    expect(nextRunAfter(two, '2025-10-26T00:00:00Z')).toBe('2025-10-27T01:00:00.000Z');
    expect(nextRunAfter(schedule('2 America/New_York'), '2025-03-09T00:00:00Z')).toBe('2025-03-09T07:00:00.000Z');
    expect(nextRunAfter(schedule('1 America/New_York'), '2025-11-02T05:00:00Z')).toBe('2025-11-03T06:00:00.000Z');
  });

  it('throws a plain Error on an unparseable instant (a programming error)', () => {
    expect(() => nextRunAfter(schedule(3), 'yesterday')).toThrow(Error);
    expect(() => nextRunAfter(schedule(3), 'yesterday')).not.toThrow(DomainError);
  });
});

describe('describeSchedule', () => {
  it('gives the hours of the next run in UTC and in the zone', () => {
    expect(describeSchedule(schedule('20 Europe/Paris'), '2025-01-15T10:00:00Z')).toEqual({
      hourUtc: 19,
      hourLocal: 20,
      timezone: 'Europe/Paris',
    });
    expect(describeSchedule(schedule('20 Europe/Paris'), '2025-07-15T10:00:00Z')).toEqual({
      hourUtc: 18,
      hourLocal: 20,
      timezone: 'Europe/Paris',
    });
    expect(describeSchedule(schedule('4:00 UTC'), '2025-07-15T10:00:00Z')).toEqual({
      hourUtc: 4,
      hourLocal: 4,
      timezone: 'UTC',
    });
  });

  it('after the last winter run, describes the first summer one', () => {
    expect(describeSchedule(schedule('20 Europe/Paris'), '2025-03-29T20:00:00Z')).toEqual({
      hourUtc: 18,
      hourLocal: 20,
      timezone: 'Europe/Paris',
    });
  });

  it('says when a skipped hour runs at the next valid local hour', () => {
    expect(describeSchedule(schedule('2 Europe/Paris'), '2025-03-29T23:00:00Z')).toEqual({
      hourUtc: 1,
      hourLocal: 3,
      timezone: 'Europe/Paris',
    });
  });
});
