import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { ApiAuthorizer, ApiIntegration, Microservice, MicroservicePlatform } from '../../lib';
import { ACCESS_LOG_FORMAT } from '../../lib/api/microservice-http-api';
import { IMAGE, logicalId, testApp } from '../util';


describe('an API with Cognito, scopes, consumers, a public route and a route throttle', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform');
  const stack = new Stack(app, 'Orders');
  const orders = new Microservice(stack, 'Orders', {
    platform,
    image: IMAGE,
    api: {
      routes: [
        { path: '/orders', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'] },
        { path: '/orders', methods: [apigwv2.HttpMethod.POST], scopes: ['orders/write'], throttle: { rateLimit: 20, burstLimit: 40 } },
        { path: '/orders/{id}', scopes: ['orders/read', 'orders/write'] },
        { path: '/health', methods: [apigwv2.HttpMethod.GET], public: true },
      ],
      consumers: [{ name: 'checkout', scopes: ['orders/read', 'orders/write'] }, { name: 'reporting', scopes: ['orders/read'] }],
    },
  });
  // A second API service on the same platform.
  new Microservice(new Stack(app, 'Payments'), 'Payments', {
    platform,
    image: IMAGE,
    api: { routes: [{ path: '/pay', scopes: ['payments/charge'] }], consumers: [{ name: 'checkout', scopes: ['payments/charge'] }] },
  });
  const t = Template.fromStack(stack);
  const p = Template.fromStack(platformStack);
  const api = orders.httpApi!;

  test('gives the service its own HTTP API and an auto-deployed $default stage', () => {
    expect(orders.api).toBe(api);
    expect(orders.restApi).toBeUndefined();
    t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', DisableExecuteApiEndpoint: false });
    t.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
    p.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });

  test('throttles the stage at 100 rps / 200 burst and overrides one route', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, DetailedMetricsEnabled: true },
      RouteSettings: { 'POST /orders': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, DetailedMetricsEnabled: true } },
    });
    const stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(stage.DependsOn).toContain(logicalId(api.routes['POST /orders']));
  });

  test('authorizes every route but the public one with the JWT authorizer and its scopes', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /orders', AuthorizationType: 'JWT', AuthorizationScopes: ['orders/read'] });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /orders', AuthorizationType: 'JWT', AuthorizationScopes: ['orders/write'] });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /orders/{id}', AuthorizationType: 'JWT', AuthorizationScopes: ['orders/read', 'orders/write'] });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health', AuthorizationType: 'NONE' });
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 4);
    expect(Object.keys(api.routes).sort()).toEqual(['ANY /orders/{id}', 'GET /health', 'GET /orders', 'POST /orders']);
  });

  test('acknowledges AwsSolutions-APIG4 on the public route only', () => {
    const acked = Object.entries(api.routes)
      .filter(([, r]) => JSON.stringify(r.node.metadata).includes('AwsSolutions-APIG4'))
      .map(([k]) => k);
    expect(acked).toEqual(['GET /health']);
  });

  test("the authorizer trusts the platform user pool and accepts the consumers' clients only", () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(api.consumerClients.checkout) }, { Ref: logicalId(api.consumerClients.reporting) }],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', Match.anyValue()]] },
      },
    });
  });

  test("creates the service's resource server with its scopes, in the service's stack", () => {
    t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'orders',
      Scopes: [
        { ScopeName: 'read', ScopeDescription: Match.anyValue() },
        { ScopeName: 'write', ScopeDescription: Match.anyValue() },
      ],
    });
    p.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
  });

  test('gives each consumer a client-credentials app client with a secret and only its scopes', () => {
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'orders-checkout',
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['orders/read', 'orders/write'],
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', { ClientName: 'orders-reporting', AllowedOAuthScopes: ['orders/read'] });
    const client = Object.values(t.findResources('AWS::Cognito::UserPoolClient'))[0];
    expect(client.DependsOn).toContain(logicalId(api.resourceServer));
  });

  test('creates a hardened user pool and its domain in the platform stack, on first use', () => {
    p.resourceCountIs('AWS::Cognito::UserPool', 1);
    p.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UserPoolTier: 'PLUS',
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
        DeletionProtection: 'ACTIVE',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 3 } },
      }),
      DeletionPolicy: 'Retain',
    });
    const pool = Object.values(p.findResources('AWS::Cognito::UserPool'))[0];
    expect(pool.Properties.SmsConfiguration).toBeUndefined();
    p.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', [Match.stringLikeRegexp('^ms-[0-9a-f]{8}-$'), { Ref: 'AWS::AccountId' }]] },
    });
    expect(platform.tokenEndpoint).toMatch(/oauth2\/token$/);
  });

  test('logs every request as JSON, with principal and throttling fields, to a log group kept a month', () => {
    const stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toEqual(ACCESS_LOG_FORMAT);
    for (const field of ['requestId', 'routeKey', 'status', 'responseLatency', 'integrationLatency', 'principal', 'errorResponseType']) {
      expect(format).toHaveProperty(field);
    }
    expect(format.principal).toBe('$context.authorizer.claims.sub');
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalId(api.accessLogGroup), 'Arn'] });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('counts throttled requests from the access log', () => {
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [{ MetricNamespace: 'CdkMicroservice/Api', MetricName: 'ThrottledRequests', MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] }],
    });
  });

  test('reaches the tasks through the platform VPC link and their Cloud Map service', () => {
    t.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      ConnectionType: 'VPC_LINK',
      IntegrationMethod: 'ANY',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(orders.cloudMapService), 'Arn'] },
      TimeoutInMillis: 30000,
      ConnectionId: { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Platform' }) },
    });
    p.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 1);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });

  test('the tasks admit the VPC link on the container port and nothing else', () => {
    const sg = t.toJSON().Resources[logicalId(orders.securityGroup)];
    expect(sg.Properties.SecurityGroupIngress).toEqual([{
      IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, Description: 'API Gateway through the platform VPC link',
      SourceSecurityGroupId: { 'Fn::GetStackOutput': Match.anyValue() },
    }].map((r) => ({ ...r, SourceSecurityGroupId: sg.Properties.SecurityGroupIngress[0].SourceSecurityGroupId })));
    expect(JSON.stringify(sg.Properties.SecurityGroupIngress[0].SourceSecurityGroupId)).toContain('VpcLinkSecurityGroup');
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('exposes the stage URL and the API metrics', () => {
    expect(stack.resolve(api.url)).toEqual({ 'Fn::Join': ['', ['https://', { Ref: logicalId(api.httpApi) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/']] });
    const m = (x: any) => stack.resolve(x);
    expect(m(orders.api!.metricServerError())).toMatchObject({ namespace: 'AWS/ApiGateway', metricName: '5xx', statistic: 'Sum', period: Duration.minutes(5) });
    expect(m(orders.api!.metricClientError())).toMatchObject({ metricName: '4xx', statistic: 'Sum' });
    expect(m(orders.api!.metricCount())).toMatchObject({ metricName: 'Count', statistic: 'Sum' });
    expect(m(orders.api!.metricLatency())).toMatchObject({ metricName: 'Latency', statistic: 'p99' });
    expect(m(orders.api!.metricIntegrationLatency({ statistic: 'p50' }))).toMatchObject({ metricName: 'IntegrationLatency', statistic: 'p50' });
    expect(m(orders.api!.metricLatency().dimensions)).toEqual({ ApiId: { Ref: logicalId(api.httpApi) }, Stage: '$default' });
    expect(m(orders.api!.metricThrottled())).toMatchObject({ namespace: 'CdkMicroservice/Api', metricName: 'ThrottledRequests', statistic: 'Sum' });
  });

  test('a second API service on the platform reuses the VPC link and the user pool', () => {
    p.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 1);
    p.resourceCountIs('AWS::Cognito::UserPool', 1);
    p.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });
});

describe('ApiIntegration.loadBalancer()', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const stack = new Stack(app, 'Payments');
  const payments = new Microservice(stack, 'Payments', {
    platform,
    image: IMAGE,
    containerPort: 9000,
    api: {
      integration: ApiIntegration.loadBalancer({ healthCheckPath: '/health', healthyHttpCodes: '200', deregistrationDelay: Duration.seconds(10) }),
      timeout: Duration.seconds(5),
      routes: [{ path: '/pay', public: true }],
    },
  });
  const t = Template.fromStack(stack);

  test('creates an internal ALB with an HTTP listener and a health-checked target group of the tasks', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 9000,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }]),
    });
    t.hasResourceProperties('AWS::ECS::Service', { LoadBalancers: [{ ContainerName: 'app', ContainerPort: 9000, TargetGroupArn: Match.anyValue() }] });
  });

  test('integrates the API with the listener through the VPC link, with the timeout', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ConnectionType: 'VPC_LINK',
      IntegrationUri: { Ref: logicalId(payments.httpApi!.loadBalancer!.node.findChild('Listener')) },
      TimeoutInMillis: 5000,
    });
  });

  test('only the VPC link reaches the ALB, and only the ALB reaches the tasks', () => {
    const lbSg = t.toJSON().Resources[logicalId(payments.httpApi!.loadBalancer!.connections.securityGroups[0])];
    expect(lbSg.Properties.SecurityGroupIngress).toHaveLength(1);
    expect(lbSg.Properties.SecurityGroupIngress[0]).toMatchObject({ FromPort: 80, ToPort: 80, IpProtocol: 'tcp' });
    expect(JSON.stringify(lbSg.Properties.SecurityGroupIngress[0].SourceSecurityGroupId)).toContain('VpcLinkSecurityGroup');
    const taskSg = t.toJSON().Resources[logicalId(payments.securityGroup)];
    expect(taskSg.Properties.SecurityGroupIngress).toBeUndefined();
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9000, ToPort: 9000, GroupId: { 'Fn::GetAtt': [logicalId(payments.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(payments.httpApi!.loadBalancer!.connections.securityGroups[0]), 'GroupId'] },
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 9000, ToPort: 9000 });
  });

  test('acknowledges ELB2 on the load balancer only when it has no access log bucket', () => {
    expect(JSON.stringify(payments.httpApi!.loadBalancer!.node.metadata)).toContain('AwsSolutions-ELB2');
  });

  test('a service whose routes are all public creates no authorizer, resource server or app client (the user pool is the platform\'s, created with it)', () => {
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    t.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
    t.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    Template.fromStack(platform.node.scope as Stack).resourceCountIs('AWS::Cognito::UserPool', 1);
  });
});

describe('ApiAuthorizer.jwt() and a custom domain', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const zone = route53.HostedZone.fromHostedZoneAttributes(platformStack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
  const platform = new MicroservicePlatform(platformStack, 'Platform', {
    auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com/realms/shop', audience: ['shop-api', 'shop-web'] }),
    apiDomain: {
      domainName: 'api.example.com',
      certificate: acm.Certificate.fromCertificateArn(platformStack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
      hostedZone: zone,
    },
  });
  const stack = new Stack(app, 'Catalog');
  const catalog = new Microservice(stack, 'Catalog', { platform, image: IMAGE, api: { routes: [{ path: '/items', scopes: ['catalog:read'.replace(':', '/')] }] } });
  const custom = new Microservice(stack, 'Search', { platform, image: IMAGE, api: { basePath: 'v2/search', disableExecuteApiEndpoint: false } });
  const t = Template.fromStack(stack);
  const p = Template.fromStack(platformStack);

  test('trusts the issuer and audiences it is given', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://idp.example.com/realms/shop', Audience: ['shop-api', 'shop-web'] },
    });
    t.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
    p.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  test('creates the regional domain and its alias record on the platform', () => {
    p.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.example.com',
      DomainNameConfigurations: [Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' })],
    });
    p.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'A' });
  });

  test("maps each service under its base path in the service's stack and closes execute-api", () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiMappingKey: 'catalog', Stage: Match.anyValue() });
    t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiMappingKey: 'v2/search' });
    p.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { Description: Match.stringLikeRegexp('Catalog$'), DisableExecuteApiEndpoint: true });
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { Description: Match.stringLikeRegexp('Search$'), DisableExecuteApiEndpoint: false });
    expect(JSON.stringify(stack.resolve(catalog.api!.url))).toMatch(/^\{"Fn::Join":\["",\["https:\/\/",.*"\/catalog"\]\]\}$/);
    expect(JSON.stringify(stack.resolve(custom.api!.url))).toContain('/v2/search');
  });

  test('the default route is an authorized catch-all', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'JWT', AuthorizationScopes: Match.absent() });
  });
});

describe('the every-route-authorized check at synth', () => {
  test('fails synthesis on a route added without an authorizer, naming route and service', () => {
    const app = testApp();
    const stack = new Stack(app, 'S');
    const svc = new Microservice(stack, 'Orders', {
      image: IMAGE,
      api: { routes: [{ path: '/a', public: true }] },
    });
    svc.httpApi!.httpApi.addRoutes({ path: '/admin', methods: [apigwv2.HttpMethod.DELETE], integration: new integrations.HttpUrlIntegration('U', 'https://example.com') });
    expect(() => app.synth()).toThrow(/Route "DELETE \/admin" of service S\/Orders has no authorizer and is not marked public: true. Authorize it \(the platform.s authorizer\) or mark it public in api.routes./);
  });

  test('passes when the extra route is authorized', () => {
    const app = testApp();
    const stack = new Stack(app, 'S');
    const svc = new Microservice(stack, 'Orders', {
      image: IMAGE,
      platform: new MicroservicePlatform(stack, 'P', { auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['a'] }) }),
      api: {},
    });
    svc.httpApi!.httpApi.addRoutes({ path: '/admin', integration: new integrations.HttpUrlIntegration('U', 'https://example.com'), authorizer: svc.httpApi!.authorizer });
    expect(() => app.synth()).not.toThrow();
  });

  test('the default platform creates a Cognito user pool for an authorized route', () => {
    const stack = new Stack(testApp(), 'S');
    new Microservice(stack, 'Orders', { image: IMAGE, api: { routes: [{ path: '/x', scopes: ['orders/read'] }], consumers: [{ name: 'web', scopes: ['orders/read'] }] } });
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPool', 1);
  });

  test('an imported user pool with its clients accepts scopes of other resource servers', () => {
    const stack = new Stack(testApp(), 'S');
    const userPool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'us-east-1_abc');
    const web = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Web', 'webclientid');
    const platform = new MicroservicePlatform(stack, 'P', { auth: ApiAuthorizer.cognito({ userPool, clients: [web] }) });
    new Microservice(stack, 'Orders', { platform, image: IMAGE, api: { routes: [{ path: '/x', scopes: ['shop/admin', 'orders/read'] }] } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'orders', UserPoolId: 'us-east-1_abc', Scopes: [Match.objectLike({ ScopeName: 'read' })] });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: Match.objectLike({ Audience: ['webclientid'] }) });
  });

  test('the API metrics live on service.api only: a service without an API has none', () => {
    const svc = new Microservice(new Stack(testApp(), 'S'), 'Orders', { image: IMAGE });
    expect(svc.api).toBeUndefined();
    expect((svc as unknown as { [k: string]: unknown }).metricLatency).toBeUndefined();
  });
});
