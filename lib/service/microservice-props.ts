import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HttpApiOptions, RestApiOptions } from '../api/api-options';
import { ServiceCache } from '../cache/service-cache';
import { FaultInjection } from '../fault-injection/fault-injection';
import { ServiceLogging } from '../logging/service-logging';
import { ConnectionPool, OutlierDetection, ServiceProtocol } from '../mesh/resilience';
import { RetryPolicy } from '../mesh/retry-policy';
import { MicroserviceAlarmOptions } from '../monitoring/alarm-options';
import type { IMicroservicePlatform } from '../platform/platform-props';
import { Tracing } from '../tracing/tracing';

/** Task-count autoscaling of a {@link Microservice}. */
export interface MicroserviceAutoScalingOptions {
  /**
   * Fewest running tasks, 1 to 5000 (0 for a queue worker whose every subscription has
   * `scaleOnBacklog`). Two keeps a task in each of two AZs.
   *
   * @default 2
   */
  readonly minCapacity?: number;
  /**
   * Most running tasks, `minCapacity` to 5000. On `ServiceMesh.envoy()` a caller's sidecar
   * resolves at most 8 tasks of a callee (Cloud Map's DNS answers hold up to 8 records): above 8,
   * a callee warns (`cdk-microservice:envoyDnsEndpoints`).
   *
   * @default - 10 (8 on `ServiceMesh.envoy()`), or `minCapacity` when that is higher
   */
  readonly maxCapacity?: number;
  /**
   * Average CPU utilization the service is scaled to hold, 10 to 90 percent.
   *
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Average memory utilization the service is scaled to hold, 10 to 90 percent.
   *
   * @default 80
   */
  readonly targetMemoryUtilizationPercent?: number;
}

/** A share of the service's tasks on Fargate Spot. */
export interface FargateSpotOptions {
  /**
   * Percent of the tasks above `onDemandBase` that run on Fargate Spot, 1 to 100.
   */
  readonly percent: number;
  /**
   * Tasks that always run on regular Fargate before the split applies, 0 to 100000.
   *
   * @default 1
   */
  readonly onDemandBase?: number;
}

/** Properties of a {@link Microservice}. */
export interface MicroserviceProps {
  /**
   * The platform the service runs on.
   *
   * @default - the stack's default platform (`MicroservicePlatform.defaultFor(stack)`), created on first use
   */
  readonly platform?: IMicroservicePlatform;

  /** The application's container image. */
  readonly image: ecs.ContainerImage;

  /**
   * The port the application listens on, 1 to 65535.
   *
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Name under which the service registers in the platform's namespace (`orders.services.internal`)
   * and its ECS service name: a lower-case DNS label of 1 to 60 characters (Service Connect adds
   * "-sc" within its 64).
   *
   * @default - the construct id in kebab case ('Orders' → 'orders', 'OrderHistory' → 'order-history')
   */
  readonly discoveryName?: string;

  /**
   * Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.
   *
   * @default 512
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB; only the Fargate combinations with `cpu` are valid.
   *
   * @default 1024
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU architecture of the task. ARM64 (Graviton) costs about 20% less; the image must be built for it.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Plain-text environment variables. Put nothing secret here: they are visible in the template.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Secrets from Secrets Manager or SSM Parameter Store, injected as environment variables at
   * task start. Read access is granted to the task execution role only, never to the task role.
   *
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };

  /**
   * The user the application runs as (`"101"`, `"app"`, `"1000:1000"`): name one, so that no
   * container of the task runs as root (Control Tower CT.ECS.PR.3 requires a user on every
   * container; the library's sidecars name theirs).
   *
   * @default - the image's USER (root when the image names none)
   */
  readonly user?: string;

  /**
   * Command that overrides the image's CMD.
   *
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Container health check, run inside the container (the image must contain the command).
   * Interval 5-300 s, timeout 2-120 s, retries 1-10, start period 0-300 s.
   *
   * @default - none: ECS judges the task by its essential container running
   */
  readonly healthCheck?: ecs.HealthCheck;

  /**
   * Retention of the application's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Mount the container's root filesystem read-only. Paths the application writes to go in
   * `writablePaths`. ECS Exec needs a writable root filesystem.
   *
   * @default - true, or false when `enableExecuteCommand` is true
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * Absolute paths mounted as writable, task-local scratch volumes (at most 20).
   *
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];

  /**
   * Task-count autoscaling on CPU and memory. The template never sets the service's desired
   * count, so a deploy does not reset the count that autoscaling has reached.
   *
   * @default - 2 to 10 tasks, 70% CPU, 80% memory
   */
  readonly autoScaling?: MicroserviceAutoScalingOptions;

  /**
   * Run a share of the tasks on Fargate Spot (X86_64 only). Tasks are always placed through a
   * capacity provider strategy, so turning this on or off is an in-place update.
   *
   * @default - all tasks on regular Fargate
   */
  readonly fargateSpot?: FargateSpotOptions;

  /**
   * Allow ECS Exec (`aws ecs execute-command`) into the tasks. Grants the task role the SSM
   * messages permissions it needs.
   *
   * @default false
   */
  readonly enableExecuteCommand?: boolean;

  /**
   * The service's own API Gateway front door, an HTTP API: routes authorized by the platform's
   * authorizer, throttling, access logs, a private integration through the platform's VPC link.
   * Mutually exclusive with `restApi`.
   *
   * @default - no API: the service is reachable only by callers wired in through `connections`
   */
  readonly api?: HttpApiOptions;

  /**
   * The service's own API Gateway front door as a REST API: the same routes, scopes and public
   * routes as `api`, plus usage plans and API keys, per-method throttling, WAF and a stage cache,
   * reaching the tasks through an internal load balancer. Mutually exclusive with `api`.
   *
   * @default - no REST API
   */
  readonly restApi?: RestApiOptions;

  /**
   * The service's own cache, which only its tasks can reach: `ServiceCache.valkey()` (node-based),
   * `ServiceCache.serverless()` or `ServiceCache.fromAttributes()`. The container receives the
   * endpoint as `CACHE_*` environment variables and the credential as an ECS secret.
   *
   * @default - no cache
   */
  readonly cache?: ServiceCache;

  /**
   * The protocol the application answers on: what callers' proxies speak to it (Envoy uses HTTP/2
   * for HTTP2 and GRPC) and the port mapping's application protocol (Service Connect's metrics).
   *
   * @default - ServiceProtocol.GRPC with a `RetryPolicy.grpc()`, ServiceProtocol.HTTP otherwise
   */
  readonly protocol?: ServiceProtocol;

  /**
   * How callers retry requests to this service through the mesh. Retries are safe only for
   * idempotent requests: the default is none.
   *
   * @default RetryPolicy.none()
   */
  readonly retryPolicy?: RetryPolicy;

  /**
   * How long a request into this service may take through the mesh (Service Connect's
   * perRequestTimeout; Envoy: the route timeout of every caller's sidecar, which covers all
   * attempts), 1 ms to 1 hour. The call-graph check holds each caller's and the API's timeout
   * against it.
   *
   * With Service Connect, at least 1 second and whole seconds.
   *
   * @default - 15 seconds, or the API's timeout when that is shorter (rounded down to whole seconds, at least 1 s, with Service Connect)
   */
  readonly requestTimeout?: Duration;

  /**
   * How long a request or connection to this service may stay idle, 1 second to 1 hour (Service
   * Connect: the connection's idleTimeout; Envoy: the route's stream idle timeout).
   *
   * @default - the data plane's default (Service Connect: 300 s; Envoy: 300 s, the connection manager's stream idle timeout)
   */
  readonly idleTimeout?: Duration;

  /**
   * The circuit breaker: eject tasks that keep failing (Envoy: the cluster's outlier detection in
   * every caller's sidecar). Service Connect ejects by its own fixed outlier detection and warns
   * that it does not honour this.
   *
   * @default - no outlier detection
   */
  readonly outlierDetection?: OutlierDetection;

  /**
   * The bulkhead: limits of each caller toward this service (Envoy: the cluster's circuit-breaker
   * thresholds in every caller's sidecar). Service Connect has no connection limits and warns that
   * it does not honour this.
   *
   * @default - no limits
   */
  readonly connectionPool?: ConnectionPool;

  /**
   * How ECS replaces tasks on a deploy: `ecs.DeploymentStrategy.ROLLING` (default), or ECS's native
   * `BLUE_GREEN`, `CANARY` and `LINEAR` strategies, which shift Service Connect traffic.
   *
   * @default - rolling, with the circuit breaker
   */
  readonly deployment?: MicroserviceDeploymentOptions;

  /**
   * The service's alarms: who gets told (`actions`), how they are named (`naming`), and each default
   * alarm's threshold, periods, datapoints and missing-data treatment, or off, by the layer it
   * watches (`{ api: { latencyP99: { threshold: 800 } } }`).
   *
   * @default - every default alarm on, routed to the platform's topics and named `<stack>-<service>-<id>` (the table of default alarms in docs/monitoring.md)
   */
  readonly alarms?: MicroserviceAlarmOptions;

  /**
   * Distributed tracing: `Tracing.openTelemetry({ samplingRatio })` runs an AWS Distro for
   * OpenTelemetry collector sidecar that receives OTLP on localhost:4317/4318 and sends traces to
   * AWS X-Ray; the app container gets the OTEL_* variables (the app must be instrumented with an
   * OpenTelemetry SDK).
   *
   * @default Tracing.none()
   */
  readonly tracing?: Tracing;

  /**
   * Where the app container's logs go: `ServiceLogging.awsLogs()` (CloudWatch Logs, the service's
   * log group), `ServiceLogging.fireLens({ output })` (a Fluent Bit log router sidecar, counted
   * against the task size, that sends them to any Fluent Bit output) or
   * `ServiceLogging.logDriver(driver)` (any aws-cdk-lib log driver: splunk, syslog, ...).
   * The default is awslogs to the service's log group, non-blocking with a 25 MiB buffer; the
   * sidecars log to the service's log group whatever this says.
   *
   * @default ServiceLogging.awsLogs()
   */
  readonly logging?: ServiceLogging;

  /**
   * Game days: AWS FIS experiment templates for the service (stop tasks, stress CPU, take each
   * `connectTo` dependency and the cache away or slow them, cut the power of the cache's AZ),
   * each stopped by the service's health alarm, and the SSM agent sidecar and task settings
   * FIS's task actions need. Nothing of it exists unless enabled.
   *
   * @default FaultInjection.disabled()
   */
  readonly faultInjection?: FaultInjection;
}

/** A {@link Microservice}'s deployment strategy. */
export interface MicroserviceDeploymentOptions {
  /**
   * How ECS replaces the tasks: rolling, or (through Cloud Map only) blue/green, canary or linear.
   *
   * @default ecs.DeploymentStrategy.ROLLING
   */
  readonly strategy?: ecs.DeploymentStrategy;
  /**
   * With CANARY: the share of traffic the new tasks get first, and how long it bakes.
   *
   * @default - ECS's defaults (5 %, 10 minutes)
   */
  readonly canary?: ecs.TrafficShiftConfig;
  /**
   * With LINEAR: the step of traffic shifted at a time, and how long each step bakes.
   *
   * @default - ECS's defaults (10 %, 6 minutes)
   */
  readonly linear?: ecs.TrafficShiftConfig;
  /**
   * With BLUE_GREEN, CANARY or LINEAR: how long both revisions run after all traffic moved, so a
   * rollback is instant.
   *
   * @default - ECS's default
   */
  readonly bakeTime?: Duration;
}


