// The seams between a service and its parts: the platform is read-only, strategies keep no state
// of a platform, sidecars are counted against the task, children live under a scope per strategy.
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { ApiAuthorizer, IMicroservicePlatform, Microservice, MicroservicePlatform, ServiceMesh , Tracing } from '../../lib';
import type { ServiceTask } from '../../lib/private/binding';
import { IMAGE, logicalId, testApp } from '../util';

const authorized = { routes: [{ path: '/a', scopes: ['svc/read'] }], consumers: [{ name: 'web', scopes: ['svc/read'] }] };

test('the platform creates what its services share with itself, and a service adds nothing to it: the VPC link and the user pool', () => {
  const stack = new Stack(testApp(), 'P');
  const platform = new MicroservicePlatform(stack, 'P');
  expect(platform.vpcLink).toBeDefined();
  expect(platform.vpcLinkSecurityGroup).toBeDefined();
  expect(platform.userPool).toBeDefined();
  expect(platform.tokenEndpoint).toMatch(/oauth2\/token$/);
  // Reading them creates nothing more; API Gateway's account setting waits for a REST API.
  expect(platform.apiGatewayAccount).toBeUndefined();
  const before = stack.node.findAll().length;
  new Microservice(new Stack(stack.node.root as any, 'S'), 'Svc', { platform, image: IMAGE, api: authorized });
  expect(stack.node.findAll().filter((c) => !c.node.path.startsWith('P/Publish')).length).toBe(before);
  const t = Template.fromStack(stack);
  t.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 1);
  t.resourceCountIs('AWS::Cognito::UserPool', 1);
});

test('one ApiAuthorizer.cognito() on two platforms gives each platform its own user pool', () => {
  const app = testApp();
  const auth = ApiAuthorizer.cognito();
  const [a, b] = ['A', 'B'].map((n) => new MicroservicePlatform(new Stack(app, n), 'P', { auth }));
  new Microservice(new Stack(app, 'SA'), 'Svc', { platform: a, image: IMAGE, api: authorized });
  new Microservice(new Stack(app, 'SB'), 'Svc', { platform: b, image: IMAGE, api: authorized });
  expect(a.userPool).toBeDefined();
  expect(b.userPool).toBeDefined();
  expect(a.userPool).not.toBe(b.userPool);
  for (const s of ['A', 'B']) Template.fromStack(app.node.findChild(s) as Stack).resourceCountIs('AWS::Cognito::UserPool', 1);
});

test('one ServiceMesh on two platforms keeps them apart: services of each may not call the other', () => {
  const app = testApp();
  const mesh = ServiceMesh.serviceConnect();
  const [a, b] = ['A', 'B'].map((n) => new MicroservicePlatform(new Stack(app, n), 'P', { mesh }));
  const x = new Microservice(new Stack(app, 'X'), 'X', { platform: a, image: IMAGE });
  const y = new Microservice(new Stack(app, 'Y'), 'Y', { platform: b, image: IMAGE });
  expect(() => x.connectTo(y)).toThrow("connectTo() of Microservice 'X/X' needs both services on the same platform ('A'), got 'Y/Y' on 'B'");
});

test('fails on a platform that is not a MicroservicePlatform, naming it', () => {
  const app = testApp();
  const real = new MicroservicePlatform(new Stack(app, 'P'), 'P');
  const stack = new Stack(app, 'S');
  const fake: IMicroservicePlatform = Object.assign(new Construct(stack, 'Fake'), {
    vpc: real.vpc, cluster: real.cluster, namespace: real.namespace, serviceSubnets: real.serviceSubnets,
    auth: real.auth, mesh: real.mesh, alarmTopic: real.alarmTopic, warningTopic: real.warningTopic,
  });
  expect(() => new Microservice(stack, 'Svc', { platform: fake, image: IMAGE }))
    .toThrow("Invalid props for Microservice 'S/Svc':\n  - platform must be a MicroservicePlatform (or one of its defaultFor), got S/Fake, which is not");
});

test('fails when api and restApi are both given', () => {
  expect(() => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, api: {}, restApi: {} }))
    .toThrow('api and restApi are mutually exclusive (a service has one front door: an HTTP API or a REST API): give one or neither, got both');
});

describe('sidecars', () => {
  test('reserve their CPU and memory and start before the app', () => {
    const stack = new Stack(testApp(), 'S');
    new Microservice(stack, 'Svc', { image: IMAGE, tracing: Tracing.openTelemetry() });
    const defs = Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
    const collector = defs.find((c: any) => c.Name === 'otel-collector');
    expect(collector).toMatchObject({ Cpu: 64, MemoryReservation: 64, Essential: false, ReadonlyRootFilesystem: true });
    expect(defs.find((c: any) => c.Name === 'app').DependsOn).toEqual([{ ContainerName: 'otel-collector', Condition: 'START' }]);
  });

  test('fail synthesis when they leave the app less than its minimum, naming the sizes', () => {
    const app = testApp();
    const stack = new Stack(app, 'S');
    const service = new Microservice(stack, 'Svc', { image: IMAGE, tracing: Tracing.openTelemetry(), cpu: 256, memoryLimitMiB: 512 });
    expect(() => app.synth()).not.toThrow();
    // The mechanism every part uses (tracing's collector today): a second, larger sidecar no longer fits.
    const task = (service as unknown as { task: ServiceTask }).task;
    task.addSidecar({
      id: 'Agent', containerName: 'agent', image: IMAGE, cpu: 96, memoryReservationMiB: 200, memoryLimitMiB: 400, essential: false,
      appStartsAfter: ecs.ContainerDependencyCondition.START,
    });
    expect(() => testAppSynth(stack)).toThrow(/cpu of Microservice 'S\/Svc' must leave the app container at least 128 CPU units after its sidecars \(otel-collector 64 CPU units \/ 64 MiB, agent 96 CPU units \/ 200 MiB\), got cpu 256, which leaves 96: raise cpu/);
    expect(() => testAppSynth(stack)).toThrow(/memoryLimitMiB of Microservice 'S\/Svc' must leave the app container at least 256 MiB after its sidecars .*, got memoryLimitMiB 512, which leaves 248: raise memoryLimitMiB/);
  });
});

/** Synthesizes the stack's app again, validations included. */
function testAppSynth(stack: Stack): void {
  (stack.node.root as App).synth({ force: true });
}

test('children a strategy creates live under a scope named for it', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P', {
    mesh: ServiceMesh.serviceConnect({ tlsCertificateAuthorityArn: 'arn:aws:acm-pca:us-east-1:111111111111:certificate-authority/0123abcd-0000-1111-2222-333344445555' }),
  });
  const service = new Microservice(new Stack(app, 'S'), 'Svc', { platform, image: IMAGE, restApi: authorized });
  const paths = service.node.findAll().map((c) => c.node.path);
  expect(paths).toEqual(expect.arrayContaining([
    'S/Svc/Mesh/TlsRole', 'S/Svc/Api/Auth/ResourceServer', 'S/Svc/Api/Auth/ClientWeb', 'S/Svc/Api/Auth/Authorizer',
    'S/Svc/Api/Integration/LoadBalancer', 'S/Svc/Api/Integration/LoadBalancerSecurityGroup',
  ]));
  expect(logicalId(service.restApi!.loadBalancer)).toMatch(/^SvcApiIntegrationLoadBalancer/);
});
