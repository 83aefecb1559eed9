/**
 * `npm run bench`: every benchmark in turn, each in a process of its own (store,
 * projections, rest, load, memory), then bench/results/summary.md: one table per bench,
 * each figure beside its ceiling and the ratio, with the machine they ran on. Prints it.
 *
 * `npm run bench -- rest load` runs only those (the summary still shows the others' last
 * results); `npm run bench -- --summary` only rewrites the summary. BENCH_QUICK=1 runs
 * every bench small and short (and says so in the summary); each bench's own variables
 * (BENCH_SECONDS, BENCH_EVENTS, BENCH_EVENTS_MEMORY…) still apply.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine, Machine, QUICK, RESULTS_DIR, round } from './bench-kit';

const BENCHES = ['store', 'projections', 'rest', 'load', 'memory'] as const;
type Bench = (typeof BENCHES)[number];

/** What BENCH_QUICK=1 changes in the benches that predate it. */
const QUICK_ENV: Record<string, string> = { BENCH_SCALE: '0.3', BENCH_EVENTS: '20000' };

interface RunRecord {
  bench: Bench;
  seconds: number;
  loadBefore: number;
  /** The share of the machine's CPU time other processes took while it ran (Linux only), 0 to 1. */
  othersShare: number | null;
  ok: boolean;
}

/** CPU seconds the whole machine was busy, and those of this process and its waited-for children (Linux /proc). */
function cpuTimes(): { machine: number; ours: number } | null {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    const self = readFileSync('/proc/self/stat', 'utf8');
    const [utime, stime, cutime, cstime] = self.slice(self.lastIndexOf(')') + 2).split(' ').slice(11, 15).map(Number);
    const tick = 100; // USER_HZ
    return { machine: (user + nice + system + irq + softirq + (steal ?? 0)) / tick, ours: (utime + stime + cutime + cstime) / tick };
  } catch {
    return null;
  }
}

function run(bench: Bench): RunRecord {
  const loadBefore = round(loadavg()[0]);
  console.log(`\n=== ${bench} (load average ${loadBefore}) ===`);
  const started = performance.now();
  const before = cpuTimes();
  const env = { ...process.env, ...(QUICK ? Object.fromEntries(Object.entries(QUICK_ENV).filter(([k]) => process.env[k] === undefined)) : {}) };
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, `${bench}.bench.ts`)], {
    stdio: 'inherit',
    env,
  });
  const wall = (performance.now() - started) / 1000;
  const after = cpuTimes();
  const othersShare =
    before && after ? round(Math.max(0, after.machine - before.machine - (after.ours - before.ours)) / (wall * cpus().length)) : null;
  const seconds = round(wall, 1);
  const ok = result.status === 0;
  console.log(
    `=== ${bench}: ${ok ? 'done' : `FAILED (${result.status ?? result.signal})`} in ${seconds} s` +
      `${othersShare === null ? '' : `; other processes took ${Math.round(othersShare * 100)}% of the CPU meanwhile`} ===`,
  );
  return { bench, seconds, loadBefore, othersShare, ok };
}

// ----- the summary -----

type Json = Record<string, any>;

function read(bench: Bench): Json | null {
  const file = join(RESULTS_DIR, `${bench}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Json) : null;
}

const fmt = (n: number | undefined | null, digits = 2): string => {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  const rounded = Math.abs(n) >= 100 ? Math.round(n) : round(n, digits);
  return rounded.toLocaleString('en-US', { maximumFractionDigits: digits });
};
const ratio = (a: number, b: number) => (b > 0 ? fmt(a / b) : '—');

type Row = [figure: string, measured: number | string, ceiling: number | string, ratio: string];

function table(rows: Row[]): string {
  const cell = (v: number | string) => (typeof v === 'number' ? fmt(v) : v);
  return ['| figure | measured | ceiling | ratio |', '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function when(result: Json, record?: RunRecord): string {
  const parts = [`ran ${String(result.date).slice(0, 16).replace('T', ' ')} UTC`];
  const load = record?.loadBefore ?? result.machine?.loadAverage1m;
  if (load !== undefined) parts.push(`load average ${load} at its start (the bench before it included)`);
  const others = record?.othersShare;
  if (others !== undefined && others !== null) parts.push(`other processes took ${Math.round(others * 100)}% of the CPU while it ran`);
  if (result.settings?.quick || (result.settings?.events !== undefined && result.benchmark === 'projections' && result.settings.events < 100_000)) {
    parts.push('**quick run (reduced sizes)**');
  }
  if (result.benchmark === 'store' && result.settings?.scale !== 1) parts.push(`**scale ${result.settings?.scale}**`);
  return parts.join(', ');
}

function storeSection(r: Json): string[] {
  const rows: Row[] = Object.values(r.scenarios as Record<string, Json>).map((s) => [
    `${s.name}: appends/s`,
    s.store.appendsPerSecond,
    s.ceiling.appendsPerSecond,
    fmt(s.ratio),
  ]);
  return [
    `Ceiling: the same rows with plain sqlite3 INSERTs, one commit per append, same schema, WAL and synchronous=${r.settings.synchronous}. Ratio: store/ceiling (above 1: group commit).`,
    '',
    table(rows),
  ];
}

function projectionsSection(r: Json): string[] {
  const c = r.ceiling.eventsPerSecond;
  const q = r.queries;
  const rows: Row[] = [
    ['rebuild backups: events/s', r.rebuild.backups.eventsPerSecond, c, ratio(r.rebuild.backups.eventsPerSecond, c)],
    ['rebuild audit: events/s', r.rebuild.audit.eventsPerSecond, c, ratio(r.rebuild.audit.eventsPerSecond, c)],
    ['rebuild both at once: events/s', r.rebuild.together.eventsPerSecond, c, ratio(r.rebuild.together.eventsPerSecond, c)],
    ['backup list p50 ms, while backups v2 rebuilds', r.duringRebuild.p50Ms, q.backupList.p50Ms, ratio(r.duringRebuild.p50Ms, q.backupList.p50Ms)],
    ['backup list p99 ms, while backups v2 rebuilds', r.duringRebuild.p99Ms, q.backupList.p99Ms, ratio(r.duringRebuild.p99Ms, q.backupList.p99Ms)],
    ['backup list of an add-on p50 / p99 ms', `${fmt(q.backupList.p50Ms)} / ${fmt(q.backupList.p99Ms)}`, '—', '—'],
    ['audit by app, 100 entries p50 / p99 ms', `${fmt(q.auditByApp.p50Ms)} / ${fmt(q.auditByApp.p99Ms)}`, '—', '—'],
    ['audit by add-on, 100 entries p50 / p99 ms', `${fmt(q.auditByAddon.p50Ms)} / ${fmt(q.auditByAddon.p99Ms)}`, '—', '—'],
  ];
  return [
    `${fmt(r.settings.events, 0)} events. Ceiling: a paged readAll of the same log as the runners read it (${fmt(c, 0)} events/s); for queries during a rebuild, the same query on an idle read store. Ratio: measured/ceiling.`,
    '',
    table(rows),
  ];
}

function restSection(r: Json): string[] {
  const rows: Row[] = [];
  for (const [name, { runs }] of Object.entries(r.commands as Record<string, Json>)) {
    for (const p of runs as Json[]) {
      rows.push([`${name}, ${p.connections} conn: req/s`, p.command.requestsPerSecond, p.bare.requestsPerSecond, fmt(p.ratio)]);
      rows.push([`${name}, ${p.connections} conn: p50 ms`, p.command.p50Ms, p.bare.p50Ms, ratio(p.command.p50Ms, p.bare.p50Ms)]);
      rows.push([`${name}, ${p.connections} conn: p99 ms`, p.command.p99Ms, p.bare.p99Ms, ratio(p.command.p99Ms, p.bare.p99Ms)]);
    }
  }
  const what = Object.entries(r.commands as Record<string, Json>).map(([name, c]) => `\`${name}\`: ${c.what}`).join('; ');
  return [
    `${r.settings.seconds} s per run, autocannon in a child process. ${what}; each connection on its own add-on, every request appends one event (synchronous=${r.settings.synchronous}). Ceiling: the same route shape, body, validation and roles on a no-op bench controller (same pipeline). Ratio: command/bare.`,
    '',
    table(rows),
  ];
}

function loadSection(r: Json): string[] {
  const rows: Row[] = [];
  for (const row of r.rows as Json[]) {
    const n = fmt(row.events, 0);
    rows.push([`${n} events: cold load p50 ms`, row.coldLoad.p50Ms, row.ceiling.p50Ms, fmt(row.ratio)]);
    rows.push([`${n} events: cold load p99 ms`, row.coldLoad.p99Ms, row.ceiling.p99Ms, ratio(row.coldLoad.p99Ms, row.ceiling.p99Ms)]);
    if (row.firstColdLoad) rows.push([`${n} events: first load ever (no snapshot yet) ms`, row.firstColdLoad.ms, row.ceiling.p50Ms, fmt(row.firstColdLoad.ratio)]);
  }
  const last = (r.rows as Json[])[(r.rows as Json[]).length - 1];
  const seen = (r.rows as Json[]).filter((row) => row.snapshotPathSeen).map((row) => fmt(row.events, 0));
  return [
    'CommandExecutor.load on a fresh executor (nothing cached, its snapshot store the app\'s). Ceiling: readStream of the whole stream from the same store. Ratio: load/ceiling (below 1: a snapshot answered, only the events after it were read).' +
      (seen.length > 0 ? ` Snapshot path taken for ${seen.join(', ')} events.` : '') +
      (r.needsSnapshots
        ? ` **${fmt(last.events, 0)} events take ${fmt(last.coldLoad.p50Ms)} ms: above ${r.settings.snapshotBudgetMs} ms.**`
        : ` The first load ever of a stream folds it all (${fmt(last.firstColdLoad?.ms)} ms for ${fmt(last.events, 0)} events) and leaves a snapshot behind.`),
    '',
    table(rows),
  ];
}

function memorySection(r: Json): string[] {
  const f = r.figures;
  const rows: Row[] = [
    ['RSS MB, caught up', f.rssCaughtUp.full, f.rssCaughtUp.empty, ratio(f.rssCaughtUp.full, f.rssCaughtUp.empty)],
    ['heap used MB, caught up', f.heapCaughtUp.full, f.heapCaughtUp.empty, ratio(f.heapCaughtUp.full, f.heapCaughtUp.empty)],
    ['RSS MB, after reading every app and add-on', f.rssAfterReads.full, f.rssAfterReads.empty, ratio(f.rssAfterReads.full, f.rssAfterReads.empty)],
    ['heap used MB, after those reads', f.heapAfterReads.full, f.heapAfterReads.empty, ratio(f.heapAfterReads.full, f.heapAfterReads.empty)],
    ['RSS MB, after the histories too', f.rssAfterHistories.full, f.rssAfterHistories.empty, ratio(f.rssAfterHistories.full, f.rssAfterHistories.empty)],
    ['heap used MB, after the histories too', f.heapAfterHistories.full, f.heapAfterHistories.empty, ratio(f.heapAfterHistories.full, f.heapAfterHistories.empty)],
    ['peak RSS MB (start, catch-up, queries)', f.peakRss.full, f.peakRss.empty, ratio(f.peakRss.full, f.peakRss.empty)],
    ['read models caught up, s after start', r.catchUpSeconds, '—', '—'],
  ];
  return [
    `${fmt(r.settings.events, 0)} events (${r.log.apps} apps, ${r.log.addons} add-ons). Ceiling: the same app on an empty store, same run, same queries (${fmt(r.full.reads.requests, 0)} reads of every app and add-on, then ${fmt(r.full.histories.requests, 0)} add-on histories). After two forced GCs. Ratio: full/empty.`,
    '',
    table(rows),
  ];
}

const SECTIONS: Record<Bench, { title: string; render: (r: Json) => string[] }> = {
  store: { title: 'Event store (`bench:store`)', render: storeSection },
  projections: { title: 'Projections (`bench:projections`)', render: projectionsSection },
  rest: { title: 'REST commands (`bench:rest`)', render: restSection },
  load: { title: 'Loading an add-on (`bench:load`)', render: loadSection },
  memory: { title: 'Memory (`bench:memory`)', render: memorySection },
};

function summary(host: Machine, records: RunRecord[]): string {
  const lines = [
    '# Benchmark summary',
    '',
    `Machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGb} GB, Node ${host.node}, SQLite ${host.sqlite}.`,
    '',
  ];
  for (const bench of BENCHES) {
    const result = read(bench);
    const record = records.find((r) => r.bench === bench);
    lines.push(`## ${SECTIONS[bench].title}`, '');
    if (record && !record.ok) lines.push(`**Its last run failed**; the figures below are from the one before.`, '');
    if (!result) {
      lines.push('No results yet.', '');
      continue;
    }
    lines.push(`_${when(result, record)}._`, '', ...SECTIONS[bench].render(result), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlySummary = args.includes('--summary');
  const chosen = args.filter((a) => !a.startsWith('--'));
  for (const name of chosen) if (!(BENCHES as readonly string[]).includes(name)) throw new Error(`No bench named ${name}; one of ${BENCHES.join(', ')}`);
  const records: RunRecord[] = [];
  const started = performance.now();
  if (!onlySummary) for (const bench of BENCHES) if (chosen.length === 0 || chosen.includes(bench)) records.push(run(bench));
  // How each bench's last run went (kept across partial runs, for the summary's provenance).
  const runsFile = join(RESULTS_DIR, 'runs.json');
  const last: Record<string, RunRecord & { date: string }> = existsSync(runsFile) ? JSON.parse(readFileSync(runsFile, 'utf8')) : {};
  for (const record of records) last[record.bench] = { ...record, date: new Date().toISOString() };
  if (records.length > 0) writeFileSync(runsFile, `${JSON.stringify(last, null, 2)}\n`);
  const text = summary(await machine(), Object.values(last));
  writeFileSync(join(RESULTS_DIR, 'summary.md'), text);
  console.log(`\n${text}`);
  if (records.length > 0) {
    console.log(`Ran ${records.map((r) => `${r.bench} ${r.seconds} s`).join(', ')}: ${round((performance.now() - started) / 60_000, 1)} min in all.`);
  }
  console.log(`Wrote ${join(RESULTS_DIR, 'summary.md')}`);
  if (records.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
