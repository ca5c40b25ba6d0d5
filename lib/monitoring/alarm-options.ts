/** How loudly an alarm speaks. */
export enum AlarmSeverity {
  /** Pages: part of the service's health alarm, which notifies the platform's alarm topic. */
  CRITICAL = 'critical',
  /** Notifies the platform's warning topic; never pages. */
  WARNING = 'warning',
}

/** Overrides of one default alarm. */
export interface AlarmOverride {
  /**
   * Create the alarm.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Threshold, in the alarm's unit (the table of default alarms in docs/monitoring.md).
   *
   * @default - the alarm's documented default
   */
  readonly threshold?: number;
  /**
   * Periods evaluated.
   *
   * @default - the alarm's documented default
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods, of `evaluationPeriods`, that set the alarm off.
   *
   * @default - the alarm's documented default
   */
  readonly datapointsToAlarm?: number;
}

/**
 * The alarms of a `Microservice`. Every default alarm that applies to the service is on unless
 * turned off here; each key's default is its entry in the alarm catalog (the table of default alarms in docs/monitoring.md).
 */
export interface MicroserviceAlarmOptions {
  /**
   * Create the service's alarms, health alarm, deployment alarms and failed-deployment
   * notification. (A flag rather than `alarms: false`: unions stay out of the public API.)
   *
   * @default true
   */
  readonly enabled?: boolean;
  /** ECS CPU utilization, percent. Warning. @default - > 85 for 3 of 3 × 5 min */
  readonly cpuUtilization?: AlarmOverride;
  /** ECS memory utilization, percent. Warning. @default - > 85 for 3 of 3 × 5 min */
  readonly memoryUtilization?: AlarmOverride;
  /** Tasks missing: desired minus running. Critical. @default - > 0 for 5 of 5 × 1 min */
  readonly runningTasks?: AlarmOverride;
  /** Failed-deployment alerts EventBridge could not deliver to the alarm topic (its dead-letter queue). Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly deploymentAlertsUndelivered?: AlarmOverride;
  /** API 5XX responses, percent of requests. Critical, rolls back. @default - > 1 for 3 of 3 × 5 min */
  readonly apiServerErrorRate?: AlarmOverride;
  /** API 4XX responses, percent of requests. Warning. @default - > 10 for 3 of 3 × 5 min */
  readonly apiClientErrorRate?: AlarmOverride;
  /** API p99 latency, ms. Critical. @default - > 2000 for 3 of 3 × 5 min */
  readonly apiLatencyP99?: AlarmOverride;
  /** API p99 integration latency, ms. Warning. @default - > 1500 for 3 of 3 × 5 min */
  readonly apiIntegrationLatencyP99?: AlarmOverride;
  /** API requests throttled (429), per 5 min. Warning. @default - > 10 for 2 of 2 × 5 min */
  readonly apiThrottled?: AlarmOverride;
  /** Load balancer target 5XX, per 5 min. Critical, rolls back. @default - > 10 for 2 of 2 × 5 min */
  readonly loadBalancerTarget5xx?: AlarmOverride;
  /** Load balancer unhealthy targets. Critical, rolls back. @default - >= 1 for 3 of 3 × 1 min */
  readonly loadBalancerUnhealthyHosts?: AlarmOverride;
  /** Load balancer p99 target response time, seconds. Warning. @default - > 2 for 3 of 3 × 5 min */
  readonly loadBalancerTargetResponseTime?: AlarmOverride;
  /** Service Connect: 5XX this service answered to callers in the mesh, per 5 min. Critical, rolls back. @default - > 10 for 2 of 2 × 5 min */
  readonly meshServerErrors?: AlarmOverride;
  /** Service Connect: average response time to callers in the mesh, ms. Warning. @default - > 1000 for 3 of 3 × 5 min */
  readonly meshLatency?: AlarmOverride;
  /** Envoy: 5XX rate of the requests callers' sidecars sent this service, percent. Critical, rolls back. @default - > 1 for 3 of 3 × 5 min */
  readonly meshServerErrorRate?: AlarmOverride;
  /** Envoy: p99 request time of the callers, ms. Warning. @default - > 2000 for 3 of 3 × 5 min */
  readonly meshLatencyP99?: AlarmOverride;
  /** Envoy, per backend this service calls: 5XX rate after retries, percent. Critical. @default - > 1 for 3 of 3 × 5 min */
  readonly edgeServerErrorRate?: AlarmOverride;
  /** Envoy, per backend: p99 time of the calls, ms. Warning. @default - > 2000 for 3 of 3 × 5 min */
  readonly edgeLatencyP99?: AlarmOverride;
  /** Envoy, per backend: retries refused by the retry budget, per 5 min. Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly edgeRetryBudgetExhausted?: AlarmOverride;
  /** Envoy, per backend: tasks ejected by outlier detection, per 5 min. Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly edgeEjections?: AlarmOverride;
  /** Node-based cache: engine CPU of the busiest node, percent. Warning. @default - > 80 for 3 of 3 × 5 min */
  readonly cacheEngineCpu?: AlarmOverride;
  /** Node-based cache: memory used of the fullest node, percent of maxmemory. Warning. @default - > 80 for 3 of 3 × 5 min */
  readonly cacheMemory?: AlarmOverride;
  /** Node-based cache: keys evicted per 5 min on the node that evicted most. Warning. @default - > 1000 for 2 of 2 × 5 min */
  readonly cacheEvictions?: AlarmOverride;
  /** Node-based cache: client connections of the busiest node. Warning. @default - > 5000 for 3 of 3 × 5 min */
  readonly cacheConnections?: AlarmOverride;
  /** Node-based cache with replicas: replication lag of any replica, seconds. Warning. @default - > 1 for 3 of 3 × 5 min */
  readonly cacheReplicationLag?: AlarmOverride;
  /** Serverless cache: ECPUs, percent of `maxEcpuPerSecond`. Warning. @default - > 80 for 3 of 3 × 1 min */
  readonly cacheEcpu?: AlarmOverride;
  /** Serverless cache: data stored, percent of `maxDataStorageGb`. Warning. @default - > 80 for 3 of 3 × 5 min */
  readonly cacheStorage?: AlarmOverride;
  /** Serverless cache: commands throttled per 5 min. Warning. @default - >= 1 for 1 of 1 × 5 min */
  readonly cacheThrottledCommands?: AlarmOverride;
  /** Serverless cache: p99 read latency, microseconds. Warning. @default - > 2000 for 3 of 3 × 5 min */
  readonly cacheReadLatency?: AlarmOverride;
  /** Per topic the service publishes: SNS deliveries that failed, per 5 min. Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly topicDeliveryFailures?: AlarmOverride;
  /** Per subscription: messages arrived in its dead-letter and undelivered queues, per 5 min. Critical. @default - > 0 for 1 of 1 × 5 min */
  readonly queueDeadLetters?: AlarmOverride;
  /** Per subscription: age of the oldest message, seconds. Warning. @default - > 600 for 2 of 2 × 5 min */
  readonly queueOldestMessage?: AlarmOverride;
}
