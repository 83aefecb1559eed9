import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ReadModels } from '../../projections/read-models';
import { PlatformRuntime, RuntimeStatus } from '../platform/runtime/platform-runtime';
import { WebhookOutbox } from '../webhooks/delivery/webhook-outbox';
import { METRIC_PREFIX, PlatformMetrics } from './platform-metrics';

type Overview = Awaited<ReturnType<ReadModels['overview']>>;
type DeliveryCounts = Awaited<ReturnType<WebhookOutbox['counts']>>;

/** What one scrape reads: each source once, null when it does not answer. */
interface Snapshot {
  runtime: RuntimeStatus | null;
  readModels: Overview | null;
  webhooks: DeliveryCounts | null;
}

const SOURCES = ['runtime', 'read_models', 'webhooks'] as const;

/**
 * The gauges read at scrape time: projection lag and parking, the sagas' backlog and lag,
 * webhook deliveries. Each source is read once per scrape, shared by its gauges; a source
 * that fails leaves its gauges without a sample and `db_addons_metrics_source_up` at 0,
 * and the scrape still answers.
 */
@Injectable()
export class ScrapeMetrics {
  private pending: Promise<Snapshot> | undefined;

  constructor(
    metrics: PlatformMetrics,
    private readonly runtime: PlatformRuntime,
    private readonly readModels: ReadModels,
    private readonly outbox: WebhookOutbox,
  ) {
    const registers = [metrics.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>, s: Snapshot) => void) => {
      const read = this.snapshot.bind(this);
      return new Gauge<L>({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames,
        registers,
        async collect() {
          const snapshot = await read();
          this.reset();
          fill(this, snapshot);
        },
      });
    };

    gauge('metrics_source_up', 'Whether a source of the gauges below answered this scrape (1) or not (0): runtime, read_models, webhooks', ['source'], (g, s) => {
      const answered = { runtime: s.runtime, read_models: s.readModels, webhooks: s.webhooks };
      for (const source of SOURCES) g.set({ source }, answered[source] === null ? 0 : 1);
    });
    gauge('projection_lag_positions', 'Positions from a projection version\'s checkpoint to the log\'s head', ['projection', 'version'], (g, s) => {
      for (const p of s.readModels?.projections ?? []) if (p.lag !== null) g.set({ projection: p.name, version: String(p.version) }, Number(p.lag));
    });
    gauge('projection_parked', 'Whether a projection version is parked on an event it cannot apply (1) or not (0)', ['projection', 'version'], (g, s) => {
      for (const p of s.readModels?.projections ?? []) g.set({ projection: p.name, version: String(p.version) }, p.parked ? 1 : 0);
    });
    gauge('saga_backlog', 'Platform runtime jobs of this DATA_DIR: pending (waiting or due later), running (in this process), dead (parked after their last attempt)', ['state'], (g, s) => {
      if (!s.runtime) return;
      g.set({ state: 'pending' }, s.runtime.pendingJobs);
      g.set({ state: 'running' }, s.runtime.running);
      g.set({ state: 'dead' }, s.runtime.deadJobs);
    });
    gauge('saga_lag_positions', 'Positions from the sagas\' checkpoint to the last event of the streams they follow', [], (g, s) => {
      if (s.runtime?.sagasLag != null) g.set(Number(s.runtime.sagasLag));
      else g.remove({});
    });
    gauge('saga_parked', 'Whether the sagas are parked on an event they cannot handle (1) or not (0)', [], (g, s) => {
      if (s.runtime) g.set(s.runtime.sagasParkedAt === null ? 0 : 1);
      else g.remove({});
    });
    gauge('webhook_deliveries', 'Webhook deliveries in the outbox of this DATA_DIR, by state (pending, delivered, dead, cancelled)', ['state'], (g, s) => {
      for (const [state, count] of Object.entries(s.webhooks ?? {})) g.set({ state }, count);
    });
  }

  /** The sources, read once for all the gauges of one scrape (their collects start together). */
  private snapshot(): Promise<Snapshot> {
    this.pending ??= (async () => {
      const [runtime, readModels, webhooks] = await Promise.all([
        this.runtime.status().catch(() => null),
        this.readModels.overview().catch(() => null),
        this.outbox.counts().catch(() => null),
      ]);
      return { runtime, readModels, webhooks };
    })().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }
}
