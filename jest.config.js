/**
 * One run for every kind of test: `*.spec.ts` (pure logic, beside the code),
 * `*.int-spec.ts` (real SQLite files in a temp folder), `test/contract/*` (the event
 * store contract, per adapter) and `test/e2e/*.e2e-spec.ts` (the app over HTTP).
 * Types are checked once by `tsc --noEmit` in `npm test`; here ts-jest only transpiles.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/projections', '<rootDir>/test'],
  testRegex: '\\.(spec|int-spec|contract-spec|e2e-spec|flow-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  verbose: true,
};
