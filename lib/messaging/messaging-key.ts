import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { stackKeyOf } from '../private/grants';

const MESSAGING_KEY_ID = 'CdkMicroserviceMessagingKey';

/**
 * The stack's key for its topics and queues, created once: rotation on, grants only for AWS
 * services (Control Tower CT.KMS.PR.3). Messages are transient, so the key goes with its stack
 * (after KMS's 7-day waiting period), unlike the log key. Publishers and consumers get their
 * grants in IAM (`grantPublish`, `grantConsumeMessages`); SNS, which encrypts what it delivers
 * into a queue, is let in by each subscription for its topic only.
 */
export function messagingKeyOf(scope: IConstruct): kms.Key {
  return stackKeyOf(scope, MESSAGING_KEY_ID, {
    description: `Encrypts the topics and queues of ${Stack.of(scope).stackName}`,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
}
