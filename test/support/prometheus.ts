/** One sample of the Prometheus text format: `name{label="value",…} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape, parsed: its samples, and the HELP and TYPE lines by metric name. */
export interface Scrape {
  samples: Sample[];
  help: Map<string, string>;
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

/**
 * Parses the Prometheus text exposition format (0.0.4) strictly: a line that is neither
 * a comment nor a well-formed sample throws, so a test fails on a malformed scrape.
 */
export function parsePrometheus(text: string): Scrape {
  const scrape: Scrape = { samples: [], help: new Map(), types: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      (comment[1] === 'HELP' ? scrape.help : scrape.types).set(comment[2], comment[3]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`Not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    if (match[2]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let m = LABEL.exec(match[2]); m; m = LABEL.exec(match[2])) {
        labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = LABEL.lastIndex;
      }
      if (consumed !== match[2].length) throw new Error(`Malformed labels: ${line}`);
    }
    const value = numberOf(match[3]);
    if (value === undefined) throw new Error(`Not a number: ${line}`);
    scrape.samples.push({ name: match[1], labels, value });
  }
  return scrape;
}

/** A sample's value as Prometheus reads it (Go's ParseFloat: `NaN`, `+Inf`, `-Inf` in any case). */
function numberOf(text: string): number | undefined {
  const special: Record<string, number> = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity };
  if (text.toLowerCase() in special) return special[text.toLowerCase()];
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/**
 * The value of the one sample of `name` with exactly `labels`; undefined when there is
 * none (a counter never incremented has no series). Throws on a duplicate series.
 */
export function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const keys = Object.keys(labels).sort().join(',');
  const found = samplesOf(scrape, name, labels).filter((s) => Object.keys(s.labels).sort().join(',') === keys);
  if (found.length > 1) throw new Error(`${found.length} series ${name}${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** How much a counter moved between two scrapes (a series absent before counts from 0). */
export function delta(before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}): number {
  return (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
}
