/**
 * Three groups (jest projects), so `npm test` can run side by side what cannot measure each other:
 * - `quiet`: the unit tests and the end-to-end files that start no service under load (the Action
 *   bundle's freshness, the agent without a harness, the HTML report in Chromium, the packed
 *   package under vitest and node:test, the fleet analysis in worker threads, watch against a
 *   secured Prometheus scraping a gauge the test serves, bad replay input refused before anything
 *   starts). `npm test` runs them 2-wide.
 * - `paced`: the two files whose services get a fixed, low request rate (autocannon's overallRate,
 *   50 and 100 requests/s per service) while a Prometheus scrapes them. Their answers are heap per
 *   scrape, per hour at that rate or per request, never throughput, and they spend nearly all their
 *   time waiting for scrapes, major GCs and alert rules (~100 and ~166 s, a few percent of a core
 *   each). `npm test` (scripts/jest-phases.mjs) runs them side by side, beside `quiet` (niced)
 *   and before `load`.
 * - `load`: every other end-to-end file. They run real services under load; side by side on two
 *   cores they would measure the machine's contention instead of the service, so `npm test` runs
 *   them one file at a time (maxWorkers 1, the default below).
 * A new end-to-end file is in `load` unless it is listed in LOAD_FREE or PACED.
 */
const LOAD_FREE = [
  'action-bundle',
  'agent',
  'html-chromium',
  'runners',
  'traffic-input',
  'watch-parallel',
  'watch-secured',
];
const PACED = ['watch', 'watch-sources'];
const e2e = (names) => names.map((name) => `<rootDir>/test/e2e/${name}.test.ts`);

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
  // One temporary folder per jest run (TMPDIR), removed at the end: tests leave nothing in /tmp.
  globalSetup: '<rootDir>/test/tmp-setup.js',
  globalTeardown: '<rootDir>/test/tmp-teardown.js',
  projects: [
    { ...shared, displayName: 'quiet', testMatch: ['<rootDir>/test/unit/**/*.test.ts', ...e2e(LOAD_FREE)] },
    { ...shared, displayName: 'paced', testMatch: e2e(PACED) },
    {
      ...shared,
      displayName: 'load',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...e2e([...LOAD_FREE, ...PACED])],
    },
  ],
};
