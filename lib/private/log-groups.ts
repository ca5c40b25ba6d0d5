import { ArnFormat, Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { stackKeyOf } from './grants';

/** How the platform wants every log group the library creates: its retention, and a KMS key. */
export interface LogSettings {
  /** Overrides each log group's default retention (an explicit prop still wins). */
  readonly retention?: logs.RetentionDays;
  /** Encrypt each with the customer-managed key of its stack. */
  readonly encryption: boolean;
}

const LOG_KEY_ID = 'CdkMicroserviceLogKey';

/**
 * A log group the library creates: the explicit retention, else the platform's, else the default;
 * with encryption, the stack's log key (Control Tower wants the key in the log group's own stack).
 */
export function createLogGroup(scope: Construct, id: string, settings: LogSettings,
  o: { readonly retention?: logs.RetentionDays; readonly defaultRetention: logs.RetentionDays; readonly removalPolicy: RemovalPolicy; readonly logGroupName?: string }): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    logGroupName: o.logGroupName,
    retention: o.retention ?? settings.retention ?? o.defaultRetention,
    removalPolicy: o.removalPolicy,
    encryptionKey: settings.encryption ? logKeyOf(scope) : undefined,
  });
}

/**
 * The stack's key for log groups, created once: rotation on, kept when the stack is deleted (the
 * retained log groups stay readable), usable by CloudWatch Logs for this account's log groups in
 * this region only (CloudWatch Logs guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
 */
export function logKeyOf(scope: IConstruct): kms.Key {
  const stack = Stack.of(scope);
  return stackKeyOf(scope, LOG_KEY_ID, {
    description: `Encrypts the log groups of ${stack.stackName}`,
    removalPolicy: RemovalPolicy.RETAIN,
  }, (key) => key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    },
  })));
}
