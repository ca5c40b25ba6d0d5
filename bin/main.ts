// The example app of the main job: a platform stack and two service stacks, environment-agnostic,
// checked by cdk-nag's AwsSolutions pack and CloudFormation's template validator.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiAuthorizer, ApiIntegration, Microservice, MicroservicePlatform, ServiceCache } from 'cdk-microservice';

export function buildMainApp(app: App): App {
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {
    auth: ApiAuthorizer.cognito(),
    logs: { retention: logs.RetentionDays.ONE_YEAR },
  });
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

  new Microservice(new Stack(app, 'Orders'), 'Orders', {
    platform,
    image,
    containerPort: 8080,
    user: '101',
    writablePaths: ['/tmp', '/var/cache/nginx'],
    api: {
      throttle: { rateLimit: 100, burstLimit: 200 },
      routes: [
        { path: '/orders', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'] },
        { path: '/orders', methods: [apigwv2.HttpMethod.POST], scopes: ['orders/write'], throttle: { rateLimit: 20, burstLimit: 40 } },
        { path: '/orders/{id}', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'] },
        { path: '/health', methods: [apigwv2.HttpMethod.GET], public: true },
      ],
      consumers: [
        { name: 'checkout', scopes: ['orders/read', 'orders/write'] },
        { name: 'reporting', scopes: ['orders/read'] },
      ],
    },
    cache: ServiceCache.valkey(),
  });

  new Microservice(new Stack(app, 'Payments'), 'Payments', {
    platform,
    image,
    containerPort: 8080,
    user: '101',
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    writablePaths: ['/tmp', '/var/cache/nginx'],
    api: {
      integration: ApiIntegration.loadBalancer({ healthCheckPath: '/' }),
      timeout: Duration.seconds(10),
      routes: [{ path: '/payments/{proxy+}', methods: [apigwv2.HttpMethod.ANY], scopes: ['payments/charge'] }],
      consumers: [{ name: 'checkout', scopes: ['payments/charge'] }],
    },
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
