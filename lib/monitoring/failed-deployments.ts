import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** What a failed-deployment rule matches and where it sends the events. */
export interface FailedDeploymentRuleProps {
  readonly description: string;
  /** The `resources` of the event pattern: a service's ARN, or a prefix of the cluster's services' ARNs. */
  readonly resources: unknown[];
  readonly topic: sns.ITopic;
}

/**
 * An EventBridge rule on `SERVICE_DEPLOYMENT_FAILED` events (ECS developer guide, "Amazon ECS
 * service deployment state change events"), whose target is the topic by ARN only: the topic's
 * policy must admit `events.amazonaws.com` (the platform's alarm topic does, once). What
 * EventBridge cannot deliver after its retries goes to a dead-letter queue of the rule's
 * (cdk-nag's Serverless-EventBusDLQ), which only this rule may send to (EventBridge guide, "Using
 * dead-letter queues to process undelivered events": `aws:SourceArn` of the rule).
 */
export function failedDeploymentRule(scope: Construct, props: FailedDeploymentRuleProps): { readonly rule: events.Rule; readonly deadLetters: sqs.Queue } {
  const deadLetters = new sqs.Queue(scope, 'DeploymentFailedDeadLetters', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  for (const id of ['AwsSolutions-SQS3', 'cdk-validator-cfnguard::sqs_dlq_check']) {
    Validations.of(deadLetters).acknowledge({
      id,
      reason: 'It is a dead-letter queue, of the failed-deployment rule\'s target (its DeadLetterConfig), which the rules do not see; a queue of dead letters has none of its own, and no SQS queue redrives into it.',
    });
  }
  const rule = new events.Rule(scope, 'DeploymentFailed', {
    description: props.description,
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Deployment State Change'],
      resources: props.resources as string[],
      detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
    },
  });
  rule.addTarget({
    bind: () => ({
      arn: props.topic.topicArn,
      deadLetterConfig: { arn: deadLetters.queueArn },
      retryPolicy: { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 },
    }),
  });
  deadLetters.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['sqs:SendMessage'],
    resources: [deadLetters.queueArn],
    conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
  }));
  return { rule, deadLetters };
}
