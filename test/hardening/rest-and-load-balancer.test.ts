import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiAuthorizer, ApiIntegration, Microservice, MicroservicePlatform, MicroserviceProps } from '../../lib';
import { unacknowledgedFindings } from '../nag';
import { IMAGE, logicalId, testApp } from '../util';

const GET = apigwv2.HttpMethod.GET;
const ANY_VERBS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
const CERT_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';
const SERVER_NAME = 'orders.internal.example.com';

// One app for every synthesized case: a Cognito platform, a JWT platform, a service stack per case.
const app = testApp();
const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
const jwtPlatform = new MicroservicePlatform(new Stack(app, 'JwtPlatform'), 'Platform', {
  auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['x'], reservedConcurrency: 20 }),
  manageApiGatewayAccount: false,
});
function service(id: string, props: Omit<MicroserviceProps, 'image'>, build?: (stack: Stack) => Partial<MicroserviceProps>) {
  const stack = new Stack(app, id);
  const svc = new Microservice(stack, id, { platform, image: IMAGE, ...props, ...build?.(stack) });
  return { stack, svc };
}
const certificate = (stack: Stack) => acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN);
const PUBLIC = [{ path: '/orders', public: true }];

const orders = service('Orders', {
  restApi: {
    routes: [
      { path: '/orders', methods: [GET], scopes: ['orders/read'] },
      { path: '/files/{proxy+}', scopes: ['orders/read'], throttle: { rateLimit: 5, burstLimit: 10 } },
    ],
    consumers: [{ name: 'checkout', scopes: ['orders/read'] }],
    cache: {},
  },
});
const quiet = service('Quiet', { restApi: { routes: PUBLIC, executionLogLevel: apigateway.MethodLoggingLevel.OFF } });
const protectedLb = service('Protected', { api: { integration: ApiIntegration.loadBalancer(), routes: PUBLIC } });
const unprotectedLb = service('Unprotected', { api: { integration: ApiIntegration.loadBalancer({ deletionProtection: false }), routes: PUBLIC } });
const tlsHttp = service('TlsHttp', { api: { routes: PUBLIC } }, (stack) => ({
  api: { integration: ApiIntegration.loadBalancer({ certificate: certificate(stack), serverName: SERVER_NAME }), routes: PUBLIC },
}));
const tlsRest = service('TlsRest', { restApi: { routes: PUBLIC } }, (stack) => ({
  restApi: { routes: PUBLIC, loadBalancer: { certificate: certificate(stack), serverName: SERVER_NAME } },
}));
const httpsTargets = service('HttpsTargets', { api: { integration: ApiIntegration.loadBalancer({ targetProtocol: elbv2.ApplicationProtocol.HTTPS }), routes: PUBLIC } });
const partners = service('Partners', { platform: jwtPlatform, restApi: { routes: [{ path: '/a', scopes: ['a/read'] }] } });
const guarded = service('Guarded', { restApi: { routes: PUBLIC, waf: { logging: true } } });
const relaxed = service('Relaxed', { restApi: { routes: PUBLIC, waf: { countRules: { AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'] } } } });

const template = (s: { stack: Stack }) => Template.fromStack(s.stack);
const resources = (s: { stack: Stack }, type: string): any[] => Object.values(template(s).findResources(type));
const only = (s: { stack: Stack }, type: string): any => {
  const found = resources(s, type);
  expect(found).toHaveLength(1);
  return found[0].Properties;
};

describe('a REST API by default', () => {
  const stage = only(orders, 'AWS::ApiGateway::Stage');
  const settings: any[] = stage.MethodSettings;
  const setting = (path: string, method: string) => settings.filter((s) => s.ResourcePath === path && s.HttpMethod === method);

  test('traces its stage with X-Ray', () => {
    expect(stage.TracingEnabled).toBe(true);
  });

  test('logs execution errors stage-wide (/* *, LoggingLevel ERROR) and encrypts the stage cache there too', () => {
    expect(setting('/*', '*')).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false, CacheDataEncrypted: true })]);
  });

  test('puts an ANY route\'s own throttle on each of the 7 verbs, logging errors like the stage, and never on an "ANY" method', () => {
    for (const verb of ANY_VERBS) {
      expect(setting('/~1files~1{proxy+}', verb)).toEqual([expect.objectContaining({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10, LoggingLevel: 'ERROR' })]);
    }
    expect(settings.filter((s) => s.ResourcePath === '/~1files~1{proxy+}').map((s) => s.HttpMethod).sort()).toEqual(ANY_VERBS);
    expect(settings.map((s) => s.HttpMethod)).not.toContain('ANY');
  });
});

describe("the REST stage's web ACL", () => {
  const commonRuleSet = (s: { stack: Stack }) => only(s, 'AWS::WAFv2::WebACL').Rules
    .find((r: any) => r.Name === 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement;

  test('logs no credential a caller sends: authorization, proxy-authorization, x-api-key and cookie are redacted, in lower case', () => {
    expect(only(guarded, 'AWS::WAFv2::LoggingConfiguration').RedactedFields).toEqual(
      ['authorization', 'proxy-authorization', 'x-api-key', 'cookie'].map((name) => ({ SingleHeader: { Name: name } })));
  });

  test('blocks request bodies over 8 KB by default: no rule of the common rule set is relaxed to count', () => {
    expect(commonRuleSet(guarded).RuleActionOverrides).toBeUndefined();
    expect(only(guarded, 'AWS::WAFv2::WebACL').Rules.find((r: any) => r.Name === 'AWSManagedRulesCommonRuleSet').OverrideAction).toEqual({ None: {} });
  });

  test('countRules relaxes SizeRestrictions_BODY to count, as documented', () => {
    expect(commonRuleSet(relaxed).RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
  });

  test("states API Gateway's body inspection limit: the default 16 KB, which costs nothing extra", () => {
    expect(only(guarded, 'AWS::WAFv2::WebACL').AssociationConfig).toEqual({ RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_16' } } });
  });
});

describe('REST request validation', () => {
  const methods = (s: { stack: Stack; svc: Microservice }) => Object.fromEntries(Object.entries(s.svc.restApi!.methods)
    .map(([key, m]) => [key, template(s).toJSON().Resources[logicalId(m)].Properties]));

  test('validates the required path parameters the methods declare, never a body (API Gateway checks a body only against a model, and there is none)', () => {
    expect(resources(orders, 'AWS::ApiGateway::RequestValidator').map((v) => v.Properties))
      .toEqual([expect.objectContaining({ ValidateRequestBody: false, ValidateRequestParameters: true })]);
    const m = methods(orders);
    expect(m['ANY /files/{proxy+}'].RequestParameters).toEqual({ 'method.request.path.proxy': true });
    expect(m['ANY /files/{proxy+}'].RequestValidatorId).toBeDefined();
    // GET /orders declares only an optional parameter (its cache key's Authorization header): nothing to validate.
    expect(m['GET /orders'].RequestParameters).toEqual({ 'method.request.header.Authorization': false });
    expect(m['GET /orders'].RequestValidatorId).toBeUndefined();
  });

  test('creates no validator when no method has a required parameter, and acknowledges AwsSolutions-APIG2 on the REST API either way', () => {
    template(quiet).resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
    for (const s of [quiet, orders]) expect(JSON.stringify(s.svc.restApi!.restApi.node.metadata)).toContain('AwsSolutions-APIG2');
  });
});

describe('a REST API with executionLogLevel OFF', () => {
  test('creates no execution log group and leaves AwsSolutions-APIG6 to its owner (unacknowledged)', () => {
    const api = quiet.svc.restApi!;
    expect(api.executionLogGroup).toBeUndefined();
    const names = resources(quiet, 'AWS::Logs::LogGroup').map((g) => JSON.stringify(g.Properties.LogGroupName ?? ''));
    expect(names.filter((n) => n.includes('API-Gateway-Execution-Logs'))).toEqual([]);
    expect(only(quiet, 'AWS::ApiGateway::Stage').MethodSettings.find((s: any) => s.ResourcePath === '/*').LoggingLevel).toBe('OFF');

    // cdk-nag reports it on the stage (the same service on an app of its own, checked).
    const nagged = testApp();
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
    const p = new MicroservicePlatform(new Stack(nagged, 'Platform'), 'Platform');
    const svc = new Microservice(new Stack(nagged, 'Quiet'), 'Quiet', {
      platform: p, image: IMAGE, restApi: { routes: PUBLIC, executionLogLevel: apigateway.MethodLoggingLevel.OFF },
    });
    expect(svc.restApi!.stage.node.scopes.map((c) => JSON.stringify(c.node.metadata)).join()).not.toContain('AwsSolutions-APIG6');
    expect(() => unacknowledgedFindings(nagged)).toThrow(/Quiet\/Quiet\/Api\/RestApi\/DeploymentStage\.prod\/Resource [^\n]*\n[^\n]*AwsSolutions-APIG6/);
  });
});

describe('the internal load balancer', () => {
  const deletionProtection = (s: { stack: Stack }) => only(s, 'AWS::ElasticLoadBalancingV2::LoadBalancer').LoadBalancerAttributes
    .filter((a: any) => a.Key === 'deletion_protection.enabled').map((a: any) => a.Value);

  test('refuses to be deleted by default; deletionProtection: false turns that off', () => {
    expect(deletionProtection(protectedLb)).toEqual(['true']);
    expect(deletionProtection(unprotectedLb)).toEqual(['false']);
  });

  test('with a certificate and serverName: HTTPS on 443 with that certificate and the TLS 1.3 policy, 443 (not 80) open to the VPC link only', () => {
    const listener = only(tlsHttp, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listener).toMatchObject({ Protocol: 'HTTPS', Port: 443, Certificates: [{ CertificateArn: CERT_ARN }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    const sgId = logicalId(tlsHttp.svc.httpApi!.loadBalancer!.connections.securityGroups[0]);
    const sg = template(tlsHttp).toJSON().Resources[sgId].Properties;
    const vpcLinkSg = JSON.stringify(Stack.of(tlsHttp.stack).resolve(platform.vpcLinkSecurityGroup!.securityGroupId));
    // Its rules inline, and any standalone rule on it (the tasks' group has the standalone rule admitting the load balancer).
    const standalone = resources(tlsHttp, 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties)
      .filter((r) => JSON.stringify(r.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }));
    const ingress = [...(sg.SecurityGroupIngress ?? []), ...standalone]
      .map((r: any) => ({ from: r.FromPort, to: r.ToPort, source: JSON.stringify(r.SourceSecurityGroupId) }));
    expect(ingress).toEqual([{ from: 443, to: 443, source: vpcLinkSg }]);
  });

  test('with a certificate and serverName: the HTTP API verifies the certificate against serverName', () => {
    expect(only(tlsHttp, 'AWS::ApiGatewayV2::Integration').TlsConfig).toEqual({ ServerNameToVerify: SERVER_NAME });
  });

  test('with a certificate and serverName: the REST methods call https://<serverName>', () => {
    const methods = resources(tlsRest, 'AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) expect(m.Properties.Integration.Uri).toMatch(new RegExp(`^https://${SERVER_NAME.replace(/\./g, '\\.')}/`));
    expect(only(tlsRest, 'AWS::ElasticLoadBalancingV2::Listener')).toMatchObject({ Protocol: 'HTTPS', Port: 443 });
  });

  test('targetProtocol HTTPS makes the target group HTTPS', () => {
    expect(only(httpsTargets, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toMatchObject({ Protocol: 'HTTPS' });
  });

  test('targetProtocol HTTPS makes the health check HTTPS too (an ALB health check is HTTP unless HealthCheckProtocol says otherwise)', () => {
    // LoadBalancerIntegrationOptions.targetProtocol: "Protocol from the load balancer to the tasks and of its
    // health check". ELB's API reference (CreateTargetGroup, HealthCheckProtocol): "For Application Load
    // Balancers, the default is HTTP" - an app serving TLS only on its port would fail every check.
    expect(only(httpsTargets, 'AWS::ElasticLoadBalancingV2::TargetGroup').HealthCheckProtocol).toBe('HTTPS');
  });
});

describe('the REST JWT authorizer with reservedConcurrency', () => {
  const fn = partners.svc.restApi!.authorizerFunction!;
  const resolved = template(partners).toJSON().Resources;

  test('reserves that many concurrent executions for its function', () => {
    expect(resolved[logicalId(fn.function)].Properties.ReservedConcurrentExecutions).toBe(20);
  });

  test('logs to a log group encrypted with the stack\'s KMS key', () => {
    const key = Object.entries<any>(resolved).filter(([, r]) => r.Type === 'AWS::KMS::Key').map(([id]) => id);
    expect(key).toHaveLength(1);
    expect(resolved[logicalId(fn.logGroup)].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [key[0], 'Arn'] });
  });
});
