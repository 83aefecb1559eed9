import { addonVariables } from '../../addons/domain/addon-variables';
import { spec } from '../../shared/testing/decider-spec';
import { AppCommand } from './app.commands';
import { appDecider } from './app.decider';
import { AppEvent } from './app.events';

const AT = '2025-03-05T12:00:00.000Z';
const given = (...events: AppEvent[]) => spec(appDecider).given(...events);

const created: AppEvent = { type: 'AppCreated', data: { name: 'my-app', owner: 'alice', at: AT } };
const attached = (addonId: string, providerId: string): AppEvent => ({ type: 'AddonAttached', data: { addonId, providerId, at: AT } });
const attach = (addonId: string, providerId: string): AppCommand => ({ type: 'AttachAddon', data: { addonId, providerId, at: AT } });
const redisVariables = addonVariables('SCALINGO', 'redis', 'ad-redis');

describe('App', () => {
  describe('creation', () => {
    it('an owner creates an app: AppCreated', () => {
      given()
        .when({ type: 'CreateApp', data: { name: 'my-app', owner: 'alice', at: AT } })
        .then({ type: 'AppCreated', data: { name: 'my-app', owner: 'alice', at: AT } });
    });

    it('a name already taken: APP.ALREADY_EXISTS', () => {
      const error = given(created)
        .when({ type: 'CreateApp', data: { name: 'my-app', owner: 'bob', at: AT } })
        .thenFails('APP.ALREADY_EXISTS', { app: 'my-app' });
      expect(error.message).toBe('An app named my-app already exists. Pick another name.');
    });

    it.each(['abc', 'my-app-2', `a${'b'.repeat(46)}c`])('accepts %s', (name) => {
      given().when({ type: 'CreateApp', data: { name, owner: 'alice', at: AT } }).thenMatches({ type: 'AppCreated' });
    });

    it.each(['ab', 'My-App', '1app', 'app-', 'my_app', `a${'b'.repeat(47)}c`, '<script>'])(
      '%s: APP.INVALID_NAME, saying what a name is and not echoing it',
      (name) => {
        const error = given().when({ type: 'CreateApp', data: { name, owner: 'alice', at: AT } }).thenFails('APP.INVALID_NAME');
        expect(error.message).toBe(
          'An app name is 3 to 48 lowercase letters, digits and dashes, starting with a letter and not ending with a dash.',
        );
      },
    );

    it('a command to an app that does not exist: APP.NOT_FOUND', () => {
      given().when(attach('ad-1', 'redis')).thenFails('APP.NOT_FOUND');
    });
  });

  describe('add-ons: "one add-on per type per app" (design)', () => {
    it('attaching an add-on: AddonAttached', () => {
      given(created).when(attach('ad-redis', 'redis')).then(attached('ad-redis', 'redis'));
    });

    it('attaching the same add-on again changes nothing', () => {
      given(created, attached('ad-redis', 'redis')).when(attach('ad-redis', 'redis')).thenNothing();
    });

    it('a second add-on of a type the app has: ADDON.ALREADY_ATTACHED, pointing at the plan change', () => {
      const error = given(created, attached('ad-redis', 'redis'))
        .when(attach('ad-redis-2', 'redis'))
        .thenFails('ADDON.ALREADY_ATTACHED', { app: 'my-app', addonId: 'ad-redis' });
      expect(error.message).toBe('App my-app already has a redis add-on (ad-redis): change its plan, or remove it first.');
    });

    it('an add-on of another type is fine', () => {
      given(created, attached('ad-redis', 'redis')).when(attach('ad-pg', 'postgresql')).then(attached('ad-pg', 'postgresql'));
    });

    it('once the add-on of a type is detached, another one of that type can be attached', () => {
      given(created, attached('ad-redis', 'redis'), { type: 'AddonDetached', data: { addonId: 'ad-redis', at: AT } })
        .when(attach('ad-redis-2', 'redis'))
        .then(attached('ad-redis-2', 'redis'));
    });

    it('detaching: AddonDetached; detaching an add-on the app does not have changes nothing', () => {
      given(created, attached('ad-redis', 'redis'))
        .when({ type: 'DetachAddon', data: { addonId: 'ad-redis', at: AT } })
        .then({ type: 'AddonDetached', data: { addonId: 'ad-redis', at: AT } });
      given(created).when({ type: 'DetachAddon', data: { addonId: 'ad-redis', at: AT } }).thenNothing();
    });

    it('"Removal: its variables are removed from the app", in the same append as the detachment', () => {
      const others = { name: 'SCALINGO_POSTGRESQL_URL', addonUrl: 'ad-pg' };
      given(
        created,
        attached('ad-redis', 'redis'),
        attached('ad-pg', 'postgresql'),
        { type: 'AppVariablesSet', data: { variables: [...redisVariables, others], at: AT } },
      )
        .when({ type: 'DetachAddon', data: { addonId: 'ad-redis', at: AT } })
        .then(
          { type: 'AppVariablesUnset', data: { names: ['SCALINGO_REDIS_URL', 'REDIS_URL'], at: AT } },
          { type: 'AddonDetached', data: { addonId: 'ad-redis', at: AT } },
        );
    });
  });

  describe('variables', () => {
    it('"when it is running, two variables are set on the app": SCALINGO_REDIS_URL and REDIS_URL', () => {
      given(created)
        .when({ type: 'SetAppVariables', data: { variables: redisVariables, at: AT } })
        .then({
          type: 'AppVariablesSet',
          data: {
            variables: [
              { name: 'SCALINGO_REDIS_URL', addonUrl: 'ad-redis' },
              { name: 'REDIS_URL', alias: 'SCALINGO_REDIS_URL' },
            ],
            at: AT,
          },
        });
    });

    it('setting them again (a repeated report) changes nothing; only changed variables are recorded', () => {
      const set: AppEvent = { type: 'AppVariablesSet', data: { variables: redisVariables, at: AT } };
      given(created, set).when({ type: 'SetAppVariables', data: { variables: redisVariables, at: AT } }).thenNothing();
      given(created, set)
        .when({ type: 'SetAppVariables', data: { variables: [...redisVariables, { name: 'RAILS_ENV', value: 'production' }], at: AT } })
        .then({ type: 'AppVariablesSet', data: { variables: [{ name: 'RAILS_ENV', value: 'production' }], at: AT } });
    });

    it('an invalid name: APP.INVALID_VARIABLE_NAME, listing at most 128 characters of each', () => {
      const long = `A${'-'.repeat(300)}`;
      const error = given(created)
        .when({ type: 'SetAppVariables', data: { variables: [{ name: 'ok_lower', value: 'x' }, { name: long, value: 'x' }], at: AT } })
        .thenFails('APP.INVALID_VARIABLE_NAME', { names: ['ok_lower', long.slice(0, 128)] });
      expect(error.message).toBe('A variable name is uppercase letters, digits and underscores, not starting with a digit.');
    });

    it('"Removal: its variables are removed from the app": AppVariablesUnset, for the ones it has', () => {
      given(created, { type: 'AppVariablesSet', data: { variables: redisVariables, at: AT } })
        .when({ type: 'UnsetAppVariables', data: { names: ['SCALINGO_REDIS_URL', 'REDIS_URL', 'NOT_THERE'], at: AT } })
        .then({ type: 'AppVariablesUnset', data: { names: ['SCALINGO_REDIS_URL', 'REDIS_URL'], at: AT } });
    });

    it('unsetting variables the app does not have changes nothing', () => {
      given(created).when({ type: 'UnsetAppVariables', data: { names: ['REDIS_URL'], at: AT } }).thenNothing();
    });
  });

  describe('"then the linked app is restarted"', () => {
    it.each(['plan-change', 'upgrade', 'restore'] as const)('after a %s: AppRestartRequested, each time it is asked', (reason) => {
      const restart: AppCommand = { type: 'RequestAppRestart', data: { reason, addonId: 'ad-redis', at: AT } };
      given(created).when(restart).then({ type: 'AppRestartRequested', data: { reason, addonId: 'ad-redis', at: AT } });
      given(created, { type: 'AppRestartRequested', data: { reason, addonId: 'ad-redis', at: AT } })
        .when(restart)
        .then({ type: 'AppRestartRequested', data: { reason, addonId: 'ad-redis', at: AT } });
    });
  });
});
