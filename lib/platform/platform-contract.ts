import { Lazy, Stack, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import type { PlatformAuthorizer } from '../private/binding';
import { CONTRACT_SCHEMA_VERSION, PlatformContract } from '../private/contract';
import { platformParameterName } from '../private/contract-names';
import { publishContract } from '../private/contract-parameter';
import type { PlatformMesh } from '../private/feature';
import type { LogSettings } from '../private/log-groups';
import type { PropErrors } from '../private/validation';

/** What a platform publishes of itself. */
export interface PlatformContractSource {
  readonly platformName: string;
  readonly vpc: ec2.IVpc;
  readonly serviceSubnets: ec2.SubnetSelection;
  readonly cluster: ecs.ICluster;
  readonly containerInsights?: boolean;
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  readonly alarmTopic: sns.ITopic;
  readonly warningTopic: sns.ITopic;
  readonly topicKeyArn: string;
  readonly mesh: PlatformMesh;
  readonly auth: PlatformAuthorizer;
  readonly vpcLink: apigwv2.IVpcLink;
  readonly vpcLinkSecurityGroup: ec2.ISecurityGroup;
  readonly apiDomainName?: string;
  readonly logs: LogSettings;
  /** Read at synthesis: the account-wide settings the platform made (with the first service that needed one). */
  accountSettings(): { readonly apiGatewayCloudWatchRole: boolean; readonly snsTracingPolicy: boolean };
}

/**
 * The platform's contract, an SSM parameter at `/cdk-microservice/<platformName>/platform` in its
 * stack: every id, name and ARN a service of another app needs to run on the platform, and the
 * settings its data plane and authorizer must share. Services of the same app read the platform
 * itself; those of other apps look this up (`MicroservicePlatform.fromPlatformName()`).
 */
export function publishPlatformContract(scope: Construct, source: PlatformContractSource): IConstruct {
  const subnets = source.vpc.selectSubnets(source.serviceSubnets);
  const contract: PlatformContract = {
    schemaVersion: CONTRACT_SCHEMA_VERSION,
    platformName: source.platformName,
    vpcId: source.vpc.vpcId,
    vpcCidrBlock: source.vpc.vpcCidrBlock,
    availabilityZones: subnets.availabilityZones,
    serviceSubnetIds: subnets.subnetIds,
    serviceSubnetRouteTableIds: subnets.subnets.map((s) => s.routeTable.routeTableId),
    clusterName: source.cluster.clusterName,
    clusterArn: source.cluster.clusterArn,
    containerInsights: source.containerInsights,
    namespaceName: source.namespace.namespaceName,
    namespaceId: source.namespace.namespaceId,
    namespaceArn: source.namespace.namespaceArn,
    alarmTopicArn: source.alarmTopic.topicArn,
    warningTopicArn: source.warningTopic.topicArn,
    topicKeyArn: source.topicKeyArn,
    mesh: source.mesh.contract(),
    auth: source.auth.contract(),
    vpcLink: { vpcLinkId: source.vpcLink.vpcLinkId, securityGroupId: source.vpcLinkSecurityGroup.securityGroupId },
    apiDomainName: source.apiDomainName,
    logs: { retentionDays: source.logs.retention, encryption: source.logs.encryption },
    accountSettings: Lazy.any({ produce: () => source.accountSettings() }) as unknown as PlatformContract['accountSettings'],
  };
  return publishContract(scope, 'Contract', platformParameterName(source.platformName), contract);
}

/** Platform names by app, then by account and region: each is one SSM parameter there. */
const NAMES = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Records `platformName` for `platform`'s account and region in its app; a second platform of the
 * app with that name there is an error (its contract's parameter would be created twice).
 * Environment-agnostic stacks count as one environment.
 */
export function claimPlatformName(errors: PropErrors, platform: IConstruct, platformName: string): void {
  const stack = Stack.of(platform);
  const env = `${Token.isUnresolved(stack.account) ? '*' : stack.account}/${Token.isUnresolved(stack.region) ? '*' : stack.region}`;
  const names = NAMES.get(platform.node.root) ?? new Map<string, string>();
  NAMES.set(platform.node.root, names);
  const key = `${env}/${platformName}`;
  const owner = names.get(key);
  if (owner !== undefined && owner !== platform.node.path) {
    errors.add(`platformName must be unique per account and region (the platform publishes its contract as the SSM parameter ${platformParameterName(platformName)}), `
      + `got ${JSON.stringify(platformName)}, which MicroservicePlatform '${owner}' already has: give one of them a platformName`);
    return;
  }
  names.set(key, platform.node.path);
}

/** The stack name a platform is published under by default. */
export function defaultPlatformName(scope: IConstruct): string {
  return Stack.of(scope).stackName;
}
