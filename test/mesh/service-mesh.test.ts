import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import {
  APP_MESH_END_OF_SUPPORT_WARNING, HttpRetryEvent, Microservice, MicroservicePlatform, RetryPolicy, ServiceCache, ServiceMesh,
} from '../../lib';
import { unacknowledgedFindings } from '../nag';
import { IMAGE, logicalId, testApp } from '../util';

const containers = (t: Template) => Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
const envOf = (t: Template, name = 'app') => Object.fromEntries((containers(t).find((c: any) => c.Name === name).Environment ?? []).map((e: any) => [e.Name, e.Value]));

describe('ServiceMesh.appMesh()', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', { mesh: ServiceMesh.appMesh({ tracing: true }) });
  const ordersStack = new Stack(app, 'Orders');
  const paymentsStack = new Stack(app, 'Payments');
  const canaryStack = new Stack(app, 'PaymentsV2');
  const payments = new Microservice(paymentsStack, 'Payments', {
    platform,
    image: IMAGE,
    requestTimeout: Duration.seconds(5),
    idleTimeout: Duration.seconds(60),
    healthCheckPath: '/health',
    retryPolicy: RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.millis(1500), httpRetryEvents: [HttpRetryEvent.GATEWAY_ERROR] }),
    outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
    connectionPool: { maxConnections: 100, maxPendingRequests: 20 },
  });
  const paymentsV2 = new Microservice(canaryStack, 'PaymentsV2', { platform, image: IMAGE, requestTimeout: Duration.seconds(5) });
  const orders = new Microservice(ordersStack, 'Orders', { platform, image: IMAGE, requestTimeout: Duration.seconds(10) });
  orders.connectTo(payments);
  payments.routeCanary(paymentsV2, 10);
  const p = Template.fromStack(platformStack);
  const pay = Template.fromStack(paymentsStack);
  const ord = Template.fromStack(ordersStack);
  const can = Template.fromStack(canaryStack);

  test('creates one mesh on the platform that drops egress to undeclared backends', () => {
    p.resourceCountIs('AWS::AppMesh::Mesh', 1);
    p.hasResourceProperties('AWS::AppMesh::Mesh', { Spec: { EgressFilter: { Type: 'DROP_ALL' } } });
  });

  test('warns at synth with the end-of-support date and the alternative', () => {
    Annotations.fromStack(platformStack).hasWarning('/Platform/Platform', Match.stringLikeRegexp('end of support on 2026-09-30.*ServiceMesh.serviceConnect\\(\\)'));
  });

  test('the warning is a finding until the app acknowledges it', () => {
    const a = testApp();
    new MicroservicePlatform(new Stack(a, 'P'), 'P', { mesh: ServiceMesh.appMesh() });
    const findings = unacknowledgedFindings(a);
    expect(findings.map((f) => f.rule)).toContain(`Annotation::${APP_MESH_END_OF_SUPPORT_WARNING}`);
  });

  test('gives the service a virtual node: Cloud Map discovery, HTTP listener with health check, timeouts, outlier detection and connection pool', () => {
    pay.hasResourceProperties('AWS::AppMesh::VirtualNode', {
      VirtualNodeName: 'payments',
      Spec: Match.objectLike({
        ServiceDiscovery: { AWSCloudMap: Match.objectLike({ ServiceName: Match.anyValue(), NamespaceName: Match.anyValue() }) },
        Listeners: [Match.objectLike({
          PortMapping: { Port: 8080, Protocol: 'http' },
          HealthCheck: Match.objectLike({ Path: '/health', Protocol: 'http' }),
          Timeout: { HTTP: { PerRequest: { Unit: 'ms', Value: 5000 }, Idle: { Unit: 'ms', Value: 60000 } } },
          OutlierDetection: { MaxServerErrors: 5, Interval: { Unit: 'ms', Value: 10000 }, BaseEjectionDuration: { Unit: 'ms', Value: 30000 }, MaxEjectionPercent: 50 },
          ConnectionPool: { HTTP: { MaxConnections: 100, MaxPendingRequests: 20 } },
        })],
        Logging: { AccessLog: { File: { Path: '/dev/stdout' } } },
      }),
    });
  });

  test('routes through a virtual router with the retry policy and timeout, behind the virtual service', () => {
    pay.hasResourceProperties('AWS::AppMesh::VirtualRouter', { Spec: { Listeners: [{ PortMapping: { Port: 8080, Protocol: 'http' } }] } });
    pay.hasResourceProperties('AWS::AppMesh::Route', {
      Spec: {
        HttpRoute: Match.objectLike({
          Match: Match.objectLike({ Prefix: '/' }),
          RetryPolicy: { MaxRetries: 2, PerRetryTimeout: { Unit: 'ms', Value: 1500 }, HttpRetryEvents: ['gateway-error'], TcpRetryEvents: ['connection-error'] },
          Timeout: { PerRequest: { Unit: 'ms', Value: 5000 }, Idle: { Unit: 'ms', Value: 60000 } },
        }),
      },
    });
    pay.hasResourceProperties('AWS::AppMesh::VirtualService', {
      VirtualServiceName: 'payments.services.internal',
      Spec: { Provider: { VirtualRouter: { VirtualRouterName: Match.anyValue() } } },
    });
  });

  test('sends 10 % of the traffic to the canary through weighted targets', () => {
    pay.hasResourceProperties('AWS::AppMesh::Route', {
      Spec: { HttpRoute: Match.objectLike({ Action: { WeightedTargets: [{ VirtualNode: 'payments', Weight: 90 }, { VirtualNode: 'payments-v2', Weight: 10 }] } }) },
    });
  });

  test("admits the primary's callers into the canary, by rules in the callers' stacks", () => {
    ord.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 8080, Description: 'Orders/Orders calls PaymentsV2/PaymentsV2' });
    can.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('runs a pinned Envoy sidecar as user 1337 with the node ARN, which the app waits for', () => {
    const defs = containers(pay);
    const envoy = defs.find((c: any) => c.Name === 'envoy');
    expect(envoy.Image).toBe('public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.1-prod');
    expect(envoy.User).toBe('1337');
    expect(envoy.Essential).toBe(true);
    expect(envoy.HealthCheck.Command).toEqual(['CMD-SHELL', 'curl -s http://localhost:9901/server_info | grep state | grep -q LIVE']);
    const arn = envoy.Environment.find((e: any) => e.Name === 'APPMESH_RESOURCE_ARN').Value;
    expect(JSON.stringify(arn)).toContain('/virtualNode/payments');
    expect(envoy.Environment.find((e: any) => e.Name === 'ENABLE_ENVOY_XRAY_TRACING').Value).toBe('1');
    const appDef = defs.find((c: any) => c.Name === 'app');
    expect(appDef.DependsOn).toEqual([{ ContainerName: 'envoy', Condition: 'HEALTHY' }]);
    expect(defs.find((c: any) => c.Name === 'xray-daemon')).toMatchObject({ Essential: false, User: '1337' });
  });

  test('configures the App Mesh proxy and grants the task role the node ARN only', () => {
    pay.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ProxyConfiguration: {
        ContainerName: 'envoy',
        Type: 'APPMESH',
        ProxyConfigurationProperties: Match.arrayWith([
          { Name: 'AppPorts', Value: '8080' },
          { Name: 'ProxyIngressPort', Value: '15000' },
          { Name: 'ProxyEgressPort', Value: '15001' },
          { Name: 'IgnoredUID', Value: '1337' },
          { Name: 'EgressIgnoredIPs', Value: '169.254.170.2,169.254.169.254' },
        ]),
      },
    });
    const policy = Object.values(pay.findResources('AWS::IAM::Policy')).find((x) => JSON.stringify(x).includes('StreamAggregatedResources'))!;
    const stmt = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Action === 'appmesh:StreamAggregatedResources');
    expect(JSON.stringify(stmt.Resource)).toContain('/virtualNode/payments');
    expect(policy.Properties.Roles).toEqual([{ Ref: logicalId(payments.taskDefinition.taskRole) }]);
  });

  test('connectTo adds the callee as a backend of the caller, its URL, and a rule in the caller stack', () => {
    ord.hasResourceProperties('AWS::AppMesh::VirtualNode', {
      Spec: Match.objectLike({ Backends: [{ VirtualService: { VirtualServiceName: Match.anyValue() } }] }),
    });
    expect(envOf(ord).PAYMENTS_URL).toBe('http://payments.services.internal:8080');
    ord.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp',
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(orders.securityGroup), 'GroupId'] },
      Description: 'Orders/Orders calls Payments/Payments',
    });
    pay.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(JSON.stringify(pay.toJSON())).not.toContain('Orders');
  });

  test('a gRPC retry policy makes a gRPC listener and route', () => {
    const a = testApp();
    const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P', { mesh: ServiceMesh.appMesh() });
    const s = new Stack(a, 'G');
    new Microservice(s, 'Grpc', { platform: pl, image: IMAGE, retryPolicy: RetryPolicy.grpc({ maxRetries: 3 }) });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::AppMesh::Route', {
      Spec: { GrpcRoute: Match.objectLike({ RetryPolicy: Match.objectLike({ MaxRetries: 3, GrpcRetryEvents: ['unavailable', 'resource-exhausted'] }) }) },
    });
    t.hasResourceProperties('AWS::AppMesh::VirtualNode', { Spec: Match.objectLike({ Listeners: [Match.objectLike({ PortMapping: { Port: 8080, Protocol: 'grpc' } })] }) });
  });
});

describe('ServiceMesh.serviceConnect() (the default)', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const ordersStack = new Stack(app, 'Orders');
  const paymentsStack = new Stack(app, 'Payments');
  const payments = new Microservice(paymentsStack, 'Payments', { platform, image: IMAGE, requestTimeout: Duration.seconds(5), idleTimeout: Duration.seconds(60) });
  const orders = new Microservice(ordersStack, 'Orders', { platform, image: IMAGE });
  orders.connectTo(payments);
  const pay = Template.fromStack(paymentsStack);
  const ord = Template.fromStack(ordersStack);

  test('registers the service with Service Connect: client alias, discovery name and timeouts', () => {
    pay.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: {
        Enabled: true,
        Namespace: Match.anyValue(),
        Services: [{
          PortName: 'http',
          DiscoveryName: 'payments-sc',
          ClientAliases: [{ DnsName: 'payments', Port: 8080 }],
          Timeout: { PerRequestTimeoutSeconds: 5, IdleTimeoutSeconds: 60 },
        }],
        LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        AccessLogConfiguration: { Format: 'JSON', IncludeQueryParameters: 'DISABLED' },
      },
    });
    pay.resourceCountIs('AWS::AppMesh::VirtualNode', 0);
    expect(containers(pay)).toHaveLength(1);
  });

  test('connectTo injects the Service Connect URL and opens the callee to the caller only', () => {
    expect(envOf(ord).PAYMENTS_URL).toBe('http://payments:8080');
    ord.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080, GroupId: { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Payments' }) },
    });
    expect(JSON.stringify(pay.toJSON())).not.toContain('Orders');
  });

  test('connectTo twice adds one rule and one variable', () => {
    orders.connectTo(payments);
    expect(orders.node.children.filter((c) => c.node.id.startsWith('Calls'))).toHaveLength(1);
  });

  test('warns, naming the field, when the description asks for what Service Connect cannot honour', () => {
    const a = testApp();
    const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P');
    const s = new Stack(a, 'S');
    new Microservice(s, 'Svc', {
      platform: pl,
      image: IMAGE,
      retryPolicy: RetryPolicy.http(),
      outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
      connectionPool: { maxConnections: 10 },
    });
    const ann = Annotations.fromStack(s);
    ann.hasWarning('/S/Svc', Match.stringLikeRegexp('^retryPolicy is not honoured by ECS Service Connect'));
    ann.hasWarning('/S/Svc', Match.stringLikeRegexp('^outlierDetection is not honoured by ECS Service Connect'));
    ann.hasWarning('/S/Svc', Match.stringLikeRegexp('^connectionPool is not honoured by ECS Service Connect'));
  });

  test('warns nothing for a service that asks nothing Service Connect cannot do', () => {
    Annotations.fromStack(paymentsStack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(ordersStack).hasNoWarning('*', Match.anyValue());
  });

  test('TLS through a private CA gives ECS a role for it, and access logs can be turned off', () => {
    const a = testApp();
    const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P', {
      mesh: ServiceMesh.serviceConnect({ tlsCertificateAuthorityArn: 'arn:aws:acm-pca:us-east-1:111111111111:certificate-authority/0123abcd-0000-1111-2222-333344445555', accessLogs: false }),
    });
    const s = new Stack(a, 'S');
    new Microservice(s, 'Svc', { platform: pl, image: IMAGE });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({
        AccessLogConfiguration: Match.absent(),
        Services: [Match.objectLike({ Tls: { IssuerCertificateAuthority: { AwsPcaAuthorityArn: Match.stringLikeRegexp('certificate-authority') }, RoleArn: Match.anyValue() } })],
      }),
    });
    t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ecs.amazonaws.com' } })] }) });
  });

  test('routeCanary fails with Service Connect, pointing to ECS deployments', () => {
    expect(() => payments.routeCanary(orders, 10)).toThrow(/routeCanary needs ServiceMesh.appMesh\(\) .* use the deployment prop \(ecs.DeploymentStrategy.CANARY or LINEAR\)/);
  });

  test("exposes ECS's native canary deployment", () => {
    const a = testApp();
    const s = new Stack(a, 'S');
    new Microservice(s, 'Svc', {
      image: IMAGE,
      deployment: { strategy: ecs.DeploymentStrategy.CANARY, canary: { stepPercent: 10, stepBakeTime: Duration.minutes(5) }, bakeTime: Duration.minutes(10) },
    });
    Template.fromStack(s).hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: 'CANARY',
        BakeTimeInMinutes: 10,
        CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 5 },
      }),
    });
  });
});

describe('bad input', () => {
  const make = (fn: (a: App) => void) => () => fn(testApp());
  test.each<[string, (a: App) => void, RegExp]>([
    ['connectTo itself', (a) => { const s = new Microservice(new Stack(a, 'S'), 'S', { image: IMAGE }); s.connectTo(s); }, /connectTo\(\) of Microservice 'S\/S' got the service itself/],
    ['connectTo across meshes', (a) => { const x = new Microservice(new Stack(a, 'X'), 'X', { image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { image: IMAGE }); x.connectTo(y); }, /needs both services on the same platform mesh, got 'Y\/Y' on another/],
    ['a canary percent of 0', (a) => { const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P', { mesh: ServiceMesh.appMesh() }); const x = new Microservice(new Stack(a, 'X'), 'X', { platform: pl, image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { platform: pl, image: IMAGE }); x.routeCanary(y, 0); }, /percent must be an integer between 1 and 99, got 0/],
    ['a canary percent of 100', (a) => { const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P', { mesh: ServiceMesh.appMesh() }); const x = new Microservice(new Stack(a, 'X'), 'X', { platform: pl, image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { platform: pl, image: IMAGE }); x.routeCanary(y, 100); }, /percent must be an integer between 1 and 99, got 100/],
    ['canary settings without the CANARY strategy', (a) => new Microservice(new Stack(a, 'S'), 'S', { image: IMAGE, deployment: { canary: { stepPercent: 10 } } }), /deployment.canary requires deployment.strategy CANARY, got ROLLING/],
    ['a bake time with rolling deployments', (a) => new Microservice(new Stack(a, 'S'), 'S', { image: IMAGE, deployment: { bakeTime: Duration.minutes(5) } }), /deployment.bakeTime requires deployment.strategy BLUE_GREEN, CANARY or LINEAR, got ROLLING/],
    ['a bad private CA ARN', () => ServiceMesh.serviceConnect({ tlsCertificateAuthorityArn: 'arn:aws:acm:us-east-1:111111111111:certificate/x' }), /tlsCertificateAuthorityArn must be an AWS Private CA ARN/],
    ['an X-Ray image without tracing', () => ServiceMesh.appMesh({ xrayDaemonImage: 'x' }), /xrayDaemonImage requires tracing: true/],
    ['an empty Envoy image', () => ServiceMesh.appMesh({ envoyImage: '' }), /envoyImage must not be empty, got ""/],
  ])('fails on %s', (_name, fn, message) => {
    expect(make(fn)).toThrow(message);
  });
});

describe('fixes found in review', () => {
  test('Service Connect rejects fractional-second timeouts and rounds a default taken from the API down', () => {
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'S', { image: IMAGE, requestTimeout: Duration.millis(1500) }))
      .toThrow('requestTimeout must be a whole number of seconds with ServiceMesh.serviceConnect(), got 1500 ms');
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'S', { image: IMAGE, idleTimeout: Duration.millis(2500) }))
      .toThrow('idleTimeout must be a whole number of seconds with ServiceMesh.serviceConnect(), got 2500 ms');
    const svc = new Microservice(new Stack(testApp(), 'S'), 'S', { image: IMAGE, api: { timeout: Duration.millis(12500), routes: [{ path: '/x', public: true }] } });
    expect(svc.requestTimeout.toMilliseconds()).toBe(12000);
  });

  test('App Mesh keeps fractional timeouts and lets cache traffic bypass Envoy', () => {
    const a = testApp();
    const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P', { mesh: ServiceMesh.appMesh() });
    const s = new Stack(a, 'S');
    const svc = new Microservice(s, 'Svc', { platform: pl, image: IMAGE, requestTimeout: Duration.millis(1500), cache: ServiceCache.valkey({ port: 6390 }) });
    expect(svc.requestTimeout.toMilliseconds()).toBe(1500);
    Template.fromStack(s).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ProxyConfiguration: { ProxyConfigurationProperties: Match.arrayWith([{ Name: 'EgressIgnoredPorts', Value: '6390' }]) },
    });
  });

  test('a gRPC route matches every method on the listener port', () => {
    const a = testApp();
    const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P', { mesh: ServiceMesh.appMesh() });
    const s = new Stack(a, 'S');
    new Microservice(s, 'Grpc', { platform: pl, image: IMAGE, retryPolicy: RetryPolicy.grpc() });
    Template.fromStack(s).hasResourceProperties('AWS::AppMesh::Route', { Spec: { GrpcRoute: Match.objectLike({ Match: { Port: 8080 } }) } });
  });
});
