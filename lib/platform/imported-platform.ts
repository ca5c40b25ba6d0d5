import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ApiAuthorizer } from '../auth/api-authorizer';
import { ServiceMesh } from '../mesh/service-mesh';
import { isPlaceholderContract, PlatformContract } from '../private/contract';
import { checkPlatformName, platformParameterName } from '../private/contract-names';
import { lookupContract } from '../private/contract-parameter';
import { registerPlatformServices } from '../private/platform-services';
import { QuotaCounter } from '../private/quotas';
import { PropErrors } from '../private/validation';
import type { IMicroservicePlatform } from './platform-props';

/**
 * A platform of another CDK app, joined by its name: every value comes from the contract the
 * platform published (`/cdk-microservice/<platformName>/platform`), looked up by the CDK CLI in the
 * stack's account and region and cached in `cdk.context.json`, as `Vpc.fromLookup` does. Nothing
 * is created in the platform's stack: what a service adds (its rules, resource server, clients,
 * subscriptions) lives in the service's stack.
 */
export class ImportedPlatform extends Construct implements IMicroservicePlatform {
  public readonly platformName: string;
  public readonly vpc: ec2.IVpc;
  public readonly cluster: ecs.ICluster;
  public readonly namespace: servicediscovery.IPrivateDnsNamespace;
  public readonly serviceSubnets: ec2.SubnetSelection;
  public readonly auth: ApiAuthorizer;
  public readonly mesh: ServiceMesh;
  public readonly alarmTopic: sns.ITopic;
  public readonly warningTopic: sns.ITopic;
  /** The contract as looked up (a placeholder before the CLI's lookup). */
  public readonly contract: PlatformContract;
  private readonly serviceNames = new Map<string, string>();

  constructor(scope: Construct, id: string, platformName: string) {
    super(scope, id);
    const errors = new PropErrors(`MicroservicePlatform.fromPlatformName() '${this.node.path}'`);
    checkPlatformName(errors, 'platformName', platformName);
    errors.throwIfAny();
    this.platformName = platformName;
    const c = this.contract = lookupContract(this, 'platform', platformParameterName(platformName));
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: c.vpcId, vpcCidrBlock: c.vpcCidrBlock, availabilityZones: c.availabilityZones,
      privateSubnetIds: c.serviceSubnetIds, privateSubnetRouteTableIds: c.serviceSubnetRouteTableIds,
    });
    this.serviceSubnets = { subnets: this.vpc.privateSubnets };
    this.cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', { clusterName: c.clusterName, clusterArn: c.clusterArn, vpc: this.vpc, securityGroups: [] });
    this.namespace = servicediscovery.PrivateDnsNamespace.fromPrivateDnsNamespaceAttributes(this, 'Namespace', {
      namespaceName: c.namespaceName, namespaceId: c.namespaceId, namespaceArn: c.namespaceArn,
    });
    this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', c.alarmTopicArn);
    this.warningTopic = sns.Topic.fromTopicArn(this, 'WarningTopic', c.warningTopicArn);
    this.mesh = ServiceMesh._fromContract(this, c.mesh);
    const quotas = new QuotaCounter(this, platformName);
    const { authorizer, bound } = ApiAuthorizer._fromContract(this, c.auth, {
      onUserPoolCreated: () => undefined,
      onResourceServerCreated: () => quotas.count('cognitoResourceServers', 'the platform\'s user pool'),
    });
    this.auth = authorizer;
    const logs = { retention: c.logs.retentionDays, encryption: c.logs.encryption };
    const vpcLink = c.vpcLink && {
      vpcLink: apigwv2.VpcLink.fromVpcLinkAttributes(this, 'VpcLink', { vpcLinkId: c.vpcLink.vpcLinkId, vpc: this.vpc }),
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'VpcLinkSecurityGroup', c.vpcLink.securityGroupId, { mutable: false }),
    };
    // Before the CLI's lookup the contract is a placeholder: nothing is judged on it, so that the
    // first synthesis completes and the CLI can look the contract up.
    const placeholder = isPlaceholderContract(c);
    const refuse = (what: string): never => {
      const e = new PropErrors(`a service on the platform '${platformName}' of another app (${this.node.path})`);
      e.add(what);
      e.throwIfAny();
      throw new Error('unreachable');
    };
    registerPlatformServices(this, {
      platformName,
      quotas,
      mesh: this.mesh._bindPlatform(this, { logs, vpc: this.vpc, subnets: this.serviceSubnets, namespace: this.namespace }),
      auth: bound,
      apiDomainName: c.apiDomainName !== undefined
        ? apigwv2.DomainName.fromDomainNameAttributes(this, 'ApiDomain', { name: c.apiDomainName, regionalDomainName: c.apiDomainName, regionalHostedZoneId: '' })
        : undefined,
      createVpcLinkOnce: () => vpcLink ?? refuse(`api or restApi needs the platform's VPC link, which its contract does not name, got a platform without one`),
      createApiGatewayAccountOnce: () => {
        if (!placeholder && !c.accountSettings.apiGatewayCloudWatchRole) {
          refuse('restApi needs API Gateway\'s account setting for CloudWatch Logs, which the platform has not made (it makes it with the first REST API of its own app, '
            + 'unless manageApiGatewayAccount is false): set it in the platform\'s app (a REST service there, or the account\'s owner), got a platform without it');
        }
        return undefined;
      },
      claimServiceName: (name, servicePath) => {
        const owner = this.serviceNames.get(name);
        if (owner !== undefined) refuse(`discoveryName must be unique on its platform, got ${JSON.stringify(name)}, which ${owner} already has`);
        this.serviceNames.set(name, servicePath);
      },
      logs,
      containerInsights: c.containerInsights,
      createSnsTracingPolicyOnce: () => {
        if (!placeholder && !c.accountSettings.snsTracingPolicy) {
          refuse('tracing of topics needs the platform\'s X-Ray resource policy for SNS (one per platform; X-Ray allows five per account), which it has not made: '
            + 'it makes it with the first traced topic of its own app, got a platform without it');
        }
        return this;
      },
    });
  }
}
