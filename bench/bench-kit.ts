/**
 * What the benches added for production readiness share: the machine they ran on, how
 * quick a run is, percentiles, and where results go (bench/results/<name>.json).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { SqliteConnection } from '../src/event-store/sqlite/sqlite-connection';

/** `BENCH_QUICK=1`: small sizes and short runs, to try the benches out (figures not to be quoted). */
export const QUICK = process.env.BENCH_QUICK === '1';

export const RESULTS_DIR = join(__dirname, 'results');

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  sqlite: string;
  /** 1-minute load average when the bench started: above ~0.5 on 2 cores, other work shared the machine. */
  loadAverage1m: number;
}

export async function machine(): Promise<Machine> {
  const db = await SqliteConnection.open(':memory:');
  const row = await db.get<{ v: string }>('SELECT sqlite_version() AS v');
  await db.close();
  return {
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    sqlite: row?.v ?? 'unknown',
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** A positive integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

export const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** The `p`-th percentile (0-100) of `values` (nearest rank); sorts a copy. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const mb = (bytes: number) => round(bytes / 2 ** 20, 1);

/** Writes bench/results/<name>.json; answers its path. */
export function writeResult(name: string, result: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The secrets a bench app starts with: never the ones of a real deployment. */
export function benchSecrets() {
  return { ADMIN_TOKEN: `bench-admin-${randomBytes(16).toString('hex')}`, MASTER_KEY: randomBytes(32).toString('base64') };
}
