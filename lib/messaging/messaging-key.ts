import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { stackKeyOf } from '../private/grants';

const MESSAGING_KEY_ID = 'CdkMicroserviceMessagingKey';

/**
 * `actions` on `key` for a principal, only in requests that `service` (`sns`, `sqs`) makes for it
 * (KMS guide, "kms:ViaService": `sns.<region>.amazonaws.com`, `sqs.<region>.amazonaws.com`, with
 * the partition's domain, `amazonaws.com.cn` in China): the task cannot use the key directly, only
 * to publish or consume.
 */
export function viaService(key: kms.IKey, service: 'sns' | 'sqs', ...actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions, resources: [key.keyArn], conditions: { StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
  });
}

/**
 * The stack's key for its topics and queues, created once: rotation on, grants only for AWS
 * services (Control Tower CT.KMS.PR.3). Kept when the stack is deleted or the key replaced, as the
 * log keys are: a key scheduled for deletion makes every message it encrypted unreadable, the dead
 * letters of a queue kept or recreated by hand included. Publishers and consumers get their grants
 * in IAM, named actions through SNS or SQS only ({@link viaService}); SNS, which encrypts what it
 * delivers into a queue, is let in by each subscription for its topic only.
 */
export function messagingKeyOf(scope: IConstruct): kms.Key {
  return stackKeyOf(scope, MESSAGING_KEY_ID, {
    description: `Encrypts the topics and queues of ${Stack.of(scope).stackName}`,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
