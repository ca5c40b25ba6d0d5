/**
 * `npm test`: every test but the package checks (test/package, `npm run test:package`), which
 * build with jsii, generate the other languages' code and install the tarball from the npm
 * registry. Transpile-only (swc): types are checked once by `tsc --noEmit` in `npm test`, not inside jest.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  moduleNameMapper: { '^cdk-microservice$': '<rootDir>/lib/index.ts' },
  setupFiles: ['<rootDir>/test/setup-env.js'],
  maxWorkers: 2,
};
