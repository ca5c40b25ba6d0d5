import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, ContextProvider, CustomResource, Duration, ReferenceStrength, Stack, Stage } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiAuthorizer, MicroservicePlatform, RetryPolicy, ServiceMesh } from '../../lib';
import { CONTRACT_SCHEMA_VERSION, PlatformContract, ServiceContract } from '../../lib/private/contract';
import { lookupContract, publishContract, retryPolicyContract } from '../../lib/private/contract-parameter';
import { platformParameterName, serviceParameterName } from '../../lib/private/contract-names';
import { lookupContext, ssmContextKey } from '../../lib/testing/lookup-context';
import { CDK_CONTEXT } from '../util';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const dirs: string[] = [];
const tmp = (prefix: string) => { const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix)); dirs.push(d); return d; };
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const newApp = (context: { [key: string]: unknown } = {}, outdir = tmp('lookup-context-')) => new App({ context: { ...CDK_CONTEXT, ...context }, treeMetadata: false, outdir });

/**
 * The platform app of a platform team: a MicroservicePlatform (Envoy, a user pool it trusts, a VPC
 * link) publishing its contract, and an `orders` service stack publishing its own, as the
 * constructs will once wired.
 */
function synthPlatformApp(outdir = tmp('platform-app-')): string {
  const app = newApp({}, outdir);
  const stack = new Stack(app, 'Platform');
  const userPool = new cognito.UserPool(stack, 'UserPool');
  const platform = new MicroservicePlatform(stack, 'Platform', { mesh: ServiceMesh.envoy(), auth: ApiAuthorizer.cognito({ userPool }) });
  const subnets = platform.vpc.selectSubnets(platform.serviceSubnets);
  const linkSg = new ec2.SecurityGroup(stack, 'VpcLinkSg', { vpc: platform.vpc });
  const link = new apigwv2.VpcLink(stack, 'VpcLink', { vpc: platform.vpc, securityGroups: [linkSg] });
  const mirror = platform.node.findAll().find((c): c is CustomResource => c instanceof CustomResource && (c.node.defaultChild as CfnResource).cfnResourceType === 'Custom::ImageMirror')!;
  const contract: PlatformContract = {
    schemaVersion: CONTRACT_SCHEMA_VERSION, platformName: 'shop', vpcId: platform.vpc.vpcId, vpcCidrBlock: platform.vpc.vpcCidrBlock,
    availabilityZones: subnets.availabilityZones, serviceSubnetIds: subnets.subnetIds, serviceSubnetRouteTableIds: subnets.subnets.map((s) => s.routeTable.routeTableId),
    clusterName: platform.cluster.clusterName, clusterArn: platform.cluster.clusterArn, containerInsights: true,
    namespaceName: platform.namespace.namespaceName, namespaceId: platform.namespace.namespaceId, namespaceArn: platform.namespace.namespaceArn,
    alarmTopicArn: platform.alarmTopic.topicArn, warningTopicArn: platform.warningTopic.topicArn, topicKeyArn: platform.monitoring.key.keyArn,
    mesh: {
      kind: 'envoy', imageUri: mirror.getAttString('ImageUri'), imageRepositoryArn: Stack.of(mirror).formatArn({ service: 'ecr', resource: 'repository', resourceName: 'x' }),
      cpu: 128, memoryReservationMiB: 128, retryBudgetPercent: 20, minRetryConcurrency: 3, retryBackoffBaseMs: 25, retryBackoffMaxMs: 250,
      connectTimeoutMs: 1000, egressPortBase: 15001, accessLogs: true, metricsCollectorImage: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0',
    },
    auth: {
      kind: 'cognito', userPoolId: userPool.userPoolId, userPoolArn: userPool.userPoolArn, issuer: userPool.userPoolProviderUrl,
      platformOwnsPool: false, clientIds: [], accessTokenValidityMs: 3_600_000,
    },
    vpcLink: { vpcLinkId: link.vpcLinkId, securityGroupId: linkSg.securityGroupId },
    logs: { encryption: true }, accountSettings: { apiGatewayCloudWatchRole: true, snsTracingPolicy: false },
  };
  publishContract(stack, 'Contract', platformParameterName('shop'), contract);

  const orders = new Stack(app, 'Orders');
  const key = new kms.Key(orders, 'Key');
  const topic = new sns.Topic(orders, 'OrderPlaced', { topicName: 'Orders_orders_order-placed', masterKey: key });
  const role = new iam.Role(orders, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const sg = new ec2.SecurityGroup(orders, 'Tasks', { vpc: platform.vpc });
  const { retryPolicy, perTryMs } = retryPolicyContract(RetryPolicy.http());
  const service: ServiceContract = {
    schemaVersion: CONTRACT_SCHEMA_VERSION, platformName: 'shop', serviceName: 'orders', port: 8080, protocol: 'http',
    endpoint: `http://orders.${platform.namespace.namespaceName}:8080`, retryPolicy, timeouts: { requestMs: Duration.seconds(15).toMilliseconds(), perTryMs },
    maxCapacity: 4, topics: { OrderPlaced: { topicArn: topic.topicArn, topicName: topic.topicName, fifo: false, keyArn: key.keyArn } },
    taskRoleArn: role.roleArn, securityGroupId: sg.securityGroupId,
  };
  publishContract(orders, 'Contract', serviceParameterName('shop', 'orders'), service);
  app.synth();
  return outdir;
}

let platformDir: string;
beforeAll(() => {
  platformDir = synthPlatformApp();
});

describe('a service app of another repository', () => {
  test('asks for its contracts under the keys lookupContext gives, byte for byte', () => {
    const context = lookupContext([platformDir], ENV);
    const app = newApp();
    const stack = new Stack(app, 'Checkout', { env: ENV });
    lookupContract(stack, 'platform', '/cdk-microservice/shop/platform');
    lookupContract(stack, 'service', '/cdk-microservice/shop/services/orders');
    const asked = (app.synth().manifest.missing ?? []).map((m) => m.key).sort();
    expect(asked).toEqual([
      'ssm:account=123456789012:parameterName=/cdk-microservice/shop/platform:region=eu-west-1',
      'ssm:account=123456789012:parameterName=/cdk-microservice/shop/services/orders:region=eu-west-1',
    ]);
    // Besides the contracts written here, the MicroservicePlatform the values come from publishes its own (by its stack's name).
    expect(Object.keys(context).sort()).toEqual([...asked, 'ssm:account=123456789012:parameterName=/cdk-microservice/Platform/platform:region=eu-west-1'].sort());
  });

  test('synthesizes from that context with no missing context, the contracts holding realistic placeholders', () => {
    const app = newApp(lookupContext([platformDir], ENV));
    const stack = new Stack(app, 'Checkout', { env: ENV });
    const platform = lookupContract(stack, 'platform', '/cdk-microservice/shop/platform');
    const orders = lookupContract(stack, 'service', '/cdk-microservice/shop/services/orders');
    // What the services will build from them.
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: platform.vpcId, availabilityZones: platform.availabilityZones, privateSubnetIds: platform.serviceSubnetIds, privateSubnetRouteTableIds: platform.serviceSubnetRouteTableIds,
    });
    new ec2.SecurityGroup(stack, 'Sg', { vpc }).addEgressRule(ec2.Peer.securityGroupId(orders.securityGroupId), ec2.Port.tcp(orders.port));
    sns.Topic.fromTopicArn(stack, 'OrderPlaced', orders.topics.OrderPlaced.topicArn);
    expect(app.synth().manifest.missing ?? []).toEqual([]);

    const a = 'arn:aws:([a-z-]+):eu-west-1:123456789012:';
    expect(platform).toEqual({
      schemaVersion: '1.0', platformName: 'shop',
      vpcId: expect.stringMatching(/^vpc-[0-9a-f]{17}$/), vpcCidrBlock: '10.0.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      serviceSubnetIds: [expect.stringMatching(/^subnet-[0-9a-f]{17}$/), expect.stringMatching(/^subnet-[0-9a-f]{17}$/)],
      serviceSubnetRouteTableIds: [expect.stringMatching(/^rtb-[0-9a-f]{17}$/), expect.stringMatching(/^rtb-[0-9a-f]{17}$/)],
      clusterName: expect.stringMatching(/^Platform-PlatformCluster[0-9A-F]{8}-[0-9A-Z]{12}$/),
      clusterArn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${platform.clusterName}`, containerInsights: true,
      namespaceName: 'services.internal', namespaceId: expect.stringMatching(/^ns-[a-z0-9]{16}$/),
      namespaceArn: `arn:aws:servicediscovery:eu-west-1:123456789012:namespace/${platform.namespaceId}`,
      alarmTopicArn: expect.stringMatching(new RegExp(`^${a}Platform-PlatformMonitoringAlarmTopic`)),
      warningTopicArn: expect.stringMatching(new RegExp(`^${a}Platform-PlatformMonitoringWarningTopic`)),
      topicKeyArn: expect.stringMatching(new RegExp(`^${a}key/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)),
      mesh: expect.objectContaining({
        kind: 'envoy', imageUri: expect.stringMatching(/^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/platform-platformimagemirrorrepository[0-9a-z]+-[0-9a-z]{12}@sha256:[0-9a-f]{64}$/),
        imageRepositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/x',
      }),
      auth: expect.objectContaining({
        kind: 'cognito', userPoolId: expect.stringMatching(/^eu-west-1_[A-Za-z0-9]{9}$/),
        userPoolArn: expect.stringMatching(new RegExp(`^${a}userpool/eu-west-1_[A-Za-z0-9]{9}$`)),
        issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${(platform.auth as { userPoolId: string }).userPoolId}`,
      }),
      vpcLink: { vpcLinkId: expect.stringMatching(/^[a-z0-9]{6}$/), securityGroupId: expect.stringMatching(/^sg-[0-9a-f]{17}$/) },
      logs: { encryption: true }, accountSettings: { apiGatewayCloudWatchRole: true, snsTracingPolicy: false },
    });
    expect(orders).toMatchObject({
      serviceName: 'orders', endpoint: 'http://orders.services.internal:8080',
      topics: { OrderPlaced: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:Orders_orders_order-placed', topicName: 'Orders_orders_order-placed', keyArn: expect.stringMatching(/^arn:aws:kms:/) } },
      taskRoleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\/Orders-TaskRole[0-9A-F]{8}-[0-9A-Z]{12}$/),
      securityGroupId: expect.stringMatching(/^sg-[0-9a-f]{17}$/),
    });
  });

  test('gets the same context from every synthesis, wherever the assembly is', () => {
    expect(lookupContext([synthPlatformApp()], ENV)).toEqual(lookupContext([platformDir], ENV));
  });

  test('gets ARNs of the partition and URL suffix of its region', () => {
    const context = lookupContext([platformDir], { account: '123456789012', region: 'cn-north-1' });
    const platform = JSON.parse(context[ssmContextKey('123456789012', 'cn-north-1', '/cdk-microservice/shop/platform')]);
    expect(platform.clusterArn).toMatch(/^arn:aws-cn:ecs:cn-north-1:123456789012:cluster\//);
    expect(platform.mesh.imageUri).toMatch(/^123456789012\.dkr\.ecr\.cn-north-1\.amazonaws\.com\.cn\//);
    expect(platform.availabilityZones).toEqual(['cn-north-1a', 'cn-north-1b']);
  });
});

describe('references between the stacks of an app', () => {
  test.each([[ReferenceStrength.WEAK, 'Fn::GetStackOutput'], [ReferenceStrength.STRONG, 'Fn::ImportValue']])('are followed (%s: %s)', (strength, intrinsic) => {
    const dir = tmp('refs-');
    const app = newApp({}, dir);
    const producer = new Stack(app, 'Network');
    const vpc = new ec2.CfnVPC(producer, 'Vpc', { cidrBlock: '10.1.0.0/16' });
    vpc.applyCrossStackReferenceStrength(strength);
    const consumer = new Stack(app, 'Orders');
    new ec2.CfnSecurityGroup(consumer, 'Sg', { groupDescription: 'x', vpcId: vpc.ref });
    publishContract(consumer, 'Contract', '/cdk-microservice/shop/platform', {
      schemaVersion: '1.0', platformName: 'shop', vpcId: vpc.ref, vpcCidrBlock: vpc.attrCidrBlock,
    } as unknown as PlatformContract);
    app.synth();
    const template = fs.readFileSync(path.join(dir, 'Orders.template.json'), 'utf8');
    expect(template).toContain(intrinsic);
    const value = JSON.parse(Object.values(lookupContext([dir], ENV))[0]);
    expect(value).toEqual({ schemaVersion: '1.0', platformName: 'shop', vpcId: expect.stringMatching(/^vpc-[0-9a-f]{17}$/), vpcCidrBlock: '10.1.0.0/16' });
  });

  test('are found in the nested assembly of a Stage', () => {
    const dir = tmp('stage-');
    const app = newApp({}, dir);
    const stack = new Stack(new Stage(app, 'Prod'), 'Platform');
    const topic = new sns.Topic(stack, 'Alarms');
    publishContract(stack, 'Contract', '/cdk-microservice/prod/platform', { schemaVersion: '1.0', alarmTopicArn: topic.topicArn } as unknown as PlatformContract);
    app.synth();
    expect(Object.values(lookupContext([dir], ENV))).toEqual([expect.stringMatching(/"alarmTopicArn":"arn:aws:sns:eu-west-1:123456789012:Prod-Platform-Alarms[0-9A-F]{8}-[0-9A-Z]{12}"/)]);
  });
});

/** A cloud assembly of hand-written templates, by stack name. */
function assembly(stacks: { [name: string]: { template: object; environment?: string } }): string {
  const dir = tmp('assembly-');
  const artifacts: { [id: string]: object } = {};
  for (const [name, s] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify(s.template));
    artifacts[name] = { type: 'aws:cloudformation:stack', environment: s.environment ?? 'aws://unknown-account/unknown-region', properties: { templateFile: `${name}.template.json` } };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
  return dir;
}

const parameter = (name: string, value: unknown) => ({ Type: 'AWS::SSM::Parameter', Properties: { Name: name, Type: 'String', Value: value } });

describe('evaluation', () => {
  test('evaluates the intrinsic functions and pseudo parameters a template may use', () => {
    const dir = assembly({
      Platform: {
        template: {
          Parameters: { Stage: { Type: 'String', Default: 'prod' } },
          Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] }, NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
            AndOr: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Or': [{ Condition: 'NotProd' }, { 'Fn::Equals': ['a', 'a'] }] }] } },
          Mappings: { Sizes: { prod: { tasks: '4' } } },
          Resources: {
            Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alarms' } },
            Contract: parameter('/cdk-microservice/shop/platform', {
              'Fn::Join': ['|', [
                { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${AWS::AccountId}-${AWS::Region}-${Topic.TopicName}-${!Literal}' },
                { 'Fn::Sub': ['${Name}.${AWS::URLSuffix}', { Name: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] } }] },
                { 'Fn::Select': ['2', { 'Fn::GetAZs': '' }] },
                { 'Fn::If': ['NotProd', 'dev', { 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'tasks'] }] },
                { 'Fn::If': ['AndOr', 'and-or', 'no'] },
                { Ref: 'AWS::StackName' }, { 'Fn::Base64': 'hi' }, { Ref: 'Topic' },
              ]],
            }),
            Other: parameter('/app/not-a-contract', 'ignored'),
          },
        },
      },
    });
    expect(lookupContext([dir], { account: '210987654321', region: 'us-gov-west-1' })).toEqual({
      'ssm:account=210987654321:parameterName=/cdk-microservice/shop/platform:region=us-gov-west-1': [
        'arn:aws-us-gov:s3:::210987654321-us-gov-west-1-alarms-${Literal}', 'b.amazonaws.com', 'us-gov-west-1c', '4', 'and-or', 'Platform', 'aGk=',
        'arn:aws-us-gov:sns:us-gov-west-1:210987654321:alarms',
      ].join('|'),
    });
  });

  test('fails for an intrinsic it does not evaluate, naming it, the parameter, the stack and what it evaluates', () => {
    const dir = assembly({ Platform: { template: { Resources: { Contract: parameter('/cdk-microservice/shop/platform', { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }) } } } });
    expect(() => lookupContext([dir], ENV)).toThrow(
      /lookupContext: cannot evaluate Value.Fn::Cidr of SSM parameter '\/cdk-microservice\/shop\/platform' \(Contract of stack 'Platform' in .*\): Fn::Cidr is not an intrinsic lookupContext evaluates \(Ref, Fn::GetAtt, Fn::Join, /);
  });

  test('fails for a resource type or attribute it has no placeholder for, and for a secret', () => {
    const template = (value: unknown) => ({
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket' }, Client: { Type: 'AWS::Cognito::UserPoolClient', Properties: {} },
        Contract: parameter('/cdk-microservice/shop/platform', value),
      },
    });
    expect(() => lookupContext([assembly({ P: { template: template({ Ref: 'Bucket' }) } })], ENV)).toThrow(/Ref of Bucket \(AWS::S3::Bucket\): lookupContext has no placeholder for this resource type/);
    expect(() => lookupContext([assembly({ P: { template: template({ 'Fn::GetAtt': ['Client', 'Foo'] }) } })], ENV)).toThrow(/Fn::GetAtt Client.Foo \(AWS::Cognito::UserPoolClient\): lookupContext has no placeholder for this attribute/);
    expect(() => lookupContext([assembly({ P: { template: template({ 'Fn::GetAtt': ['Client', 'Name'] }) } })], ENV)).toThrow(/Name of Client \(AWS::Cognito::UserPoolClient\) is one of its properties, which the template does not set/);
    expect(() => lookupContext([assembly({ P: { template: template({ 'Fn::GetAtt': ['Client', 'ClientSecret'] }) } })], ENV)).toThrow(/Fn::GetAtt Client.ClientSecret \(AWS::Cognito::UserPoolClient\) is a secret: a contract is a String parameter .* must hold none/);
    expect(() => lookupContext([assembly({ P: { template: template({ Ref: 'Nothing' }) } })], ENV)).toThrow(/no resource "Nothing" in stack 'P'/);
  });

  test('skips stacks of another account or region, and fails when nothing is left, naming them', () => {
    const template = { Resources: { Contract: parameter('/cdk-microservice/shop/platform', '{}') } };
    const dir = assembly({ Elsewhere: { template, environment: 'aws://123456789012/us-east-1' }, Here: { template, environment: 'aws://123456789012/eu-west-1' } });
    expect(Object.keys(lookupContext([dir], ENV))).toEqual([ssmContextKey('123456789012', 'eu-west-1', '/cdk-microservice/shop/platform')]);
    const elsewhere = assembly({ Elsewhere: { template, environment: 'aws://123456789012/us-east-1' } });
    expect(() => lookupContext([elsewhere], ENV)).toThrow(/no SSM parameter under \/cdk-microservice\/ in .* for account 123456789012 and region eu-west-1 \(skipped, deployed elsewhere: stack 'Elsewhere' \(aws:\/\/123456789012\/us-east-1\)\)/);
  });

  test('fails for a parameter two stacks publish', () => {
    const template = { Resources: { Contract: parameter('/cdk-microservice/shop/platform', '{}') } };
    expect(() => lookupContext([assembly({ A: { template } }), assembly({ B: { template } })], ENV)).toThrow(
      /SSM parameter '\/cdk-microservice\/shop\/platform' \(Contract of stack 'B' in .*\) is also published by stack 'A' in .*: a parameter name is unique in an account and region/);
  });

  test('fails for arguments that are not assemblies or an environment', () => {
    expect(() => lookupContext([], ENV)).toThrow(/assemblyDirs must list at least one cloud assembly directory, got \[\]/);
    expect(() => lookupContext([os.tmpdir()], { account: '12345', region: 'Ireland' })).toThrow(new RegExp([
      'assemblyDirs\\[0\\] must be a cloud assembly directory \\(a cdk.out with manifest.json\\)', 'env.account must be an account id of 12 digits, got "12345"',
      'env.region must be a region such as "eu-west-1", got "Ireland"',
    ].join('[\\s\\S]*')));
  });

  test.each([['/cdk-microservice/shop/platform'], ['a:b'], ['a$b'], ['/x/y_z.1-2']])('forms the key of %j as aws-cdk-lib ContextProvider.getKey does', (name) => {
    const stack = new Stack(newApp(), 'S', { env: ENV });
    expect(ssmContextKey(ENV.account, ENV.region, name)).toBe(ContextProvider.getKey(stack, { provider: 'ssm', props: { parameterName: name } }).key);
  });
});
