// A service app of another repository joins a platform by its name: the platform app publishes its
// contract, MicroserviceTesting.lookupContext turns the platform app's synthesized assembly into the
// context the CDK CLI would have cached, and the service app synthesizes with no AWS.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform, MicroserviceTesting, RetryPolicy, ServiceCallGraph, ServiceMesh } from '../../lib';
import { unacknowledgedFindings } from '../nag';
import { CDK_CONTEXT, IMAGE } from '../util';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const API = { routes: [{ path: '/orders', methods: [HttpMethod.GET], scopes: ['orders/read'] }], consumers: [{ name: 'web', scopes: ['orders/read'] }] };

/** The platform app, synthesized to a directory of its own (its `cdk.out`). */
function platformApp(mesh?: ServiceMesh): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-app-'));
  const app = new App({ outdir, context: CDK_CONTEXT });
  new MicroservicePlatform(new Stack(app, 'Shop', { env: ENV }), 'Platform', { platformName: 'shop', mesh });
  app.synth();
  return outdir;
}

describe.each<[string, ServiceMesh | undefined]>([
  ['Service Connect', undefined],
  ['Envoy', ServiceMesh.envoy()],
])('a service app joins a platform of another app on %s', (_name, mesh) => {
  const platformOut = platformApp(mesh);
  const context = MicroserviceTesting.lookupContext([platformOut], ENV);
  const app = new App({ context: { ...CDK_CONTEXT, ...context } });
  const stack = new Stack(app, 'Orders', { env: ENV });
  const platform = MicroservicePlatform.fromPlatformName(stack, 'Platform', 'shop');
  const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE, api: API });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const findings = unacknowledgedFindings(app);
  const assembly = app.synth();
  const t = Template.fromStack(stack);
  const platformTemplate = JSON.parse(fs.readFileSync(path.join(platformOut, 'Shop.template.json'), 'utf8'));
  const idOf = (type: string) => Object.keys(platformTemplate.Resources).filter((id) => platformTemplate.Resources[id].Type === type);

  test('the context holds the platform contract under the key the app asks for, and nothing is missing', () => {
    expect(Object.keys(context)).toEqual([`ssm:account=${ENV.account}:parameterName=/cdk-microservice/shop/platform:region=${ENV.region}`]);
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('passes AwsSolutions with no unacknowledged finding', () => {
    expect(findings).toEqual([]);
  });

  test('runs in the platform\'s cluster, subnets and namespace, with literal ids and no cross-stack reference', () => {
    expect(orders.platform.vpc.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    const service = Object.values<any>(t.findResources('AWS::ECS::Service'))[0].Properties;
    expect(service.Cluster).toBe((platform as any).contract.clusterName);
    expect(service.Cluster).toMatch(/^Shop-PlatformCluster/);
    expect(service.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(platform.vpc.privateSubnets.map((s) => s.subnetId));
    expect(service.NetworkConfiguration.AwsvpcConfiguration.Subnets.every((s: string) => /^subnet-[0-9a-f]{17}$/.test(s))).toBe(true);
    expect(idOf('AWS::EC2::Subnet').length).toBeGreaterThan(0);
    expect(JSON.stringify(t.toJSON())).not.toMatch(/Fn::GetStackOutput|Fn::ImportValue/);
  });

  test('creates its resource server and consumer client in the platform\'s user pool, in its own stack', () => {
    t.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 1);
    t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'orders' });
    const poolId = Object.values<any>(t.findResources('AWS::Cognito::UserPoolResourceServer'))[0].Properties.UserPoolId;
    expect(poolId).toMatch(/^eu-west-1_\w+$/);
    t.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  test('publishes its own contract beside the platform\'s', () => {
    t.hasResourceProperties('AWS::SSM::Parameter', { Name: '/cdk-microservice/shop/services/orders' });
  });
});

describe('a caller on Envoy configures its sidecar for a callee of another app from the callee\'s contract', () => {
  const platformOut = platformApp(ServiceMesh.envoy());
  const paymentsOut = fs.mkdtempSync(path.join(os.tmpdir(), 'payments-app-'));
  const paymentsApp = new App({ outdir: paymentsOut, context: { ...CDK_CONTEXT, ...MicroserviceTesting.lookupContext([platformOut], ENV) } });
  const paymentsStack = new Stack(paymentsApp, 'Payments', { env: ENV });
  new Microservice(paymentsStack, 'Payments', {
    platform: MicroservicePlatform.fromPlatformName(paymentsStack, 'Platform', 'shop'), image: IMAGE,
    retryPolicy: RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.millis(700) }), requestTimeout: Duration.seconds(3),
    outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
  }).addTopic('PaymentTaken');
  paymentsApp.synth();

  const app = new App({ context: { ...CDK_CONTEXT, ...MicroserviceTesting.lookupContext([platformOut, paymentsOut], ENV) } });
  const stack = new Stack(app, 'Orders', { env: ENV });
  const platform = MicroservicePlatform.fromPlatformName(stack, 'Platform', 'shop');
  const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE, requestTimeout: Duration.seconds(10) });
  const payments = Microservice.fromServiceName(stack, 'Payments', { platform, serviceName: 'payments' });
  orders.connectTo(payments);
  const t = Template.fromStack(stack);

  test('the sidecar\'s route to payments retries as payments\' contract says, within its timeout, with its outlier detection', () => {
    const sidecar = Object.values<any>(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions.find((c: any) => c.Name === 'envoy');
    const bootstrap = JSON.parse(sidecar.Command[sidecar.Command.indexOf('--config-yaml') + 1]);
    const [route] = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    expect(route.route).toMatchObject({ cluster: 'payments', timeout: '3s' });
    expect(route.route.retry_policy).toMatchObject({ num_retries: 2, per_try_timeout: '0.7s' });
    const [cluster] = bootstrap.static_resources.clusters.filter((c: any) => c.name === 'payments');
    expect(cluster.outlier_detection).toMatchObject({ consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 });
    expect(JSON.stringify(cluster.load_assignment)).toContain('payments.services.internal');
    const env = Object.values<any>(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions.find((c: any) => c.Name === 'app').Environment;
    expect(env).toContainEqual({ Name: 'PAYMENTS_URL', Value: 'http://127.0.0.1:15001' });
  });

  test('the call graph covers payments from its contract: 3 attempts of 700 ms fit orders\' 10 s', () => {
    const report = ServiceCallGraph.of(orders).report();
    expect(report.services.map((s) => s.name).sort()).toEqual(['orders', 'payments']);
    expect(report.paths).toEqual([expect.objectContaining({ services: ['orders', 'payments'], amplification: 3 })]);
    expect(report.violations).toEqual([]);
  });

  test('an unknown topic of payments is refused, naming the topics its contract lists', () => {
    expect(() => payments.topic('Refunded')).toThrow(/PaymentTaken/);
  });
});

test('a callee of another app not looked up yet is left out of the call graph: the first synthesis completes and asks for its contract', () => {
  const platformOut = platformApp(ServiceMesh.envoy());
  const app = new App({ context: { ...CDK_CONTEXT, ...MicroserviceTesting.lookupContext([platformOut], ENV) } });
  const stack = new Stack(app, 'Orders', { env: ENV });
  const platform = MicroservicePlatform.fromPlatformName(stack, 'Platform', 'shop');
  // 500 ms would not cover the placeholder's 1 s: judged, it would fail before the CLI's lookup.
  const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE, requestTimeout: Duration.millis(500) });
  orders.connectTo(Microservice.fromServiceName(stack, 'Payments', { platform, serviceName: 'payments' }));
  expect((app.synth().manifest.missing ?? []).map((m) => m.key)).toEqual([`ssm:account=${ENV.account}:parameterName=/cdk-microservice/shop/services/payments:region=${ENV.region}`]);
  expect(ServiceCallGraph.of(orders).report().services.map((s) => s.name)).toEqual(['orders']);
});

test('two stacks of one app on a platform joined by name call each other\'s services, with no stack dependency through the platform', () => {
  const platformOut = platformApp();
  const app = new App({ context: { ...CDK_CONTEXT, ...MicroserviceTesting.lookupContext([platformOut], ENV) } });
  const [a, b] = ['A', 'B'].map((n) => new Stack(app, n, { env: ENV }));
  const pa = MicroservicePlatform.fromPlatformName(a, 'Platform', 'shop');
  const pb = MicroservicePlatform.fromPlatformName(b, 'Platform', 'shop');
  const orders = new Microservice(a, 'Orders', { platform: pa, image: IMAGE });
  const payments = new Microservice(b, 'Payments', { platform: pb, image: IMAGE });
  orders.connectTo(payments);
  expect(() => app.synth()).not.toThrow();
  expect(b.dependencies).toEqual([]);
});
