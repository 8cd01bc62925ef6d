/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Tests are transpiled file by file (tsconfig.jest.json: isolatedModules); `npm test` type-checks
  // the whole project once (`npm run typecheck`) before jest, instead of once per suite (-4 min).
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: 'tsconfig.jest.json', diagnostics: { warnOnly: false, ignoreCodes: [151002] } },
    ],
  },
  // e2e tests run real services under load; running them side by side on two cores would
  // measure the machine's contention instead of the service. `npm test` runs the unit tests
  // (pure functions, no services) 2-wide first, then test/e2e one file at a time with this default.
  maxWorkers: 1,
  testTimeout: 120000,
};
