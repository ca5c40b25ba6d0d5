import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { APP_MESH_END_OF_LIFE, Microservice, MicroservicePlatform, RetryPolicy, ServiceMesh } from '../../lib';
import { IMAGE, testApp } from '../util';

const containers = (t: Template) => Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
const envOf = (t: Template, name = 'app') => Object.fromEntries((containers(t).find((c: any) => c.Name === name).Environment ?? []).map((e: any) => [e.Name, e.Value]));

describe('ServiceMesh.appMesh()', () => {
  test('fails with the date App Mesh went away and the alternative, whatever its options', () => {
    const expected = "Invalid props for ServiceMesh.appMesh:\n  - mesh must not be ServiceMesh.appMesh(): AWS App Mesh is retired (its console and API are unreachable since 2026-09-30), "
      + 'so its resources cannot deploy. Use ServiceMesh.serviceConnect() (Amazon ECS Service Connect, the default) '
      + 'or ServiceMesh.envoy() (the Envoy proxy App Mesh ran, configured at synth: it honours the whole retry policy); '
      + 'retryPolicy, requestTimeout, outlierDetection and connectionPool stay as they are. Got ServiceMesh.appMesh()';
    expect(() => ServiceMesh.appMesh()).toThrow(expected);
    expect(() => ServiceMesh.appMesh({ tracing: true, envoyImage: 'x' })).toThrow(expected);
    expect(APP_MESH_END_OF_LIFE).toBe('2026-09-30');
  });

  test('no example, and no template of the test apps, has an App Mesh resource', () => {
    const a = testApp();
    const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P');
    const x = new Microservice(new Stack(a, 'X'), 'X', { platform: pl, image: IMAGE, retryPolicy: RetryPolicy.http() });
    const y = new Microservice(new Stack(a, 'Y'), 'Y', { platform: pl, image: IMAGE });
    y.connectTo(x);
    for (const stack of a.node.children.filter((c): c is Stack => c instanceof Stack)) {
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toMatch(/AWS::AppMesh::|APPMESH_RESOURCE_ARN|appmesh:/);
    }
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
    expect(() => payments.routeCanary(orders, 10)).toThrow("Invalid props for routeCanary() of Microservice 'Payments/Payments':\n  - routeCanary needs a mesh with weighted routing between services; "
      + 'with ServiceMesh.serviceConnect() use the deployment prop (ecs.DeploymentStrategy.CANARY or LINEAR: ECS shifts Service Connect traffic to the new revision), got Service Connect');
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
    ['connectTo across meshes', (a) => { const x = new Microservice(new Stack(a, 'X'), 'X', { image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { image: IMAGE }); x.connectTo(y); }, /needs both services on the same platform \('X'\), got 'Y\/Y' on 'Y'/],
    ['a canary percent of 0', (a) => { const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P'); const x = new Microservice(new Stack(a, 'X'), 'X', { platform: pl, image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { platform: pl, image: IMAGE }); x.routeCanary(y, 0); }, /percent must be an integer between 1 and 99, got 0/],
    ['a canary percent of 100', (a) => { const pl = new MicroservicePlatform(new Stack(a, 'P'), 'P'); const x = new Microservice(new Stack(a, 'X'), 'X', { platform: pl, image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { platform: pl, image: IMAGE }); x.routeCanary(y, 100); }, /percent must be an integer between 1 and 99, got 100/],
    ['a canary on another platform', (a) => { const x = new Microservice(new Stack(a, 'X'), 'X', { image: IMAGE }); const y = new Microservice(new Stack(a, 'Y'), 'Y', { image: IMAGE }); x.routeCanary(y, 10); }, /canary must be another service on the same platform, got 'Y\/Y'/],
    ['canary settings without the CANARY strategy', (a) => new Microservice(new Stack(a, 'S'), 'S', { image: IMAGE, deployment: { canary: { stepPercent: 10 } } }), /deployment.canary requires deployment.strategy CANARY, got ROLLING/],
    ['a bake time with rolling deployments', (a) => new Microservice(new Stack(a, 'S'), 'S', { image: IMAGE, deployment: { bakeTime: Duration.minutes(5) } }), /deployment.bakeTime requires deployment.strategy BLUE_GREEN, CANARY or LINEAR, got ROLLING/],
    ['a bad private CA ARN', () => ServiceMesh.serviceConnect({ tlsCertificateAuthorityArn: 'arn:aws:acm:us-east-1:111111111111:certificate/x' }), /tlsCertificateAuthorityArn must be an AWS Private CA ARN/],
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
});
