/**
 * Upcasting: events are stored with the schema version they were written at and read as
 * the current one. An upcaster turns the data of version N into version N + 1; a registry
 * chains them from the stored version to the current one. Pure: no I/O, no clock.
 */

/** Event data as stored: a JSON object (typed by each step). */
export type EventData = object;

/**
 * Turns the data of an event stored at version N into version N + 1. Pure. Throws an
 * `UpcastError` (or any error, wrapped as one) when the data is not a valid version N.
 * Typed by the caller: `(v1: BackupTakenV1Data) => BackupTaken['data']`.
 */
// `never` as the parameter accepts a step taking any data type; the registry calls it with stored data.
export type Upcaster = (data: never) => object;

/** For each event type, its upcaster from each old version: `{ BackupTaken: { 1: v1ToV2 } }`. */
export type UpcasterSteps<T extends string> = { readonly [K in T]?: { readonly [fromVersion: number]: Upcaster } };

/** A stored event's data could not be read as the current version: a bug or a newer writer, never the caller's fault. */
export class UpcastError extends Error {
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    reason: string,
  ) {
    super(`Cannot read ${eventType} stored at schema version ${schemaVersion}: ${reason}`);
    this.name = 'UpcastError';
  }
}

/**
 * The upcasters of one family of events (an aggregate's), checked when built: every type
 * whose current version is N has a step from each version 1 … N-1, and no step is for a
 * version it does not have.
 */
export class Upcasters<T extends string = string> {
  private readonly current = new Map<string, number>();
  /** By type, the step from version v at index v. */
  private readonly chains = new Map<string, ReadonlyArray<Upcaster | undefined>>();

  constructor(currentVersions: Readonly<Record<T, number>>, steps: UpcasterSteps<T> = {}) {
    for (const [type, version] of Object.entries<number>(currentVersions)) {
      if (!Number.isInteger(version) || version < 1) throw new Error(`${type}: the current schema version must be an integer ≥ 1, not ${version}`);
      this.current.set(type, version);
    }
    for (const [type, byVersion] of Object.entries(steps) as Array<[string, Record<number, Upcaster> | undefined]>) {
      const current = this.current.get(type);
      if (current === undefined) throw new Error(`An upcaster for ${type}, which is not an event type of this registry`);
      const chain: Array<Upcaster | undefined> = [];
      for (const [from, step] of Object.entries(byVersion ?? {})) {
        const version = Number(from);
        if (!Number.isInteger(version) || version < 1 || version >= current) {
          throw new Error(`An upcaster for ${type} from version ${from}, which is not a version before the current one (${current})`);
        }
        chain[version] = step;
      }
      this.chains.set(type, chain);
    }
    for (const [type, current] of this.current) {
      for (let version = 1; version < current; version++) {
        if (!this.chains.get(type)?.[version]) throw new Error(`${type} is at schema version ${current} but has no upcaster from version ${version}`);
      }
    }
  }

  /** The version `type` is written at now, or undefined for a type this registry does not know. */
  currentVersion(type: string): number | undefined {
    return this.current.get(type);
  }

  /**
   * `data` stored at `version`, as the current version. A type this registry does not know
   * comes back unchanged; one already current too (the same object, no copy).
   * @throws UpcastError for a version newer than the current one (written by a newer build),
   * one that is not a version, or data a step cannot read.
   */
  upcast(type: string, version: number, data: EventData): { version: number; data: EventData } {
    const current = this.current.get(type);
    if (current === undefined || version === current) return { version, data };
    if (!Number.isInteger(version) || version < 1) throw new UpcastError(type, version, 'a schema version is an integer ≥ 1');
    if (version > current) {
      throw new UpcastError(type, version, `this build knows versions up to ${current}; run the build that wrote it, or a newer one`);
    }
    const chain = this.chains.get(type)!;
    let upcast = data;
    for (let from = version; from < current; from++) {
      try {
        upcast = chain[from]!(upcast as never) as EventData;
      } catch (error) {
        if (error instanceof UpcastError) throw error;
        throw new UpcastError(type, from, error instanceof Error ? error.message : String(error));
      }
    }
    return { version: current, data: upcast };
  }
}
