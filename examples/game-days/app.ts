// Game days: orders calls payments and keeps a Multi-AZ Valkey cache; both services get AWS FIS
// experiment templates (stop tasks, stress CPU, take payments or the cache away or slow them,
// cut the power of one of the cache's AZs), each stopped by the service's own health alarm.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FaultExperiment, FaultInjection, Microservice, MicroservicePlatform, ServiceCache } from 'cdk-microservice';

export function build(app: App): App {
  const platform = new MicroservicePlatform(new Stack(app, 'GameDaysPlatform'), 'Platform', {
    natGateways: 1,
    logs: { retention: logs.RetentionDays.ONE_YEAR },
  });
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');
  const common = { platform, image, user: '101', writablePaths: ['/tmp', '/var/cache/nginx'] };

  // Every experiment, with the defaults: 5-minute faults on half the tasks, 200 ms of latency.
  const orders = new Microservice(new Stack(app, 'GameDaysOrders'), 'Orders', {
    ...common,
    api: { routes: [{ path: '/orders', public: true }] },
    cache: ServiceCache.valkey({ replicas: 1 }),
    faultInjection: FaultInjection.enabled(),
  });

  // Payments listens on its own port: taking it away from orders black-holes that port.
  const payments = new Microservice(new Stack(app, 'GameDaysPayments'), 'Payments', {
    ...common,
    containerPort: 8443,
    faultInjection: FaultInjection.enabled({
      experiments: [FaultExperiment.STOP_TASKS, FaultExperiment.CPU_STRESS],
      taskPercent: 100,
      duration: Duration.minutes(10),
    }),
  });
  orders.connectTo(payments);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
