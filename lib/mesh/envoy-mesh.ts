import { Annotations, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvoyBackend, envoyBootstrap, EnvoyBootstrapSettings, protoDuration, retryOn } from './envoy-bootstrap';
import { calleePart, COLLECTOR_HEALTH_PORT, collectorConfig, edgePart, ENVOY_METRIC_NAMESPACE, REQUEST_DURATION_METRIC } from './envoy-metrics';
import { meshContext, MeshServiceContext } from './mesh-context';
import { defaultRequestTimeoutMillis, ServiceProtocol } from './resilience';
import type { AlarmSource, GoldenSignals, ServicePart } from '../private/binding';
import type { MeshDescription, MeshService, PlatformMesh, ServiceConnection, ServiceWithNetwork } from '../private/feature';
import { createLogGroup } from '../private/log-groups';
import { OVERVIEW_TOP, overviewGraph } from '../private/overview';
import { PropErrors } from '../private/validation';

/** The Envoy settings of one platform, resolved. */
export interface ResolvedEnvoyOptions {
  readonly image: ecs.ContainerImage;
  /** With a pull-through cache: the prefix whose repository the execution roles may import into. */
  readonly pullThroughCachePrefix?: string;
  readonly cpu: number;
  readonly memoryReservationMiB: number;
  readonly budgetPercent: number;
  readonly minRetryConcurrency: number;
  readonly backoffBase: Duration;
  readonly backoffMax: Duration;
  readonly connectTimeout: Duration;
  readonly egressPortBase: number;
  readonly accessLogs: boolean;
  readonly collectorImage: string;
}

/** Envoy's admin interface, on 127.0.0.1 only. */
export const ENVOY_ADMIN_PORT = 9901;
/** The envoy user of the official image (Envoy's Docker docs: uid and gid 101). */
const ENVOY_UID = '101';
/**
 * Backends per caller, each with its local listener (ports egressPortBase to egressPortBase + 11):
 * their bootstrap must fit the task definition, which a dozen fully described backends do.
 */
export const MAX_BACKENDS = 12;
/**
 * Ports the mesh's own sidecars listen on besides the egress listeners: Envoy's admin and its
 * metrics collector's health check. Other features declare their own ports to the task, which
 * refuses a clash when a sidecar is added.
 */
export const RESERVED_PORTS = [ENVOY_ADMIN_PORT, COLLECTOR_HEALTH_PORT];
/**
 * The most A records a caller's sidecar resolves for a callee: Cloud Map's MULTIVALUE routing
 * answers a DNS query with up to eight healthy records (AWS Cloud Map API reference, DnsConfig,
 * RoutingPolicy: "Route 53 returns the applicable value for up to eight instances").
 */
const MAX_DNS_ENDPOINTS = 8;
/** The bootstrap travels in the task definition (at most 64 KiB in all): keep it well below. */
const MAX_BOOTSTRAP_BYTES = 32 * 1024;
/**
 * Readiness of the admin interface, probed with bash's /dev/tcp (the image has no curl). HTTP/1.1
 * with a Host header: the admin listener builds its HTTP/1 codec with default settings
 * (envoyproxy/envoy `source/server/admin/admin.cc` `createCodec`: `Http::Http1Settings()`), whose
 * `accept_http_10` is false, so HTTP/1.0 is answered `426 Upgrade Required`
 * (`source/common/http/http1/codec_impl.cc`); an HTTP/1.1 request without Host is answered
 * `400` (`missing_host_header`, `source/common/http/conn_manager_impl.cc`). `Connection: close`
 * makes Envoy end the reply, so a 503 fails the probe at once rather than at its timeout.
 */
const READY_PROBE = `exec 3<>/dev/tcp/127.0.0.1/${ENVOY_ADMIN_PORT} && printf 'GET /ready HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && grep -q LIVE <&3`;

/**
 * Envoy on one platform: every service that calls another runs an Envoy sidecar configured at
 * synth from its callees' descriptions, with no control plane.
 */
export class EnvoyPlatformMesh implements PlatformMesh {
  public readonly maxTasksResolved = MAX_DNS_ENDPOINTS;

  constructor(private readonly options: ResolvedEnvoyOptions) {}

  /**
   * What the callers' sidecars in the cluster report of every backend: final 5XX responses (the
   * collector's ClusterName, Backend, envoy_response_code_class series) and, with access logs, the
   * slowest call (the ClusterName, Backend series of the access-log filter), grouped by backend.
   * The worst 20 of each.
   */
  public overviewWidgets(clusterName: string): cloudwatch.IWidget[] {
    const widgets = [overviewGraph('Envoy: final 5XX responses, by backend (worst 20)',
      `SELECT SUM(envoy_cluster_upstream_rq_xx) FROM SCHEMA("${ENVOY_METRIC_NAMESPACE}", ClusterName, Backend, envoy_response_code_class) `
      + `WHERE ClusterName = '${clusterName}' AND envoy_response_code_class = '5' GROUP BY Backend ORDER BY SUM() DESC LIMIT ${OVERVIEW_TOP}`)];
    if (this.options.accessLogs) {
      widgets.push(overviewGraph('Envoy: slowest call (ms), by backend (worst 20)',
        `SELECT MAX(${REQUEST_DURATION_METRIC}) FROM SCHEMA("${ENVOY_METRIC_NAMESPACE}", ClusterName, Backend) `
        + `WHERE ClusterName = '${clusterName}' GROUP BY Backend ORDER BY MAX() DESC LIMIT ${OVERVIEW_TOP}`));
    }
    return widgets;
  }

  public bindService(scope: Construct, unit: ServiceWithNetwork, description: MeshDescription): MeshService {
    const c = meshContext(unit, description);
    const errors = new PropErrors(`Microservice '${c.servicePath}'`);
    const requestTimeout = c.requestTimeout ?? Duration.millis(defaultRequestTimeoutMillis(c.apiTimeout));
    const p = c.retryPolicy;
    if (p.maxRetries > 0 && !requestTimeout.isUnresolved() && !p.perRetryTimeout!.isUnresolved()) {
      const perTry = p.perRetryTimeout!.toMilliseconds();
      const total = requestTimeout.toMilliseconds();
      if (total < perTry) {
        errors.add(`requestTimeout must be at least retryPolicy's perRetryTimeout (${perTry} ms) on ServiceMesh.envoy(): the route timeout covers every attempt, got ${total} ms`);
      } else if (total < perTry * p.attempts) {
        Annotations.of(scope.node.scope!).addWarningV2('cdk-microservice:envoyRetriesCut',
          `requestTimeout (${total} ms) is shorter than (maxRetries + 1) x perRetryTimeout = ${p.attempts} x ${perTry} ms: Envoy's route timeout covers every attempt, so the last retries may not run.`);
      }
    }
    if (c.containerPort >= this.options.egressPortBase && c.containerPort < this.options.egressPortBase + MAX_BACKENDS) {
      errors.add(`containerPort must not be one of the Envoy egress ports ${this.options.egressPortBase} to ${this.options.egressPortBase + MAX_BACKENDS - 1} (ServiceMesh.envoy({ egressPortBase })), got ${c.containerPort}`);
    }
    errors.throwIfAny();
    return new EnvoyService(scope, c, requestTimeout, this.options);
  }
}

/** One service on the Envoy mesh: how callers reach it, and its own sidecar once it calls others. */
class EnvoyService implements MeshService {
  public readonly endpoint: string;
  public readonly alarms: AlarmSource[];
  public readonly signals: GoldenSignals;
  public readonly retriesEnforced: string;
  /** Callers' sidecars reach the tasks on the app's port, through the tasks' security group. */
  public readonly ingressPorts: number[];
  public readonly faultTarget: { readonly ports: number[]; readonly hosts: string[] };
  /** What callers' sidecars know of this service. */
  public readonly backend: EnvoyBackend;
  /** Where a share of this service's traffic goes instead. */
  public canary?: { readonly service: EnvoyService; readonly percent: number };
  private readonly callee: ServicePart;
  private readonly egresses: Array<{ readonly callee: EnvoyService; readonly port: number }> = [];
  private sidecar?: ecs.ContainerDefinition;
  /** Whether a caller's sidecar resolves this service (it is a callee). */
  private resolvedByCallers = false;
  private warnedPastDnsAnswer = false;

  constructor(private readonly scope: Construct, private readonly c: MeshServiceContext, public readonly requestTimeout: Duration,
    private readonly options: ResolvedEnvoyOptions) {
    const host = `${c.discoveryName}.${c.namespace.namespaceName}`;
    this.endpoint = `http://${host}:${c.containerPort}`;
    this.ingressPorts = [c.containerPort];
    this.faultTarget = { ports: [c.containerPort], hosts: [host] };
    this.backend = {
      name: c.discoveryName,
      host,
      port: c.containerPort,
      http2: c.protocol !== ServiceProtocol.HTTP,
      retryPolicy: c.retryPolicy,
      requestTimeout,
      idleTimeout: c.idleTimeout,
      outlierDetection: c.outlierDetection,
      connectionPool: c.connectionPool,
    };
    this.callee = calleePart(c.clusterName, c.discoveryName, options.accessLogs);
    this.alarms = this.callee.alarms ?? [];
    this.signals = this.callee.signals!;
    const p = c.retryPolicy;
    this.retriesEnforced = p.maxRetries === 0
      ? 'none (RetryPolicy.none())'
      : `as described: up to ${p.maxRetries} ${p.maxRetries === 1 ? 'retry' : 'retries'} on ${retryOn(p)}, ${protoDuration(p.perRetryTimeout!)} each, to another task, `
        + `jittered back-off ${protoDuration(options.backoffBase)} to ${protoDuration(options.backoffMax)}, within the ${protoDuration(requestTimeout)} request timeout, `
        + `capped by a retry budget of ${options.budgetPercent} % of the requests in flight (at least ${options.minRetryConcurrency})`;
  }

  public dashboardRows(): cloudwatch.IWidget[][] {
    return this.callee.dashboardRows!();
  }

  public connect(target: MeshService): ServiceConnection {
    const callee = target as EnvoyService;
    if (this.egresses.length >= MAX_BACKENDS) {
      throw new Error(`Invalid props for Microservice '${this.c.servicePath}':\n  - connectTo must name at most ${MAX_BACKENDS} backends on ServiceMesh.envoy(), got a ${MAX_BACKENDS + 1}th: '${callee.c.servicePath}'`);
    }
    this.addSidecarOnce();
    callee.resolvedByCallers = true;
    for (const resolved of [callee, callee.canary?.service]) resolved?.warnIfPastDnsAnswer();
    const port = this.options.egressPortBase + this.egresses.length;
    this.egresses.push({ callee, port });
    return {
      url: `http://127.0.0.1:${port}`,
      ingressPorts: callee.ingressPorts,
      faultTarget: callee.faultTarget,
      part: edgePart(this.c.clusterName, this.c.discoveryName, callee.backend.name, this.options.accessLogs, callee.backend.outlierDetection !== undefined),
    };
  }

  public routeCanary(target: MeshService, percent: number): void {
    this.canary = { service: target as EnvoyService, percent };
    if (this.resolvedByCallers) this.canary.service.warnIfPastDnsAnswer();
  }

  /** Once, on a service that callers' sidecars resolve: they see at most eight of its tasks. */
  private warnIfPastDnsAnswer(): void {
    if (this.warnedPastDnsAnswer || this.c.maxCapacity <= MAX_DNS_ENDPOINTS) return;
    this.warnedPastDnsAnswer = true;
    Annotations.of(this.scope.node.scope!).addWarningV2('cdk-microservice:envoyDnsEndpoints',
      `autoScaling.maxCapacity of ${this.c.servicePath} is ${this.c.maxCapacity}, but each caller's Envoy sidecar sees at most ${MAX_DNS_ENDPOINTS} of its tasks: `
      + `Cloud Map answers a DNS query with up to ${MAX_DNS_ENDPOINTS} healthy records, picked at random, and the sidecar re-resolves every 10 s. `
      + 'Across many caller tasks the load still spreads over every task; one caller task balances over its 8, and outlier detection ejects a share of those 8 '
      + `(maxEjectionPercent of 8 endpoints, at least one). Keep maxCapacity at ${MAX_DNS_ENDPOINTS} or less, scale the task size up, or use ServiceMesh.serviceConnect() (see docs/service-to-service.md)`);
  }

  /** The bootstrap of this service's sidecar, as of synthesis (canaries set after connectTo count). */
  public bootstrap(): { [key: string]: unknown } {
    const settings: EnvoyBootstrapSettings = {
      caller: this.c.discoveryName,
      clusterName: this.c.clusterName,
      adminPort: ENVOY_ADMIN_PORT,
      connectTimeout: this.options.connectTimeout,
      budgetPercent: this.options.budgetPercent,
      minRetryConcurrency: this.options.minRetryConcurrency,
      backoffBase: this.options.backoffBase,
      backoffMax: this.options.backoffMax,
      accessLogs: this.options.accessLogs,
    };
    return envoyBootstrap(this.egresses.map((e) => ({
      port: e.port,
      callee: e.callee.backend,
      canary: e.callee.canary ? { backend: e.callee.canary.service.backend, percent: e.callee.canary.percent } : undefined,
    })), settings);
  }

  /** The sidecar, the metrics collector and what they need, on the first backend. */
  private addSidecarOnce(): void {
    if (this.sidecar) return;
    const o = this.options;
    const task = this.c.task;
    const bootstrap = Lazy.string({ produce: () => Stack.of(this.scope).toJsonString(this.bootstrap()) });
    this.sidecar = task.addSidecar({
      id: 'Envoy',
      containerName: 'envoy',
      image: o.image,
      // Envoy itself, not the image's entrypoint script (which changes users as root): the task runs
      // it as the envoy user, with the whole bootstrap on the command line and no file written.
      entryPoint: ['envoy'],
      command: ['--config-yaml', bootstrap, '--disable-hot-restart', '--log-level', 'info'],
      user: ENVOY_UID,
      essential: true,
      cpu: o.cpu,
      memoryReservationMiB: o.memoryReservationMiB,
      memoryLimitMiB: o.memoryReservationMiB * 2,
      healthCheck: {
        command: ['CMD', 'bash', '-c', READY_PROBE],
        interval: Duration.seconds(5),
        timeout: Duration.seconds(2),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      // ECS stops containers in the reverse order of their start dependencies: the app stops first,
      // and its calls in flight finish through Envoy before Envoy is told to stop.
      stopTimeout: Duration.seconds(10),
      appStartsAfter: ecs.ContainerDependencyCondition.HEALTHY,
      listenPorts: [ENVOY_ADMIN_PORT, ...Array.from({ length: MAX_BACKENDS }, (_, i) => o.egressPortBase + i)],
      portsProp: `its egress listeners from ServiceMesh.envoy({ egressPortBase: ${o.egressPortBase} })`,
    });
    this.scope.node.addValidation({
      validate: () => {
        const bytes = Buffer.byteLength(JSON.stringify(this.bootstrap()));
        return bytes > MAX_BOOTSTRAP_BYTES
          ? [`connectTo of Microservice '${this.c.servicePath}' must keep the Envoy bootstrap under ${MAX_BOOTSTRAP_BYTES} bytes (it travels in the task definition), got ${bytes} bytes for ${this.egresses.length} backends`]
          : [];
      },
    });
    if (o.pullThroughCachePrefix) this.grantPullThroughCache(o.pullThroughCachePrefix);

    // The sidecar's statistics become CloudWatch metrics through a collector; its access-log lines
    // give each edge's latency through metric filters.
    const metricsLogGroup = createLogGroup(this.scope, 'MetricsLogGroup', task.logs, {
      defaultRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY,
    });
    task.addSidecar({
      id: 'EnvoyMetrics',
      containerName: 'envoy-metrics',
      image: ecs.ContainerImage.fromRegistry(o.collectorImage),
      essential: false,
      // The collector image's own user (aoc, uid 4317: aws-otel-collector's Dockerfile).
      user: '4317',
      cpu: 64,
      memoryReservationMiB: 128,
      memoryLimitMiB: 256,
      environment: {
        AOT_CONFIG_CONTENT: Stack.of(this.scope).toJsonString(collectorConfig({
          caller: this.c.discoveryName, clusterName: this.c.clusterName, adminPort: ENVOY_ADMIN_PORT, logGroupName: metricsLogGroup.logGroupName,
        })),
      },
      healthCheck: { command: ['CMD', '/healthcheck', '--port', String(COLLECTOR_HEALTH_PORT)], interval: Duration.seconds(10), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(10) },
      appStartsAfter: ecs.ContainerDependencyCondition.START,
      listenPorts: [COLLECTOR_HEALTH_PORT],
    });
    // The log group's ARN attribute already ends in ':*': it covers the streams the collector names per task.
    const policy = new iam.Policy(this.scope, 'MetricsPolicy', {
      statements: [new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [metricsLogGroup.logGroupArn],
      })],
    });
    policy.attachToRole(task.taskDefinition.taskRole);
    if (o.accessLogs) {
      const filter = (id: string, dimensions: { [name: string]: string }) => task.logGroup.addMetricFilter(id, {
        filterPattern: logs.FilterPattern.all(logs.FilterPattern.exists('$.duration'), logs.FilterPattern.exists('$.backend')),
        metricNamespace: ENVOY_METRIC_NAMESPACE,
        metricName: REQUEST_DURATION_METRIC,
        metricValue: '$.duration',
        unit: cloudwatch.Unit.MILLISECONDS,
        dimensions,
      });
      filter('EnvoyEdgeDuration', { ClusterName: '$.cluster', Caller: '$.caller', Backend: '$.backend' });
      filter('EnvoyBackendDuration', { ClusterName: '$.cluster', Backend: '$.backend' });
    }
  }

  /** Lets the execution role pull Envoy through the ECR pull-through cache, importing it on first use. */
  private grantPullThroughCache(prefix: string): void {
    const stack = Stack.of(this.scope);
    const repository = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${prefix}/envoyproxy/envoy` });
    const policy = new iam.Policy(this.scope, 'EnvoyImagePullPolicy', {
      statements: [
        new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
          resources: [repository],
        }),
      ],
    });
    policy.attachToRole(this.c.task.taskDefinition.obtainExecutionRole());
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken supports no resource-level permission (Service Authorization Reference, Amazon ECR); every other action names the cached Envoy repository only.',
    });
  }
}
