import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { stackKeyOf } from '../private/grants';

const MESSAGING_KEY_ID = 'CdkMicroserviceMessagingKey';

/**
 * The stack's key for its topics and queues, created once: rotation on, grants only for AWS
 * services (Control Tower CT.KMS.PR.3). Kept when the stack is deleted or the key replaced, as the
 * log keys are: a key scheduled for deletion makes every message it encrypted unreadable, the dead
 * letters of a queue kept or recreated by hand included. Publishers and consumers get their grants
 * in IAM (`grantPublish`, `grantConsumeMessages`); SNS, which encrypts what it delivers into a
 * queue, is let in by each subscription for its topic only.
 */
export function messagingKeyOf(scope: IConstruct): kms.Key {
  return stackKeyOf(scope, MESSAGING_KEY_ID, {
    description: `Encrypts the topics and queues of ${Stack.of(scope).stackName}`,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
