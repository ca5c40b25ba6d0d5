import { Aspects, Aws, CfnResource, Duration, IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { FIS_TARGET_TAG } from './experiment-role';
import type { ServiceTask } from '../private/binding';

/** The container name of the agent, the only one of the task that writes its root filesystem. */
const AGENT_CONTAINER = 'amazon-ssm-agent';
/**
 * The user of FIS's non-root SSM agent image: "runs the SSM agent as a dedicated ssmagent user
 * (UID/GID 61555), requiring no root privileges" (FIS guide, "Use the AWS FIS aws:ecs:task actions").
 */
const AGENT_USER = '61555';
/** Tags the registration gives the activation, hence the managed instance (FIS finds the task by ECS_TASK_ARN). */
const REGISTRATION_TAG_KEYS = ['ECS_TASK_AVAILABILITY_ZONE', 'ECS_TASK_ARN', 'FAULT_INJECTION_SIDECAR', FIS_TARGET_TAG];

/**
 * Registers the task with Systems Manager as a managed instance tagged with its task ARN and the
 * service's {@link FIS_TARGET_TAG}, which is how FIS finds the task for its SSM-run actions (CPU
 * stress, network faults) and how the experiment role is held to this service's instances; then
 * runs the agent, and on SIGTERM deletes the activation and deregisters the instance. The steps
 * FIS documents for its sidecar (FIS guide, "Use the AWS FIS aws:ecs:task actions", reference
 * version of the script), without its `dnf upgrade` and `dnf install jq procps awscli`: packages
 * fetched unpinned at every start. The non-root image "has the required fault injection
 * dependencies pre-installed" (same guide).
 */
const REGISTRATION_SCRIPT = [
  'set -e',
  'cleanup() {',
  '  aws ssm delete-activation --activation-id "$ACTIVATION_ID" --region "$REGION" || echo "activation $ACTIVATION_ID not deleted" >&2',
  '  INSTANCE_ID=$(jq -r .ManagedInstanceID /var/lib/amazon/ssm/registration)',
  '  aws ssm deregister-managed-instance --instance-id "$INSTANCE_ID" --region "$REGION" || echo "instance $INSTANCE_ID not deregistered" >&2',
  '  kill -TERM "$AGENT_PID"',
  '}',
  'trap cleanup TERM INT',
  'if [ -z "$MANAGED_INSTANCE_ROLE_NAME" ] || [ -z "$FIS_TARGET" ] || [ -z "$ECS_CONTAINER_METADATA_URI_V4" ]; then echo "not in an ECS task with MANAGED_INSTANCE_ROLE_NAME and FIS_TARGET" >&2; exit 1; fi',
  'if ps ax | grep -v grep | grep -q amazon-ssm-agent; then echo "an SSM agent already runs in the task (ECS Exec?)" >&2; exit 1; fi',
  'TASK=$(curl -s "$ECS_CONTAINER_METADATA_URI_V4/task")',
  "AZ=$(echo \"$TASK\" | jq -e -r '.AvailabilityZone')",
  "TASK_ARN=$(echo \"$TASK\" | jq -e -r '.TaskARN')",
  "REGION=$(echo \"$AZ\" | sed 's/.$//')",
  'ACTIVATION=$(aws ssm create-activation --iam-role "$MANAGED_INSTANCE_ROLE_NAME" --registration-limit 1 --region "$REGION" '
    + `--tags Key=ECS_TASK_AVAILABILITY_ZONE,Value="$AZ" Key=ECS_TASK_ARN,Value="$TASK_ARN" Key=FAULT_INJECTION_SIDECAR,Value=true Key=${FIS_TARGET_TAG},Value="$FIS_TARGET")`,
  'ACTIVATION_ID=$(echo "$ACTIVATION" | jq -e -r .ActivationId)',
  'amazon-ssm-agent -register -code "$(echo "$ACTIVATION" | jq -e -r .ActivationCode)" -id "$ACTIVATION_ID" -region "$REGION"',
  'amazon-ssm-agent & AGENT_PID=$!',
  'wait "$AGENT_PID"',
].join('\n');

/**
 * The SSM agent sidecar FIS's task actions need, its managed-instance role, and the task role's
 * right to register the task (FIS guide, "Use the AWS FIS aws:ecs:task actions"), each held to
 * this service: the task role may create activations only with this service's tag and pass only
 * this role; the role, whose credentials a registered machine receives, may do no more than an
 * agent running commands needs (not AmazonSSMManagedInstanceCore, whose `ssm:GetParameter*` on `*`
 * would give any machine registered with a stolen activation every parameter of the account).
 */
export function addSsmAgent(scope: Construct, task: ServiceTask, image: string, targetTag: string): void {
  const stack = Stack.of(scope);
  const instanceRole = new iam.Role(scope, 'ManagedInstanceRole', {
    description: `Managed instance role of the tasks of ${scope.node.scope?.node.path} while they take part in FIS experiments`,
    // Systems Manager's hybrid service role, for this account's activations in this region only
    // (Systems Manager guide, "Create the IAM service role required for Systems Manager in hybrid
    // and multicloud environments": aws:SourceAccount and aws:SourceArn).
    assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnEquals: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
    }),
  });
  const agent = new iam.ManagedPolicy(scope, 'AgentPolicy', {
    description: `What the SSM agents of ${scope.node.scope?.node.path} need to run FIS's commands, and to remove their own registration`,
    statements: [
      // Run Command through the Message Delivery Service (ec2messages) or Message Gateway Service
      // (ssmmessages), and the agent's heartbeat (Systems Manager guide, "Reference: ec2messages,
      // ssmmessages, and other API operations"). None of these supports a resource type.
      new iam.PolicyStatement({
        actions: [
          'ssm:UpdateInstanceInformation',
          'ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint',
          'ec2messages:GetMessages', 'ec2messages:SendReply',
          'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
      }),
      // The sidecar removes its own registration on stop (FIS guide: the managed instance role gets
      // ssm:DeleteActivation and ssm:DeregisterManagedInstance); DeleteActivation has no resource type.
      new iam.PolicyStatement({ actions: ['ssm:DeleteActivation'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['ssm:DeregisterManagedInstance'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: '*' })],
        conditions: { StringEquals: { [`ssm:resourceTag/${FIS_TARGET_TAG}`]: targetTag } },
      }),
    ],
  });
  instanceRole.addManagedPolicy(agent);
  Validations.of(agent).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'The agent\'s heartbeat and message actions and ssm:DeleteActivation support no resource type (Service Authorization Reference, Systems Manager); nothing else is on *.',
  });
  Validations.of(agent).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*]',
    reason: 'A managed instance\'s id exists only once the sidecar registered it; the ssm:resourceTag condition holds deregistration to this service\'s instances.',
  });

  const registration = new iam.ManagedPolicy(scope, 'RegistrationPolicy', {
    description: `Lets the tasks of ${scope.node.scope?.node.path} register with Systems Manager for FIS experiments`,
    statements: [
      // An activation (no resource type) only with this service's tag and the registration's tags,
      // and tags on what is created only so (both support aws:RequestTag and aws:TagKeys).
      new iam.PolicyStatement({
        actions: ['ssm:CreateActivation', 'ssm:AddTagsToResource'],
        resources: ['*'],
        conditions: {
          'StringEquals': { [`aws:RequestTag/${FIS_TARGET_TAG}`]: targetTag },
          'ForAllValues:StringEquals': { 'aws:TagKeys': REGISTRATION_TAG_KEYS },
        },
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'], resources: [instanceRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
      }),
    ],
  });
  task.taskDefinition.taskRole.addManagedPolicy(registration);
  Validations.of(registration).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ssm:CreateActivation has no resource type and the activation does not exist before; the conditions allow it, and tagging, only with this service\'s tag.',
  });

  task.addSidecar({
    id: 'SsmAgent',
    containerName: AGENT_CONTAINER,
    image: ecs.ContainerImage.fromRegistry(image),
    essential: false,
    entryPoint: [],
    command: ['/bin/bash', '-c', REGISTRATION_SCRIPT],
    user: AGENT_USER,
    environment: { MANAGED_INSTANCE_ROLE_NAME: instanceRole.roleName, FIS_TARGET: targetTag },
    readonlyRootFilesystem: false,
    cpu: 64,
    memoryReservationMiB: 128,
    memoryLimitMiB: 256,
    stopTimeout: Duration.seconds(30),
    appStartsAfter: ecs.ContainerDependencyCondition.START,
  });
  Aspects.of(task.taskDefinition).add(new AgentFindings(task));
}

/**
 * Control Tower's CT.ECS.PR.6 (read-only root filesystem) judges the task definition as a whole.
 * When every other container passes, the finding is the agent's alone, which writes its
 * registration and state under /var/lib/amazon/ssm, and is acknowledged; when another container
 * fails too, the finding stays for its owner. Decided once every container is added (aspects run
 * before validation). The agent names its user, so CT.ECS.PR.3 is not the agent's to acknowledge.
 */
class AgentFindings implements IAspect {
  private done = false;
  constructor(private readonly task: ServiceTask) {}
  public visit(node: IConstruct): void {
    if (this.done || node !== this.task.taskDefinition) return;
    this.done = true;
    if (this.task.othersReadOnly(AGENT_CONTAINER)) {
      Validations.of(this.task.taskDefinition.node.defaultChild as CfnResource).acknowledge({
        id: 'cdk-validator-cfnguard::ecs_containers_readonly_access_check',
        reason: 'Only the SSM agent sidecar of FIS\'s task actions writes its root filesystem (its registration and state); every other container is read-only.',
      });
    }
  }
}
