// The package refuses, when loaded, an aws-cdk-lib older than its peer dependency's floor, with
// the versions named: aws-cdk-lib 2.250 otherwise fails at synth with "Cannot read properties of
// undefined (reading 'JSON')", which names nothing, and in 2.270 an acknowledgement on one construct
// hides the rule's findings on every other (the strict-validation and finding-check tests fail there). scripts/floor-check.sh synthesizes every
// example on the floor itself.
import * as fs from 'fs';
import * as path from 'path';
import { checkCdkVersion, MIN_CDK_VERSION } from '../../lib/private/cdk-version';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

test('the floor is the peer dependency\'s', () => {
  expect(pkg.peerDependencies['aws-cdk-lib']).toBe(`^${MIN_CDK_VERSION}`);
});

test.each(['2.250.0', '2.270.0', '2.270.9', '1.204.0', '2.99.0'])('refuses aws-cdk-lib %s, naming both versions and the fix', (version) => {
  expect(() => checkCdkVersion(version)).toThrow(
    `cdk-microservice needs aws-cdk-lib ${MIN_CDK_VERSION} or later (its peer dependency is ^${MIN_CDK_VERSION}), got ${version}: run npm install aws-cdk-lib@^${MIN_CDK_VERSION}`,
  );
});

test.each([MIN_CDK_VERSION, '2.271.1', '2.276.0', '2.1000.0', '3.0.0', '2.280.0-rc.1', '0.0.0'])('accepts aws-cdk-lib %s', (version) => {
  expect(() => checkCdkVersion(version)).not.toThrow();
});

test('accepts the aws-cdk-lib this repository builds with', () => {
  expect(() => checkCdkVersion(pkg.devDependencies['aws-cdk-lib'])).not.toThrow();
});
