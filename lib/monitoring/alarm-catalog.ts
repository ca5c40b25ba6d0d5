import { AlarmSeverity } from './alarm-options';
import type { AlarmKey } from '../private/binding';

/** The layer of the service an alarm watches, in request order. */
export type AlarmLayer = 'tasks' | 'deployments' | 'api' | 'load balancer' | 'mesh' | 'cache' | 'messaging';

/** One default alarm: everything but the metric, which the part that measures it supplies. */
export interface AlarmSpec {
  /** Construct id, alarm-name suffix and key in `service.alarms`. */
  readonly id: string;
  readonly layer: AlarmLayer;
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
  /** A Metrics Insights query: CloudWatch evaluates the last 3 hours of it only. */
  readonly metricsInsights?: boolean;
  /** Why the alarm exists and why at this threshold. */
  readonly why: string;
}

const W = AlarmSeverity.WARNING;
const C = AlarmSeverity.CRITICAL;

/**
 * Every default alarm of a service, defined once. Each part of the service (tasks, API, load
 * balancer, mesh, cache) supplies the metric of the entries that apply to it; overrides
 * (`alarms.<key>`), the table in docs/monitoring.md and the option docs are checked against this catalog.
 */
export const ALARM_CATALOG: { readonly [K in AlarmKey]: AlarmSpec } = {
  cpuUtilization: {
    id: 'CpuUtilization', layer: 'tasks', what: 'ECS CPU utilization (%)', statistic: 'Average', periodMinutes: 5,
    threshold: 85, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false,
    source: 'AWS/ECS CPUUtilization',
    why: 'autoscaling should hold 70 %; sustained 85 % means it is at `maxCapacity` or too slow',
  },
  memoryUtilization: {
    id: 'MemoryUtilization', layer: 'tasks', what: 'ECS memory utilization (%)', statistic: 'Average', periodMinutes: 5,
    threshold: 85, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false,
    source: 'AWS/ECS MemoryUtilization',
    why: 'memory pressure precedes out-of-memory kills',
  },
  runningTasks: {
    id: 'RunningTasks', layer: 'tasks', what: 'tasks missing (desired - running)', statistic: 'Average', periodMinutes: 1,
    threshold: 0, comparison: '>', evaluationPeriods: 5, severity: C, rollback: false,
    source: 'ECS/ContainerInsights DesiredTaskCount - RunningTaskCount',
    why: 'tasks crash, fail health checks or cannot be placed',
  },
  deploymentAlertsUndelivered: {
    id: 'DeploymentAlertsUndelivered', layer: 'deployments', what: 'failed-deployment alerts EventBridge could not deliver to the alarm topic', statistic: 'Maximum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false,
    source: 'AWS/SQS ApproximateNumberOfMessagesVisible of the rule target\'s dead-letter queue',
    why: 'a failed deployment was not paged: the alert waits in the dead-letter queue (14 days), and this alarm reaches the warning topic by another path',
  },
  apiServerErrorRate: {
    id: 'ApiServerErrorRate', layer: 'api', what: 'API 5XX rate (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: C, rollback: true, when: 'with an API',
    source: 'AWS/ApiGateway 100 × 5xx / Count (REST: 5XXError)',
    why: 'the service fails requests',
  },
  apiClientErrorRate: {
    id: 'ApiClientErrorRate', layer: 'api', what: 'API 4XX rate (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with an API',
    source: 'AWS/ApiGateway 100 × 4xx / Count (REST: 4XXError)',
    why: 'an authorizer or client misconfiguration shows up here first',
  },
  apiLatencyP99: {
    id: 'ApiLatencyP99', layer: 'api', what: 'API p99 latency (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: C, rollback: false, when: 'with an API',
    source: 'AWS/ApiGateway Latency',
    why: 'clients wait too long',
  },
  apiIntegrationLatencyP99: {
    id: 'ApiIntegrationLatencyP99', layer: 'api', what: 'API p99 integration latency (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 1500, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with an API',
    source: 'AWS/ApiGateway IntegrationLatency',
    why: "the service itself is slow (latency minus API Gateway's part)",
  },
  apiThrottled: {
    id: 'ApiThrottled', layer: 'api', what: 'API requests throttled (429) per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 2, severity: W, rollback: false, when: 'with an API',
    source: 'ThrottledRequests: 429s counted from the access log',
    why: 'the throttle is too tight, or a client misbehaves',
  },
  loadBalancerTarget5xx: {
    id: 'LoadBalancerTarget5xx', layer: 'load balancer', what: 'load balancer target 5XX per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 2, severity: C, rollback: true, when: 'behind a load balancer',
    source: 'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
    why: 'the tasks answer 5XX',
  },
  loadBalancerUnhealthyHosts: {
    id: 'LoadBalancerUnhealthyHosts', layer: 'load balancer', what: 'unhealthy load balancer targets', statistic: 'Maximum', periodMinutes: 1,
    threshold: 1, comparison: '>=', evaluationPeriods: 3, severity: C, rollback: true, when: 'behind a load balancer',
    source: 'AWS/ApplicationELB UnHealthyHostCount',
    why: 'tasks fail the ALB health check',
  },
  loadBalancerTargetResponseTime: {
    id: 'LoadBalancerTargetResponseTime', layer: 'load balancer', what: 'load balancer p99 target response time (s)', statistic: 'p99', periodMinutes: 5,
    threshold: 2, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'behind a load balancer',
    source: 'AWS/ApplicationELB TargetResponseTime',
    why: 'the tasks are slow',
  },
  meshServerErrors: {
    id: 'MeshServerErrors', layer: 'mesh', what: 'Service Connect 5XX answered to callers per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 10, comparison: '>', evaluationPeriods: 2, severity: C, rollback: true, when: 'on Service Connect', metricsInsights: true,
    source: 'Metrics Insights SUM(HTTPCode_Target_5XX_Count) of SCHEMA("AWS/ECS", TargetDiscoveryName): every caller\'s proxy, counted once',
    why: 'callers inside the mesh get errors (a count: Metrics Insights allows one query per alarm, so no rate)',
  },
  meshLatency: {
    id: 'MeshLatency', layer: 'mesh', what: 'Service Connect average response time (ms)', statistic: 'Average', periodMinutes: 5,
    threshold: 1000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'on Service Connect', metricsInsights: true,
    source: 'Metrics Insights AVG(TargetResponseTime) of SCHEMA("AWS/ECS", TargetDiscoveryName)',
    why: 'callers inside the mesh wait (Metrics Insights has no percentiles)',
  },
  meshServerErrorRate: {
    id: 'MeshServerErrorRate', layer: 'mesh', what: 'Envoy 5XX rate of the requests callers sent (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: C, rollback: true, when: 'on Envoy',
    source: 'CdkMicroservice/Envoy 100 × envoy_cluster_upstream_rq_xx (class 5) / (classes 2 to 5) by ClusterName, Backend: final responses, after retries, from every caller\'s sidecar',
    why: 'callers get errors after their retries: a bad revision of this service rolls back',
  },
  meshLatencyP99: {
    id: 'MeshLatencyP99', layer: 'mesh', what: 'Envoy p99 request time of the callers (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'on Envoy, with access logs',
    source: 'CdkMicroservice/Envoy RequestDuration by ClusterName, Backend: the callers\' access-log lines, retries included',
    why: 'callers wait for this service',
  },
  edgeServerErrorRate: {
    id: 'EdgeServerErrorRate', layer: 'mesh', what: '5XX rate of the calls to a backend (%)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: C, rollback: false, when: 'on Envoy, per backend',
    source: 'CdkMicroservice/Envoy 100 × envoy_cluster_upstream_rq_xx (class 5) / (classes 2 to 5) by ClusterName, Caller, Backend',
    why: 'this service\'s calls fail after retries, so its own requests fail; the backend\'s own alarm rolls the backend back',
  },
  edgeLatencyP99: {
    id: 'EdgeLatencyP99', layer: 'mesh', what: 'p99 time of the calls to a backend (ms)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'on Envoy, per backend, with access logs',
    source: 'CdkMicroservice/Envoy RequestDuration by ClusterName, Caller, Backend, from this service\'s access-log lines',
    why: 'a backend slows this service down',
  },
  edgeRetryBudgetExhausted: {
    id: 'EdgeRetryBudgetExhausted', layer: 'mesh', what: 'retries to a backend refused by the retry budget per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'on Envoy, per backend',
    source: 'CdkMicroservice/Envoy envoy_cluster_upstream_rq_retry_overflow by ClusterName, Caller, Backend',
    why: 'the backend fails so often that retries hit the budget: the budget holds off a retry storm',
  },
  edgeEjections: {
    id: 'EdgeEjections', layer: 'mesh', what: 'backend tasks ejected by outlier detection per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'on Envoy, per backend with outlierDetection',
    source: 'CdkMicroservice/Envoy envoy_cluster_outlier_detection_ejections_enforced_total by ClusterName, Caller, Backend',
    why: 'the circuit breaker took failing tasks of the backend out of rotation',
  },
  cacheEngineCpu: {
    id: 'CacheEngineCpu', layer: 'cache', what: 'cache engine CPU of the busiest node (%)', statistic: 'Average', periodMinutes: 5,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache', range: [1, 100],
    source: 'AWS/ElastiCache EngineCPUUtilization, busiest node',
    why: 'the single-threaded engine is saturated: every command waits',
  },
  cacheMemory: {
    id: 'CacheMemory', layer: 'cache', what: 'cache memory used of the fullest node (% of maxmemory)', statistic: 'Average', periodMinutes: 5,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache', range: [1, 100],
    source: 'AWS/ElastiCache DatabaseMemoryUsagePercentage, fullest node',
    why: 'the cache is about to evict keys or refuse writes',
  },
  cacheEvictions: {
    id: 'CacheEvictions', layer: 'cache', what: 'cache keys evicted per 5 minutes (busiest node)', statistic: 'Sum', periodMinutes: 5,
    threshold: 1000, comparison: '>', evaluationPeriods: 2, severity: W, rollback: false, when: 'with a node-based cache',
    source: 'AWS/ElastiCache Evictions, node that evicted most',
    why: 'the working set no longer fits: the hit rate falls and load moves to the service',
  },
  cacheConnections: {
    id: 'CacheConnections', layer: 'cache', what: 'cache client connections (busiest node)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 5000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache', range: [1, 65000],
    source: 'AWS/ElastiCache CurrConnections, busiest node',
    why: 'a connection leak or a client without pooling (the engine allows 65,000)',
  },
  cacheReplicationLag: {
    id: 'CacheReplicationLag', layer: 'cache', what: 'cache replication lag of any replica (s)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 1, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a node-based cache with replicas', range: [0.001, 3600],
    source: 'AWS/ElastiCache ReplicationLag, most lagging replica',
    why: 'reads from replicas are stale, and a failover would lose writes',
  },
  cacheEcpu: {
    id: 'CacheEcpu', layer: 'cache', what: 'cache ECPUs (% of maxEcpuPerSecond)', statistic: 'Sum', periodMinutes: 1,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a serverless cache', range: [1, 100],
    source: 'AWS/ElastiCache ElastiCacheProcessingUnits per minute, against 60 × maxEcpuPerSecond',
    why: 'the cache nears its ECPU ceiling, beyond which commands are throttled',
  },
  cacheStorage: {
    id: 'CacheStorage', layer: 'cache', what: 'cache data stored (% of maxDataStorageGb)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 80, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a serverless cache', range: [1, 100],
    source: 'AWS/ElastiCache BytesUsedForCache, against maxDataStorageGb',
    why: 'the cache nears its storage ceiling',
  },
  cacheThrottledCommands: {
    id: 'CacheThrottledCommands', layer: 'cache', what: 'cache commands throttled per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 1, comparison: '>=', evaluationPeriods: 1, severity: W, rollback: false, when: 'with a serverless cache', range: [1, Number.MAX_SAFE_INTEGER],
    source: 'AWS/ElastiCache ThrottledCmds',
    why: 'the ECPU ceiling is reached: commands fail',
  },
  cacheReadLatency: {
    id: 'CacheReadLatency', layer: 'cache', what: 'cache p99 read latency (µs)', statistic: 'p99', periodMinutes: 5,
    threshold: 2000, comparison: '>', evaluationPeriods: 3, severity: W, rollback: false, when: 'with a serverless cache', range: [1, 10_000_000],
    source: 'AWS/ElastiCache SuccessfulReadRequestLatency',
    why: 'reads are slow: the cache is scaling or overloaded',
  },
  topicDeliveryFailures: {
    id: 'TopicDeliveryFailures', layer: 'messaging', what: 'SNS deliveries that failed per 5 minutes', statistic: 'Sum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: W, rollback: false, when: 'per topic the service publishes',
    source: 'AWS/SNS NumberOfNotificationsFailed by TopicName',
    why: 'SNS could not deliver to a subscriber (its queue policy or key refuses SNS, or the queue is gone): the subscriber misses messages',
  },
  queueDeadLetters: {
    id: 'QueueDeadLetters', layer: 'messaging', what: 'messages arrived in the dead-letter and undelivered queues per 5 minutes', statistic: 'Maximum', periodMinutes: 5,
    threshold: 0, comparison: '>', evaluationPeriods: 1, severity: C, rollback: false, when: 'per subscription',
    source: 'AWS/SQS ApproximateNumberOfMessagesVisible of both queues, DIFF',
    why: 'a message failed maxReceiveCount times, or SNS could not deliver it: it waits there unprocessed; on arrivals, so one left there does not hold the health alarm',
  },
  queueOldestMessage: {
    id: 'QueueOldestMessage', layer: 'messaging', what: 'age of the oldest message in the queue (s)', statistic: 'Maximum', periodMinutes: 5,
    threshold: 600, comparison: '>', evaluationPeriods: 2, severity: W, rollback: false,
    when: 'per subscription; the threshold is scaleOnBacklog.acceptableLatency when set', range: [1, 1_209_600],
    source: 'AWS/SQS ApproximateAgeOfOldestMessage',
    why: 'the workers fall behind: messages wait longer than the service promises',
  },
};

/** The option doc of an entry: `> 85 for 3 of 3 × 5 min`. */
export function describeDefault(spec: AlarmSpec): string {
  return `${spec.comparison} ${spec.threshold} for ${spec.evaluationPeriods} of ${spec.evaluationPeriods} × ${spec.periodMinutes} min`;
}

/** The table of default alarms in docs/monitoring.md, rendered from the catalog. */
export function renderAlarmTable(): string {
  const rows = Object.entries(ALARM_CATALOG).map(([key, s]) =>
    `| \`${key}\` | ${s.layer}${s.when ? ` (${s.when})` : ''} | ${s.what}: ${s.source} | ${s.statistic} | ${describeDefault(s)} | ${s.severity} | ${s.rollback ? 'yes' : '-'} | ${s.why} |`);
  return [
    '| Key (`alarms.<key>`) | Layer | Metric | Statistic | Default | Severity | Rolls back | Why |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
