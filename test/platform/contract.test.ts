import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GrpcRetryEvent, HttpRetryEvent, RetryPolicy, ServiceProtocol, TcpRetryEvent } from '../../lib';
import {
  CONTRACT_SCHEMA_VERSION, GRPC_RETRY_EVENTS, HTTP_RETRY_EVENTS, isPlaceholderContract, parseContract, PlatformContract, PROTOCOLS, ServiceContract,
  TCP_RETRY_EVENTS, topicOf,
} from '../../lib/private/contract';
import {
  connectionPoolContract, contractParameterValue, lookupContract, millisOf, outlierDetectionContract, publishContract, retryPolicyContract,
} from '../../lib/private/contract-parameter';
import { MAX_PLATFORM_NAME, platformParameterName, serviceParameterName } from '../../lib/private/contract-names';
import { ssmContextKey } from '../../lib/testing/lookup-context';
import { unacknowledgedFindings } from '../nag';
import { CDK_CONTEXT } from '../util';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const PLATFORM = '/cdk-microservice/shop/platform';
const ORDERS = '/cdk-microservice/shop/services/orders';

const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:123456789012:${resource}`;

/** A literal platform contract: every field, Envoy and Cognito. */
function platformContract(overrides: Partial<PlatformContract> = {}): PlatformContract {
  return {
    schemaVersion: CONTRACT_SCHEMA_VERSION, platformName: 'shop', vpcId: 'vpc-0123456789abcdef0', vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'], serviceSubnetIds: ['subnet-0a', 'subnet-0b'], serviceSubnetRouteTableIds: ['rtb-0a', 'rtb-0b'],
    clusterName: 'shop', clusterArn: arn('ecs', 'cluster/shop'), containerInsights: true,
    namespaceName: 'services.internal', namespaceId: 'ns-abcdefghijklmnop', namespaceArn: arn('servicediscovery', 'namespace/ns-abcdefghijklmnop'),
    alarmTopicArn: arn('sns', 'alarms'), warningTopicArn: arn('sns', 'warnings'), topicKeyArn: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    mesh: {
      kind: 'envoy', imageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror@sha256:abc', imageRepositoryArn: arn('ecr', 'repository/mirror'),
      cpu: 128, memoryReservationMiB: 128, retryBudgetPercent: 20, minRetryConcurrency: 3, retryBackoffBaseMs: 25, retryBackoffMaxMs: 250,
      connectTimeoutMs: 1000, egressPortBase: 15001, accessLogs: true, metricsCollectorImage: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0',
    },
    auth: {
      kind: 'cognito', userPoolId: 'eu-west-1_AbCdEfGhI', userPoolArn: arn('cognito-idp', 'userpool/eu-west-1_AbCdEfGhI'),
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI', tokenEndpoint: 'https://shop.auth.eu-west-1.amazoncognito.com/oauth2/token',
      platformOwnsPool: true, clientIds: [], accessTokenValidityMs: 3_600_000,
    },
    vpcLink: { vpcLinkId: 'abc123', securityGroupId: 'sg-0a' },
    logs: { retentionDays: 365, encryption: true },
    accountSettings: { apiGatewayCloudWatchRole: true, snsTracingPolicy: false },
    ...overrides,
  };
}

/** A literal service contract with `topics` topics of 60-character names. */
function serviceContract(topics = 1, overrides: Partial<ServiceContract> = {}): ServiceContract {
  const { retryPolicy, perTryMs } = retryPolicyContract(RetryPolicy.http({ maxRetries: 3, perRetryTimeout: Duration.seconds(2) }));
  return {
    schemaVersion: CONTRACT_SCHEMA_VERSION, platformName: 'shop', serviceName: 'orders', port: 8080, protocol: 'http',
    endpoint: 'http://orders:8080', retryPolicy, timeouts: { requestMs: 10_000, perTryMs },
    outlierDetection: outlierDetectionContract({ maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 }),
    connectionPool: connectionPoolContract({ maxConnections: 100, maxPendingRequests: 20 }),
    maxCapacity: 4,
    topics: Object.fromEntries(Array.from({ length: topics }, (_, i) => [`Topic${i}`, {
      topicArn: arn('sns', `Orders_orders_topic-${String(i).padStart(40, '0')}`), topicName: `Orders_orders_topic-${String(i).padStart(40, '0')}`,
      fifo: false, keyArn: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    }])),
    taskRoleArn: 'arn:aws:iam::123456789012:role/orders-task', securityGroupId: 'sg-0b',
    ...overrides,
  };
}

const dirs: string[] = [];
const tmpApp = (context: { [key: string]: unknown } = {}) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  dirs.push(outdir);
  return new App({ context: { ...CDK_CONTEXT, ...context }, treeMetadata: false, outdir });
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('parameter names', () => {
  test('platforms publish at /cdk-microservice/<platformName>/platform and services under /services/', () => {
    expect(platformParameterName('shop')).toBe(PLATFORM);
    expect(serviceParameterName('shop', 'orders')).toBe(ORDERS);
  });

  test('a platform name takes 1 to the most characters that leave room for any service', () => {
    expect(platformParameterName('a')).toBe('/cdk-microservice/a/platform');
    const longest = 'p'.repeat(MAX_PLATFORM_NAME);
    expect(serviceParameterName(longest, 's'.repeat(60)).length).toBe(1011);
    expect(() => platformParameterName(`${longest}p`)).toThrow(/platformName must be 1 to 923 letters/);
  });

  test.each([['', 'empty'], ['shop/eu', 'a "/"'], ['my shop', 'a space'], ['shop:eu', 'a ":"']])('fails for the platform name %j (%s)', (name) => {
    expect(() => platformParameterName(name)).toThrow(new RegExp(`platformName must be .*no "/" and no space\\), got ${JSON.stringify(name)}`));
  });

  test('fails for a service name that is not a discovery name, naming the prop', () => {
    expect(() => serviceParameterName('shop', 'Orders')).toThrow(/serviceName must be a service's discovery name: a lower-case DNS label .*got "Orders"/);
    expect(() => serviceParameterName('shop', 'o'.repeat(61))).toThrow(/serviceName must be/);
    expect(serviceParameterName('shop', 'o'.repeat(60))).toBe(`/cdk-microservice/shop/services/${'o'.repeat(60)}`);
  });

  test('fails for both names at once', () => {
    expect(() => serviceParameterName('a/b', 'B')).toThrow(/platformName must be[\s\S]*serviceName must be/);
  });
});

describe('publishContract', () => {
  test('publishes the contract as a String parameter of its JSON, tokens joined in', () => {
    const stack = new Stack(tmpApp(), 'Platform');
    const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.0.0.0/16' });
    publishContract(stack, 'Contract', PLATFORM, platformContract({ vpcId: vpc.ref }));
    const t = Template.fromStack(stack).toJSON();
    const [parameter] = Object.values<any>(t.Resources).filter((r) => r.Type === 'AWS::SSM::Parameter');
    expect(parameter.Properties).toMatchObject({ Name: PLATFORM, Type: 'String', Tier: 'Intelligent-Tiering' });
    const [, parts] = parameter.Properties.Value['Fn::Join'];
    expect(parts[0]).toBe('{"schemaVersion":"1.0","platformName":"shop","vpcId":"');
    expect(parts[1]).toEqual({ Ref: 'Vpc' });
  });

  test('a literal contract is its JSON, on Intelligent-Tiering (standard while it fits 4096 bytes)', () => {
    const stack = new Stack(tmpApp(), 'Orders');
    const contract = serviceContract(1);
    expect(stack.resolve(contractParameterValue(stack, contract))).toBe(JSON.stringify(contract));
    publishContract(stack, 'Contract', ORDERS, contract);
    Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Intelligent-Tiering', Value: JSON.stringify(contract) });
  });

  test('a literal contract over 4096 bytes stays on Intelligent-Tiering (SSM makes it advanced; an explicit tier could never shrink back), up to 8192', () => {
    const stack = new Stack(tmpApp(), 'Orders');
    const contract = serviceContract(20);
    const bytes = Buffer.byteLength(JSON.stringify(contract));
    expect(bytes).toBeGreaterThan(4096);
    expect(bytes).toBeLessThanOrEqual(8192);
    publishContract(stack, 'Contract', ORDERS, contract);
    Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Intelligent-Tiering' });
  });

  test('a contract with tokens whose literal part passes 4096 bytes is on Intelligent-Tiering too', () => {
    const stack = new Stack(tmpApp(), 'Orders');
    const sg = new ec2.CfnSecurityGroup(stack, 'Sg', { groupDescription: 'tasks' });
    publishContract(stack, 'Contract', ORDERS, serviceContract(20, { securityGroupId: sg.attrGroupId }));
    Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Intelligent-Tiering' });
  });

  test('fails synthesis for a contract past 8192 bytes, naming the parameter, its size and the limits', () => {
    const app = tmpApp();
    const stack = new Stack(app, 'Orders');
    const contract = serviceContract(40);
    publishContract(stack, 'Contract', ORDERS, contract);
    const bytes = Buffer.byteLength(JSON.stringify(contract));
    expect(() => app.synth()).toThrow(new RegExp(`contract parameter '${ORDERS}' must fit an SSM parameter value, at most 4096 bytes \\(standard tier\\) or 8192 .*got ${bytes} bytes: publish fewer topics`));
  });

  test('fails for a name outside the layout and for another schema version', () => {
    const stack = new Stack(tmpApp(), 'Orders');
    expect(() => publishContract(stack, 'A', '/other/shop/platform', platformContract())).toThrow(/the parameter name must be \/cdk-microservice\/<platformName>\/platform or .*got "\/other\/shop\/platform"/);
    expect(() => publishContract(stack, 'B', PLATFORM, platformContract({ schemaVersion: '1.1' }))).toThrow(/schemaVersion must be the version this library publishes, "1.0", got "1.1"/);
  });

  test('cdk-nag AwsSolutions reports nothing on a contract parameter', () => {
    const app = tmpApp();
    const stack = new Stack(app, 'Orders');
    publishContract(stack, 'Contract', ORDERS, serviceContract(1));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});

describe('parseContract', () => {
  test('reads back what was published', () => {
    expect(parseContract('platform', JSON.stringify(platformContract()), PLATFORM)).toEqual(platformContract());
    expect(parseContract('service', JSON.stringify(serviceContract(2)), ORDERS)).toEqual(serviceContract(2));
  });

  test('reads a newer minor version, ignoring the fields it adds', () => {
    const newer = { ...platformContract(), schemaVersion: '1.7', sidecars: { fluentBit: true }, mesh: { ...platformContract().mesh, tracing: 'x-ray' } };
    expect(parseContract('platform', JSON.stringify(newer), PLATFORM)).toEqual({ ...platformContract(), schemaVersion: '1.7' });
  });

  test('fails for an unknown major version, naming the parameter, the version found and the versions read', () => {
    const json = JSON.stringify({ ...platformContract(), schemaVersion: '2.0' });
    expect(() => parseContract('platform', json, PLATFORM)).toThrow(
      /platform contract in SSM parameter '\/cdk-microservice\/shop\/platform':\n {2}- schemaVersion must be a version this library reads \(1\.x; it publishes 1\.0\), got "2\.0": the platform was published by a cdk-microservice of another major version/);
  });

  test.each([['1'], ['v1.0'], [1]])('fails for the schema version %j', (schemaVersion) => {
    expect(() => parseContract('service', JSON.stringify({ ...serviceContract(), schemaVersion }), ORDERS)).toThrow(/schemaVersion must be a version this library reads/);
  });

  test('fails for a value that is not JSON', () => {
    expect(() => parseContract('platform', 'vpc-123', PLATFORM)).toThrow(/the value must be the JSON of a platform contract, got "vpc-123"/);
  });

  test('lists every field that is missing or of the wrong shape at once', () => {
    const { vpcId: _, ...rest } = platformContract();
    const bad = { ...rest, serviceSubnetIds: 'subnet-0a', mesh: { ...platformContract().mesh, egressPortBase: 80 }, auth: { kind: 'oidc' } };
    expect(() => parseContract('platform', JSON.stringify(bad), PLATFORM)).toThrow(new RegExp([
      'vpcId is required, got none', 'serviceSubnetIds must be a list, got "subnet-0a"',
      'mesh.egressPortBase must be an integer between 1024 and 65535, got 80', 'auth.kind must be one of "cognito", "jwt", got "oidc"',
    ].join('[\\s\\S]*')));
  });

  test('fails for a retry event or topic id the library does not know', () => {
    const c = serviceContract(1);
    const bad = { ...c, retryPolicy: { ...c.retryPolicy, httpRetryEvents: ['server-error', 'teapot'] }, topics: { 'order-placed': c.topics.Topic0 } };
    expect(() => parseContract('service', JSON.stringify(bad), ORDERS)).toThrow(
      /retryPolicy.httpRetryEvents\[1\] must be one of "server-error", "gateway-error", "client-error", "stream-error", got "teapot"[\s\S]*topics keys must be topic ids such as "OrderPlaced", got "order-placed"/);
  });

  test('fails for a contract that names another platform or service than its parameter', () => {
    expect(() => parseContract('platform', JSON.stringify(platformContract({ platformName: 'other' })), PLATFORM)).toThrow(/platformName must be the platform its parameter names, "shop", got "other"/);
    expect(() => parseContract('service', JSON.stringify(serviceContract(0, { serviceName: 'billing' })), ORDERS)).toThrow(/serviceName must be the service its parameter names, "orders", got "billing"/);
  });

  test("gives a placeholder of valid shape for valueFromLookup's dummy value", () => {
    const platform = parseContract('platform', `dummy-value-for-${PLATFORM}`, PLATFORM, ENV);
    expect(isPlaceholderContract(platform)).toBe(true);
    expect(platform).toMatchObject({ platformName: 'shop', vpcId: 'vpc-00000000000000000', serviceSubnetIds: ['subnet-00000000000000000', 'subnet-00000000000000001'], availabilityZones: ['eu-west-1a', 'eu-west-1b'], clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/dummy-cluster' });
    // A placeholder is itself a valid contract.
    expect(parseContract('platform', JSON.stringify(platform), PLATFORM)).toEqual(platform);
    const service = parseContract('service', `dummy-value-for-${ORDERS}`, ORDERS, ENV);
    expect(parseContract('service', JSON.stringify(service), ORDERS)).toEqual(service);
    expect(service).toMatchObject({ serviceName: 'orders', retryPolicy: { maxRetries: 0 }, maxCapacity: 1 });
    expect(topicOf(service, 'OrderPlaced', 'subscribe')).toEqual({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:dummy-value-for-OrderPlaced', topicName: 'dummy-value-for-OrderPlaced', fifo: false });
    expect(isPlaceholderContract(parseContract('platform', JSON.stringify(platform), PLATFORM))).toBe(false);
  });

  test('topicOf fails for a topic the service does not publish, naming those it does', () => {
    expect(() => topicOf(serviceContract(2), 'OrderPlaced', 'subscribe.topic')).toThrow(/subscribe.topic must be a topic the service publishes \("Topic0", "Topic1"\), got "OrderPlaced"/);
  });
});

describe('lookupContract', () => {
  test('before the lookup: a placeholder, and the lookup reported as missing context under the key lookupContext forms', () => {
    const app = tmpApp();
    const stack = new Stack(app, 'Checkout', { env: ENV });
    const platform = lookupContract(stack, 'platform', PLATFORM);
    expect(isPlaceholderContract(platform)).toBe(true);
    // The placeholder's VPC imports as aws-cdk-lib's dummy lookup VPC does.
    ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: platform.vpcId, availabilityZones: platform.availabilityZones, privateSubnetIds: platform.serviceSubnetIds });
    const missing = app.synth().manifest.missing ?? [];
    expect(missing.map((m) => m.key)).toEqual([ssmContextKey(ENV.account, ENV.region, PLATFORM)]);
    expect(missing[0]).toMatchObject({ provider: 'ssm', props: { account: ENV.account, region: ENV.region, parameterName: PLATFORM } });
  });

  test('after the lookup: the contract, and no missing context', () => {
    const app = tmpApp({ [ssmContextKey(ENV.account, ENV.region, ORDERS)]: JSON.stringify(serviceContract(1)) });
    const stack = new Stack(app, 'Checkout', { env: ENV });
    const orders = lookupContract(stack, 'service', ORDERS);
    expect(isPlaceholderContract(orders)).toBe(false);
    expect(orders).toEqual(serviceContract(1));
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });

  test('fails in an environment-agnostic stack, and for a name of the other kind', () => {
    const stack = new Stack(tmpApp(), 'Checkout');
    expect(() => lookupContract(stack, 'platform', PLATFORM)).toThrow(/the stack 'Checkout' must have env \{ account, region \} known at synthesis/);
    const withEnv = new Stack(tmpApp(), 'Checkout', { env: ENV });
    expect(() => lookupContract(withEnv, 'service', PLATFORM)).toThrow(/the parameter name must be a service contract's, got "\/cdk-microservice\/shop\/platform"/);
  });
});

describe('contract data from the library', () => {
  test("the contract's lists of protocols and retry events are the library's enums, whole", () => {
    expect([...PROTOCOLS].sort()).toEqual(Object.values(ServiceProtocol).sort());
    expect([...HTTP_RETRY_EVENTS].sort()).toEqual(Object.values(HttpRetryEvent).sort());
    expect([...TCP_RETRY_EVENTS].sort()).toEqual(Object.values(TcpRetryEvent).sort());
    expect([...GRPC_RETRY_EVENTS].sort()).toEqual(Object.values(GrpcRetryEvent).sort());
  });

  test('durations are whole milliseconds known at synthesis', () => {
    expect(millisOf('requestTimeout', Duration.seconds(1.5))).toBe(1500);
    expect(() => millisOf('requestTimeout', Duration.millis(0.5))).toThrow(/requestTimeout must be a whole number of milliseconds known at synthesis to be published, got 0.5 ms/);
  });

  test('RetryPolicy.none() has no per-try timeout', () => {
    expect(retryPolicyContract(RetryPolicy.none())).toEqual({
      retryPolicy: { protocol: 'none', maxRetries: 0, httpRetryEvents: [], tcpRetryEvents: [], grpcRetryEvents: [] }, perTryMs: undefined,
    });
    expect(retryPolicyContract(RetryPolicy.grpc()).retryPolicy).toMatchObject({ protocol: 'grpc', maxRetries: 2, grpcRetryEvents: ['unavailable', 'resource-exhausted'] });
  });
});
