import { Annotations, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvoyBackend, envoyBootstrap, EnvoyBootstrapSettings } from './envoy-bootstrap';
import { calleePart, COLLECTOR_HEALTH_PORT, collectorConfig, edgePart, ENVOY_METRIC_NAMESPACE, REQUEST_DURATION_METRIC } from './envoy-metrics';
import { ContractEnvoyCallee, EnvoyCallee, envoyRetriesEnforced, MAX_DNS_ENDPOINTS } from './envoy-callee';
import { meshContext, MeshServiceContext } from './mesh-context';
import { defaultRequestTimeoutMillis, ServiceProtocol } from './resilience';
import type { AlarmSource, GoldenSignals, ServicePart } from '../private/binding';
import type { EnvoyMeshContract, ServiceContract } from '../private/contract';
import type { MeshDescription, MeshService, PlatformMesh, ServiceConnection, ServiceWithNetwork } from '../private/feature';
import { createLogGroup } from '../private/log-groups';
import { OVERVIEW_TOP, overviewGraph } from '../private/overview';
import { MAX_TASK_DEFINITION_BYTES, taskDefinitionSize } from '../private/task-definition-size';
import { PropErrors } from '../private/validation';

/** The Envoy settings of one platform, resolved. */
export interface ResolvedEnvoyOptions {
  readonly image: ecs.ContainerImage;
  /** The image as services of other apps pull it (the platform's ECR copy, or the pull-through cache's), when it can be named. */
  readonly imageUri?: string;
  /** The repository of the platform's ECR copy, which their execution roles may pull from. */
  readonly imageRepositoryArn?: string;
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
 * Egress ports reserved up front, egressPortBase to egressPortBase + 11: `ServiceMesh.envoy()` keeps
 * them clear of the sidecars' own ports, every service on the platform keeps its containerPort out
 * of them, and a sidecar added to a caller's task may not take one. The n-th backend a caller
 * connects to listens on egressPortBase + n - 1; a 13th and later take the ports after the
 * reserved ones, checked by connectTo and again at synth against every port of the task (those
 * ports are free unless the task uses them, so nothing is refused up front that 12 backends or
 * fewer would not need). The number of backends itself is bounded by the task definition's size.
 */
export const RESERVED_EGRESS_PORTS = 12;
/**
 * Ports the mesh's own sidecars listen on besides the egress listeners: Envoy's admin and its
 * metrics collector's health check. Other features declare their own ports to the task, which
 * refuses a clash when a sidecar is added.
 */
export const RESERVED_PORTS = [ENVOY_ADMIN_PORT, COLLECTOR_HEALTH_PORT];
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
  /** The library's A and SRV records, which callers' sidecars resolve. */
  public readonly registrationsPerTask = 1;

  constructor(private readonly options: ResolvedEnvoyOptions) {}

  /**
   * What the callers' sidecars in the cluster report of every backend: final 5XX responses (the
   * collector's ClusterName, Backend, envoy_response_code_class series) and, with access logs, the
   * slowest call (the ClusterName, Backend series of the access-log filter), grouped by backend.
   * The worst 20 of each.
   */
  public importService(scope: Construct, contract: ServiceContract, namespaceName: string): MeshService {
    return new ContractEnvoyCallee(scope, contract, namespaceName, this.options);
  }

  public contract(): EnvoyMeshContract {
    const o = this.options;
    return {
      kind: 'envoy', imageUri: o.imageUri, imageRepositoryArn: o.imageRepositoryArn, pullThroughCachePrefix: o.pullThroughCachePrefix,
      cpu: o.cpu, memoryReservationMiB: o.memoryReservationMiB, retryBudgetPercent: o.budgetPercent, minRetryConcurrency: o.minRetryConcurrency,
      retryBackoffBaseMs: o.backoffBase.toMilliseconds(), retryBackoffMaxMs: o.backoffMax.toMilliseconds(), connectTimeoutMs: o.connectTimeout.toMilliseconds(),
      egressPortBase: o.egressPortBase, accessLogs: o.accessLogs, metricsCollectorImage: o.collectorImage,
    };
  }

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
    if (c.containerPort >= this.options.egressPortBase && c.containerPort < this.options.egressPortBase + RESERVED_EGRESS_PORTS) {
      errors.add(`containerPort must not be one of the Envoy egress ports ${this.options.egressPortBase} to ${this.options.egressPortBase + RESERVED_EGRESS_PORTS - 1} (ServiceMesh.envoy({ egressPortBase })), got ${c.containerPort}`);
    }
    errors.throwIfAny();
    return new EnvoyService(scope, c, requestTimeout, this.options);
  }
}

/** One service on the Envoy mesh: how callers reach it, and its own sidecar once it calls others. */
class EnvoyService implements EnvoyCallee {
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
  private readonly egresses: Array<{ readonly callee: EnvoyCallee; readonly port: number }> = [];
  private sidecar?: ecs.ContainerDefinition;
  /** The bootstrap as a string token (its JSON, resolved at synth). */
  private bootstrapJson?: string;
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
    this.retriesEnforced = envoyRetriesEnforced(c.retryPolicy, requestTimeout, options);
  }

  public dashboardRows(): cloudwatch.IWidget[][] {
    return this.callee.dashboardRows!();
  }

  public get path(): string {
    return this.c.servicePath;
  }

  public resolved(): void {
    this.resolvedByCallers = true;
    for (const resolved of [this, this.canary?.service]) resolved?.warnIfPastDnsAnswer();
  }

  public connect(target: MeshService): ServiceConnection {
    const callee = target as EnvoyCallee;
    const port = this.options.egressPortBase + this.egresses.length;
    const portError = this.egressPortError(port, callee.path);
    if (portError) throw new Error(`Invalid props for Microservice '${this.c.servicePath}':\n  - ${portError}`);
    this.addSidecarOnce();
    callee.resolved();
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

  /**
   * Why the egress `port` of a backend past the reserved ones cannot be had: past 65535, or a port
   * another container of the task listens on (containers of a task share its network). The
   * reserved ports are checked up front.
   */
  private egressPortError(port: number, calleePath: string): string | undefined {
    const n = port - this.options.egressPortBase + 1;
    if (n <= RESERVED_EGRESS_PORTS) return undefined;
    const which = `its ${ordinal(n)} backend ('${calleePath}') the local port egressPortBase + ${n - 1} = ${port}`;
    const fix = `connect fewer backends or move egressPortBase (ServiceMesh.envoy({ egressPortBase: ${this.options.egressPortBase} }))`;
    if (port > 65535) return `connectTo must give ${which}, which is past 65535: ${fix}`;
    if (port === this.c.containerPort) return `connectTo must give ${which}, which is the app's containerPort: ${fix}, or containerPort`;
    const task = this.c.task;
    const mapped = task.taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition)
      .filter((c) => c.portMappings.some((m) => m.containerPort === port)).map((c) => c.containerName);
    if (mapped.length > 0 || task.listenPorts().includes(port)) {
      return `connectTo must give ${which}, which the ${mapped.length > 0 ? mapped.join(' and ') : 'another'} container of the task listens on (containers of a task share its network): ${fix}`;
    }
    return undefined;
  }

  /**
   * The task definition, with the bootstrap in it, must fit ECS's limit: it bounds the backends of
   * one caller (about 2 to 3 KB each, with the access-log format and the retry policy).
   */
  private sizeErrors(): string[] {
    const size = taskDefinitionSize(this.c.task.taskDefinition);
    if (size.bytes <= MAX_TASK_DEFINITION_BYTES) return [];
    const bootstrap = size.bytesOf(this.bootstrapJson!);
    const n = this.egresses.length;
    return [`connectTo of Microservice '${this.c.servicePath}' must keep its task definition within ECS's limit of ${MAX_TASK_DEFINITION_BYTES} bytes (64 KiB; `
      + `the Envoy bootstrap travels in it), got about ${size.bytes} bytes with ${n} backends, of which the bootstrap takes ${bootstrap} bytes (about ${Math.round(bootstrap / n)} per backend): `
      + 'connect fewer backends from this service, or split it'];
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
    // Not cached: the size check reads it at validation, and canaries routed later still count.
    const bootstrap = Lazy.uncachedString({ produce: () => Stack.of(this.scope).toJsonString(this.bootstrap()) });
    this.bootstrapJson = bootstrap;
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
      listenPorts: [ENVOY_ADMIN_PORT, ...Array.from({ length: RESERVED_EGRESS_PORTS }, (_, i) => o.egressPortBase + i)],
      portsProp: `its egress listeners from ServiceMesh.envoy({ egressPortBase: ${o.egressPortBase} })`,
    });
    this.scope.node.addValidation({
      validate: () => [
        // Sidecars added after a backend past the reserved ports, or ports added to a container later.
        ...this.egresses.map((e) => this.egressPortError(e.port, e.callee.path)).filter((e): e is string => e !== undefined),
        ...this.sizeErrors(),
      ],
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

/** 13th, 21st, 22nd, 23rd. */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
