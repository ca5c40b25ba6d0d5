// The Envoy data plane: three services in a chain, orders -> payments -> ledger, each describing
// how it may be called (retries with back-off under a retry budget, timeouts, outlier detection,
// connection limits), and a 10 % canary of payments. Every caller runs an Envoy sidecar configured
// at synth; nothing runs a control plane.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ApiAuthorizer, GrpcRetryEvent, HttpRetryEvent, Microservice, MicroservicePlatform, RetryPolicy, ServiceMesh,
} from 'cdk-microservice';

export function build(app: App): App {
  const platform = new MicroservicePlatform(new Stack(app, 'EnvoyPlatform'), 'Platform', {
    natGateways: 1,
    logs: { retention: logs.RetentionDays.ONE_YEAR },
    mesh: ServiceMesh.envoy({ retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 } }),
    auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com/realms/shop', audience: ['shop-api'] }),
  });
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');
  const common = { platform, image, user: '101', writablePaths: ['/tmp', '/var/cache/nginx'] };

  // The ledger: one retry on gateway errors and refused connections; eject a task after 5 errors in a row.
  const ledger = new Microservice(new Stack(app, 'EnvoyLedger'), 'Ledger', {
    ...common,
    requestTimeout: Duration.seconds(2),
    retryPolicy: RetryPolicy.http({ maxRetries: 1, perRetryTimeout: Duration.millis(800), httpRetryEvents: [HttpRetryEvent.GATEWAY_ERROR] }),
    outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
    connectionPool: { maxConnections: 100, maxPendingRequests: 50 },
  });

  // Payments speaks gRPC: its callers' sidecars use HTTP/2 and retry UNAVAILABLE twice.
  const payments = new Microservice(new Stack(app, 'EnvoyPayments'), 'Payments', {
    ...common,
    requestTimeout: Duration.seconds(5),
    retryPolicy: RetryPolicy.grpc({ maxRetries: 2, perRetryTimeout: Duration.millis(1500), grpcRetryEvents: [GrpcRetryEvent.UNAVAILABLE] }),
    outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 },
    connectionPool: { maxConnections: 200, maxRequests: 400 },
  });
  const paymentsV2 = new Microservice(new Stack(app, 'EnvoyPaymentsV2'), 'PaymentsV2', {
    ...common,
    requestTimeout: Duration.seconds(5),
    retryPolicy: RetryPolicy.grpc({ maxRetries: 2, perRetryTimeout: Duration.millis(1500), grpcRetryEvents: [GrpcRetryEvent.UNAVAILABLE] }),
  });

  const orders = new Microservice(new Stack(app, 'EnvoyOrders'), 'Orders', {
    ...common,
    requestTimeout: Duration.seconds(10),
    api: { timeout: Duration.seconds(12), routes: [{ path: '/orders/{proxy+}', methods: [apigwv2.HttpMethod.ANY], scopes: ['orders/write'] }] },
  });

  // orders -> payments -> ledger: at most 3 x 2 = 6 requests to the ledger per order request, and the
  // retry budget keeps retries under 20 % of each backend's requests in flight.
  orders.connectTo(payments);
  payments.connectTo(ledger);
  paymentsV2.connectTo(ledger);
  payments.routeCanary(paymentsV2, 10);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
