import type { EntityManager } from 'typeorm';
import { CLASS_POLICIES, findPlan } from '../../src/catalogue/domain/catalogue';
import { nextMonth } from './availability.projection';

export interface MonthlyAvailability {
  month: string;
  downtime_minutes: number;
  incidents: number;
  /** Null on a class without an SLA (Sandbox). */
  sla_percent: number | null;
  budget_minutes: number | null;
  availability_percent: number;
  status: 'met' | 'breached' | 'no-sla';
  /** Whether the month is still under way (the figures can still grow). */
  partial: boolean;
}

/**
 * An add-on's availability in a calendar month (UTC): its unplanned downtime (an outage
 * under way counts up to `now`) against the downtime budget of its class's SLA. Null when
 * the read model does not know the add-on.
 */
export async function monthlyAvailability(
  db: EntityManager,
  tables: { availability: string; addons: string },
  addonId: string,
  month: string,
  now: Date,
): Promise<MonthlyAvailability | null> {
  const [addon]: Array<{ plan_id: string; down_since: string | null }> = await db.query(
    `SELECT plan_id, down_since FROM ${tables.addons} WHERE addon_id = ?`,
    [addonId],
  );
  if (!addon) return null;
  const [row]: Array<{ downtime_seconds: number; incidents: number }> = await db.query(
    `SELECT downtime_seconds, incidents FROM ${tables.availability} WHERE addon_id = ? AND month = ?`,
    [addonId, month],
  );
  const start = Date.parse(`${month}-01T00:00:00.000Z`);
  const end = nextMonth(start);
  let seconds = row?.downtime_seconds ?? 0;
  let incidents = row?.incidents ?? 0;
  if (addon.down_since !== null) {
    const from = Math.max(start, Date.parse(addon.down_since));
    const to = Math.min(end, now.getTime());
    if (to > from) seconds += (to - from) / 1000;
    if (addon.down_since.slice(0, 7) === month) incidents++;
  }
  const sla = CLASS_POLICIES[findPlan(addon.plan_id)!.class].slaPercent;
  const monthMinutes = (end - start) / 60_000;
  const downtime = round(seconds / 60);
  const budget = sla === null ? null : round(((100 - sla) / 100) * monthMinutes);
  return {
    month,
    downtime_minutes: downtime,
    incidents,
    sla_percent: sla,
    budget_minutes: budget,
    availability_percent: round(100 * (1 - seconds / 60 / monthMinutes), 4),
    status: budget === null ? 'no-sla' : downtime > budget ? 'breached' : 'met',
    partial: now.getTime() < end,
  };
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
