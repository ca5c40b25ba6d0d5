import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { ServiceTask } from '../private/binding';
import { grantXRayWrite } from '../private/grants';

/** The AWS Distro for OpenTelemetry collector, pinned. */
export const DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1';

/**
 * Distributed tracing: an ADOT collector sidecar that receives OTLP on localhost and exports to
 * AWS X-Ray; the app container gets the OpenTelemetry SDK settings, the task role the X-Ray writes.
 */
export function addTracing(task: ServiceTask, serviceName: string, image?: string): ecs.ContainerDefinition {
  const collector = task.addSidecar({
    id: 'Collector',
    containerName: 'otel-collector',
    image: ecs.ContainerImage.fromRegistry(image ?? DEFAULT_COLLECTOR_IMAGE),
    command: ['--config=/etc/ecs/ecs-xray.yaml'],
    essential: false,
    cpu: 64,
    memoryReservationMiB: 64,
    healthCheck: { command: ['CMD', '/healthcheck'], interval: Duration.seconds(10), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(10) },
    appStartsAfter: ecs.ContainerDependencyCondition.START,
    appEnvironment: {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317',
      OTEL_SERVICE_NAME: serviceName,
      OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
    },
  });
  grantXRayWrite(task.taskDefinition.taskRole);
  return collector;
}
