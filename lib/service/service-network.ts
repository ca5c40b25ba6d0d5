import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { MicroserviceProps } from './microservice-props';
import { capacityProviderStrategies, ResolvedSettings } from './service-settings';
import type { ServiceTaskDefinition } from './service-task';
import type { IMicroservicePlatform } from '../platform/platform-props';
import type { ServiceTask } from '../private/binding';

/** The service's place on the network: its closed security group, the Fargate service, its Cloud Map registration. */
export interface ServiceNetwork {
  readonly securityGroup: ec2.SecurityGroup;
  readonly service: ecs.FargateService;
  readonly cloudMapService: servicediscovery.Service;
  readonly connections: ec2.Connections;
}

/**
 * The Fargate service in the platform's private subnets, behind a security group that admits no
 * caller until one is wired in, registered in the namespace with A and SRV records.
 */
export function createServiceNetwork(scope: Construct, s: ResolvedSettings, platform: IMicroservicePlatform,
  task: ServiceTaskDefinition, props: MicroserviceProps): ServiceNetwork {
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: platform.vpc,
    description: `Tasks of ${scope.node.path}: no ingress until a caller is wired in`,
    allowAllOutbound: true,
  });
  const service = new ecs.FargateService(scope, 'Service', {
    serviceName: s.discoveryName,
    cluster: platform.cluster,
    taskDefinition: task.taskDefinition,
    securityGroups: [securityGroup],
    vpcSubnets: platform.serviceSubnets,
    assignPublicIp: false,
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { enable: true, rollback: true },
    deploymentStrategy: props.deployment?.strategy,
    canaryConfiguration: props.deployment?.canary,
    linearConfiguration: props.deployment?.linear,
    bakeTime: props.deployment?.bakeTime,
    capacityProviderStrategies: capacityProviderStrategies(props.fargateSpot),
    // With a cluster of the user's whose ECS Exec settings hold a KMS key or an S3 bucket,
    // aws-cdk-lib grants what they need on the task role; otherwise the library turns ECS Exec on
    // with a policy of its own (the platform's cluster logs every session to a log group).
    enableExecuteCommand: s.enableExecuteCommand && grantedByCdk(platform.cluster),
    propagateTags: ecs.PropagatedTagSource.SERVICE,
    enableECSManagedTags: true,
  });
  if (s.enableExecuteCommand && !grantedByCdk(platform.cluster)) enableExecuteCommand(scope, service, task, platform.cluster.executeCommandConfiguration?.logConfiguration?.cloudWatchLogGroup?.logGroupRef.logGroupArn);
  // A and SRV records: `<name>.<namespace>` resolves to the tasks (what plain DNS clients need),
  // and the SRV records carry the port (what API Gateway needs).
  const cloudMapService = new servicediscovery.Service(scope, 'CloudMapService', {
    namespace: platform.namespace,
    name: s.discoveryName,
    dnsRecordType: servicediscovery.DnsRecordType.SRV,
    dnsTtl: Duration.seconds(10),
    customHealthCheck: { failureThreshold: 1 },
  });
  (cloudMapService.node.defaultChild as servicediscovery.CfnService).addPropertyOverride('DnsConfig.DnsRecords', [
    { Type: 'A', TTL: 10 },
    { Type: 'SRV', TTL: 10 },
  ]);
  service.associateCloudMapService({ service: cloudMapService, container: task.container, containerPort: s.containerPort });
  // The strategy names the cluster's Fargate capacity providers: create the service only after
  // the cluster's capacity provider association exists (a cross-stack cluster is already
  // deployed; an imported one adds nothing).
  if (platform.cluster instanceof ecs.Cluster) service.node.addDependency(platform.cluster);
  const connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(s.containerPort) });
  return { securityGroup, service, cloudMapService, connections };
}

/** Whether aws-cdk-lib grants ECS Exec's permissions: a cluster whose settings name a KMS key or an S3 bucket. */
function grantedByCdk(cluster: ecs.ICluster): boolean {
  const config = cluster.executeCommandConfiguration;
  return config?.kmsKey !== undefined || config?.logConfiguration?.s3Bucket !== undefined;
}

/**
 * ECS Exec: the service setting, the Session Manager channel actions and, when the cluster logs
 * sessions to a log group, the writes of the session log there (the permissions the ECS guide
 * lists for ECS Exec logging), on a policy of their own, so that the acknowledgement of their `*`
 * resource covers these actions and nothing the user grants the task role.
 */
function enableExecuteCommand(scope: Construct, service: ecs.FargateService, task: ServiceTask, logGroupArn?: string): void {
  (service.node.defaultChild as ecs.CfnService).enableExecuteCommand = true;
  const policy = new iam.Policy(scope, 'ExecuteCommandPolicy', {
    statements: [new iam.PolicyStatement({
      actions: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      resources: ['*'],
    })],
  });
  if (logGroupArn) {
    policy.addStatements(
      new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], resources: [logGroupArn] }),
    );
  }
  policy.attachToRole(task.taskDefinition.taskRole);
  service.node.addDependency(policy);
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ECS Exec: the ssmmessages channel actions and logs:DescribeLogGroups, which the session logging calls, support no resource-level permissions (Service Authorization Reference).',
  });
}
