import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The tag FIS finds a service's replication group by, and the experiment role's condition on it. */
export const CACHE_TARGET_TAG = 'cdk-microservice:fault-injection';

/** What one service's experiments do, hence what their role may do. */
export interface ExperimentRoleNeeds {
  readonly servicePath: string;
  readonly clusterName: string;
  /** SSM documents the task actions run (empty: stop-task only). */
  readonly documents: string[];
  /** The network actions read the tasks' subnets and instances. */
  readonly network: boolean;
  /** The value of {@link CACHE_TARGET_TAG} on the replication group whose AZ power it cuts. */
  readonly cacheTag?: string;
}

/**
 * The experiment role of one service: FIS may assume it for this account's experiments only
 * (FIS guide, "IAM role for AWS FIS experiments": aws:SourceAccount and aws:SourceArn), and it may
 * act on this service's cluster's tasks, their SSM managed instances and the service's cache, as
 * the FIS actions reference lists each action's permissions.
 */
export function createExperimentRole(scope: Construct, needs: ExperimentRoleNeeds): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'ExperimentRole', {
    description: `FIS experiments of ${needs.servicePath}`,
    assumedBy: new iam.ServicePrincipal('fis.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' }) },
    }),
  });
  const statements = [
    new iam.PolicyStatement({
      actions: ['ecs:DescribeClusters'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: needs.clusterName })],
    }),
    // Task ids exist only at run time; the cluster is pinned by the `ecs:cluster` condition key,
    // which StopTask and DescribeTasks support (Service Authorization Reference, Amazon ECS).
    new iam.PolicyStatement({
      actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: '*' })],
      conditions: {
        ArnEquals: { 'ecs:cluster': stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: needs.clusterName }) },
      },
    }),
    // FIS resolves the tasks of a service with ListTasks, which has no resource type.
    new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'] }),
    // The experiment log: FIS sets up the vended-log delivery to the log group (CloudWatch Logs
    // guide, "Enabling logging from AWS services": these four actions, resource `*`).
    new iam.PolicyStatement({
      actions: ['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
      resources: ['*'],
    }),
  ];
  if (needs.documents.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [
          // AWS-owned documents have no account in their ARN (FIS actions reference, aws:ecs:task-cpu-stress).
          ...needs.documents.map((d) => stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: d })),
          stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: '*' }),
        ],
      }),
      new iam.PolicyStatement({ actions: ['ssm:ListCommands', 'ssm:CancelCommand'], resources: ['*'] }),
    );
  }
  if (needs.network) {
    statements.push(new iam.PolicyStatement({
      actions: ['ecs:DescribeContainerInstances', 'ec2:DescribeInstances', 'ec2:DescribeSubnets'],
      resources: ['*'],
    }));
  }
  if (needs.cacheTag) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['elasticache:InterruptClusterAzPower'],
        resources: ['*'],
        conditions: { StringEquals: { [`aws:ResourceTag/${CACHE_TARGET_TAG}`]: needs.cacheTag } },
      }),
      new iam.PolicyStatement({ actions: ['elasticache:DescribeReplicationGroups', 'tag:GetResources'], resources: ['*'] }),
    );
  }
  const policy = new iam.ManagedPolicy(scope, 'ExperimentPolicy', { description: `What the FIS experiments of ${needs.servicePath} may do`, statements });
  role.addManagedPolicy(policy);
  const reasons: Record<string, string> = {
    'Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/*':
      'FIS stops and describes tasks whose ids exist only at run time; the ecs:cluster condition keeps them to this service\'s cluster.',
    'Resource::*': 'ecs:ListTasks, the log delivery set-up and the read-only EC2, ElastiCache and tagging lookups FIS makes have no resource type; '
      + 'the cache\'s AZ power interruption is limited by a condition to the replication group tagged for this service.',
  };
  if (needs.documents.length > 0) {
    reasons['Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*'] =
      'The SSM agents of this service\'s tasks register as managed instances with ids that exist only at run time; the documents sent are named.';
  }
  for (const [finding, reason] of Object.entries(reasons)) {
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
  return role;
}
