// A shared platform stack and one stack per service: each service deploys and deletes on its own.
// Callers authenticate with an external OIDC issuer; clients see one host, api.example.com.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiAuthorizer, CacheAuth, Microservice, MicroservicePlatform, ServiceCache } from 'cdk-microservice';

export function build(app: App): App {
  const platformStack = new Stack(app, 'ShopPlatform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', {
    natGateways: 1,
    logs: { retention: logs.RetentionDays.ONE_YEAR },
    auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com/realms/shop', audience: ['shop-api'] }),
    apiDomain: {
      domainName: 'api.example.com',
      certificate: acm.Certificate.fromCertificateArn(platformStack, 'Certificate',
        'arn:aws:acm:us-east-1:111111111111:certificate/0b6f7c33-5f3e-4c35-9c0c-7a0e9a2e4f11'),
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(platformStack, 'Zone', {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        zoneName: 'example.com',
      }),
    },
  });

  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

  // https://api.example.com/catalog/...: reads are public, writes need a scope.
  const catalog = new Microservice(new Stack(app, 'ShopCatalog'), 'Catalog', {
    platform,
    image,
    user: '101',
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    autoScaling: { minCapacity: 2, maxCapacity: 20 },
    writablePaths: ['/tmp', '/var/cache/nginx'],
    api: {
      routes: [
        { path: '/products', methods: [apigwv2.HttpMethod.GET], public: true, throttle: { rateLimit: 500, burstLimit: 1000 } },
        { path: '/products/{id}', methods: [apigwv2.HttpMethod.GET], public: true },
        { path: '/products', methods: [apigwv2.HttpMethod.POST], scopes: ['catalog/admin'] },
      ],
    },
    // A small single-node cache; the task role connects with IAM (no stored password).
    cache: ServiceCache.valkey({ nodeType: 'cache.t4g.micro', replicas: 0, auth: CacheAuth.iam() }),
  });

  Validations.of(catalog.cache!).acknowledge({
    id: 'AwsSolutions-AEC4',
    reason: 'A single-node cache of catalog reads: the service falls back to the database while a replacement node starts.',
  });

  const cartStack = new Stack(app, 'ShopCart');
  const apiKey = secretsmanager.Secret.fromSecretNameV2(cartStack, 'PaymentsKey', 'shop/cart/payments-key');
  const cart = new Microservice(cartStack, 'Cart', {
    platform,
    image,
    user: '101',
    cpu: 1024,
    memoryLimitMiB: 2048,
    environment: { LOG_LEVEL: 'info' },
    secrets: { PAYMENTS_API_KEY: ecs.Secret.fromSecretsManager(apiKey) },
    fargateSpot: { percent: 50, onDemandBase: 2 },
    healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/ || exit 1'] },
    // Opt-in: `aws ecs execute-command` into the tasks (the root filesystem becomes writable).
    enableExecuteCommand: true,
    // https://api.example.com/cart/...: every route needs a token with the cart scope.
    api: { routes: [{ path: '/{proxy+}', methods: [apigwv2.HttpMethod.ANY], scopes: ['cart/use'] }] },
    // Serverless Valkey, capped at 5 GB and 5,000 ECPUs per second.
    cache: ServiceCache.serverless({ maxDataStorageGb: 5, maxEcpuPerSecond: 5000 }),
  });

  // What the cart's own settings cause, judged by its owner.
  Validations.of(cart.taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason: 'LOG_LEVEL is not secret; the payments key reaches the app as an ECS secret.',
  });
  Validations.of(cart.taskDefinition).acknowledge({
    id: 'cdk-validator-cfnguard::ecs_containers_readonly_access_check',
    reason: 'ECS Exec is on for this service, and its agent needs a writable root filesystem.',
  });

  // Cart calls the catalog: CATALOG_URL=http://catalog:8080, and only cart's tasks may connect.
  cart.connectTo(catalog);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
