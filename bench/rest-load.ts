/**
 * The load generator of bench/rest.bench.ts, in a process of its own so that it does not
 * share the app's event loop: receives one `LoadRun` over IPC, drives it with autocannon,
 * answers a `LoadResult`, and waits for the next (exits when the parent disconnects).
 *
 * Each connection keeps to its own path (its own add-on), and sends the requests given in
 * turn: e.g. a command and its opposite, so that every one changes something.
 */
import autocannon from 'autocannon';
import { percentile, round } from './bench-kit';

export interface LoadRun {
  url: string;
  connections: number;
  seconds: number;
  /** One per connection (connection i takes prefixes[i % prefixes.length]), e.g. an add-on's path. */
  prefixes: string[];
  /** Sent in turn by every connection, each to its prefix + `suffix`. */
  requests: Array<{ method: 'PUT' | 'POST' | 'DELETE' | 'GET'; suffix: string; body?: string }>;
  headers: Record<string, string>;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  failures: string[];
}

async function run(load: LoadRun): Promise<LoadResult> {
  let next = 0;
  /** The first few answers that were not 2xx, to say why. */
  const failures: string[] = [];
  const durations: number[] = [];
  const result = await autocannon({
    url: load.url,
    connections: load.connections,
    duration: load.seconds,
    pipelining: 1,
    // Each client (one connection) is given its own prefix once, when it is created.
    setupClient: (client) => {
      // autocannon's own histogram keeps whole milliseconds: keep each duration as measured.
      client.on('response', (_status: number, _bytes: number, duration: number) => durations.push(duration));
      const prefix = load.prefixes[next++ % load.prefixes.length];
      client.setRequests(
        load.requests.map(({ method, suffix, body }) => ({
          method,
          path: `${prefix}${suffix}`,
          headers: body === undefined ? load.headers : { ...load.headers, 'content-type': 'application/json' },
          ...(body !== undefined && { body }),
          onResponse: (status: number, answer: string) => {
            if ((status < 200 || status > 299) && failures.length < 5) failures.push(`${status} ${answer.slice(0, 300)}`);
          },
        })),
      );
    },
  });
  const ok = result['2xx'];
  return {
    connections: load.connections,
    seconds: result.duration,
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: Math.round(ok / result.duration),
    p50Ms: round(percentile(durations, 50)),
    p90Ms: round(percentile(durations, 90)),
    p99Ms: round(percentile(durations, 99)),
    maxMs: round(percentile(durations, 100)),
    failures,
  };
}

process.on('message', (load: LoadRun) => {
  run(load).then(
    (result) => process.send!({ result }),
    (error: unknown) => process.send!({ error: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
