// A shared platform stack and one stack per service: each service deploys and deletes on its own.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform } from 'cdk-microservice';

export function build(app: App): App {
  const platformStack = new Stack(app, 'ShopPlatform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', { natGateways: 1 });

  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

  const catalog = new Microservice(new Stack(app, 'ShopCatalog'), 'Catalog', {
    platform,
    image,
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    autoScaling: { minCapacity: 2, maxCapacity: 20 },
    writablePaths: ['/tmp', '/var/cache/nginx'],
  });

  const cartStack = new Stack(app, 'ShopCart');
  const apiKey = secretsmanager.Secret.fromSecretNameV2(cartStack, 'PaymentsKey', 'shop/cart/payments-key');
  new Microservice(cartStack, 'Cart', {
    platform,
    image,
    cpu: 1024,
    memoryLimitMiB: 2048,
    environment: { CATALOG_URL: `http://${catalog.discoveryName}.${platform.namespace.namespaceName}:8080` },
    secrets: { PAYMENTS_API_KEY: ecs.Secret.fromSecretsManager(apiKey) },
    fargateSpot: { percent: 50, onDemandBase: 2 },
    healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/ || exit 1'] },
    // Opt-in: `aws ecs execute-command` into the tasks (the root filesystem becomes writable).
    enableExecuteCommand: true,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
