import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiAuthorizer, Microservice, MicroservicePlatform, MicroserviceProps , Tracing } from '../../lib';
import { unacknowledgedFindings } from '../nag';
import { IMAGE, testApp } from '../util';

describe('tracing: Tracing.openTelemetry()', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const stack = new Stack(app, 'Orders');
  new Microservice(stack, 'Orders', { platform, image: IMAGE, tracing: Tracing.openTelemetry() });
  const containers: any[] = Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;
  const app_ = containers.find((c) => c.Name === 'app');
  const env = (name: string) => app_.Environment.filter((e: any) => e.Name === name).map((e: any) => e.Value);

  test('tells the app to export OTLP over HTTP/protobuf to the collector\'s HTTP port 4318', () => {
    // The protocol and the endpoint go together: the endpoint of the http/protobuf protocol is the
    // collector's HTTP receiver (4318), not its gRPC one (4317).
    expect(env('OTEL_EXPORTER_OTLP_PROTOCOL')).toEqual(['http/protobuf']);
    expect(env('OTEL_EXPORTER_OTLP_ENDPOINT')).toEqual(['http://localhost:4318']);
  });
});

/** An app checked by cdk-nag's AwsSolutions pack, with a platform stack and one service stack. */
function nagApp(service: Omit<MicroserviceProps, 'platform' | 'image'>, platformProps = {}): { app: App; svc: Microservice } {
  const app = testApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', platformProps);
  const svc = new Microservice(new Stack(app, 'Orders'), 'Orders', { platform, image: IMAGE, ...service });
  return { app, svc };
}

/** A finding of `rule` reported on the construct at `path` (the report lists the path, then how to acknowledge the rule). */
function findingOn(path: string, rule: string): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${esc(path)} [^\\n]*\\n[^\\n]*Acknowledge with '[^']*${esc(rule)}`);
}

describe('AwsSolutions-ECS2 (plain environment variables)', () => {
  test('is left to the owner of an environment, even with tracing, which adds variables of its own', () => {
    const { app } = nagApp({ tracing: Tracing.openTelemetry(), environment: { DB_PASSWORD: 'x' } });
    expect(() => unacknowledgedFindings(app)).toThrow(findingOn('Orders/Orders/TaskDefinition/Resource', 'AwsSolutions-ECS2'));
  });

  test('is acknowledged when the only variables are the library\'s own (tracing alone): the same app without environment has no finding', () => {
    const { app, svc } = nagApp({ tracing: Tracing.openTelemetry() });
    expect(unacknowledgedFindings(app)).toEqual([]);
    expect(JSON.stringify(svc.taskDefinition.node.metadata)).toContain('AwsSolutions-ECS2');
    // And with an environment the acknowledgement is gone (the same props plus environment).
    const withEnvironment = nagApp({ tracing: Tracing.openTelemetry(), environment: { DB_PASSWORD: 'x' } });
    expect(() => withEnvironment.app.synth()).toThrow(/AwsSolutions-ECS2/);
    expect(JSON.stringify(withEnvironment.svc.taskDefinition.node.metadata)).not.toContain('AwsSolutions-ECS2');
  });
});

describe('AwsSolutions-IAM5 acknowledgements cover the library\'s own policies only', () => {
  const s3Anywhere = () => new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] });

  test('with tracing, a wildcard the user grants the task role is still reported; the X-Ray one sits on the XRayWritePolicy', () => {
    const { app, svc } = nagApp({ tracing: Tracing.openTelemetry() });
    svc.taskDefinition.taskRole.addToPrincipalPolicy(s3Anywhere());
    const xray = svc.node.findChild('XRayWritePolicy') as iam.Policy;
    expect(xray).toBeInstanceOf(iam.Policy);
    expect(JSON.stringify(xray.node.metadata)).toContain('AwsSolutions-IAM5[Resource::*]');
    expect(JSON.stringify(svc.taskDefinition.taskRole.node.metadata)).not.toContain('AwsSolutions-IAM5');
    expect(() => unacknowledgedFindings(app)).toThrow(findingOn('Orders/Orders/TaskDefinition/TaskRole/DefaultPolicy/Resource', 'AwsSolutions-IAM5[Resource::*]'));
  });

  test('with enableExecuteCommand, a wildcard the user grants the task role is still reported; the ECS Exec one sits on the ExecuteCommandPolicy', () => {
    const { app, svc } = nagApp({ enableExecuteCommand: true });
    svc.taskDefinition.taskRole.addToPrincipalPolicy(s3Anywhere());
    const exec = svc.node.findChild('ExecuteCommandPolicy') as iam.Policy;
    expect(exec).toBeInstanceOf(iam.Policy);
    expect(JSON.stringify(exec.node.metadata)).toContain('AwsSolutions-IAM5[Resource::*]');
    expect(JSON.stringify(svc.taskDefinition.taskRole.node.metadata)).not.toContain('AwsSolutions-IAM5');
    expect(() => unacknowledgedFindings(app)).toThrow(findingOn('Orders/Orders/TaskDefinition/TaskRole/DefaultPolicy/Resource', 'AwsSolutions-IAM5[Resource::*]'));
  });
});

describe('the REST JWT authorizer', () => {
  const { app, svc } = nagApp(
    { restApi: { routes: [{ path: '/a', methods: [apigwv2.HttpMethod.GET], scopes: ['a/read'] }] } },
    { auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['x'] }) },
  );
  const findings = unacknowledgedFindings(app);

  test('has a role without any IAM5 acknowledgement, and cdk-nag reports nothing on it (nor anywhere else)', () => {
    const fn = svc.restApi!.authorizerFunction!;
    const role = fn.function.role!;
    expect(role.node.path.startsWith(`${fn.node.path}/`)).toBe(true);
    // An acknowledgement covers a construct's subtree: none on the role, its children or any scope above it.
    const acknowledged = [...role.node.scopes, ...role.node.findAll()].map((c) => JSON.stringify(c.node.metadata)).join('\n');
    expect(acknowledged).not.toContain('AwsSolutions-IAM5');
    expect(findings).toEqual([]);
  });
});
