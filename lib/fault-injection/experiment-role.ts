import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The tag of what a service's experiments may act on, valued `<stack>/<service>`: its ECS service
 * (whose tags its tasks receive), the SSM managed instances its agents register, its replication
 * group. The experiment role's conditions name it.
 */
export const FIS_TARGET_TAG = 'cdk-microservice:fault-injection';

/** What one service's experiments do, hence what their role may do. */
export interface ExperimentRoleNeeds {
  readonly servicePath: string;
  readonly clusterName: string;
  /** The value of {@link FIS_TARGET_TAG} on this service's tasks, managed instances and replication group. */
  readonly targetTag: string;
  /** Whether a template stops tasks (`aws:ecs:stop-task`). */
  readonly stopsTasks: boolean;
  /** SSM documents the task actions run (empty: stop-task only). */
  readonly documents: string[];
  /** The network actions read the tasks' subnets and instances. */
  readonly network: boolean;
  /** Whether a template cuts the power of the replication group's AZ. */
  readonly cachePower: boolean;
}

/**
 * The experiment role of one service: FIS may assume it for this account's experiments only
 * (FIS guide, "IAM role for AWS FIS experiments": aws:SourceAccount and aws:SourceArn), and it may
 * act on this service's tasks, their SSM managed instances and the service's cache only, each
 * known by {@link FIS_TARGET_TAG}, as the FIS actions reference lists each action's permissions.
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
    // Task ids exist only at run time: the cluster is pinned by `ecs:cluster`, and the service by
    // the tag its tasks receive from it; StopTask and DescribeTasks support both condition keys
    // (Service Authorization Reference, Amazon ECS). Other services' tasks of the shared cluster
    // cannot be stopped.
    new iam.PolicyStatement({
      actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: '*' })],
      conditions: {
        ArnEquals: { 'ecs:cluster': stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: needs.clusterName }) },
        StringEquals: { [`aws:ResourceTag/${FIS_TARGET_TAG}`]: needs.targetTag },
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
  // Lookups with no resource type: target resolution by tags (FIS actions reference: aws:ecs:stop-task
  // and aws:elasticache:replicationgroup-interrupt-az-power list tag:GetResources).
  const lookups = new Set<string>();
  if (needs.stopsTasks) lookups.add('tag:GetResources');
  if (needs.documents.length > 0) {
    statements.push(
      // AWS-owned documents have no account in their ARN (FIS actions reference, aws:ecs:task-cpu-stress).
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: needs.documents.map((d) => stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: d })),
      }),
      // ...to the managed instances this service's agents registered only: SendCommand supports
      // ssm:resourceTag on a managed instance (Service Authorization Reference, Systems Manager).
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: '*' })],
        conditions: { StringEquals: { [`ssm:resourceTag/${FIS_TARGET_TAG}`]: needs.targetTag } },
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
  if (needs.cachePower) {
    statements.push(new iam.PolicyStatement({
      actions: ['elasticache:InterruptClusterAzPower'],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:ResourceTag/${FIS_TARGET_TAG}`]: needs.targetTag } },
    }));
    lookups.add('elasticache:DescribeReplicationGroups').add('tag:GetResources');
  }
  if (lookups.size > 0) statements.push(new iam.PolicyStatement({ actions: [...lookups].sort(), resources: ['*'] }));
  const policy = new iam.ManagedPolicy(scope, 'ExperimentPolicy', { description: `What the FIS experiments of ${needs.servicePath} may do`, statements });
  role.addManagedPolicy(policy);
  const reasons: Record<string, string> = {
    'Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/*':
      'FIS stops and describes tasks whose ids exist only at run time; the ecs:cluster condition and the tag the service gives its tasks keep them to this service\'s tasks.',
    'Resource::*': 'ecs:ListTasks, the log delivery set-up and the read-only EC2, ElastiCache and tagging lookups FIS makes have no resource type; '
      + 'the cache\'s AZ power interruption is limited by a condition to the replication group tagged for this service.',
  };
  if (needs.documents.length > 0) {
    reasons['Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*'] =
      'The SSM agents of this service\'s tasks register as managed instances with ids that exist only at run time; the ssm:resourceTag condition keeps commands to those this service\'s agents registered, and the documents sent are named.';
  }
  for (const [finding, reason] of Object.entries(reasons)) {
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
  return role;
}
