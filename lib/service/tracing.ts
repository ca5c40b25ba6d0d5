import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { ServiceTask } from '../private/binding';
import { grantXRayWrite } from '../private/grants';
import { DEFAULT_COLLECTOR_IMAGE } from '../private/names';


/**
 * Distributed tracing: an ADOT collector sidecar that receives OTLP on localhost and exports to
 * AWS X-Ray; the app container gets the OpenTelemetry SDK settings, the task role the X-Ray writes.
 */
export function addTracing(scope: Construct, task: ServiceTask, serviceName: string, image?: string): ecs.ContainerDefinition {
  const collector = task.addSidecar({
    id: 'Collector',
    containerName: 'otel-collector',
    image: ecs.ContainerImage.fromRegistry(image ?? DEFAULT_COLLECTOR_IMAGE),
    command: ['--config=/etc/ecs/ecs-xray.yaml'],
    essential: false,
    // The collector image's own user (aoc, uid 4317: aws-otel-collector's Dockerfile), named so the
    // task runs no container as root.
    user: '4317',
    cpu: 64,
    memoryReservationMiB: 64,
    memoryLimitMiB: 256,
    healthCheck: { command: ['CMD', '/healthcheck'], interval: Duration.seconds(10), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(10) },
    appStartsAfter: ecs.ContainerDependencyCondition.START,
    // OTLP over gRPC and HTTP, and the health check extension's default port.
    listenPorts: [4317, 4318, 13133],
    // The exporter protocol and its endpoint together (the OpenTelemetry exporter spec: the default
    // protocol is http/protobuf, whose base URL takes /v1/<signal>): every SDK that reads these
    // variables reaches the collector, whatever its own default.
    appEnvironment: {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_SERVICE_NAME: serviceName,
      // The OpenTelemetry SDKs' built-in propagators only: `xray` needs the AWS propagator package,
      // and without it the Java SDK's autoconfigure throws at start ("Unrecognized value for
      // otel.propagators") and Python's opentelemetry.propagate raises at import. The user's
      // `environment` adds it (docs/monitoring.md, "Tracing").
      OTEL_PROPAGATORS: 'tracecontext,baggage',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
    },
  });
  grantXRayWrite(scope, task.taskDefinition.taskRole);
  return collector;
}
