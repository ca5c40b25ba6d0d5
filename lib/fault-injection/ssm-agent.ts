import { Aspects, CfnResource, Duration, IAspect, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import type { ServiceTask } from '../private/binding';
import { serviceRoleWithManagedPolicy } from '../private/grants';

/** The container name of the agent, the only one of the task that may run as root and write its root filesystem. */
const AGENT_CONTAINER = 'amazon-ssm-agent';

/**
 * Registers the task with Systems Manager as a managed instance tagged with its task ARN, which is
 * how FIS finds the task for its SSM-run actions (CPU stress, network faults), then runs the agent;
 * on SIGTERM it deletes the activation and deregisters the instance. The steps FIS documents for
 * its sidecar (FIS guide, "ECS task actions", requirements), without `dnf upgrade`, which would
 * change what runs with every start.
 */
const REGISTRATION_SCRIPT = [
  'set -e',
  'dnf install -y jq procps awscli',
  'cleanup() {',
  '  aws ssm delete-activation --activation-id "$ACTIVATION_ID" --region "$REGION" || echo "activation $ACTIVATION_ID not deleted" >&2',
  '  INSTANCE_ID=$(jq -r .ManagedInstanceID /var/lib/amazon/ssm/registration)',
  '  aws ssm deregister-managed-instance --instance-id "$INSTANCE_ID" --region "$REGION" || echo "instance $INSTANCE_ID not deregistered" >&2',
  '  kill -TERM "$AGENT_PID"',
  '}',
  'trap cleanup TERM INT',
  'if [ -z "$MANAGED_INSTANCE_ROLE_NAME" ] || [ -z "$ECS_CONTAINER_METADATA_URI_V4" ]; then echo "not in an ECS task with MANAGED_INSTANCE_ROLE_NAME" >&2; exit 1; fi',
  'if ps ax | grep -v grep | grep -q amazon-ssm-agent; then echo "an SSM agent already runs in the task (ECS Exec?)" >&2; exit 1; fi',
  'TASK=$(curl -s "$ECS_CONTAINER_METADATA_URI_V4/task")',
  "AZ=$(echo \"$TASK\" | jq -e -r '.AvailabilityZone')",
  "TASK_ARN=$(echo \"$TASK\" | jq -e -r '.TaskARN')",
  "REGION=$(echo \"$AZ\" | sed 's/.$//')",
  'ACTIVATION=$(aws ssm create-activation --iam-role "$MANAGED_INSTANCE_ROLE_NAME" --region "$REGION" '
    + '--tags Key=ECS_TASK_AVAILABILITY_ZONE,Value="$AZ" Key=ECS_TASK_ARN,Value="$TASK_ARN" Key=FAULT_INJECTION_SIDECAR,Value=true)',
  'ACTIVATION_ID=$(echo "$ACTIVATION" | jq -e -r .ActivationId)',
  'amazon-ssm-agent -register -code "$(echo "$ACTIVATION" | jq -e -r .ActivationCode)" -id "$ACTIVATION_ID" -region "$REGION"',
  'amazon-ssm-agent & AGENT_PID=$!',
  'wait "$AGENT_PID"',
].join('\n');

/**
 * The SSM agent sidecar FIS's task actions need, its managed-instance role, and the task role's
 * right to register the task (FIS guide, "ECS task actions"). The agent runs as root with a
 * writable root filesystem: it installs its tools and writes its registration at start.
 */
export function addSsmAgent(scope: Construct, task: ServiceTask, image: string): void {
  const instanceRole = serviceRoleWithManagedPolicy(scope, 'ManagedInstanceRole', {
    service: 'ssm.amazonaws.com',
    description: `Managed instance role of the tasks of ${scope.node.scope?.node.path} while they take part in FIS experiments`,
    managedPolicy: 'AmazonSSMManagedInstanceCore',
    reason: 'The managed policy FIS documents for the managed-instance role of its ECS task sidecar; only ssm.amazonaws.com assumes the role.',
  });
  const deregister = new iam.ManagedPolicy(scope, 'DeregisterPolicy', {
    description: `Lets the SSM agents of ${scope.node.scope?.node.path} remove their own registration`,
    statements: [new iam.PolicyStatement({ actions: ['ssm:DeleteActivation', 'ssm:DeregisterManagedInstance'], resources: ['*'] })],
  });
  instanceRole.addManagedPolicy(deregister);
  Validations.of(deregister).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'The sidecar deletes its own activation and deregisters its own managed instance on stop; both ids are created at run time.',
  });

  const agentPolicy = new iam.ManagedPolicy(scope, 'AgentPolicy', {
    description: `Lets the tasks of ${scope.node.scope?.node.path} register with Systems Manager for FIS experiments`,
    statements: [
      new iam.PolicyStatement({ actions: ['ssm:CreateActivation', 'ssm:AddTagsToResource'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'], resources: [instanceRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
      }),
    ],
  });
  task.taskDefinition.taskRole.addManagedPolicy(agentPolicy);
  Validations.of(agentPolicy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ssm:CreateActivation and ssm:AddTagsToResource on the activation the sidecar creates at start, whose id does not exist before.',
  });

  task.addSidecar({
    id: 'SsmAgent',
    containerName: AGENT_CONTAINER,
    image: ecs.ContainerImage.fromRegistry(image),
    essential: false,
    entryPoint: [],
    command: ['/bin/bash', '-c', REGISTRATION_SCRIPT],
    environment: { MANAGED_INSTANCE_ROLE_NAME: instanceRole.roleName },
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
 * Control Tower's CT.ECS.PR.3 (non-root user) and CT.ECS.PR.6 (read-only root filesystem) judge the
 * task definition as a whole. When every other container passes, the finding is the agent's alone,
 * which FIS requires to run as root and install its tools at start, and is acknowledged; when
 * another container fails too, the finding stays for its owner. Decided once every container is
 * added (aspects run before validation).
 */
class AgentFindings implements IAspect {
  private done = false;
  constructor(private readonly task: ServiceTask) {}
  public visit(node: IConstruct): void {
    if (this.done || node !== this.task.taskDefinition) return;
    this.done = true;
    const hardened = this.task.othersHardened(AGENT_CONTAINER);
    const target = this.task.taskDefinition.node.defaultChild as CfnResource;
    if (hardened.nonRoot) {
      Validations.of(target).acknowledge({
        id: 'cdk-validator-cfnguard::ecs_task_definition_nonroot_user_check',
        reason: 'Only the SSM agent sidecar of FIS\'s task actions runs as root, as FIS requires; every other container names an unprivileged user.',
      });
    }
    if (hardened.readOnly) {
      Validations.of(target).acknowledge({
        id: 'cdk-validator-cfnguard::ecs_containers_readonly_access_check',
        reason: 'Only the SSM agent sidecar of FIS\'s task actions writes its root filesystem (it installs its tools and registers at start); every other container is read-only.',
      });
    }
  }
}
