/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false, ignoreCodes: [151002] } },
    ],
  },
  // e2e tests run real services under load; running them side by side on two cores would
  // measure the machine's contention instead of the service.
  maxWorkers: 1,
  testTimeout: 120000,
};
