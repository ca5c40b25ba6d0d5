import { versionOlder } from './validation';

/**
 * The oldest aws-cdk-lib the library is tested on (the peer dependency's floor; the tests install
 * the packed library there and synthesize every example). Older releases lack APIs the library
 * calls and fail in ways that do not name the cause (2.250), or let an acknowledgement on one
 * construct hide the same rule's findings on every other (2.270), which would let the library's
 * own acknowledgements hide the user's: the package refuses them when it is loaded.
 */
export const MIN_CDK_VERSION = '2.271.0';

/** Throws when `version` (an aws-cdk-lib version) is older than {@link MIN_CDK_VERSION}. */
export function checkCdkVersion(version: string): void {
  if (!/^\d+\.\d+\.\d+/.test(version)) return; // a local build of aws-cdk-lib (0.0.0 or a tag): not ours to judge
  if (version === '0.0.0') return;
  if (versionOlder(version, MIN_CDK_VERSION)) {
    throw new Error(`cdk-microservice needs aws-cdk-lib ${MIN_CDK_VERSION} or later (its peer dependency is ^${MIN_CDK_VERSION}), got ${version}: `
      + `run npm install aws-cdk-lib@^${MIN_CDK_VERSION}`);
  }
}

checkCdkVersion(require('aws-cdk-lib/package.json').version);
