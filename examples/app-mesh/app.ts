// App Mesh variant: three services in a chain with retry policies, timeouts, outlier detection
// and connection pools, Envoy sidecars with X-Ray tracing, and a 10 % canary of payments.
// App Mesh reached end of support on 2026-09-30; ServiceMesh.serviceConnect() is the default.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  APP_MESH_END_OF_SUPPORT_WARNING, ApiAuthorizer, HttpRetryEvent, Microservice, MicroservicePlatform, RetryPolicy, ServiceMesh,
} from 'cdk-microservice';

export function build(app: App): App {
  const platformStack = new Stack(app, 'MeshPlatform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', {
    natGateways: 1,
    mesh: ServiceMesh.appMesh({ tracing: true }),
    auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com/realms/shop', audience: ['shop-api'] }),
  });
  // This app chose App Mesh knowingly: acknowledge the library's end-of-support warning here.
  Validations.of(platform).acknowledge({
    id: `annotation::${APP_MESH_END_OF_SUPPORT_WARNING}`,
    reason: 'Example of the App Mesh data plane; new apps use ServiceMesh.serviceConnect().',
  });

  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');
  const common = { platform, image, writablePaths: ['/tmp', '/var/cache/nginx'] };

  const ledger = new Microservice(new Stack(app, 'MeshLedger'), 'Ledger', {
    ...common,
    requestTimeout: Duration.seconds(2),
    retryPolicy: RetryPolicy.http({ maxRetries: 1, perRetryTimeout: Duration.millis(800) }),
    outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
    connectionPool: { maxConnections: 100, maxPendingRequests: 50 },
  });

  const payments = new Microservice(new Stack(app, 'MeshPayments'), 'Payments', {
    ...common,
    requestTimeout: Duration.seconds(5),
    retryPolicy: RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.millis(1500), httpRetryEvents: [HttpRetryEvent.GATEWAY_ERROR] }),
    outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
  });
  const paymentsV2 = new Microservice(new Stack(app, 'MeshPaymentsV2'), 'PaymentsV2', {
    ...common,
    requestTimeout: Duration.seconds(5),
    retryPolicy: RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.millis(1500) }),
  });

  const orders = new Microservice(new Stack(app, 'MeshOrders'), 'Orders', {
    ...common,
    requestTimeout: Duration.seconds(10),
    api: { timeout: Duration.seconds(12), routes: [{ path: '/orders/{proxy+}', scopes: ['orders/write'] }] },
  });

  // orders -> payments -> ledger: at most 3 x 2 = 6 requests to ledger per order request.
  orders.connectTo(payments);
  payments.connectTo(ledger);
  paymentsV2.connectTo(ledger);
  payments.routeCanary(paymentsV2, 10);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
