import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { ServiceFeature, ServiceWithTask } from '../private/feature';
import { grantXRayWrite } from '../private/grants';
import { DEFAULT_COLLECTOR_IMAGE } from '../private/names';
import type { PropErrors } from '../private/validation';

/** Options of {@link Tracing.openTelemetry}. */
export interface OpenTelemetryTracingOptions {
  /**
   * The share of new traces the app's SDK samples, 0 to 1 (`OTEL_TRACES_SAMPLER_ARG` of the
   * `parentbased_traceidratio` sampler: a request that arrives with a sampled parent is always traced).
   *
   * @default 0.05
   */
  readonly samplingRatio?: number;
  /**
   * The collector image.
   *
   * @default 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0'
   */
  readonly collectorImage?: string;
}

/** The OTLP ports the collector listens on (gRPC, HTTP) and its health check extension's default port. */
const COLLECTOR_PORTS = [4317, 4318, 13133];
const DEFAULT_SAMPLING_RATIO = 0.05;

/**
 * Distributed tracing of a service: `Tracing.openTelemetry()` (an AWS Distro for OpenTelemetry
 * collector sidecar that sends traces to AWS X-Ray) or `Tracing.none()` (the default).
 */
export abstract class Tracing {
  /**
   * An ADOT collector sidecar receives OTLP on localhost:4317 (gRPC) and 4318 (HTTP) and exports
   * to AWS X-Ray; the app container gets the OpenTelemetry SDK's `OTEL_*` variables and the task
   * role X-Ray's writes. The app must be instrumented with an OpenTelemetry SDK. Topics the
   * service publishes are actively traced.
   */
  public static openTelemetry(options: OpenTelemetryTracingOptions = {}): Tracing {
    return new OpenTelemetryTracing(options);
  }

  /** No tracing (the default). */
  public static none(): Tracing {
    return new NoTracing();
  }

  /**
   * The service's tracing feature: its sidecar, its environment, its permissions.
   *
   * @internal
   */
  public abstract _feature(): TracingFeature;
}

/** Tracing as a feature of one service. */
export interface TracingFeature extends ServiceFeature {
  /** Whether the service's requests are traced (its topics then are too). */
  readonly traced: boolean;
  /** The collector sidecar, once added. */
  readonly collector?: ecs.ContainerDefinition;
}

class NoTracing extends Tracing {
  public _feature(): TracingFeature {
    return { traced: false };
  }
}

class OpenTelemetryTracing extends Tracing {
  constructor(private readonly options: OpenTelemetryTracingOptions) {
    super();
  }

  public _feature(): TracingFeature {
    return new OpenTelemetryFeature(this.options);
  }
}

/**
 * The collector goes in once the service's other parts have set the app's environment (its
 * variables follow theirs in the task definition, as they always have).
 */
class OpenTelemetryFeature implements TracingFeature {
  public readonly traced = true;
  public collector?: ecs.ContainerDefinition;

  constructor(private readonly options: OpenTelemetryTracingOptions) {}

  public validate(errors: PropErrors): void {
    errors.range('tracing.samplingRatio', this.options.samplingRatio, 0, 1);
    errors.text('tracing.collectorImage', this.options.collectorImage);
  }

  public useService(unit: ServiceWithTask): void {
    this.collector = unit.task.addSidecar({
      id: 'Collector',
      containerName: 'otel-collector',
      image: ecs.ContainerImage.fromRegistry(this.options.collectorImage ?? DEFAULT_COLLECTOR_IMAGE),
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
      listenPorts: COLLECTOR_PORTS,
      // The exporter protocol and its endpoint together (the OpenTelemetry exporter spec: the default
      // protocol is http/protobuf, whose base URL takes /v1/<signal>): every SDK that reads these
      // variables reaches the collector, whatever its own default.
      appEnvironment: {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
        OTEL_SERVICE_NAME: unit.name,
        // The OpenTelemetry SDKs' built-in propagators only: `xray` needs the AWS propagator package,
        // and without it the Java SDK's autoconfigure throws at start ("Unrecognized value for
        // otel.propagators") and Python's opentelemetry.propagate raises at import. The user's
        // `environment` adds it (docs/monitoring.md, "Tracing").
        OTEL_PROPAGATORS: 'tracecontext,baggage',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(this.options.samplingRatio ?? DEFAULT_SAMPLING_RATIO),
      },
    });
    grantXRayWrite(unit.scope, unit.task.taskDefinition.taskRole);
  }
}
