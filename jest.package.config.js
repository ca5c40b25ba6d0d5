/** `npm run test:package`: the package checks of test/package (jsii, the languages' code, the tarball on the aws-cdk-lib floor). */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/package'],
  testPathIgnorePatterns: ['/node_modules/'],
};
