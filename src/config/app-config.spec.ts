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
});
