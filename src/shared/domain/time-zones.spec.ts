import { isKnownZone, localDate } from './time-zones';

describe('time zones', () => {
  it('knows IANA names and UTC, and not made-up or empty ones, asked once or many times', () => {
    for (let i = 0; i < 3; i++) {
      expect(['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'].map(isKnownZone)).toEqual([true, true, true, true]);
      expect(['Mars/Olympus_Mons', '', 'Europe/Pariss'].map(isKnownZone)).toEqual([false, false, false]);
    }
  });

  it('gives the calendar day of an instant in the zone, on either side of midnight', () => {
    expect(localDate('2025-01-15T23:30:00.000Z', 'UTC')).toBe('2025-01-15');
    expect(localDate('2025-01-15T23:30:00.000Z', 'Asia/Tokyo')).toBe('2025-01-16');
    expect(localDate('2025-01-16T01:00:00.000Z', 'America/New_York')).toBe('2025-01-15');
    // The same zone again (its format is kept): the same answers.
    expect(localDate(Date.parse('2025-01-15T23:30:00.000Z'), 'Asia/Tokyo')).toBe('2025-01-16');
  });

  it('refuses a zone it does not know', () => {
    expect(() => localDate('2025-01-15T00:00:00.000Z', 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
