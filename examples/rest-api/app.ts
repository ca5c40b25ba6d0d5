import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiAuthorizer, Microservice, MicroservicePlatform } from 'cdk-microservice';

/**
 * REST APIs on two platforms: one trusting Cognito (scopes, app clients and API keys per
 * consumer, WAF and a stage cache), one trusting an outside OIDC issuer through the bundled
 * Lambda authorizer (API keys and usage plans for partners).
 */
export function build(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

  const platformStack = new Stack(app, 'RestPlatform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', {
    natGateways: 1,
    logs: { retention: logs.RetentionDays.ONE_YEAR },
    auth: ApiAuthorizer.cognito(),
  });
  const orders = new Stack(app, 'RestOrders');
  new Microservice(orders, 'Orders', {
    platform,
    image,
    containerPort: 8080,
    user: '101',
    restApi: {
      routes: [
        { path: '/orders', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'], cacheKeyQueryStrings: ['page'] },
        { path: '/orders', methods: [apigwv2.HttpMethod.POST], scopes: ['orders/write'], throttle: { rateLimit: 20, burstLimit: 40 } },
        { path: '/orders/{id}', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'] },
        { path: '/health', methods: [apigwv2.HttpMethod.GET], public: true, cache: false },
      ],
      consumers: [
        { name: 'checkout', scopes: ['orders/read', 'orders/write'], rateLimit: 50, burstLimit: 100 },
        { name: 'reporting', scopes: ['orders/read'], rateLimit: 5, burstLimit: 10, quota: { limit: 10000, period: apigateway.Period.DAY } },
      ],
      waf: { rateLimitPerIp: 2000, logging: true },
      cache: { ttl: Duration.minutes(1) },
      tracing: true,
    },
  });

  const partnerPlatform = new MicroservicePlatform(new Stack(app, 'PartnerPlatform'), 'Platform', {
    natGateways: 1,
    logs: { retention: logs.RetentionDays.ONE_YEAR },
    // 20 concurrent authorizer runs reserved: a flood of bad tokens cannot starve the account's other functions.
    auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['partner-api'], reservedConcurrency: 20 }),
    manageApiGatewayAccount: false, // RestPlatform sets the account's API Gateway logging role
  });
  const partners = new Stack(app, 'RestPartners');
  // The partners' REST stage logs through the account's API Gateway logging role, which RestPlatform sets.
  partners.addStackDependency(platformStack, 'the API Gateway account logging role of RestPlatform');
  const acmeKey = new secretsmanager.Secret(partners, 'AcmeApiKey', {
    description: 'API key of the acme partner',
    generateSecretString: { passwordLength: 40, excludePunctuation: true },
  });
  Validations.of(acmeKey).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'An API key is rotated by issuing the partner a second consumer key and retiring the first once they switched; Secrets Manager cannot rotate a key API Gateway must also hold.',
  });
  new Microservice(partners, 'Partners', {
    platform: partnerPlatform,
    image,
    containerPort: 8080,
    user: '101',
    restApi: {
      routes: [
        { path: '/quotes', methods: [apigwv2.HttpMethod.POST], scopes: ['quotes:write'] },
        { path: '/quotes/{id}', methods: [apigwv2.HttpMethod.GET] },
      ],
      consumers: [
        { name: 'acme', apiKeySecret: acmeKey, rateLimit: 10, burstLimit: 20, quota: { limit: 100000, period: apigateway.Period.MONTH } },
        { name: 'globex', rateLimit: 2, burstLimit: 5 },
      ],
    },
  });
  return app;
}

if (require.main === module) build(new App()).synth();
