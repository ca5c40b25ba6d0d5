import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, FileSystem, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApiAuthorizer, ApiIntegration, JwtAuthorizerFunction, Microservice, MicroservicePlatform, RestApiOptions } from '../../lib';
import { REST_ACCESS_LOG_FORMAT } from '../../lib/api/microservice-rest-api';
import { configFromEnv } from '../../lambda/jwt-authorizer/authorizer';
import { IMAGE, logicalId, testApp } from '../util';

const GET = apigwv2.HttpMethod.GET;
const POST = apigwv2.HttpMethod.POST;

describe('a REST API with Cognito, consumers with API keys, WAF, a stage cache and a public route', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform');
  const stack = new Stack(app, 'Orders');
  const orders = new Microservice(stack, 'Orders', {
    platform,
    image: IMAGE,
    restApi: {
      routes: [
        { path: '/orders', methods: [GET], scopes: ['orders/read'], cacheKeyQueryStrings: ['page'] },
        { path: '/orders', methods: [POST], scopes: ['orders/write'], throttle: { rateLimit: 20, burstLimit: 40 } },
        { path: '/orders/{id}', methods: [GET], scopes: ['orders/read'] },
        { path: '/orders/{id}', methods: [POST], scopes: ['orders/write'] },
        { path: '/files/{proxy+}', scopes: ['orders/read'], throttle: { rateLimit: 5, burstLimit: 10 } },
        { path: '/health', methods: [GET], public: true, cache: false },
      ],
      consumers: [
        { name: 'checkout', scopes: ['orders/read', 'orders/write'], rateLimit: 50, burstLimit: 100 },
        { name: 'reporting', scopes: ['orders/read'], quota: { limit: 10000, period: apigateway.Period.WEEK } },
      ],
      waf: { rateLimitPerIp: 500, rateLimitWindow: Duration.minutes(1) },
      cache: { ttl: Duration.minutes(1), size: '1.6' },
      tracing: true,
    },
  });
  // A second REST service on the same platform: the account setting is created once.
  new Microservice(new Stack(app, 'Payments'), 'Payments', {
    platform, image: IMAGE, restApi: { routes: [{ path: '/pay', public: true }] },
  });
  const t = Template.fromStack(stack);
  const p = Template.fromStack(platformStack);
  const api = orders.restApi!;
  const methods = t.findResources('AWS::ApiGateway::Method');
  const method = (key: string) => methods[logicalId(api.methods[key])].Properties;
  const stage = Object.values(t.findResources('AWS::ApiGateway::Stage'))[0].Properties;
  const setting = (resourcePath: string, httpMethod: string) => stage.MethodSettings
    .find((s: any) => s.ResourcePath === resourcePath && s.HttpMethod === httpMethod);

  test('gives the service a regional REST API and a "prod" stage, and no HTTP API', () => {
    expect(orders.httpApi).toBeUndefined();
    expect(orders.api).toBe(api);
    t.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] }, DisableExecuteApiEndpoint: false });
    t.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    expect(stage.StageName).toBe('prod');
    expect(api.timeout.toSeconds()).toBe(29);
  });

  test('integrates every method with the internal ALB through the platform VPC link v2 (L1 override)', () => {
    const vpcLinkOutput = (platform.vpcLink!.node.defaultChild as apigwv2.CfnVpcLink);
    for (const key of Object.keys(api.methods)) {
      expect(method(key).Integration).toMatchObject({
        Type: 'HTTP_PROXY',
        ConnectionType: 'VPC_LINK',
        ConnectionId: '${stageVariables.vpcLinkId}',
        IntegrationTarget: { Ref: logicalId(api.loadBalancer) },
        TimeoutInMillis: 29000,
      });
    }
    expect(JSON.stringify(stage.Variables.vpcLinkId)).toContain(platformStack.getLogicalId(vpcLinkOutput));
    p.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 1);
    t.resourceCountIs('AWS::ApiGateway::VpcLink', 0);
  });

  test('maps path parameters, greedy ones included, into the integration URI', () => {
    const uri = (key: string) => method(key).Integration.Uri['Fn::Join'][1];
    expect(uri('GET /orders/{id}')).toEqual(['http://', { 'Fn::GetAtt': [logicalId(api.loadBalancer), 'DNSName'] }, '/orders/{id}']);
    expect(method('GET /orders/{id}').Integration.RequestParameters).toEqual({ 'integration.request.path.id': 'method.request.path.id' });
    expect(method('GET /orders/{id}').RequestParameters).toMatchObject({ 'method.request.path.id': true });
    expect(uri('ANY /files/{proxy+}')[2]).toBe('/files/{proxy}');
    expect(method('ANY /files/{proxy+}').Integration.RequestParameters).toEqual({ 'integration.request.path.proxy': 'method.request.path.proxy' });
    expect(method('GET /orders').Integration.RequestParameters).toBeUndefined();
  });

  test('throttles the stage at 100/200 by default and one method at its own limits', () => {
    expect(setting('/*', '*')).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true });
    // A method's setting repeats the stage's metrics and logging: it does not inherit them.
    expect(setting('/~1orders', 'POST')).toEqual({ ResourcePath: '/~1orders', HttpMethod: 'POST', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true });
    // An ANY route's throttle is set on each concrete verb.
    for (const verb of ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']) {
      expect(setting('/~1files~1{proxy+}', verb)).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    }
    expect(setting('/~1files~1{proxy+}', '*')).toBeUndefined();
  });

  test('authorizes every method but the public one with the Cognito user-pool authorizer and its scopes', () => {
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
      ProviderARNs: [Match.anyValue()],
    });
    expect(method('GET /orders')).toMatchObject({ AuthorizationType: 'COGNITO_USER_POOLS', AuthorizationScopes: ['orders/read'], ApiKeyRequired: true });
    expect(method('POST /orders')).toMatchObject({ AuthorizationType: 'COGNITO_USER_POOLS', AuthorizationScopes: ['orders/write'] });
    expect(method('GET /health')).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false });
    expect(method('GET /health').AuthorizerId).toBeUndefined();
  });

  test('acknowledges APIG4 and COG4 on the public method only', () => {
    const acked = (id: string) => Object.entries(api.methods)
      .filter(([, m]) => JSON.stringify(m.node.metadata).includes(id)).map(([k]) => k);
    expect(acked('AwsSolutions-APIG4')).toEqual(['GET /health']);
    expect(acked('AwsSolutions-COG4')).toEqual(['GET /health']);
  });

  test('gives each consumer an API key generated by API Gateway and its own usage plan', () => {
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    for (const key of Object.values(t.findResources('AWS::ApiGateway::ApiKey'))) {
      expect(key.Properties.Value).toBeUndefined();
      expect(key.Properties.Enabled).toBe(true);
    }
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'Orders-orders-checkout',
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      ApiStages: [{ ApiId: { Ref: logicalId(api.restApi) }, Stage: { Ref: logicalId(api.stage) }, Throttle: {} }],
    });
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'Orders-orders-reporting',
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: { Limit: 10000, Period: 'WEEK' },
    });
    const checkoutPlan = t.findResources('AWS::ApiGateway::UsagePlan', { Properties: { UsagePlanName: 'Orders-orders-checkout' } });
    expect(Object.values(checkoutPlan)[0].Properties.Quota).toBeUndefined();
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    t.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyId: { Ref: logicalId(api.apiKeys.checkout) }, UsagePlanId: { Ref: logicalId(api.usagePlans.checkout) } });
  });

  test('gives each consumer a client-credentials app client with its scopes', () => {
    expect(Object.keys(api.consumerClients).sort()).toEqual(['checkout', 'reporting']);
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', { ClientName: 'orders-checkout', AllowedOAuthScopes: ['orders/read', 'orders/write'], AllowedOAuthFlows: ['client_credentials'] });
    t.resourceCountIs('AWS::Cognito::UserPoolClient', 2);
  });

  test('puts a web ACL on the stage: the per-IP rate rule first, then the three managed groups, each with metrics', () => {
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({ Name: 'RateLimitPerIp', Priority: 0, Action: { Block: {} }, Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 500, EvaluationWindowSec: 60 } } }),
        Match.objectLike({ Name: 'AWSManagedRulesAmazonIpReputationList', Priority: 1, OverrideAction: { None: {} } }),
        Match.objectLike({
          Name: 'AWSManagedRulesCommonRuleSet',
          Priority: 2,
          // Every rule blocks, SizeRestrictions_BODY (bodies over 8 KB) included, unless countRules says otherwise.
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet', RuleActionOverrides: Match.absent() } },
        }),
        Match.objectLike({ Name: 'AWSManagedRulesKnownBadInputsRuleSet', Priority: 3 }),
      ],
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: 'Orders-orders' },
    });
    const acl = Object.values(t.findResources('AWS::WAFv2::WebACL'))[0];
    for (const rule of acl.Properties.Rules) expect(rule.VisibilityConfig).toEqual({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: rule.Name });
    const association = Object.values(t.findResources('AWS::WAFv2::WebACLAssociation'))[0];
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain(`::/restapis/",{"Ref":"${logicalId(api.restApi)}"},"/stages/prod"`);
    expect(association.DependsOn).toContain(logicalId(api.stage));
    expect(api.webAcl!.metricBlockedRequests('RateLimitPerIp').dimensions).toMatchObject({ WebACL: 'Orders-orders', Rule: 'RateLimitPerIp' });
  });

  test('caches the GET methods that opt in, keyed by path parameters, the caller and chosen query strings', () => {
    expect(stage).toMatchObject({ CacheClusterEnabled: true, CacheClusterSize: '1.6', TracingEnabled: true });
    expect(setting('/~1orders', 'GET')).toMatchObject({ CachingEnabled: true, CacheTtlInSeconds: 60, CacheDataEncrypted: true });
    expect(setting('/~1orders~1{id}', 'GET')).toMatchObject({ CachingEnabled: true });
    expect(setting('/~1health', 'GET')).toBeUndefined();
    expect(setting('/~1orders', 'POST').CachingEnabled).toBeUndefined();
    expect(setting('/~1orders~1{id}', 'POST')).toBeUndefined();
    expect(setting('/*', '*').CachingEnabled).toBeUndefined();
    expect(method('GET /orders').Integration.CacheKeyParameters).toEqual(['method.request.header.Authorization', 'method.request.querystring.page']);
    expect(method('GET /orders/{id}').Integration.CacheKeyParameters).toEqual(['method.request.path.id', 'method.request.header.Authorization']);
    expect(method('GET /orders/{id}').RequestParameters).toEqual({ 'method.request.path.id': true, 'method.request.header.Authorization': false });
    expect(method('GET /health').Integration.CacheKeyParameters).toBeUndefined();
    expect(method('POST /orders').Integration.CacheKeyParameters).toBeUndefined();
  });

  test('waf.logging logs the web ACL to an aws-waf-logs- group of its own, without the headers that carry credentials', () => {
    const ws = new Stack(testApp(), 'Logged');
    const logged = new Microservice(ws, 'Orders', { image: IMAGE, restApi: { routes: [{ path: '/a', public: true }], waf: { logging: true } } });
    const lt = Template.fromStack(ws);
    const group = lt.toJSON().Resources[logicalId(logged.node.findChild('Api').node.findChild('WafLogs'))];
    expect(group.Properties.LogGroupName).toBe('aws-waf-logs-Logged-orders');
    expect(group.Properties.KmsKeyId).toBeDefined();
    lt.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [logicalId(logged.restApi!.webAcl!.webAcl), 'Arn'] },
      // The group's ARN without the ':*' its Arn attribute ends in.
      LogDestinationConfigs: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: logicalId(logged.node.findChild('Api').node.findChild('WafLogs')) }]] }],
      RedactedFields: ['authorization', 'proxy-authorization', 'x-api-key', 'cookie'].map((Name) => ({ SingleHeader: { Name } })),
    });
    // Without logging, no logging configuration.
    t.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
  });

  test('logs every request as JSON, and errors to an execution log group of its own, created before the stage', () => {
    expect(JSON.parse(stage.AccessLogSetting.Format)).toEqual(REST_ACCESS_LOG_FORMAT);
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(logicalId(api.accessLogGroup));
    // The name API Gateway writes execution logs to (API Gateway guide, "Execution logging for REST APIs").
    const group = t.toJSON().Resources[logicalId(api.executionLogGroup!)];
    expect(group.Properties.LogGroupName).toEqual({ 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: logicalId(api.restApi) }, '/prod']] });
    expect(group.DeletionPolicy).toBe('Retain');
    expect(t.toJSON().Resources[logicalId(api.stage)].DependsOn).toContain(logicalId(api.executionLogGroup!));
    expect(JSON.stringify(api.stage.node.metadata)).not.toContain('AwsSolutions-APIG6');
    expect(JSON.stringify(api.stage.node.metadata)).not.toContain('AwsSolutions-APIG3');
    t.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.status = "429" }' });
  });

  test('sets API Gateway\'s account logging role once on the platform, kept when the platform is deleted', () => {
    p.resourceCountIs('AWS::ApiGateway::Account', 1);
    p.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    p.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ ManagedPolicyArns: [Match.anyValue()] }) });
    p.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiGatewayLogsRole'), 'Arn'] } });
    p.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] } });
  });

  test('validates the path parameters methods require, on those methods only, and no body (there is no model)', () => {
    t.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    t.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: false, ValidateRequestParameters: true });
    const withPathParameter = Object.keys(api.methods).filter((key) => key.includes('{'));
    expect(withPathParameter.sort()).toEqual(['ANY /files/{proxy+}', 'GET /orders/{id}', 'POST /orders/{id}']);
    for (const key of Object.keys(api.methods)) expect(method(key).RequestValidatorId !== undefined).toBe(withPathParameter.includes(key));
  });

  test('alarms on REST metrics: 5XXError and 4XXError by ApiName and stage', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({
        MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: Match.arrayWith([{ Name: 'ApiName', Value: 'Orders-orders' }, { Name: 'Stage', Value: { Ref: logicalId(api.stage) } }]) } }),
      })]),
    });
    expect(orders.api!.metricServerError().metricName).toBe('5XXError');
    expect(orders.api!.metricClientError().metricName).toBe('4XXError');
    expect(api.metricCacheHits().metricName).toBe('CacheHitCount');
  });

  test("the service dashboard graphs the web ACL's allowed and blocked requests, per rule, and the cache", () => {
    const dashboard = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['WAF: allowed and blocked requests', 'WAF: blocked by rule', 'API cache: hits and misses']) expect(body).toContain(title);
    for (const rule of api.webAcl!.ruleNames) expect(body).toContain(`\\"label\\":\\"${rule}\\"`);
    expect(body).toContain('CacheHitCount');
  });

  test('fails synthesis on a method added without an authorizer and not marked public', () => {
    const app2 = testApp();
    const svc = new Microservice(new Stack(app2, 'S'), 'Svc', {
      image: IMAGE, restApi: { routes: [{ path: '/a', public: true }] },
    });
    svc.restApi!.restApi.root.addResource('admin').addMethod('DELETE', new apigateway.MockIntegration());
    expect(() => app2.synth()).toThrow(/Route "DELETE \/admin" of service S\/Svc has no authorizer and is not marked public: true. Authorize it \(the platform.s authorizer\) or mark it public in restApi.routes./);
  });
});

describe('a REST API on a platform that trusts an outside issuer: the bundled Lambda authorizer', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', {
    auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['partner-api'], jwksUri: 'https://idp.example.com/keys' }),
    manageApiGatewayAccount: false,
    apiDomain: {
      domainName: 'api.example.com',
      certificate: acm.Certificate.fromCertificateArn(platformStack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
    },
  });
  const stack = new Stack(app, 'Partners');
  const secret = new secretsmanager.Secret(stack, 'AcmeKey');
  const partners = new Microservice(stack, 'Partners', {
    platform,
    image: IMAGE,
    restApi: {
      stageName: 'v1',
      authorizerCacheTtl: Duration.minutes(1),
      routes: [
        { path: '/quotes', methods: [POST], scopes: ['quotes:write', 'quotes:admin'] },
        { path: '/quotes/{id}', methods: [GET] },
      ],
      consumers: [{ name: 'acme', apiKeySecret: secret, apiKeySecretField: 'key' }, { name: 'globex', apiKeySecret: secret }],
    },
  });
  const t = Template.fromStack(stack);
  const p = Template.fromStack(platformStack);
  const api = partners.restApi!;

  test('creates a REQUEST authorizer keyed on the token, method and resource, with the TTL asked for', () => {
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.resourcePath',
      AuthorizerResultTtlInSeconds: 60,
    });
    for (const m of Object.values(api.methods)) {
      const props = t.toJSON().Resources[logicalId(m)].Properties;
      expect(props.AuthorizationType).toBe('CUSTOM');
      expect(props.AuthorizationScopes).toBeUndefined();
      expect(JSON.stringify(m.node.metadata)).toContain('AwsSolutions-COG4');
    }
  });

  test('runs the bundled handler on the latest Node.js runtime with the issuer, audience and per-method scopes', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: {
          JWT_ISSUER: 'https://idp.example.com',
          JWT_AUDIENCE: '["partner-api"]',
          JWT_JWKS_URI: 'https://idp.example.com/keys',
          JWT_ROUTES: JSON.stringify({ 'POST /quotes': ['quotes:write', 'quotes:admin'], 'GET /quotes/{id}': [] }),
        },
      },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(api.authorizerFunction!.logGroup) } },
    });
    const policies = Object.values(t.findResources('AWS::IAM::Role')).filter((r) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com');
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('hands the handler an environment it accepts, every route and scope intact', () => {
    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0];
    const config = configFromEnv(fn.Properties.Environment.Variables);
    expect(config).toMatchObject({
      issuer: 'https://idp.example.com',
      audience: ['partner-api'],
      jwksUri: 'https://idp.example.com/keys',
      routes: { 'POST /quotes': ['quotes:write', 'quotes:admin'], 'GET /quotes/{id}': [] },
    });
    // Every method the API has is a route the handler knows: none would be denied as unknown.
    expect(Object.keys(config.routes).sort()).toEqual(Object.keys(api.methods).sort());
  });

  test('ships the handler as an asset whose hash depends on its content only', () => {
    const dir = JwtAuthorizerFunction.ASSET_DIR;
    expect(fs.readdirSync(dir)).toEqual(['index.js']);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'authorizer-'));
    fs.copyFileSync(path.join(dir, 'index.js'), path.join(copy, 'index.js'));
    expect(FileSystem.fingerprint(copy)).toBe(FileSystem.fingerprint(dir));
    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0];
    expect(fn.Properties.Code.S3Key).toBe(`${FileSystem.fingerprint(dir)}.zip`);
  });

  test('references API key values in Secrets Manager, never copying them into the template', () => {
    const keys = Object.values(t.findResources('AWS::ApiGateway::ApiKey')).map((k) => JSON.stringify(k.Properties.Value));
    expect(keys).toEqual([
      `{"Fn::Join":["",["{{resolve:secretsmanager:",{"Ref":"${logicalId(secret)}"},":SecretString:key::}}"]]}`,
      `{"Fn::Join":["",["{{resolve:secretsmanager:",{"Ref":"${logicalId(secret)}"},":SecretString:::}}"]]}`,
    ]);
  });

  test('maps the stage on the custom domain and leaves the account setting alone when told to', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiId: { Ref: logicalId(api.restApi) }, Stage: 'v1', ApiMappingKey: 'partners' });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    p.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(JSON.stringify(stack.resolve(api.url))).toMatch(/^\{"Fn::Join":\["",\["https:\/\/",.*"\/partners"\]\]\}$/);
  });

  test('gives key-only consumers an API key and usage plan, and no app client', () => {
    expect(Object.keys(api.apiKeys).sort()).toEqual(['acme', 'globex']);
    expect(Object.keys(api.usagePlans).sort()).toEqual(['acme', 'globex']);
    expect(api.consumerClients).toEqual({});
    t.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    for (const m of Object.values(api.methods)) expect(t.toJSON().Resources[logicalId(m)].Properties.ApiKeyRequired).toBe(true);
  });

  test('acknowledges APIG3 (no web ACL) on the stage', () => {
    expect(JSON.stringify(api.stage.node.metadata)).toContain('AwsSolutions-APIG3');
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });
});

describe('REST props are checked at synth', () => {
  const make = (restApi: RestApiOptions, auth?: ApiAuthorizer) => () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'P'), 'Platform', auth ? { auth } : {});
    new Microservice(new Stack(app, 'S'), 'Orders', { platform, image: IMAGE, restApi });
  };
  const rest = (restApi: RestApiOptions): RestApiOptions => ({ routes: [{ path: '/a', public: true }], ...restApi });
  const jwt = ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['a'] });

  test.each<[string, RestApiOptions, RegExp, ApiAuthorizer?]>([
    ['a timeout past 29 s on REST', rest({ timeout: Duration.seconds(30) }), /restApi.timeout must be between 50 ms and 29 s on a REST API, got 30000 ms/],
    ['a bad stage name', rest({ stageName: 'v 1' }), /restApi.stageName must be letters, digits, hyphens and underscores, 1-128 characters, got "v 1"/],
    ['a WAF window of 3 minutes', rest({ waf: { rateLimitWindow: Duration.minutes(3) } }), /restApi.waf.rateLimitWindow must be 1, 2, 5 or 10 minutes, got 180 s/],
    ['a WAF rate under 10', rest({ waf: { rateLimitPerIp: 9 } }), /restApi.waf.rateLimitPerIp must be an integer between 10 and 2000000000, got 9/],
    ['a repeated rule group', rest({ waf: { managedRuleGroups: ['A', 'A'] } }), /restApi.waf.managedRuleGroups must not repeat a group, got \["A", "A"\]/],
    ['a cache size', rest({ cache: { size: '2' } }), /restApi.cache.size must be one of "0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237", got "2"/],
    ['a cache TTL past an hour', rest({ cache: { ttl: Duration.seconds(3601) } }), /restApi.cache.ttl must be a whole number of seconds between 0 and 3600, got 3601 s/],
    ['an authorizer TTL past an hour', rest({ authorizerCacheTtl: Duration.hours(2) }), /restApi.authorizerCacheTtl must be a whole number of seconds between 0 and 3600, got 7200 s/],
    ['route caching without a stage cache', rest({ routes: [{ path: '/a', public: true, methods: [GET], cache: true }] }), /restApi.routes\[0\].cache and restApi.routes\[0\].cacheKeyQueryStrings need restApi.cache/],
    ['caching a POST route', rest({ cache: {}, routes: [{ path: '/a', public: true, methods: [POST], cache: true }] }), /restApi.routes\[0\].cache may be true only on a route with the GET method .*got methods \["POST"\]/],
    ['requireApiKey without consumers', rest({ requireApiKey: true }), /restApi.requireApiKey needs at least one consumer .*got requireApiKey: true and no consumers/],
    ['a quota of 0', rest({ routes: [{ path: '/a' }], consumers: [{ name: 'c', quota: { limit: 0 } }] }), /restApi.consumers\[0\].quota.limit must be an integer between 1 and/, jwt],
    ['a usage-plan burst over 5000', rest({ routes: [{ path: '/a' }], consumers: [{ name: 'c', burstLimit: 5001 }] }), /restApi.consumers\[0\].burstLimit must be an integer between 0 and 5000, got 5001/, jwt],
    ['a secret field without a secret', rest({ routes: [{ path: '/a' }], consumers: [{ name: 'c', apiKeySecretField: 'key' }] }), /restApi.consumers\[0\].apiKeySecretField needs restApi.consumers\[0\].apiKeySecret/, jwt],
    ['an unscoped authorized route with Cognito', rest({ routes: [{ path: '/a' }] }),
      /restApi.routes\[0\].scopes must list at least one scope on a REST API with a Cognito authorizer .*got none; or mark the route public: true/],
    ['a Cognito consumer without scopes', rest({ routes: [{ path: '/a', scopes: ['orders/read'] }], consumers: [{ name: 'c' }] }),
      /restApi.consumers\[0\].scopes must list at least one scope on a REST API with a Cognito authorizer .*got none/],
    ['two path variables under one parent', rest({ routes: [{ path: '/o/{id}', public: true }, { path: '/o/{orderId}/items', public: true }] }),
      /restApi.routes must not have two different path variables under "\/o" on a REST API .*got \{id\} and \{orderId\}/],
    ['a variable and a greedy variable under one parent', rest({ routes: [{ path: '/{id}', public: true }, { path: '/{proxy+}', public: true }] }),
      /restApi.routes must not have two different path variables under "\/" on a REST API .*got \{id\} and \{proxy\+\}/],
    ['a path segment REST refuses', rest({ routes: [{ path: '/a~b', public: true }] }),
      /restApi.routes path segments must use only letters, digits and ":._-\$" on a REST API .*got "a~b" in "\/a~b"/],
    ['a stage cache without a cached route', rest({ cache: {}, routes: [{ path: '/a', public: true, methods: [GET], cache: false }, { path: '/b', public: true }] }),
      /restApi.cache needs at least one GET route that is not cache: false .*got a stage cache and no cached route/],
    ['countRules of a group the web ACL lacks', rest({ waf: { managedRuleGroups: ['AWSManagedRulesCommonRuleSet'], countRules: { AWSManagedRulesAmazonIpReputationList: ['X'] } } }),
      /restApi.waf.countRules keys must be managed rule groups of the web ACL \("AWSManagedRulesCommonRuleSet"\), got "AWSManagedRulesAmazonIpReputationList"/],
    ['a quota past int32', rest({ routes: [{ path: '/a', scopes: ['orders/read'] }], consumers: [{ name: 'c', scopes: ['orders/read'], quota: { limit: 2147483648 } }] }),
      /restApi.consumers\[0\].quota.limit must be an integer between 1 and 2147483647, got 2147483648/],
    ['consumer scopes with an outside issuer', rest({ routes: [{ path: '/a', scopes: ['x:read'] }], consumers: [{ name: 'c', scopes: ['x:read'] }] }),
      /restApi.consumers\[0\].scopes requires a Cognito authorizer on the platform .*got \["x:read"\]/, jwt],
  ])('fails on %s', (...row) => {
    // Rows without an authorizer have three elements: a fourth named parameter would read as jest's done().
    const [, restApi, message, auth] = row;
    expect(make(restApi, auth)).toThrow(message);
  });

  test('accepts the edges: a 29 s timeout, a 10-minute WAF window, rate 10, TTLs of 0 and 3600 s', () => {
    expect(make(rest({
      timeout: Duration.seconds(29),
      waf: { rateLimitPerIp: 10, rateLimitWindow: Duration.minutes(10) },
      cache: { ttl: Duration.seconds(0) },
      routes: [{ path: '/a', public: true, methods: [GET] }],
      authorizerCacheTtl: Duration.seconds(3600),
    }))).not.toThrow();
  });

  test('fails on a second platform setting the API Gateway account logging role in the same account and region', () => {
    const app = testApp();
    for (const id of ['A', 'B']) {
      const platform = new MicroservicePlatform(new Stack(app, `P${id}`), 'Platform');
      const build = () => new Microservice(new Stack(app, `S${id}`), 'Svc', { platform, image: IMAGE, restApi: rest({}) });
      if (id === 'A') build();
      else expect(build).toThrow(/manageApiGatewayAccount must be false on all platforms of an account and region but one .*got true here and on PA\/Platform/);
    }
  });

  test('fails on routes and scopes that do not fit the Lambda authorizer environment', () => {
    const routes = Array.from({ length: 120 }, (_, i) => ({ path: `/resource-number-${i}`, scopes: [`scope:number-${i}`] }));
    expect(make({ routes }, jwt)).toThrow(/Invalid props for JwtAuthorizerFunction 'S\/Orders\/Api\/Auth\/Function':\n {2}- methodScopes \(the API's routes with their scopes\) must fit the Lambda authorizer's environment \(4096 bytes with issuer and audience\), got \d+ bytes/);
  });
});

// Type checks: tsc compiles these functions and nothing calls them. The line after each
// expect-error directive must fail to compile, or tsc reports the directive as unused.

/** The REST-only options, each on its own, do not compile on an HTTP API (`api`). */
export function restOnlyOptionsOnAnHttpApi(stack: Stack): void {
  // @ts-expect-error stageName is an option of restApi only
  new Microservice(stack, 'StageName', { image: IMAGE, api: { stageName: 'v1' } });
  // @ts-expect-error waf is an option of restApi only
  new Microservice(stack, 'Waf', { image: IMAGE, api: { waf: {} } });
  // @ts-expect-error a route's cache is an option of restApi routes only
  new Microservice(stack, 'RouteCache', { image: IMAGE, api: { routes: [{ path: '/a', public: true, cache: true }] } });
  // @ts-expect-error a consumer's usage plan (rateLimit) is an option of restApi consumers only
  new Microservice(stack, 'ConsumerRateLimit', { image: IMAGE, api: { routes: [{ path: '/a', scopes: ['orders/read'] }], consumers: [{ name: 'c', scopes: ['orders/read'], rateLimit: 5 }] } });
}

/** A REST API takes no integration (it reaches the tasks through its load balancer): Cloud Map does not compile on it. */
export function cloudMapOnARestApi(stack: Stack): void {
  // @ts-expect-error integration is an option of api (HTTP) only
  new Microservice(stack, 'CloudMap', { image: IMAGE, restApi: { integration: ApiIntegration.cloudMap() } });
}

describe('the REST deployment', () => {
  const synth = (change?: 'vpcLink' | 'loadBalancer') => {
    const app = testApp();
    const stack = new Stack(app, 'S');
    const platform = new MicroservicePlatform(stack, 'Platform');
    const svc = new Microservice(stack, 'Svc', { platform, image: IMAGE, restApi: { routes: [{ path: '/a', public: true }] } });
    // The same methods, with a replaced VPC link or load balancer.
    if (change === 'vpcLink') (platform.vpcLink!.node.defaultChild as apigwv2.CfnVpcLink).overrideLogicalId('OtherVpcLink');
    if (change === 'loadBalancer') (svc.restApi!.loadBalancer.node.defaultChild as any).overrideLogicalId('OtherLoadBalancer');
    const t = Template.fromStack(stack);
    return {
      deployment: Object.keys(t.findResources('AWS::ApiGateway::Deployment'))[0],
      vpcLinkVariable: Object.values(t.findResources('AWS::ApiGateway::Stage'))[0].Properties.Variables.vpcLinkId,
    };
  };

  test('reaches a replaced VPC link through the stage variable, without a new deployment', () => {
    expect(synth().deployment).toBe(synth().deployment);
    expect(synth('vpcLink').deployment).toBe(synth().deployment);
    expect(synth('vpcLink').vpcLinkVariable).toEqual({ Ref: 'OtherVpcLink' });
  });

  test('is replaced when the load balancer is, so the stage serves the new integration', () => {
    expect(synth('loadBalancer').deployment).not.toBe(synth().deployment);
  });
});
