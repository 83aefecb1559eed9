import type { EntityManager } from 'typeorm';

export interface AuditFilter {
  app?: string;
  addonId?: string;
  actor?: string;
  type?: string;
  /** ISO times, inclusive. */
  from?: string;
  to?: string;
  /** The cursor: entries strictly after this position. */
  after?: bigint;
  limit: number;
}

/** The filters of an audit query as sent (REST query string or GraphQL arguments), all optional. */
export interface AuditQuery {
  addon?: string;
  actor?: string;
  type?: string;
  from?: string;
  to?: string;
  after?: string;
  limit?: number;
}

const DEFAULT_LIMIT = 100;

/** The filter of a validated query, restricted to `app` when given. */
export function auditFilterOf(query: AuditQuery, app: string | undefined): AuditFilter {
  return {
    ...(app !== undefined && { app }),
    ...(query.addon !== undefined && { addonId: query.addon }),
    ...(query.actor !== undefined && { actor: query.actor }),
    ...(query.type !== undefined && { type: query.type }),
    ...(query.from !== undefined && { from: new Date(query.from).toISOString() }),
    ...(query.to !== undefined && { to: new Date(query.to).toISOString() }),
    ...(query.after !== undefined && { after: BigInt(query.after) }),
    limit: query.limit ?? DEFAULT_LIMIT,
  };
}

export interface AuditEntry {
  position: string;
  at: string;
  actor: string;
  action: string;
  app: string | null;
  addon_id: string | null;
  summary: string;
  correlation_id: string;
}

/** Audit entries in log order, filtered, a page at a time; `next_cursor` is the `after` of the next page. */
export async function listAudit(db: EntityManager, table: string, filter: AuditFilter): Promise<{ entries: AuditEntry[]; next_cursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    where.push(sql);
    params.push(value);
  };
  if (filter.app !== undefined) add('app = ?', filter.app);
  if (filter.addonId !== undefined) add('addon_id = ?', filter.addonId);
  if (filter.actor !== undefined) add('actor = ?', filter.actor);
  if (filter.type !== undefined) add('action = ?', filter.type);
  if (filter.from !== undefined) add('at >= ?', filter.from);
  if (filter.to !== undefined) add('at <= ?', filter.to);
  if (filter.after !== undefined) add('position > ?', filter.after.toString());
  const rows: Array<Omit<AuditEntry, 'position'> & { position: number | string }> = await db.query(
    `SELECT position, at, actor, action, app, addon_id, summary, correlation_id FROM ${table}
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY position LIMIT ?`,
    [...params, filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit).map((row) => ({ ...row, position: String(row.position) }));
  return { entries: page, next_cursor: rows.length > filter.limit ? page[page.length - 1].position : null };
}
