/** Small pure helpers over ISO-8601 instants (UTC). */

const DAY_MS = 86_400_000;

export function toMillis(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`Not an ISO-8601 instant: ${String(iso).slice(0, 40)}`);
  return ms;
}

export const addDays = (iso: string, days: number): string => new Date(toMillis(iso) + days * DAY_MS).toISOString();

/** Calendar months in UTC, the day of month clamped (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(iso: string, months: number): string {
  const date = new Date(toMillis(iso));
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.toISOString();
}

/** `yyyyMMddHHmmss` in UTC, as in backup names. */
export function compactUtc(iso: string): string {
  return new Date(toMillis(iso)).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
