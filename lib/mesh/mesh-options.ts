import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Options of {@link ServiceMesh.serviceConnect}. */
export interface ServiceConnectOptions {
  /**
   * ARN of an AWS Private CA that issues the Service Connect proxies' TLS certificates: traffic
   * between services is then encrypted.
   *
   * @default - no TLS between proxies (traffic stays inside the VPC)
   */
  readonly tlsCertificateAuthorityArn?: string;
  /**
   * Service Connect access logs, to the service's log group.
   *
   * @default true
   */
  readonly accessLogs?: boolean;
}

/**
 * Options App Mesh took. App Mesh is retired: `ServiceMesh.appMesh()` fails synthesis whatever
 * they are.
 *
 * @deprecated AWS App Mesh's API is unreachable since 2026-09-30; use `ServiceMesh.serviceConnect()`.
 */
export interface AppMeshOptions {
  /**
   * The Envoy image App Mesh's sidecars ran.
   *
   * @default - none: `ServiceMesh.appMesh()` is refused at synth
   * @deprecated App Mesh is retired: use `ServiceMesh.envoy({ image })`.
   */
  readonly envoyImage?: string;
  /**
   * X-Ray tracing through App Mesh's sidecars.
   *
   * @default - none: `ServiceMesh.appMesh()` is refused at synth
   * @deprecated App Mesh is retired: use the service's `tracing`.
   */
  readonly tracing?: boolean;
  /**
   * The X-Ray daemon image App Mesh's sidecars ran.
   *
   * @default - none: `ServiceMesh.appMesh()` is refused at synth
   * @deprecated App Mesh is retired: use the service's `tracing`.
   */
  readonly xrayDaemonImage?: string;
}

/** How much of a backend's traffic retries may be, for {@link EnvoyMeshOptions.retryBudget}. */
export interface RetryBudget {
  /**
   * Most retries in flight to a backend, as a percent of the requests in flight to it (active and
   * pending), 1 to 100.
   *
   * @default 20
   */
  readonly budgetPercent?: number;
  /**
   * Retries always allowed in flight, whatever the share, so a quiet backend can still be retried,
   * 1 to 1000.
   *
   * @default 3
   */
  readonly minRetryConcurrency?: number;
}

/** Options of {@link ServiceMesh.envoy}. */
export interface EnvoyMeshOptions {
  /**
   * The Envoy image of every caller's sidecar. It must contain `envoy` on its PATH and `bash` (the
   * health check probes the admin `/ready` endpoint with bash's /dev/tcp): the official Ubuntu-based
   * image does, its distroless variant does not. An image pulled from Docker Hub without
   * credentials warns (`cdk-microservice:dockerHubAnonymousPull`). Mutually exclusive with
   * `pullThroughCachePrefix` and `dockerHubCredential`.
   *
   * @default - `envoyproxy/envoy:<version>`, copied from Docker Hub into an ECR repository of the
   * platform's at deploy (`ImageMirror`), and pulled from there by digest
   */
  readonly image?: ecs.ContainerImage;
  /**
   * The repository prefix of an ECR pull-through cache rule for Docker Hub of your own in the
   * services' account and region (`docker-hub` for `<account>.dkr.ecr.<region>.amazonaws.com/docker-hub/...`):
   * the sidecars pull `envoyproxy/envoy` through it instead of the platform's copy, and each
   * service's execution role may import the image into the cache.
   *
   * @default - the platform's copy (see `image`)
   */
  readonly pullThroughCachePrefix?: string;
  /**
   * A Docker Hub account for the platform's copy of the image: a Secrets Manager secret
   * `{"username": "...", "password": "<access token>"}`. Without it the copy pulls anonymously,
   * once per deploy of the platform that changes `version`, from the copying function's address
   * (Docker Hub allows 10 anonymous pulls per hour per address, which a busy shared address can
   * exhaust: the platform's deploy then fails, and can be retried; no task depends on it).
   *
   * @default - anonymous
   */
  readonly dockerHubCredential?: secretsmanager.ISecret;
  /**
   * The Envoy version: a release tag of `envoyproxy/envoy` (`v1.40.2`), copied into the platform's
   * repository or pulled through `pullThroughCachePrefix`. Mutually exclusive with `image`.
   *
   * @default 'v1.40.2'
   */
  readonly version?: string;
  /**
   * CPU units reserved for each Envoy sidecar, 32 to 4096; counted against the task size.
   *
   * @default 128
   */
  readonly cpu?: number;
  /**
   * Memory reserved for each Envoy sidecar, MiB, 32 to 8192; counted against the task size.
   *
   * @default 128
   */
  readonly memoryReservationMiB?: number;
  /**
   * The retry budget of every backend: retries beyond it are refused (and counted), so retries can
   * never multiply a backend's load by more than 1 + budgetPercent / 100.
   *
   * @default - 20 % of the requests in flight, at least 3 retries
   */
  readonly retryBudget?: RetryBudget;
  /**
   * The base interval of the exponential back-off between retries, 1 ms to 10 s: the n-th retry
   * waits a random time between 0 and (2^n - 1) x this, at most `retryBackoffMax`.
   *
   * @default Duration.millis(25) (Envoy's default)
   */
  readonly retryBackoffBase?: Duration;
  /**
   * The longest back-off between retries, at least `retryBackoffBase`, at most 60 s.
   *
   * @default - 10 x retryBackoffBase, at most 60 s (Envoy's default: 250 ms)
   */
  readonly retryBackoffMax?: Duration;
  /**
   * How long a sidecar waits for a TCP connection to a backend task, 1 ms to 60 s.
   *
   * @default Duration.seconds(1)
   */
  readonly connectTimeout?: Duration;
  /**
   * The first port of the local listeners: the n-th backend a service calls is reached at
   * `http://127.0.0.1:<egressPortBase + n - 1>`, 1024 to 65524. The first 12 are reserved, clear of
   * the mesh's own ports (9901, 13134) and of every service's containerPort; a 13th and later
   * backend take the next ports, checked by connectTo and at synth. A service whose task has another
   * sidecar on one of them (the tracing collector's 4317, 4318, 13133) fails synthesis when its
   * Envoy sidecar is added.
   *
   * @default 15001
   */
  readonly egressPortBase?: number;
  /**
   * One JSON access-log line per request through a sidecar, to the service's log group. They
   * carry the latency of each edge: without them there is no edge latency metric or alarm.
   *
   * @default true
   */
  readonly accessLogs?: boolean;
  /**
   * The collector image that turns the sidecars' statistics into CloudWatch metrics.
   *
   * @default 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0'
   */
  readonly metricsCollectorImage?: string;
}
