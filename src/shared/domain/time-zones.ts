import { IANAZone } from 'luxon';

/**
 * Time zones, checked and formatted without a new `Intl.DateTimeFormat` each time. Each
 * one costs about 60 µs and some 25 kB of native (ICU) memory that the process never gives
 * back, and `IANAZone.isValidZone` makes one per call: a history of a few thousand steps
 * (each showing its backup schedule's UTC hour) grew the process by hundreds of megabytes.
 */

/** Zones found valid. Only valid names are kept: they are a few hundred, unlike what callers may send. */
const valid = new Set<string>();

/** Whether the zone database knows `name` (an IANA name such as Europe/Paris, or UTC). */
export function isKnownZone(name: string): boolean {
  if (valid.has(name)) return true;
  if (!IANAZone.isValidZone(name)) return false;
  valid.add(name);
  return true;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of an instant in a known zone, `yyyy-mm-dd`. */
export function localDate(instant: string | number, timezone: string): string {
  let format = dayFormats.get(timezone);
  if (!format) {
    if (!isKnownZone(timezone)) throw new RangeError(`Unknown time zone: ${timezone.slice(0, 64)}`);
    format = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timezone, format);
  }
  return format.format(new Date(instant));
}
