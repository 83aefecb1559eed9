import { randomUUID } from 'node:crypto';
import { backupFailed, planChangedTo, provisioned, removed } from '../../src/addons/domain/testing/addon-fixtures';
import { GivenEvent, givenEvents, onAddon, onApp, ProjectionFixture } from '../testing/projection-spec';
import { auditProjection } from './audit.projection';

const PASSWORD_MARKER = 'U0VDUkVULVBBU1NXT1JELU1BUktFUi0xMjM0';
const IV_MARKER = 'SVYtTUFSS0VSLTU2Nzg';
const DATA_KEY_MARKER = 'V1JBUFBFRC1EQVRBLUtFWS1NQVJLRVItOTk';
const VARIABLE_MARKER = 'plain-variable-value-marker-4242';

interface AuditRow {
  position: number;
  event_id: string;
  at: string;
  actor: string;
  action: string;
  app: string | null;
  addon_id: string | null;
  summary: string;
  correlation_id: string;
}

describe('audit projection', () => {
  const ADDON = randomUUID();
  const APP = 'my-app';
  const ALICE = 'user:alice';
  const PLATFORM = 'platform:provisioner';
  const MONITORING = 'platform:monitoring';
  const STARTER = 'postgresql-starter-512';
  const BUSINESS = 'postgresql-business-512';

  const history: GivenEvent[] = [
    ...onApp(APP, [{ type: 'AppCreated', data: { name: APP, owner: ALICE, at: '2025-03-01T09:00:00.000Z' } }], { correlationId: 'req-create' }),
    ...onAddon(
      ADDON,
      [
        provisioned(STARTER, {
          addonId: ADDON,
          appName: APP,
          at: '2025-03-01T09:05:00.000Z',
          connection: {
            scheme: 'postgres',
            user: 'my-app-3030',
            host: 'my-app-3030.postgresql.example.test',
            port: 30123,
            password: { iv: IV_MARKER, ciphertext: PASSWORD_MARKER, tag: 'dGFn' },
            dataKey: { wrapped: DATA_KEY_MARKER },
          },
        }),
      ],
      { correlationId: 'req-provision' },
    ),
    ...onApp(APP, [{ type: 'AddonAttached', data: { addonId: ADDON, providerId: 'postgresql', at: '2025-03-01T09:05:00.000Z' } }], {
      correlationId: 'req-provision',
    }),
    ...onAddon(ADDON, [{ type: 'AddonRunning', data: { at: '2025-03-01T09:06:00.000Z' } }], { actor: PLATFORM, correlationId: 'req-provision' }),
    ...onApp(
      APP,
      [
        {
          type: 'AppVariablesSet',
          data: {
            variables: [
              { name: 'SCALINGO_POSTGRESQL_URL', addonUrl: ADDON },
              { name: 'POSTGRESQL_URL', alias: 'SCALINGO_POSTGRESQL_URL' },
              { name: 'API_TOKEN', value: VARIABLE_MARKER },
            ],
            at: '2025-03-01T09:06:00.000Z',
          },
        },
      ],
      { actor: PLATFORM, correlationId: 'req-provision' },
    ),
    ...onAddon(ADDON, planChangedTo(STARTER, BUSINESS, '2025-03-02T10:00:00.000Z'), { correlationId: 'req-plan' }),
    ...onAddon(ADDON, backupFailed('b1', '2025-03-03T01:00:00.000Z', 'periodic'), { actor: 'platform:scheduler', correlationId: 'job-backup' }),
    ...onAddon(
      ADDON,
      [
        { type: 'NodeFailureDetected', data: { node: 'my-app-3030-db-1', role: 'leader', at: '2025-03-04T03:00:00.000Z' } },
        { type: 'FailoverTriggered', data: { reason: 'automatic', fromNode: 'my-app-3030-db-1', toNode: 'my-app-3030-db-2', at: '2025-03-04T03:00:30.000Z' } },
        { type: 'FailoverCompleted', data: { leader: 'my-app-3030-db-2', standby: 'my-app-3030-db-3', at: '2025-03-04T03:01:00.000Z' } },
      ],
      { actor: MONITORING, correlationId: 'incident-1' },
    ),
    ...onAddon(ADDON, [removed('2025-03-05T12:00:00.000Z', '2026-03-05T12:00:00.000Z')], { correlationId: 'req-remove' }),
    ...onApp(APP, [{ type: 'AddonDetached', data: { addonId: ADDON, at: '2025-03-05T12:00:00.000Z' } }], { correlationId: 'req-remove' }),
  ];

  let fixture: ProjectionFixture;
  let rows: AuditRow[];
  beforeAll(async () => {
    fixture = await givenEvents(auditProjection, history, { batchSize: 4 });
    rows = await fixture.db.query(`SELECT * FROM ${fixture.table('audit')} ORDER BY position`);
  });
  afterAll(() => fixture.dispose());

  it('writes one entry per event, in log order, with its position and event id', async () => {
    const log = await fixture.store.readAll({ filter: { streamPrefixes: ['app-', 'addon-'] } });
    expect(rows).toHaveLength(history.length);
    expect(rows.map((r) => String(r.position))).toEqual(log.map((e) => e.position.toString()));
    expect(rows.map((r) => r.event_id)).toEqual(fixture.ids);
    expect(rows.map((r) => r.action)).toEqual(history.map((e) => e.type));
  });

  it('records who did it, when, and the request it belongs to', () => {
    expect(rows.map((r) => r.actor)).toEqual(history.map((e) => e.actor ?? ALICE));
    expect(rows.map((r) => r.correlation_id)).toEqual(history.map((e) => e.correlationId));
    expect(rows.map((r) => r.at)).toEqual(history.map((e) => (e.data as { at: string }).at));
  });

  it('files add-on events under the app of the add-on, and app events that name an add-on under both', () => {
    expect(rows.map((r) => [r.action, r.app, r.addon_id])).toEqual([
      ['AppCreated', APP, null],
      ['AddonProvisioned', APP, ADDON],
      ['AddonAttached', APP, ADDON],
      ['AddonRunning', APP, ADDON],
      ['AppVariablesSet', APP, null],
      ['PlanChanged', APP, ADDON],
      ['AddonRestarted', APP, ADDON],
      ['BackupRequested', APP, ADDON],
      ['BackupStarted', APP, ADDON],
      ['BackupFailed', APP, ADDON],
      ['NodeFailureDetected', APP, ADDON],
      ['FailoverTriggered', APP, ADDON],
      ['FailoverCompleted', APP, ADDON],
      ['AddonDeprovisioned', APP, ADDON],
      ['AddonDetached', APP, ADDON],
    ]);
  });

  it('says what happened in a sentence', () => {
    const summary = (action: string) => rows.find((r) => r.action === action)!.summary;
    expect(summary('AppCreated')).toBe('App my-app created by user:alice');
    expect(summary('AddonProvisioned')).toMatch(/^Add-on postgresql \S+ provisioned on plan postgresql-starter-512 for app my-app$/);
    expect(summary('AppVariablesSet')).toBe('Variables set: SCALINGO_POSTGRESQL_URL, POSTGRESQL_URL, API_TOKEN');
    expect(summary('PlanChanged')).toBe('Plan change from postgresql-starter-512 to postgresql-business-512 (downtime: seconds)');
    expect(summary('AddonRestarted')).toBe('Add-on restarted after plan change (4 s of downtime)');
    expect(summary('BackupRequested')).toBe('Periodic backup 20250303010000_my-app-3030 requested');
    expect(summary('BackupFailed')).toBe('Backup b1 failed: disk full');
    expect(summary('NodeFailureDetected')).toBe('Node my-app-3030-db-1 (leader) reported down');
    expect(summary('FailoverTriggered')).toBe('Automatic failover from my-app-3030-db-1 to my-app-3030-db-2');
    expect(summary('FailoverCompleted')).toBe('Failover completed: my-app-3030-db-2 leads, new standby my-app-3030-db-3');
    expect(summary('AddonDeprovisioned')).toBe('Add-on removed; manual backups kept until 2026-03-05T12:00:00.000Z');
    expect(summary('AddonDetached')).toBe(`Add-on ${ADDON} detached`);
  });

  it('lets no secret reach an entry: neither the sealed password, its iv, the data key, nor a variable value', async () => {
    const everything: unknown[] = await fixture.db.query(`SELECT * FROM ${fixture.table('audit')}`);
    const text = JSON.stringify(everything);
    expect(text).toContain('AddonProvisioned'); // the entries are there
    for (const marker of [PASSWORD_MARKER, IV_MARKER, DATA_KEY_MARKER, VARIABLE_MARKER]) expect(text).not.toContain(marker);
    // nor anywhere else in the read store's audit tables
    const addons: unknown[] = await fixture.db.query(`SELECT * FROM ${fixture.table('audit_addons')}`);
    expect(JSON.stringify(addons)).not.toMatch(new RegExp([PASSWORD_MARKER, IV_MARKER, DATA_KEY_MARKER].join('|')));
  });

  it('the markers really were in the log (the secret check is not vacuous)', async () => {
    const log = JSON.stringify(
      (await fixture.store.readAll()).map((e) => e.data),
    );
    for (const marker of [PASSWORD_MARKER, IV_MARKER, DATA_KEY_MARKER, VARIABLE_MARKER]) expect(log).toContain(marker);
  });
});
