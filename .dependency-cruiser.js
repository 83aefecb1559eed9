/**
 * Architecture rules checked by `npm test` (see ../shared/ARCHITECTURE.md).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-stays-pure',
      comment:
        'Code under */domain/ holds the rules of the platform: no framework, ORM, event store client, validation or OpenAPI imports.',
      severity: 'error',
      from: { path: '(^|/)domain/' },
      to: {
        path: 'node_modules/(@nestjs|typeorm|@eventstore|class-validator|class-transformer|@nestjs/swagger|sqlite3)',
      },
    },
    {
      name: 'domain-knows-no-adapter',
      comment: 'Domain code sees the event store only through its port, never through an adapter.',
      severity: 'error',
      from: { path: '(^|/)domain/' },
      to: { path: '^src/event-store/(sqlite|esdb)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-code-does-not-import-tests',
      severity: 'error',
      from: { path: '^(src|projections)/', pathNot: '\\.(spec|int-spec|e2e-spec)\\.ts$' },
      to: { path: '^(test|bench)/|\\.(spec|int-spec|e2e-spec)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
