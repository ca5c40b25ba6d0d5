// Asynchronous messaging: orders publishes OrderPlaced; billing subscribes to the retail orders
// only; the mailer is a queue worker with no API that scales on its backlog, to zero when idle.
// Each service in its own stack: a new subscriber never changes the publisher's.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform , Tracing } from 'cdk-microservice';

export function build(app: App): App {
  const platform = new MicroservicePlatform(new Stack(app, 'EventsPlatform'), 'Platform', {
    natGateways: 1,
    logs: { retention: logs.RetentionDays.ONE_YEAR },
  });
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');
  const common = { platform, image, user: '101', writablePaths: ['/tmp', '/var/cache/nginx'], tracing: Tracing.openTelemetry() };

  // Orders publishes OrderPlaced: ORDER_PLACED_TOPIC_ARN in its container, publish granted.
  const orders = new Microservice(new Stack(app, 'EventsOrders'), 'Orders', {
    ...common,
    api: { routes: [{ path: '/orders', public: true }] },
  });
  const placed = orders.addTopic('OrderPlaced');

  // Billing takes the retail orders only; five receives before a message goes to its dead-letter queue.
  const billing = new Microservice(new Stack(app, 'EventsBilling'), 'Billing', common);
  billing.subscribe(placed, {
    filterPolicy: { channel: sns.SubscriptionFilter.stringFilter({ allowlist: ['retail'] }) },
    maxReceiveCount: 5,
  });

  // The mailer has no API: a worker that keeps each message under a minute, and sleeps when idle.
  const mailer = new Microservice(new Stack(app, 'EventsMailer'), 'Mailer', {
    ...common,
    autoScaling: { minCapacity: 0, maxCapacity: 20 },
  });
  mailer.subscribe(placed, { scaleOnBacklog: { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.millis(200) } });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
