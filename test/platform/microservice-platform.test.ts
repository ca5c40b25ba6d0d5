import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Microservice, MicroservicePlatform, MicroservicePlatformProps } from '../../lib';
import { IMAGE, testStack } from '../util';

describe('a MicroservicePlatform with defaults', () => {
  const stack = testStack();
  const platform = new MicroservicePlatform(stack, 'Platform');
  const template = Template.fromStack(stack);

  test('creates a VPC over 2 AZs with a public and a private-with-egress subnet in each, and 2 NAT gateways', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    expect(platform.vpc.privateSubnets).toHaveLength(2);
    expect(platform.vpc.publicSubnets).toHaveLength(2);
    template.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  test('turns on flow logs for all traffic to a log group kept three months', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: Match.stringLikeRegexp('^PlatformFlowLogGroup') },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(platform.flowLog).toBeDefined();
  });

  test('creates a cluster with Container Insights and the Fargate capacity providers', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  test('creates the private DNS namespace services.internal in its VPC', () => {
    template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: 'services.internal',
      Vpc: { Ref: Match.stringLikeRegexp('^PlatformVpc') },
    });
  });

  test('places services in the private subnets', () => {
    expect(platform.serviceSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
  });
});

describe('MicroservicePlatform options', () => {
  test('applies natGateways, flowLogRetention, containerInsights and namespaceName', () => {
    const stack = testStack();
    new MicroservicePlatform(stack, 'Platform', {
      natGateways: 1,
      flowLogRetention: logs.RetentionDays.ONE_YEAR,
      containerInsights: ecs.ContainerInsights.ENHANCED,
      namespaceName: 'shop.internal',
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    t.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
    t.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'shop.internal' });
  });

  test('uses a VPC it is given and creates no VPC or flow log of its own', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'MyVpc', { natGateways: 1 });
    const platform = new MicroservicePlatform(stack, 'Platform', { vpc });
    expect(platform.vpc).toBe(vpc);
    expect(platform.flowLog).toBeUndefined();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::EC2::FlowLog', 0);
    t.resourceCountIs('AWS::ECS::Cluster', 1);
  });

  test('uses a cluster it is given, with its VPC, and associates the Fargate capacity providers', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'MyVpc', { natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'MyCluster', { vpc });
    const platform = new MicroservicePlatform(stack, 'Platform', { cluster });
    expect(platform.cluster).toBe(cluster);
    expect(platform.vpc).toBe(vpc);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ECS::Cluster', 1);
    t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  test('uses a namespace and service subnets it is given', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'MyVpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const namespace = new servicediscovery.PrivateDnsNamespace(stack, 'Ns', { name: 'shop.internal', vpc });
    const platform = new MicroservicePlatform(stack, 'Platform', {
      vpc, namespace, serviceSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    new Microservice(stack, 'Orders', { platform, image: IMAGE });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 1);
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'orders',
      DnsConfig: Match.objectLike({ NamespaceId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Ns'), 'Id'] } }),
    });
    t.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: [{ Ref: Match.stringLikeRegexp('^MyVpcIsolated') }, Match.anyValue()] }) },
    });
  });

  test('MicroservicePlatform.defaultFor returns one platform per stack', () => {
    const stack = testStack();
    expect(MicroservicePlatform.defaultFor(stack)).toBe(MicroservicePlatform.defaultFor(stack));
    expect(MicroservicePlatform.defaultFor(testStack('Other'))).not.toBe(MicroservicePlatform.defaultFor(stack));
  });

  test('fails defaultFor when the stack has another construct with its id', () => {
    const stack = testStack();
    new Stack(stack, 'MicroservicePlatform');
    expect(() => MicroservicePlatform.defaultFor(stack)).toThrow(/already has a child 'MicroservicePlatform' that is not a MicroservicePlatform/);
  });
});

describe('MicroservicePlatform bad input', () => {
  const vpcOf = (s: Stack) => new ec2.Vpc(s, 'V');
  test.each<[string, (s: Stack) => MicroservicePlatformProps, RegExp]>([
    ['vpc with cluster', (s) => { const vpc = vpcOf(s); return { vpc, cluster: new ecs.Cluster(s, 'C', { vpc }) }; }, /vpc and cluster are mutually exclusive \(the cluster's VPC is used\): give one or neither, got both/],
    ['vpc with natGateways', (s) => ({ vpc: vpcOf(s), natGateways: 1 }), /vpc and natGateways are mutually exclusive/],
    ['cluster with natGateways', (s) => ({ cluster: new ecs.Cluster(s, 'C'), natGateways: 1 }), /cluster and natGateways are mutually exclusive/],
    ['vpc with flowLogRetention', (s) => ({ vpc: vpcOf(s), flowLogRetention: logs.RetentionDays.ONE_DAY }), /vpc and flowLogRetention are mutually exclusive/],
    ['cluster with flowLogRetention', (s) => ({ cluster: new ecs.Cluster(s, 'C'), flowLogRetention: logs.RetentionDays.ONE_DAY }), /cluster and flowLogRetention are mutually exclusive/],
    ['cluster with containerInsights', (s) => ({ cluster: new ecs.Cluster(s, 'C'), containerInsights: ecs.ContainerInsights.ENABLED }), /cluster and containerInsights are mutually exclusive/],
    ['namespace with namespaceName', (s) => ({ namespace: new servicediscovery.PrivateDnsNamespace(s, 'N', { name: 'n.internal', vpc: vpcOf(s) }), namespaceName: 'x.internal' }), /namespace and namespaceName are mutually exclusive/],
    ['natGateways 0', () => ({ natGateways: 0 }), /natGateways must be an integer between 1 and 2, got 0/],
    ['natGateways 3', () => ({ natGateways: 3 }), /natGateways must be an integer between 1 and 2, got 3/],
    ['empty namespaceName', () => ({ namespaceName: '' }), /namespaceName must not be empty, got ""/],
    ['upper-case namespaceName', () => ({ namespaceName: 'Shop.Internal' }), /namespaceName must be a lower-case DNS name such as "services.internal", got "Shop.Internal"/],
  ])('fails on %s', (_name, props, message) => {
    const stack = testStack();
    expect(() => new MicroservicePlatform(stack, 'Platform', props(stack))).toThrow(message);
  });

  test('accepts natGateways at both ends', () => {
    expect(() => new MicroservicePlatform(testStack(), 'P', { natGateways: 1 })).not.toThrow();
    expect(() => new MicroservicePlatform(testStack(), 'P', { natGateways: 2 })).not.toThrow();
  });
});
