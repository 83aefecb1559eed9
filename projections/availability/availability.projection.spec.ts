import { randomUUID } from 'node:crypto';
import type { AddonEvent } from '../../src/addons/domain/addon.events';
import { planChangedTo, running, LEADER, STANDBY, db } from '../../src/addons/domain/testing/addon-fixtures';
import { givenEvents, onAddon, ProjectionFixture } from '../testing/projection-spec';
import { monthlyAvailability } from './availability.query';
import { availabilityProjection } from './availability.projection';

const ID = randomUUID();
const down = (node: string, role: 'leader' | 'standby', at: string): AddonEvent => ({ type: 'NodeFailureDetected', data: { node, role, at } });
const unavailable = (at: string): AddonEvent => ({ type: 'AddonUnavailable', data: { reason: 'node down', at } });
const recovered = (at: string): AddonEvent => ({ type: 'AddonRecovered', data: { at } });
const back = (node: string, at: string): AddonEvent => ({ type: 'NodeRecovered', data: { node, at } });

describe('availability projection, read through monthlyAvailability', () => {
  let fixture: ProjectionFixture | undefined;
  afterEach(async () => {
    await fixture?.dispose();
    fixture = undefined;
  });

  async function month(events: AddonEvent[], wanted: string, now = '2025-06-01T00:00:00.000Z') {
    fixture = await givenEvents(availabilityProjection, onAddon(ID, events));
    const tables = { availability: fixture.table('availability'), addons: fixture.table('availability_addons') };
    return monthlyAvailability(fixture.db.manager, tables, ID, wanted, new Date(now));
  }

  const starter = (...events: AddonEvent[]) => [...running('postgresql-starter-512', { addonId: ID }), ...events];
  const business = (...events: AddonEvent[]) => [...running('postgresql-business-512', { addonId: ID }), ...events];

  it('Starter: unavailable → recovered counts; 30-day April budget is 864 min (98 %)', async () => {
    expect(await month(starter(unavailable('2025-04-10T10:00:00.000Z'), recovered('2025-04-10T11:30:00.000Z')), '2025-04')).toEqual({
      month: '2025-04',
      downtime_minutes: 90,
      incidents: 1,
      sla_percent: 98,
      budget_minutes: 864,
      availability_percent: 99.7917,
      status: 'met',
      partial: false,
    });
  });

  it('crossing the budget is breached; an outage under way counts up to now', async () => {
    const result = await month(starter(unavailable('2025-04-10T00:00:00.000Z')), '2025-04', '2025-04-11T00:00:00.000Z');
    expect(result).toMatchObject({ downtime_minutes: 1440, incidents: 1, status: 'breached', partial: true });
  });

  it('split at the month end, the incident counted in the month it began', async () => {
    const events = starter(unavailable('2025-03-31T23:00:00.000Z'), recovered('2025-04-01T02:00:00.000Z'));
    expect(await month(events, '2025-03')).toMatchObject({ downtime_minutes: 60, incidents: 1 });
    await fixture?.dispose();
    expect(await month(events, '2025-04')).toMatchObject({ downtime_minutes: 120, incidents: 0 });
  });

  it('Business: from the leader failure to the completed failover; a standby failure alone costs nothing', async () => {
    const events = business(
      down(STANDBY.name, 'standby', '2025-04-01T00:00:00.000Z'),
      back(STANDBY.name, '2025-04-01T05:00:00.000Z'),
      down(LEADER.name, 'leader', '2025-04-02T10:00:00.000Z'),
      { type: 'FailoverTriggered', data: { reason: 'automatic', fromNode: LEADER.name, toNode: STANDBY.name, at: '2025-04-02T10:00:00.000Z' } },
      { type: 'FailoverCompleted', data: { leader: STANDBY.name, standby: db(3, 'standby').name, at: '2025-04-02T10:00:30.000Z' } },
    );
    expect(await month(events, '2025-04')).toMatchObject({ downtime_minutes: 0.5, incidents: 1, sla_percent: 99.96, budget_minutes: 17.28, status: 'met' });
  });

  it('Business: the leader back before any failover ends the outage', async () => {
    const events = business(down(LEADER.name, 'leader', '2025-04-02T10:00:00.000Z'), back(LEADER.name, '2025-04-02T10:20:00.000Z'));
    expect(await month(events, '2025-04')).toMatchObject({ downtime_minutes: 20, status: 'breached' });
  });

  it('the class of the plan it is on: after a move to Sandbox there is no SLA', async () => {
    const events = starter(...planChangedTo('postgresql-starter-512', 'postgresql-sandbox', '2025-04-01T00:00:00.000Z'));
    expect(await month(events, '2025-04')).toMatchObject({ sla_percent: null, budget_minutes: null, status: 'no-sla' });
  });

  it('an add-on it does not know: null', async () => {
    fixture = await givenEvents(availabilityProjection, []);
    const tables = { availability: fixture.table('availability'), addons: fixture.table('availability_addons') };
    expect(await monthlyAvailability(fixture.db.manager, tables, randomUUID(), '2025-04', new Date())).toBeNull();
  });
});
