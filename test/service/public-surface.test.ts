// The CDK conventions a consumer app relies on: a service is a grantee, its sidecars go through
// the task's budget, tracing is a strategy.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Microservice, MicroservicePlatform, Tracing } from '../../lib';
import { IMAGE, logicalId, testApp } from '../util';

/** One app shared by the template assertions: a platform, a service with a sidecar of its own, tracing and a grant. */
const app = testApp();
const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
const stack = new Stack(app, 'Orders');
const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE, tracing: Tracing.openTelemetry({ samplingRatio: 0.25 }) });
const bucket = new s3.Bucket(stack, 'Bucket');
const grant = bucket.grantReadWrite(orders);
const agent = orders.addSidecar('Agent', { image: IMAGE, cpu: 64, memoryReservationMiB: 100, portMappings: [{ containerPort: 9000 }] });
const t = Template.fromStack(stack);
const containers = () => Object.values<any>(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions as any[];
const container = (name: string) => containers().find((c) => c.Name === name);

describe('Microservice is an iam.IGrantable: grants go to the task role', () => {
  test('grantPrincipal is the task role', () => {
    expect(orders.grantPrincipal).toBe(orders.taskDefinition.taskRole);
    expect(grant.success).toBe(true);
  });

  test("bucket.grantReadWrite(service) puts the bucket's actions on the task role's policy", () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(orders.taskDefinition.taskRole) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:PutObject']), Resource: Match.arrayWith([{ 'Fn::GetAtt': [logicalId(bucket), 'Arn'] }]) })]) },
    });
  });
});

describe('addSidecar: a container of the user\'s, counted against the task size', () => {
  test('the sidecar reserves its CPU and memory, logs to the service\'s log group and is read-only by default', () => {
    expect(agent.containerName).toBe('Agent');
    expect(container('Agent')).toMatchObject({
      Cpu: 64, MemoryReservation: 100, ReadonlyRootFilesystem: true,
      PortMappings: [{ ContainerPort: 9000, Protocol: 'tcp' }],
      LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: logicalId(orders.logGroup) }, 'awslogs-stream-prefix': 'Agent' } },
    });
  });

  test('the app gets what the sidecars leave of the task\'s memory, and starts once the sidecar has started', () => {
    // 1024 MiB - the collector's 64 - the agent's 100.
    expect(container('app').Memory).toBe(1024 - 64 - 100);
    expect(container('app').DependsOn).toEqual(expect.arrayContaining([{ ContainerName: 'Agent', Condition: 'START' }]));
  });

  const service = (props: object = {}) => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, ...props });

  test('fails at synth when the sidecars leave the app less than 256 MiB: the 1,088 MiB in a 1,024 MiB task', () => {
    const svc = service({ tracing: Tracing.openTelemetry() });
    svc.addSidecar('Agent', { image: IMAGE, cpu: 64, memoryReservationMiB: 1024 });
    expect(() => Template.fromStack(Stack.of(svc))).toThrow(
      "memoryLimitMiB of Microservice 'S/Svc' must leave the app container at least 256 MiB after its sidecars (otel-collector 64 CPU units / 64 MiB, Agent 64 CPU units / 1024 MiB), got memoryLimitMiB 1024, which leaves -64: raise memoryLimitMiB");
  });

  test('fails when cpu or memory is missing, naming what to set', () => {
    expect(() => service().addSidecar('Agent', { image: IMAGE })).toThrow(
      "Invalid props for addSidecar('Agent') of Microservice 'S/Svc':\n  - cpu must be set: the CPU units the sidecar reserves, counted against the task's 512 (0 to 512), got undefined\n"
      + "  - memoryReservationMiB or memoryLimitMiB must be set: the memory the sidecar reserves, counted against the task's 1024 MiB, got neither");
  });

  test('fails on a cpu above the task\'s, a HEALTHY start without a health check, and the app\'s container name', () => {
    expect(() => service().addSidecar('Agent', { image: IMAGE, cpu: 513, memoryLimitMiB: 64, containerName: 'app', appStartsAfter: ecs.ContainerDependencyCondition.HEALTHY })).toThrow(
      "Invalid props for addSidecar('Agent') of Microservice 'S/Svc':\n  - cpu must be an integer between 0 and 512, got 513\n"
      + '  - containerName must differ from the task\'s other containers and those the library adds (app, envoy, envoy-metrics, otel-collector, log-router, amazon-ssm-agent), got "app"\n'
      + '  - appStartsAfter HEALTHY needs a healthCheck on the sidecar (ECS waits for it to report healthy), got none');
  });

  test('fails when a sidecar listens on the app\'s port', () => {
    expect(() => service().addSidecar('Agent', { image: IMAGE, cpu: 64, memoryLimitMiB: 64, portMappings: [{ containerPort: 8080 }] })).toThrow(
      'containerPort must not be a port the Agent sidecar listens on (8080), got 8080');
  });

  test('a memoryLimitMiB alone is the reservation that counts', () => {
    const svc = service();
    svc.addSidecar('Agent', { image: IMAGE, cpu: 0, memoryLimitMiB: 128 });
    const defs = Object.values<any>(Template.fromStack(Stack.of(svc)).findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
    expect(defs.find((c: any) => c.Name === 'Agent')).toMatchObject({ Memory: 128, MemoryReservation: 128 });
    expect(defs.find((c: any) => c.Name === 'app').Memory).toBe(1024 - 128);
  });

  test('fails at synth on a container added to the task definition directly, naming addSidecar', () => {
    const svc = service();
    svc.taskDefinition.addContainer('LogRouter', { image: IMAGE, memoryLimitMiB: 64 });
    expect(() => Template.fromStack(Stack.of(svc))).toThrow(
      "addSidecar() of Microservice 'S/Svc' must add every container besides the app, which counts its CPU and memory against the task size (the app container gets what the sidecars leave) and starts the app after it; "
      + "got container \"LogRouter\" added with taskDefinition.addContainer(): use service.addSidecar('LogRouter', { ...its options, cpu, memoryReservationMiB })");
  });
});

describe('tracing is a strategy', () => {
  test('Tracing.openTelemetry({ samplingRatio }) sets the sampler argument and adds the collector', () => {
    expect(orders.collector?.containerName).toBe('otel-collector');
    expect(container('app').Environment).toEqual(expect.arrayContaining([
      { Name: 'OTEL_TRACES_SAMPLER', Value: 'parentbased_traceidratio' }, { Name: 'OTEL_TRACES_SAMPLER_ARG', Value: '0.25' },
    ]));
  });

  test('Tracing.none() (the default) adds no collector and no OTEL variable', () => {
    const svc = new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, tracing: Tracing.none() });
    expect(svc.collector).toBeUndefined();
    const defs = Object.values<any>(Template.fromStack(Stack.of(svc)).findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
    expect(defs.map((c: any) => c.Name)).toEqual(['app']);
    expect(JSON.stringify(defs)).not.toContain('OTEL_');
  });

  test.each([-0.1, 1.5])('fails on samplingRatio %d, outside 0 to 1', (ratio) => {
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, tracing: Tracing.openTelemetry({ samplingRatio: ratio }) })).toThrow(
      `Invalid props for Microservice 'S/Svc':\n  - tracing.samplingRatio must be between 0 and 1, got ${ratio}`);
  });

  test.each([0, 1])('takes samplingRatio %d, both ends of the range', (ratio) => {
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, tracing: Tracing.openTelemetry({ samplingRatio: ratio }) })).not.toThrow();
  });
});

test('an iam.IGrantable parameter takes a Microservice', () => {
  const takesGrantee = (g: iam.IGrantable) => g.grantPrincipal;
  expect(takesGrantee(orders)).toBe(orders.taskDefinition.taskRole);
});

describe('outputs: what a user needs after deploy', () => {
  const outApp = testApp();
  const outPlatform = new MicroservicePlatform(new Stack(outApp, 'Platform'), 'Platform');
  const http = new Microservice(new Stack(outApp, 'Http'), 'Orders', {
    platform: outPlatform, image: IMAGE,
    api: { routes: [{ path: '/orders', scopes: ['orders/read'] }], consumers: [{ name: 'web', scopes: ['orders/read'] }, { name: 'billing-job', scopes: ['orders/read'] }] },
  });
  const rest = new Microservice(new Stack(outApp, 'Rest'), 'Payments', {
    platform: outPlatform, image: IMAGE,
    restApi: { routes: [{ path: '/pay', scopes: ['payments/charge'] }], consumers: [{ name: 'checkout', scopes: ['payments/charge'] }] },
  });
  const outputs = (s: Stack) => Template.fromStack(s).findOutputs('*');
  const byDescription = (s: Stack, prefix: string) => Object.values<any>(outputs(s)).filter((o) => o.Description?.startsWith(prefix));

  test("an HTTP API's service outputs its URL and each consumer's app client id", () => {
    const s = Stack.of(http);
    expect(byDescription(s, 'URL of the API of orders').map((o) => s.resolve(o.Value))).toEqual([s.resolve(http.api!.url)]);
    const clients = byDescription(s, 'App client of consumer');
    expect(clients.map((o) => o.Description)).toEqual(['App client of consumer web of orders', 'App client of consumer billing-job of orders']);
    expect(clients.map((o) => o.Value)).toEqual([
      { Ref: logicalId(http.httpApi!.consumerClients.web) }, { Ref: logicalId(http.httpApi!.consumerClients['billing-job']) },
    ]);
  });

  test("a REST API's service outputs each consumer's API key id too", () => {
    const s = Stack.of(rest);
    expect(byDescription(s, 'API key of consumer checkout of payments').map((o) => o.Value)).toEqual([{ Ref: logicalId(rest.restApi!.apiKeys.checkout) }]);
    expect(byDescription(s, 'App client of consumer checkout')).toHaveLength(1);
  });

  test("the platform outputs its user pool's token endpoint once it creates the pool", () => {
    const s = Stack.of(outPlatform);
    const [endpoint] = byDescription(s, 'OAuth 2.0 token endpoint');
    expect(JSON.stringify(s.resolve(endpoint.Value))).toContain('/oauth2/token');
    expect(byDescription(s, "The platform's user pool")).toHaveLength(1);
  });

  test('a service without an API outputs nothing', () => {
    expect(outputs(stack)).toEqual({});
  });
});

describe('what addSidecar and the task refuse (each would fail at deploy or escape the budget)', () => {
  const service = (props: object = {}) => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, ...props });
  const prefix = "Invalid props for addSidecar('Agent') of Microservice 'S/Svc':\n  - ";

  test('fails on an init container (COMPLETE or SUCCESS) that is essential: ECS refuses the condition on one', () => {
    expect(() => service().addSidecar('Agent', { image: IMAGE, cpu: 0, memoryLimitMiB: 64, appStartsAfter: ecs.ContainerDependencyCondition.SUCCESS })).toThrow(
      `${prefix}appStartsAfter SUCCESS needs essential: false (ECS refuses the condition on an essential container), got undefined (essential)`);
    const svc = service();
    svc.addSidecar('Agent', { image: IMAGE, cpu: 0, memoryLimitMiB: 64, essential: false, appStartsAfter: ecs.ContainerDependencyCondition.COMPLETE });
    const defs = Object.values<any>(Template.fromStack(Stack.of(svc)).findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
    expect(defs.find((c: any) => c.Name === 'app').DependsOn).toEqual([{ ContainerName: 'Agent', Condition: 'COMPLETE' }]);
  });

  test.each(['envoy', 'envoy-metrics', 'otel-collector', 'log-router', 'amazon-ssm-agent'])('fails on containerName %s, which a feature of the library adds (some only on a first connectTo)', (name) => {
    expect(() => service().addSidecar('Agent', { image: IMAGE, cpu: 0, memoryLimitMiB: 64, containerName: name })).toThrow(
      `${prefix}containerName must differ from the task's other containers and those the library adds (app, envoy, envoy-metrics, otel-collector, log-router, amazon-ssm-agent), got "${name}"`);
  });

  test('fails on the id of a library container, a memory limit under the reservation, and a cpu past what the other sidecars leave', () => {
    const svc = service({ tracing: Tracing.openTelemetry() });
    expect(() => svc.addSidecar('Envoy', { image: IMAGE, cpu: 449, memoryReservationMiB: 128, memoryLimitMiB: 64 })).toThrow(
      "Invalid props for addSidecar('Envoy') of Microservice 'S/Svc':\n"
      + '  - memoryLimitMiB must be at least memoryReservationMiB (128), got 64\n'
      + '  - cpu must fit in what the other sidecars leave of the task\'s 512 (448), got 449: raise the service\'s cpu\n'
      + '  - id must differ from the ids of the library\'s containers (App, Envoy, EnvoyMetrics, Collector, LogRouter, SsmAgent), got "Envoy"');
  });

  test('a container added directly under a library name is still refused (known by identity, not by name)', () => {
    const svc = service({ tracing: Tracing.openTelemetry() });
    svc.taskDefinition.addContainer('Sneaky', { image: IMAGE, containerName: 'otel-collector', memoryReservationMiB: 64 });
    expect(() => Template.fromStack(Stack.of(svc))).toThrow('got container "otel-collector" added with taskDefinition.addContainer()');
  });

  test('a port added to a sidecar after the fact that another container holds fails at synth', () => {
    const svc = service();
    svc.addSidecar('Agent', { image: IMAGE, cpu: 64, memoryLimitMiB: 64 }).addPortMappings({ containerPort: 8080 });
    expect(() => Template.fromStack(Stack.of(svc))).toThrow(
      "the Agent container of Microservice 'S/Svc' must not listen on a port of the app container (containers of a task share its network), got 8080");
  });

  test('AwsSolutions-ECS2 stays for the user when a variable is added to a sidecar or the app after the fact', () => {
    const acked = (change: (svc: Microservice) => void) => {
      const svc = service({ tracing: Tracing.openTelemetry() });
      change(svc);
      Template.fromStack(Stack.of(svc));
      return JSON.stringify(svc.taskDefinition.node.metadata).includes('AwsSolutions-ECS2');
    };
    expect(acked(() => undefined)).toBe(true);
    expect(acked((svc) => svc.addSidecar('Agent', { image: IMAGE, cpu: 64, memoryLimitMiB: 64 }))).toBe(true);
    expect(acked((svc) => svc.addSidecar('Agent', { image: IMAGE, cpu: 64, memoryLimitMiB: 64 }).addEnvironment('DB_PASSWORD', 'x'))).toBe(false);
    expect(acked((svc) => svc.container.addEnvironment('DB_PASSWORD', 'x'))).toBe(false);
  });
});

describe('strategy props given plain values', () => {
  test.each([
    ['tracing', true, 'tracing must be Tracing.openTelemetry() or Tracing.none() (tracing: true is now Tracing.openTelemetry()), got true'],
    ['logging', 'json-file', 'logging must be ServiceLogging.awsLogs(), ServiceLogging.fireLens({ output }) or ServiceLogging.logDriver(driver), got "json-file"'],
    ['faultInjection', true, 'faultInjection must be FaultInjection.enabled() or FaultInjection.disabled(), got true'],
    ['tracingCollectorImage', 'x', 'tracingCollectorImage is now Tracing.openTelemetry({ collectorImage }), got tracingCollectorImage "x"'],
  ])('fails on %s %j with its replacement', (prop, value, message) => {
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, [prop]: value } as any)).toThrow(
      `Invalid props for Microservice 'S/Svc':\n  - ${message}`);
  });
});

test('fails at synth when a stack passes 200 outputs, naming the way out; api.outputs false turns a service\'s off', () => {
  const consumers = Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, scopes: ['pay/charge'] }));
  const build = (outputs?: boolean) => {
    const a = testApp();
    const p = new MicroservicePlatform(new Stack(a, 'Platform'), 'Platform');
    const s = new Stack(a, 'Pay');
    new Microservice(s, 'Pay', { platform: p, image: IMAGE, restApi: { routes: [{ path: '/pay', scopes: ['pay/charge'] }], consumers, outputs } });
    return s;
  };
  expect(() => Template.fromStack(build())).toThrow(/stack Pay must declare at most 200 outputs \(CloudFormation's quota per template\), got 20[0-9]: turn off the outputs of services with many consumers \(api.outputs or restApi.outputs false\)/);
  expect(Object.keys(Template.fromStack(build(false)).findOutputs('*')).filter((k) => k.startsWith('PayConsumer'))).toEqual([]);
});
