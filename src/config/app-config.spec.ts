import { inspect } from 'node:util';
import { AppConfig, validateEnvironment } from './app-config';

describe('configuration from the environment', () => {
  it('defaults to port 3000, ./data and the embedded store with synchronous=FULL', () => {
    const config = new AppConfig(validateEnvironment({}));
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(`${process.cwd()}/data`);
    expect(config.eventStore).toEqual({ kind: 'sqlite', file: `${process.cwd()}/data/events.sqlite`, synchronous: 'FULL' });
  });

  it('switches to EventStoreDB when a connection string is set, and ignores a blank one', () => {
    const esdb = new AppConfig(validateEnvironment({ EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' }));
    expect(esdb.eventStore).toEqual({ kind: 'eventstoredb', connectionString: 'esdb://localhost:2113?tls=false' });
    expect(new AppConfig(validateEnvironment({ EVENTSTORE_CONNECTION_STRING: '' })).eventStore.kind).toBe('sqlite');
  });

  it('reads PORT, DATA_DIR and SQLITE_SYNCHRONOUS', () => {
    const config = new AppConfig(validateEnvironment({ PORT: '8080', DATA_DIR: '/var/lib/addons', SQLITE_SYNCHRONOUS: 'normal' }));
    expect(config).toMatchObject({ port: 8080, dataDir: '/var/lib/addons' });
    expect(config.eventStore).toMatchObject({ file: '/var/lib/addons/events.sqlite', synchronous: 'NORMAL' });
  });

  it('names every invalid variable, and never repeats a value that may hold a password', () => {
    const secret = 'http://admin:s3cr3t-pw@db:2113';
    let message = '';
    try {
      validateEnvironment({ PORT: 'eighty', SQLITE_SYNCHRONOUS: 'OFF', EVENTSTORE_CONNECTION_STRING: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/SQLITE_SYNCHRONOUS/);
    expect(message).toMatch(/EVENTSTORE_CONNECTION_STRING/);
    expect(message).not.toContain('s3cr3t-pw');
  });

  describe('secrets', () => {
    const key = Buffer.alloc(32, 7).toString('base64');

    it('reads MASTER_KEY as 32 bytes and ADMIN_TOKEN as given, trimming a trailing newline', () => {
      const config = new AppConfig(validateEnvironment({ MASTER_KEY: `${key}\n`, ADMIN_TOKEN: 'a'.repeat(24) }));
      expect(config.masterKey).toEqual(Buffer.alloc(32, 7));
      expect(config.adminToken).toBe('a'.repeat(24));
    });

    it('leaves both unset by default or when blank', () => {
      for (const env of [{}, { MASTER_KEY: '', ADMIN_TOKEN: ' ' }]) {
        const config = new AppConfig(validateEnvironment(env));
        expect(config.masterKey).toBeUndefined();
        expect(config.adminToken).toBeUndefined();
      }
    });

    it('never shows them when the config is logged or serialized', () => {
      const config = new AppConfig(validateEnvironment({ MASTER_KEY: key, ADMIN_TOKEN: 'secret-admin-token-0123456789' }));
      expect(JSON.stringify(config)).not.toContain('secret-admin-token');
      expect(Object.keys(config)).not.toEqual(expect.arrayContaining(['masterKey']));
      expect(inspect(config)).not.toContain('secret-admin-token');
    });

    it.each([
      ['too short', Buffer.alloc(16, 1).toString('base64')],
      ['too long', Buffer.alloc(33, 1).toString('base64')],
      ['not base64', `${'!'.repeat(43)}=`],
      ['non-canonical padding bits', `${key.slice(0, 42)}B=`],
    ])('refuses a MASTER_KEY that is %s, without repeating it', (_, value) => {
      expect(() => validateEnvironment({ MASTER_KEY: value })).toThrow(/MASTER_KEY must be the base64 of 32/);
      try {
        validateEnvironment({ MASTER_KEY: value });
      } catch (error) {
        expect((error as Error).message).not.toContain(value);
      }
    });

    it('refuses an ADMIN_TOKEN shorter than 24 characters or with spaces, without repeating it', () => {
      for (const value of ['short-token-1234', 'a token with spaces in the middle']) {
        let message = '';
        try {
          validateEnvironment({ ADMIN_TOKEN: value });
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toMatch(/ADMIN_TOKEN must be 24 to 512/);
        expect(message).not.toContain(value);
      }
    });
  });
});

describe('simulated data plane and archive links', () => {
  it('default to real-time latency, no injected failure, seed 1, and 5-minute links', () => {
    const config = new AppConfig(validateEnvironment({}));
    expect(config.driver).toEqual({ latencyScale: 1, failureRate: 0, seed: 1 });
    expect(config.archiveLinkTtlSeconds).toBe(300);
  });

  it('reads DRIVER_LATENCY_SCALE, DRIVER_FAILURE_RATE, DRIVER_SEED and ARCHIVE_LINK_TTL_SECONDS', () => {
    const config = new AppConfig(
      validateEnvironment({
        DRIVER_LATENCY_SCALE: '0.001',
        DRIVER_FAILURE_RATE: '0.25',
        DRIVER_SEED: '42',
        ARCHIVE_LINK_TTL_SECONDS: '60',
      }),
    );
    expect(config.driver).toEqual({ latencyScale: 0.001, failureRate: 0.25, seed: 42 });
    expect(config.archiveLinkTtlSeconds).toBe(60);
    expect(new AppConfig(validateEnvironment({ DRIVER_LATENCY_SCALE: '0' })).driver.latencyScale).toBe(0);
  });

  it.each([
    ['DRIVER_LATENCY_SCALE', '-1'],
    ['DRIVER_LATENCY_SCALE', 'fast'],
    ['DRIVER_LATENCY_SCALE', 'Infinity'],
    ['DRIVER_FAILURE_RATE', '1.5'],
    ['DRIVER_FAILURE_RATE', '-0.1'],
    ['DRIVER_SEED', '1.5'],
    ['DRIVER_SEED', '-3'],
    ['ARCHIVE_LINK_TTL_SECONDS', '0'],
    ['ARCHIVE_LINK_TTL_SECONDS', '86400'],
  ])('refuses %s=%s, naming it once', (name, value) => {
    let message = '';
    try {
      validateEnvironment({ [name]: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.match(new RegExp(name, 'g'))).toHaveLength(1);
  });
});

describe('event feed', () => {
  it('writes a heartbeat every 15 s by default, or every FEED_HEARTBEAT_MS', () => {
    expect(new AppConfig(validateEnvironment({})).feed).toEqual({ heartbeatMs: 15_000 });
    expect(new AppConfig(validateEnvironment({ FEED_HEARTBEAT_MS: '200' })).feed).toEqual({ heartbeatMs: 200 });
  });

  it.each(['99', '300001', '1.5', 'often'])('refuses FEED_HEARTBEAT_MS=%s, naming it', (value) => {
    expect(() => validateEnvironment({ FEED_HEARTBEAT_MS: value })).toThrow(/FEED_HEARTBEAT_MS must be a whole number of milliseconds from 100 to 300000/);
  });
});
