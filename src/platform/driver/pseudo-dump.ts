import { gzipSync } from 'node:zlib';
import type { DatabaseType } from '../../catalogue/domain/catalogue';
import { SeededRandom, seedOf } from './deterministic';

/** What a simulated dump is made of: the same inputs always give the same bytes. */
export interface DumpInput {
  addonId: string;
  resourceId: string;
  providerId: DatabaseType;
  version: string;
  backupId: string;
  name: string;
  createdAt: string;
}

/** Rows per dump: from a few KB to a few hundred KB of gzip. */
const MIN_ROWS = 60;
const MAX_ROWS = 6_000;

/**
 * The gzip of a pseudo-dump in the shape of the database's own dump format (SQL for
 * PostgreSQL and MySQL, JSON lines for the document stores, commands for Redis, line
 * protocol for InfluxDB). Deterministic: zlib's gzip writes no timestamp, so the same
 * input gives the same bytes, and so the same checksum, on every call.
 */
export function pseudoDumpArchive(input: DumpInput): Buffer {
  return gzipSync(Buffer.from(pseudoDump(input), 'utf8'), { level: 6 });
}

export function pseudoDump(input: DumpInput): string {
  const random = new SeededRandom(
    seedOf('dump', input.addonId, input.providerId, input.version, input.backupId, input.createdAt),
  );
  const rows = random.int(MIN_ROWS, MAX_ROWS);
  const header = [
    `-- ${input.name}: simulated ${input.providerId} ${input.version} dump`,
    `-- add-on ${input.addonId} (${input.resourceId}), backup ${input.backupId}, taken ${input.createdAt}`,
    `-- ${rows} rows`,
    '',
  ];
  const lines = header.concat(BODY[input.providerId](random, rows, input));
  return `${lines.join('\n')}\n`;
}

type Body = (random: SeededRandom, rows: number, input: DumpInput) => string[];

const EVENTS = ['signup', 'login', 'checkout', 'refund', 'logout', 'upgrade', 'invite'];
const at = (input: DumpInput, i: number) => new Date(Date.parse(input.createdAt) - i * 61_000).toISOString();

function repeat(rows: number, line: (i: number) => string): string[] {
  const out: string[] = [];
  for (let i = 1; i <= rows; i++) out.push(line(i));
  return out;
}

const sql = (quote: string): Body => (random, rows, input) => [
  `CREATE TABLE ${quote}events${quote} (id bigint PRIMARY KEY, kind text NOT NULL, payload text NOT NULL, created_at timestamp NOT NULL);`,
  ...repeat(
    rows,
    (i) =>
      `INSERT INTO ${quote}events${quote} VALUES (${i}, '${random.pick(EVENTS)}', '${random.hex(random.int(8, 40))}', '${at(input, i)}');`,
  ),
];

const documents: Body = (random, rows, input) =>
  repeat(rows, (i) =>
    JSON.stringify({ _id: random.hex(12), seq: i, kind: random.pick(EVENTS), payload: random.hex(random.int(8, 40)), at: at(input, i) }),
  );

const BODY: Readonly<Record<DatabaseType, Body>> = {
  postgresql: (random, rows, input) => ['SET client_encoding = \'UTF8\';', ...sql('"')(random, rows, input)],
  mysql: (random, rows, input) => ['SET NAMES utf8mb4;', ...sql('`')(random, rows, input)],
  mongodb: documents,
  elasticsearch: documents,
  opensearch: documents,
  redis: (random, rows) =>
    repeat(rows, (i) => `SET session:${i}:${random.hex(4)} ${random.hex(random.int(8, 40))} EX ${random.int(60, 86_400)}`),
  influxdb: (random, rows, input) =>
    repeat(
      rows,
      (i) =>
        `cpu,host=${input.resourceId}-db-${random.int(1, 3)} usage=${(random.next() * 100).toFixed(3)},load=${random.int(0, 64)}i ${Date.parse(at(input, i))}000000`,
    ),
};
