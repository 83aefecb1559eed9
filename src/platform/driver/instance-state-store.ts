import { join } from 'node:path';
import type { DatabaseType } from '../../catalogue/domain/catalogue';
import type { AddonNode } from '../../addons/domain/addon.events';
import { readJsonOrNull, writeFileAtomic } from './atomic-file';

/** `up` serves; `down` is stopped (a restart in progress); the rest say what it is busy with. */
export type InstanceStatus = 'up' | 'down' | 'maintenance' | 'restoring' | 'deprovisioned';

/** What the simulated data plane knows of one instance; one JSON file per add-on. */
export interface InstanceState {
  format: 1;
  addonId: string;
  resourceId: string;
  providerId: DatabaseType;
  planId: string;
  version: string;
  nodes: AddonNode[];
  status: InstanceStatus;
  /**
   * Operations that finished, by key (`provision`, `promote:<from>><to>`,
   * `maintain:<id>`…), with their answer: a repeat is answered the same, without redoing it.
   */
  operations: Record<string, { at: string; result?: Record<string, unknown> }>;
  /** Key of the last operation that finished. */
  lastOperation?: string;
  lastRestore?: { source: string; at: string };
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** `DATA_DIR/instances/<addonId>.json`, written atomically, so the state survives a restart. */
export class InstanceStateStore {
  constructor(readonly root: string) {}

  read(addonId: string): Promise<InstanceState | null> {
    return readJsonOrNull<InstanceState>(this.file(addonId));
  }

  write(state: InstanceState): Promise<void> {
    return writeFileAtomic(this.file(state.addonId), `${JSON.stringify(state, null, 2)}\n`);
  }

  file(addonId: string): string {
    if (!SAFE_ID.test(addonId)) throw new Error('An add-on id is 1 to 128 of A-Z a-z 0-9 _ -');
    return join(this.root, `${addonId}.json`);
  }
}
