import { AlarmSeverity } from './alarm-severity';
import type { AlarmKey } from '../private/binding';

/** The layer of the service an alarm watches, in request order: the group of its key in `alarms`. */
export type AlarmLayer = 'tasks' | 'deployments' | 'api' | 'loadBalancer' | 'mesh' | 'edges' | 'cache' | 'messaging';

/** One default alarm: everything but the metric, which the part that measures it supplies. */
export interface AlarmSpec {
  /** Construct id and alarm-name suffix. */
  readonly id: string;
  /** What is measured, with its unit. */
  readonly what: string;
  /** The metric behind it: namespace and metric names. */
  readonly source: string;
  /** The statistic over each period. */
  readonly statistic: string;
  readonly periodMinutes: number;
  readonly threshold: number;
  /** '>' or '>='. */
  readonly comparison: '>' | '>=';
  readonly evaluationPeriods: number;
  readonly severity: AlarmSeverity;
  /** Whether ECS rolls a deployment back when the alarm fires during it. */
  readonly rollback: boolean;
  /** When the part creates it, when not always. */
  readonly when?: string;
  /** The thresholds an override may set, when narrower than 0 to 100 (percent) or 0 and up. */
  readonly range?: readonly [number, number];
  /** Why the alarm exists and why at this threshold. */
  readonly why: string;
}

/**
 * One signal that each data plane measures its own way: one key (one override, one severity, one
 * rollback), a spec per plane, each with its own metric, unit and default. The part that measures
 * it names its plane (`AlarmSource.variant`).
 */
export interface AlarmVariants {
  readonly variants: { readonly [variant: string]: AlarmSpec };
}

/** An entry of the catalog. */
export type AlarmEntry = AlarmSpec | AlarmVariants;

/** How the docs name each variant. */
export const VARIANT_NAMES: { readonly [variant: string]: string } = { serviceConnect: 'Service Connect', envoy: 'Envoy' };

const W = AlarmSeverity.WARNING;
const C = AlarmSeverity.CRITICAL;

/**
 * Every default alarm of a service, defined once, by its key in `alarms` (`<layer>.<name>`). Each
 * part of the service (tasks, API, load balancer, mesh, cache, topics and subscriptions) supplies
 * the metric of the entries that apply to it; the override keys and their docs (alarm-options.ts),
 * the table in docs/monitoring.md and the keys of `ServiceMonitoring.alarms` are checked against it.
 *
 * The mesh's two signals are one key each on both data planes (`mesh.serverErrors`,
 * `mesh.latency`), each plane with its own metric and unit. Service Connect's are plain metric
 * alarms on the callee's own series (TargetDiscoveryName alone): a region holds at most 200
 * Metrics Insights alarms, a limit AWS does not raise (CloudWatch quotas), which two per service
 * would pass at 100 services. Its 5XX stays a count and its latency an average, while Envoy's stay
 * a rate and a p99; each plane's unit is in its spec and in the table of docs/monitoring.md.
 */
export const ALARM_CATALOG: { readonly [K in AlarmKey]: AlarmEntry } = {
  'tasks.cpuUtilization': {
    id: 'CpuUtilization', what: 'ECS CPU utilization (%)', statistic: 'Average', periodMinutes: 5,
    threshold: 85, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false,
    source: 'AWS/ECS CPUUtilization',
    why: 'autoscaling should hold 70 %; sustained 85 % means it is at `maxCapacity` or too slow',
  },
  'tasks.memoryUtilization': {
    id: 'MemoryUtilization', what: 'ECS memory utilization (%)', statistic: 'Average', periodMinutes: 5,
    threshold: 85, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false,
    source: 'AWS/ECS MemoryUtilization',
    why: 'memory pressure precedes out-of-memory kills',
  },
  'tasks.runningTasks': {
    id: 'RunningTasks', what: 'tasks missing (desired - running)', statistic: 'Average', periodMinutes: 1,
    threshold: 0, comparison: '>', evaluationPeriods: 5, severity: C, rollback: false,
    source: 'ECS/ContainerInsights DesiredTaskCount - RunningTaskCount',
    why: 'tasks crash, fail health checks or cannot be placed',
  },
  'deployments.alertsUndelivered': {
    id: 'DeploymentAlertsUndelivered', what: 'failed-deployment alerts EventBridge could not deliver to the alarm topic', statistic: 'Maximum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'when `alarms.actions` sends failed deployments to a topic other than the platform\'s alarm topic (the platform has its own for its rule)',
    source: 'AWS/SQS ApproximateNumberOfMessagesVisible of the rule target\'s dead-letter queue',
    why: 'a failed deployment was not paged: the alert waits in the dead-letter queue (14 days), and this alarm reaches the warning topic by another path',
  },
  'api.serverErrorRate': {
    id: 'ApiServerErrorRate', what: 'API 5XX rate (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: C, rollback: true, when: 'with an API',
    source: 'AWS/ApiGateway 100 × 5xx / Count (REST: 5XXError)',
    why: 'the service fails requests',
  },
  'api.clientErrorRate': {
    id: 'ApiClientErrorRate', what: 'API 4XX rate (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with an API',
    source: 'AWS/ApiGateway 100 × 4xx / Count (REST: 4XXError)',
    why: 'an authorizer or client misconfiguration shows up here first',
  },
  'api.latencyP99': {
    id: 'ApiLatencyP99', what: 'API p99 latency (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: C, rollback: false, when: 'with an API',
    source: 'AWS/ApiGateway Latency',
    why: 'clients wait too long',
  },
  'api.integrationLatencyP99': {
    id: 'ApiIntegrationLatencyP99', what: 'API p99 integration latency (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 1500, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with an API',
    source: 'AWS/ApiGateway IntegrationLatency',
    why: "the service itself is slow (latency minus API Gateway's part)",
  },
  'api.throttled': {
    id: 'ApiThrottled', what: 'API requests throttled (429) per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 2, severity: W, rollback: false, when: 'with an API',
    source: 'ThrottledRequests: 429s counted from the access log',
    why: 'the throttle is too tight, or a client misbehaves',
  },
  'loadBalancer.target5xx': {
    id: 'LoadBalancerTarget5xx', what: 'load balancer target 5XX per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 2, severity: C, rollback: true, when: 'behind a load balancer',
    source: 'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
    why: 'the tasks answer 5XX',
  },
  'loadBalancer.unhealthyHosts': {
    id: 'LoadBalancerUnhealthyHosts', what: 'unhealthy load balancer targets', statistic: 'Maximum', periodMinutes: 1,
    threshold: 1, comparison: '>=', evaluationPeriods: 3, severity: C, rollback: true, when: 'behind a load balancer',
    source: 'AWS/ApplicationELB UnHealthyHostCount',
    why: 'tasks fail the ALB health check',
  },
  'loadBalancer.targetResponseTime': {
    id: 'LoadBalancerTargetResponseTime', what: 'load balancer p99 target response time (s)', statistic: 'p99', periodMinutes: 5,
    threshold: 2, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'behind a load balancer',
    source: 'AWS/ApplicationELB TargetResponseTime',
    why: 'the tasks are slow',
  },
  'mesh.serverErrors': {
    variants: {
      serviceConnect: {
        id: 'MeshServerErrors', what: 'Service Connect 5XX answered to callers per 5 minutes', statistic: 'Sum', periodMinutes: 5,
        threshold: 10, comparison: '>', evaluationPeriods: 2, severity: C, rollback: true, when: 'on Service Connect',
        source: 'AWS/ECS HTTPCode_Target_5XX_Count by TargetDiscoveryName alone: every caller\'s proxy, counted once',
        why: 'callers inside the mesh get errors (a count: the proxies publish no request total to divide it by, by the callee\'s own dimension)',
      },
      envoy: {
        id: 'MeshServerErrorRate', what: 'Envoy 5XX rate of the requests callers sent (%)', statistic: 'Sum', periodMinutes: 5,
        threshold: 1, comparison: '>', evaluationPeriods: 3, severity: C, rollback: true, when: 'on Envoy',
        source: 'CdkMicroservice/Envoy 100 × envoy_cluster_upstream_rq_xx (class 5) / (classes 2 to 5) by ClusterName, Backend: final responses, after retries, from every caller\'s sidecar',
        why: 'callers get errors after their retries: a bad revision of this service rolls back',
      },
    },
  },
  'mesh.latency': {
    variants: {
      serviceConnect: {
        id: 'MeshLatency', what: 'Service Connect average response time (ms)', statistic: 'Average', periodMinutes: 5,
        threshold: 1000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'on Service Connect',
        source: 'AWS/ECS TargetResponseTime by TargetDiscoveryName alone',
        why: 'callers inside the mesh wait',
      },
      envoy: {
        id: 'MeshLatencyP99', what: 'Envoy p99 request time of the callers (ms)', statistic: 'p99', periodMinutes: 5,
        threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'on Envoy, with access logs',
        source: 'CdkMicroservice/Envoy RequestDuration by ClusterName, Backend: the callers\' access-log lines, retries included',
        why: 'callers wait for this service',
      },
    },
  },
  'edges.serverErrorRate': {
    id: 'EdgeServerErrorRate', what: '5XX rate of the calls to a backend (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: C, rollback: false, when: 'on Envoy, per backend',
    source: 'CdkMicroservice/Envoy 100 × envoy_cluster_upstream_rq_xx (class 5) / (classes 2 to 5) by ClusterName, Caller, Backend',
    why: 'this service\'s calls fail after retries, so its own requests fail; the backend\'s own alarm rolls the backend back',
  },
  'edges.latencyP99': {
    id: 'EdgeLatencyP99', what: 'p99 time of the calls to a backend (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'on Envoy, per backend, with access logs',
    source: 'CdkMicroservice/Envoy RequestDuration by ClusterName, Caller, Backend, from this service\'s access-log lines',
    why: 'a backend slows this service down',
  },
  'edges.retryBudgetExhausted': {
    id: 'EdgeRetryBudgetExhausted', what: 'retries to a backend refused by the retry budget per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'on Envoy, per backend',
    source: 'CdkMicroservice/Envoy envoy_cluster_upstream_rq_retry_overflow by ClusterName, Caller, Backend',
    why: 'the backend fails so often that retries hit the budget: the budget holds off a retry storm',
  },
  'edges.ejections': {
    id: 'EdgeEjections', what: 'backend tasks ejected by outlier detection per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'on Envoy, per backend with outlierDetection',
    source: 'CdkMicroservice/Envoy envoy_cluster_outlier_detection_ejections_enforced_total by ClusterName, Caller, Backend',
    why: 'the circuit breaker took failing tasks of the backend out of rotation',
  },
  'cache.engineCpu': {
    id: 'CacheEngineCpu', what: 'cache engine CPU of the busiest node (%)', statistic: 'Average', periodMinutes: 5,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache', range: [1, 100],
    source: 'AWS/ElastiCache EngineCPUUtilization, busiest node',
    why: 'the single-threaded engine is saturated: every command waits',
  },
  'cache.memory': {
    id: 'CacheMemory', what: 'cache memory used of the fullest node (% of maxmemory)', statistic: 'Average', periodMinutes: 5,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache', range: [1, 100],
    source: 'AWS/ElastiCache DatabaseMemoryUsagePercentage, fullest node',
    why: 'the cache is about to evict keys or refuse writes',
  },
  'cache.evictions': {
    id: 'CacheEvictions', what: 'cache keys evicted per 5 minutes (busiest node)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1000, comparison: '>', evaluationPeriods: 2, severity: W, rollback: false, when: 'with a node-based cache',
    source: 'AWS/ElastiCache Evictions, node that evicted most',
    why: 'the working set no longer fits: the hit rate falls and load moves to the service',
  },
  'cache.connections': {
    id: 'CacheConnections', what: 'cache client connections (busiest node)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 5000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache', range: [1, 65000],
    source: 'AWS/ElastiCache CurrConnections, busiest node',
    why: 'a connection leak or a client without pooling (the engine allows 65,000)',
  },
  'cache.replicationLag': {
    id: 'CacheReplicationLag', what: 'cache replication lag of any replica (s)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache with replicas', range: [0.001, 3600],
    source: 'AWS/ElastiCache ReplicationLag, most lagging replica',
    why: 'reads from replicas are stale, and a failover would lose writes',
  },
  'cache.ecpu': {
    id: 'CacheEcpu', what: 'cache ECPUs (% of maxEcpuPerSecond)', statistic: 'Sum', periodMinutes: 1,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a serverless cache', range: [1, 100],
    source: 'AWS/ElastiCache ElastiCacheProcessingUnits per minute, against 60 × maxEcpuPerSecond',
    why: 'the cache nears its ECPU ceiling, beyond which commands are throttled',
  },
  'cache.storage': {
    id: 'CacheStorage', what: 'cache data stored (% of maxDataStorageGb)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a serverless cache', range: [1, 100],
    source: 'AWS/ElastiCache BytesUsedForCache, against maxDataStorageGb',
    why: 'the cache nears its storage ceiling',
  },
  'cache.throttledCommands': {
    id: 'CacheThrottledCommands', what: 'cache commands throttled per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>=', evaluationPeriods: 1, severity: W, rollback: false, when: 'with a serverless cache', range: [1, Number.MAX_SAFE_INTEGER],
    source: 'AWS/ElastiCache ThrottledCmds',
    why: 'the ECPU ceiling is reached: commands fail',
  },
  'cache.readLatency': {
    id: 'CacheReadLatency', what: 'cache p99 read latency (µs)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a serverless cache', range: [1, 10_000_000],
    source: 'AWS/ElastiCache SuccessfulReadRequestLatency',
    why: 'reads are slow: the cache is scaling or overloaded',
  },
  'messaging.topicDeliveryFailures': {
    id: 'TopicDeliveryFailures', what: 'SNS deliveries that failed per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'per topic the service publishes',
    source: 'AWS/SNS NumberOfNotificationsFailed by TopicName',
    why: 'SNS could not deliver to a subscriber (its queue policy or key refuses SNS, or the queue is gone): the subscriber misses messages',
  },
  'messaging.queueDeadLetters': {
    id: 'QueueDeadLetters', what: 'messages arrived in the dead-letter and undelivered queues per 5 minutes', statistic: 'Maximum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: C, rollback: false, when: 'per subscription',
    source: 'AWS/SQS ApproximateNumberOfMessagesVisible of both queues, DIFF',
    why: 'a message failed maxReceiveCount times, or SNS could not deliver it: it waits there unprocessed; on arrivals, so one left there does not hold the health alarm',
  },
  'messaging.queueOldestMessage': {
    id: 'QueueOldestMessage', what: 'age of the oldest message in the queue (s)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 600, comparison: '>', evaluationPeriods: 2, severity: W, rollback: false,
    when: 'per subscription; the threshold is scaleOnBacklog.acceptableLatency when set', range: [1, 1_209_600],
    source: 'AWS/SQS ApproximateAgeOfOldestMessage',
    why: 'the workers fall behind: messages wait longer than the service promises',
  },
};

/** The specs of an entry, each with its variant (undefined for an entry without variants), in order. */
export function specsOf(entry: AlarmEntry): Array<{ readonly variant?: string; readonly spec: AlarmSpec }> {
  return 'variants' in entry ? Object.entries(entry.variants).map(([variant, spec]) => ({ variant, spec })) : [{ spec: entry }];
}

/** The spec a part measures: its variant's, for an entry with variants. */
export function specOf(key: AlarmKey, variant?: string): AlarmSpec {
  const entry: AlarmEntry = ALARM_CATALOG[key];
  const spec = 'variants' in entry ? (variant === undefined ? undefined : entry.variants[variant]) : entry;
  if (!spec) {
    throw new Error(`alarm catalog entry ${key} has variants ${Object.keys((entry as AlarmVariants).variants).join(', ')}: a part supplied ${variant ?? 'none'}`);
  }
  return spec;
}

/** The layer of a key: its group in `alarms`. */
export function layerOf(key: AlarmKey): AlarmLayer {
  return key.split('.')[0] as AlarmLayer;
}

/** The default of one spec: `> 85 for 3 of 3 × 5 min`. */
function describeSpec(spec: AlarmSpec): string {
  return `${spec.comparison} ${spec.threshold} for ${spec.evaluationPeriods} of ${spec.evaluationPeriods} × ${spec.periodMinutes} min`;
}

/** The option doc of an entry: `> 85 for 3 of 3 × 5 min`, per variant for an entry with variants (`Service Connect: ...; Envoy: ...`). */
export function describeDefault(entry: AlarmEntry): string {
  return specsOf(entry).map(({ variant, spec }) => `${variant ? `${VARIANT_NAMES[variant] ?? variant}: ` : ''}${describeSpec(spec)}`).join('; ');
}

/** The table of default alarms in docs/monitoring.md, rendered from the catalog: a row per spec, so per data plane for the mesh's keys. */
export function renderAlarmTable(): string {
  const rows = Object.entries<AlarmEntry>(ALARM_CATALOG).flatMap(([key, entry]) => specsOf(entry).map(({ spec: s }) =>
    `| \`${key}\` | ${s.when ?? 'always'} | ${s.id} | ${s.what}: ${s.source} | ${s.statistic} | ${describeSpec(s)} | ${s.severity} | ${s.rollback ? 'yes' : '-'} | ${s.why} |`));
  return [
    '| Key (`alarms.<layer>.<name>`) | Created | Alarm id | Metric | Statistic | Default | Severity | Rolls back | Why |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/**
 * The override keys before they were grouped by layer (0.x), by their new key: for the error a
 * flat key gets, and the CHANGELOG's table (a test keeps it complete).
 */
export const FLAT_ALARM_KEYS: { readonly [flat: string]: AlarmKey } = {
  cpuUtilization: 'tasks.cpuUtilization',
  memoryUtilization: 'tasks.memoryUtilization',
  runningTasks: 'tasks.runningTasks',
  deploymentAlertsUndelivered: 'deployments.alertsUndelivered',
  apiServerErrorRate: 'api.serverErrorRate',
  apiClientErrorRate: 'api.clientErrorRate',
  apiLatencyP99: 'api.latencyP99',
  apiIntegrationLatencyP99: 'api.integrationLatencyP99',
  apiThrottled: 'api.throttled',
  loadBalancerTarget5xx: 'loadBalancer.target5xx',
  loadBalancerUnhealthyHosts: 'loadBalancer.unhealthyHosts',
  loadBalancerTargetResponseTime: 'loadBalancer.targetResponseTime',
  meshServerErrors: 'mesh.serverErrors',
  meshServerErrorRate: 'mesh.serverErrors',
  meshLatency: 'mesh.latency',
  meshLatencyP99: 'mesh.latency',
  edgeServerErrorRate: 'edges.serverErrorRate',
  edgeLatencyP99: 'edges.latencyP99',
  edgeRetryBudgetExhausted: 'edges.retryBudgetExhausted',
  edgeEjections: 'edges.ejections',
  cacheEngineCpu: 'cache.engineCpu',
  cacheMemory: 'cache.memory',
  cacheEvictions: 'cache.evictions',
  cacheConnections: 'cache.connections',
  cacheReplicationLag: 'cache.replicationLag',
  cacheEcpu: 'cache.ecpu',
  cacheStorage: 'cache.storage',
  cacheThrottledCommands: 'cache.throttledCommands',
  cacheReadLatency: 'cache.readLatency',
  topicDeliveryFailures: 'messaging.topicDeliveryFailures',
  queueDeadLetters: 'messaging.queueDeadLetters',
  queueOldestMessage: 'messaging.queueOldestMessage',
};
