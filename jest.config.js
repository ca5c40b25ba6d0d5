/** Transpile-only (swc): types are checked once by `tsc --noEmit` in `npm test`, not inside jest. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  moduleNameMapper: { '^cdk-microservice$': '<rootDir>/lib/index.ts' },
  setupFiles: ['<rootDir>/test/setup-env.js'],
  maxWorkers: 2,
};
