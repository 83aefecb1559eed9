import {
  CLASS_POLICIES,
  ClassPolicy,
  classOf,
  compareVersions,
  DATABASE_TYPES,
  Downtime,
  findPlan,
  isDatabaseType,
  isFeature,
  nextVersion,
  newestVersion,
  parseVersion,
  PLANS,
  plansOfType,
  planChangeDowntime,
  PROVIDERS,
  SERVICE_CLASSES,
  ServiceClass,
} from './catalogue';

const MINUTES_PER_30_DAYS = 30 * 24 * 60;

describe('Catalogue', () => {
  describe('database types', () => {
    it('"postgresql, mysql, mongodb, redis, elasticsearch, influxdb (design: also opensearch)"', () => {
      expect([...DATABASE_TYPES].sort()).toEqual(
        ['elasticsearch', 'influxdb', 'mongodb', 'mysql', 'opensearch', 'postgresql', 'redis'].sort(),
      );
      for (const type of DATABASE_TYPES) expect(PROVIDERS[type].id).toBe(type);
    });

    it.each(DATABASE_TYPES)('%s: "a list of versions (semver)", oldest first', (type) => {
      const versions = PROVIDERS[type].versions;
      expect(versions.length).toBeGreaterThan(0);
      for (const version of versions) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      for (let i = 1; i < versions.length; i++) expect(compareVersions(versions[i - 1], versions[i])).toBeLessThan(0);
    });

    it('recognises types and features, and nothing else', () => {
      expect(isDatabaseType('opensearch')).toBe(true);
      expect(isDatabaseType('cassandra')).toBe(false);
      expect(isDatabaseType(undefined)).toBe(false);
      expect(isFeature('redis-aof')).toBe(true);
      expect(isFeature('tls')).toBe(false);
    });
  });

  describe('plans: "<type>-<class>-<size>", size in MB; "sandbox has no size"', () => {
    it('redis-starter-1024, redis-business-256 and postgresql-sandbox are plans', () => {
      expect(findPlan('redis-starter-1024')).toEqual({ id: 'redis-starter-1024', type: 'redis', class: 'starter', memoryMb: 1024 });
      expect(findPlan('redis-business-256')).toEqual({ id: 'redis-business-256', type: 'redis', class: 'business', memoryMb: 256 });
      expect(findPlan('postgresql-sandbox')).toMatchObject({ type: 'postgresql', class: 'sandbox' });
    });

    it('a sandbox with a size, or an unknown class, is not a plan', () => {
      expect(findPlan('postgresql-sandbox-128')).toBeUndefined();
      expect(findPlan('postgresql-gold-1024')).toBeUndefined();
    });

    it.each(DATABASE_TYPES)('%s has one sandbox and Starter and Business plans, each id naming its type, class and size', (type) => {
      const plans = plansOfType(type);
      expect(plans.filter((p) => p.class === 'sandbox').map((p) => p.id)).toEqual([`${type}-sandbox`]);
      for (const cls of ['starter', 'business'] as const) {
        const ofClass = plans.filter((p) => p.class === cls);
        expect(ofClass.length).toBeGreaterThan(0);
        for (const plan of ofClass) expect(plan.id).toBe(`${type}-${cls}-${plan.memoryMb}`);
      }
    });

    it('every plan id is unique', () => {
      expect(new Set(PLANS.map((p) => p.id)).size).toBe(PLANS.length);
    });

    it('classOf reads the class row of a plan, and refuses an unknown plan', () => {
      expect(classOf('mysql-business-512')).toBe(CLASS_POLICIES.business);
      expect(() => classOf('mysql-platinum-512')).toThrow();
    });
  });

  describe('the class table', () => {
    describe.each<[ServiceClass, Omit<ClassPolicy, 'class' | 'purpose'>]>([
      [
        'sandbox',
        {
          slaPercent: null,
          downtimeBudgetMinutesPer30Days: null,
          databaseNodes: 1,
          nodeFailure: 'down-until-recovery',
          failoverWithinSeconds: null,
          scheduledBackups: false,
          manualBackups: false,
          retention: { daily: 0, weekly: 0, monthly: 0, manual: 0, manualMonthsAfterRemoval: 0 },
          minorUpgrade: 'downtime',
          majorUpgrade: 'downtime',
        },
      ],
      [
        'starter',
        {
          slaPercent: 98,
          downtimeBudgetMinutesPer30Days: 864,
          databaseNodes: 1,
          nodeFailure: 'down-until-recovery',
          failoverWithinSeconds: null,
          scheduledBackups: true,
          manualBackups: true,
          retention: { daily: 7, weekly: 4, monthly: 0, manual: 10, manualMonthsAfterRemoval: 1 },
          minorUpgrade: 'downtime',
          majorUpgrade: 'downtime',
        },
      ],
      [
        'business',
        {
          slaPercent: 99.96,
          downtimeBudgetMinutesPer30Days: 17.28,
          databaseNodes: 2,
          nodeFailure: 'automatic-failover',
          failoverWithinSeconds: 60,
          scheduledBackups: true,
          manualBackups: true,
          retention: { daily: 7, weekly: 8, monthly: 12, manual: 50, manualMonthsAfterRemoval: 12 },
          minorUpgrade: 'none',
          majorUpgrade: 'downtime',
        },
      ],
    ])('%s', (cls, row) => {
      const policy = CLASS_POLICIES[cls];

      it(`SLA ${row.slaPercent ?? 'none'}${row.slaPercent ? ` % (${row.downtimeBudgetMinutesPer30Days} min per 30-day month)` : ''}`, () => {
        expect(policy.slaPercent).toBe(row.slaPercent);
        expect(policy.downtimeBudgetMinutesPer30Days).toBe(row.downtimeBudgetMinutesPer30Days);
        if (row.slaPercent !== null) {
          expect(((100 - row.slaPercent) / 100) * MINUTES_PER_30_DAYS).toBeCloseTo(row.downtimeBudgetMinutesPer30Days!, 6);
        }
      });

      it(`nodes: ${row.databaseNodes === 2 ? 'leader + hot standby' : '1'}`, () => {
        expect(policy.databaseNodes).toBe(row.databaseNodes);
      });

      it(`node failure: ${row.nodeFailure === 'automatic-failover' ? 'automatic failover within 60 s of detection' : 'down until host recovers'}`, () => {
        expect(policy.nodeFailure).toBe(row.nodeFailure);
        expect(policy.failoverWithinSeconds).toBe(row.failoverWithinSeconds);
      });

      it(`scheduled daily backups: ${row.scheduledBackups ? 'yes' : 'no'}; manual backups: ${row.manualBackups ? 'yes' : 'no'}`, () => {
        expect(policy.scheduledBackups).toBe(row.scheduledBackups);
        expect(policy.manualBackups).toBe(row.manualBackups);
      });

      it(`retained: ${row.retention.daily} daily, ${row.retention.weekly} weekly, ${row.retention.monthly} monthly, ${row.retention.manual} manual; manual ones ${row.retention.manualMonthsAfterRemoval} months after removal`, () => {
        expect(policy.retention).toEqual(row.retention);
      });

      it(`minor version upgrade: ${row.minorUpgrade}; major: ${row.majorUpgrade}`, () => {
        expect(policy.minorUpgrade).toBe(row.minorUpgrade);
        expect(policy.majorUpgrade).toBe(row.majorUpgrade);
      });
    });

    it('has a row for every class, and only those', () => {
      expect(Object.keys(CLASS_POLICIES).sort()).toEqual([...SERVICE_CLASSES].sort());
      for (const cls of SERVICE_CLASSES) expect(CLASS_POLICIES[cls].class).toBe(cls);
    });
  });

  describe('"Recovery point objective: postgresql has continuous backup, RPO 30 min; every other type relies on the last daily backup, RPO 24 h"', () => {
    it('postgresql: 30 minutes, continuous', () => {
      expect(PROVIDERS.postgresql).toMatchObject({ rpoMinutes: 30, continuousBackup: true });
    });

    it.each(DATABASE_TYPES.filter((t) => t !== 'postgresql'))('%s: 24 hours, from the daily backup', (type) => {
      expect(PROVIDERS[type]).toMatchObject({ rpoMinutes: 24 * 60, continuousBackup: false });
    });
  });

  describe('"Gateway connection timeouts (expose them in the catalogue; clients need them)"', () => {
    it('elasticsearch: client idle 1 min, server idle 2 min, complete HTTP request 5 s', () => {
      expect(PROVIDERS.elasticsearch.gatewayTimeouts).toEqual({ clientIdleSeconds: 60, serverIdleSeconds: 120, httpRequestSeconds: 5 });
    });

    it('postgresql: client idle 1 day, server idle 30 min, half-closed client 5 min', () => {
      expect(PROVIDERS.postgresql.gatewayTimeouts).toEqual({
        clientIdleSeconds: 86_400,
        serverIdleSeconds: 1_800,
        halfClosedClientSeconds: 300,
      });
    });

    it('redis: client idle 5 min, server idle 5 min, half-closed client 1 h', () => {
      expect(PROVIDERS.redis.gatewayTimeouts).toEqual({ clientIdleSeconds: 300, serverIdleSeconds: 300, halfClosedClientSeconds: 3_600 });
    });

    it.each(['mysql', 'mongodb', 'influxdb', 'opensearch'] as const)('%s: none documented', (type) => {
      expect(PROVIDERS[type].gatewayTimeouts).toBeNull();
    });
  });

  describe('features', () => {
    it('"force-tls, internet-access, and for Redis redis-rdb, redis-aof, redis-cache"', () => {
      expect(PROVIDERS.redis.features).toEqual(['force-tls', 'internet-access', 'redis-rdb', 'redis-aof', 'redis-cache']);
      for (const type of DATABASE_TYPES.filter((t) => t !== 'redis')) {
        expect(PROVIDERS[type].features).toEqual(['force-tls', 'internet-access']);
      }
    });

    it('Redis persistence is "rdb (default)"; "Force TLS: off by default" everywhere', () => {
      expect(PROVIDERS.redis.defaultFeatures).toEqual(['redis-rdb']);
      for (const type of DATABASE_TYPES) expect(PROVIDERS[type].defaultFeatures).not.toContain('force-tls');
    });

    it('the variables are SCALINGO_<TYPE>_URL and <TYPE>_URL', () => {
      expect(PROVIDERS.redis.envName).toBe('REDIS');
      expect(PROVIDERS.postgresql.envName).toBe('POSTGRESQL');
    });
  });

  describe('versions: "2.3.x → 2.5.x → 3.1.x", next_version', () => {
    it.each<[(typeof DATABASE_TYPES)[number], string, string | null]>([
      ['postgresql', '14.17.0', '14.18.0'],
      ['postgresql', '14.18.0', '15.13.0'],
      ['postgresql', '15.12.0', '15.13.0'],
      ['postgresql', '16.9.0', '17.5.0'],
      ['postgresql', '17.5.0', null],
      ['redis', '6.2.16', '6.2.17'],
      ['redis', '6.2.17', '7.4.2'],
      ['redis', '7.2.8', '7.4.2'],
      ['redis', '7.4.2', null],
      ['mongodb', '7.0.16', '7.0.18'],
      ['mongodb', '7.0.18', '8.0.5'],
      ['opensearch', '2.17.1', '2.19.1'],
      ['elasticsearch', '7.10.2', null],
    ])('%s %s → %s', (type, current, next) => {
      expect(nextVersion(type, current)).toBe(next);
    });

    it('newestVersion is the last one offered', () => {
      expect(newestVersion('postgresql')).toBe('17.5.0');
      expect(newestVersion('elasticsearch')).toBe('7.10.2');
    });

    it('versions compare as numbers, not text', () => {
      expect(compareVersions('7.10.2', '7.2.8')).toBeGreaterThan(0);
      expect(compareVersions('14.18.0', '14.18.0')).toBe(0);
      expect(parseVersion('7.x')).toBeUndefined();
      expect(() => compareVersions('7.x', '7.2.8')).toThrow();
    });
  });

  describe('planChangeDowntime: "Starter to Starter a few seconds (2–10 s); Starter to Business and Business to Business none"', () => {
    const plan = (id: string) => findPlan(id)!;
    it.each<[string, string, Downtime]>([
      ['redis-starter-256', 'redis-starter-2048', 'seconds'],
      ['redis-starter-2048', 'redis-starter-256', 'seconds'],
      ['redis-starter-1024', 'redis-business-1024', 'none'],
      ['redis-business-256', 'redis-business-8192', 'none'],
      ['redis-business-8192', 'redis-business-256', 'none'],
      ['redis-business-1024', 'redis-starter-1024', 'seconds'],
      ['redis-sandbox', 'redis-starter-256', 'seconds'],
      ['redis-sandbox', 'redis-business-256', 'seconds'],
      ['redis-starter-256', 'redis-sandbox', 'seconds'],
    ])('%s → %s: %s', (from, to, downtime) => {
      expect(planChangeDowntime(plan(from), plan(to))).toBe(downtime);
    });
  });
});
