/**
 * Two groups (jest projects), so `npm test` can run what drives no load side by side:
 * - `quiet`: the unit tests and the end-to-end files that start no service under load (the Action
 *   bundle's freshness, the agent without a harness, the HTML report in Chromium, the packed
 *   package under vitest and node:test, the fleet analysis in worker threads). `npm test` runs
 *   them 2-wide.
 * - `load`: every other end-to-end file. They run real services under load; side by side on two
 *   cores they would measure the machine's contention instead of the service, so `npm test` runs
 *   them one file at a time (maxWorkers 1, the default below).
 * A new end-to-end file is in `load` unless it is listed in LOAD_FREE.
 */
const LOAD_FREE = ['action-bundle', 'agent', 'html-chromium', 'runners', 'watch-parallel'];
const loadFree = LOAD_FREE.map((name) => `<rootDir>/test/e2e/${name}.test.ts`);

/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Tests are transpiled file by file (tsconfig.jest.json: isolatedModules); `npm test` type-checks
  // the whole project once (`npm run typecheck`) before jest, instead of once per suite (-4 min).
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: 'tsconfig.jest.json', diagnostics: { warnOnly: false, ignoreCodes: [151002] } },
    ],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 1,
  // A run-wide option (a project's own is not read).
  testTimeout: 120000,
  projects: [
    { ...shared, displayName: 'quiet', testMatch: ['<rootDir>/test/unit/**/*.test.ts', ...loadFree] },
    {
      ...shared,
      displayName: 'load',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...loadFree],
    },
  ],
};
