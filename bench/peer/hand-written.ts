// The peer: the same ECS features as `Microservice` and `MicroservicePlatform`, written directly
// with aws-cdk-lib the way an experienced CDK user would, without this library.
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';

export class PeerPlatform extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly cluster: ecs.Cluster;
  public readonly namespace: servicediscovery.PrivateDnsNamespace;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', { vpc: this.vpc, name: 'services.internal' });
  }
}

export class PeerService extends Construct {
  constructor(scope: Construct, id: string, platform: PeerPlatform, image: ecs.ContainerImage) {
    super(scope, id);
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    const container = taskDefinition.addContainer('App', {
      containerName: 'app',
      image,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: 8080, name: 'http', appProtocol: ecs.AppProtocol.http }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'app', mode: ecs.AwsLogDriverMode.NON_BLOCKING, maxBufferSize: Size.mebibytes(25) }),
    });
    taskDefinition.addVolume({ name: 'tmp' });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: platform.vpc, description: 'service tasks' });
    const service = new ecs.FargateService(this, 'Service', {
      cluster: platform.cluster,
      taskDefinition,
      securityGroups: [securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }],
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      cloudMapOptions: {
        cloudMapNamespace: platform.namespace,
        name: id.toLowerCase(),
        dnsRecordType: servicediscovery.DnsRecordType.SRV,
        dnsTtl: Duration.seconds(10),
        container,
        containerPort: 8080,
      },
    });
    service.node.addDependency(platform.cluster);
    service.enableServiceConnect({
      namespace: platform.namespace.namespaceArn,
      services: [{ portMappingName: 'http', discoveryName: `${id.toLowerCase()}-sc`, dnsName: id.toLowerCase(), port: 8080 }],
    });
    const scaling = service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 10 });
    scaling.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: 70 });
    scaling.scaleOnMemoryUtilization('MemoryScaling', { targetUtilizationPercent: 80 });
  }
}

export function peerStacks(platformStack: Stack, serviceStacks: Stack[], image: ecs.ContainerImage): void {
  const platform = new PeerPlatform(platformStack, 'Platform');
  serviceStacks.forEach((s, i) => new PeerService(s, `Svc${i}`, platform, image));
}

/** The peer's platform with what an API needs: a VPC link and a Cognito user pool with a domain. */
export class PeerApiPlatform extends PeerPlatform {
  public readonly vpcLink: apigwv2.VpcLink;
  public readonly vpcLinkSecurityGroup: ec2.SecurityGroup;
  public readonly userPool: cognito.UserPool;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.vpcLinkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSg', { vpc: this.vpc, description: 'VPC link' });
    this.vpcLink = new apigwv2.VpcLink(this, 'VpcLink', { vpc: this.vpc, securityGroups: [this.vpcLinkSecurityGroup] });
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      passwordPolicy: { minLength: 12, requireSymbols: true },
    });
    this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: 'peer-bench' } });
  }
}

/** The peer's API for one service: what `api: { routes, consumers }` gives, by hand. */
export class PeerServiceWithApi extends PeerService {
  constructor(scope: Construct, id: string, platform: PeerApiPlatform, image: ecs.ContainerImage) {
    super(scope, id, platform, image);
    const name = id.toLowerCase();
    const service = this.node.findChild('Service') as ecs.FargateService;
    const sg = this.node.findChild('SecurityGroup') as ec2.SecurityGroup;
    sg.addIngressRule(ec2.Peer.securityGroupId(platform.vpcLinkSecurityGroup.securityGroupId), ec2.Port.tcp(8080));
    const resourceServer = new cognito.UserPoolResourceServer(this, 'ResourceServer', {
      userPool: platform.userPool, identifier: name, scopes: [{ scopeName: 'read', scopeDescription: 'read' }],
    });
    const client = new cognito.UserPoolClient(this, 'Client', {
      userPool: platform.userPool,
      generateSecret: true,
      oAuth: { flows: { clientCredentials: true }, scopes: [cognito.OAuthScope.resourceServer(resourceServer, { scopeName: 'read', scopeDescription: 'read' })] },
    });
    const api = new apigwv2.HttpApi(this, 'Api', { createDefaultStage: false });
    const logGroup = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(logGroup),
        format: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    api.addRoutes({
      path: '/{proxy+}',
      integration: new integrations.HttpServiceDiscoveryIntegration('Integration', service.cloudMapService!, { vpcLink: platform.vpcLink }),
      authorizer: new authorizers.HttpUserPoolAuthorizer('Authorizer', platform.userPool, { userPoolClients: [client] }),
      authorizationScopes: [`${name}/read`],
    });
  }
}

export function peerStacksWithApi(platformStack: Stack, serviceStacks: Stack[], image: ecs.ContainerImage): void {
  const platform = new PeerApiPlatform(platformStack, 'Platform');
  serviceStacks.forEach((s, i) => new PeerServiceWithApi(s, `Svc${i}`, platform, image));
}
