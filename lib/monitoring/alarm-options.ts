import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmActionStrategy } from './alarm-actions';
import type { IAlarmNamingStrategy } from './alarm-naming';

/**
 * Overrides of one default alarm. The fields are aws-cdk-lib's (`cloudwatch.CreateAlarmOptions`),
 * with the same names and types, all optional: what is not given keeps the catalog's default.
 *
 * The comparison is not overridable: every default alarm is an upper bound, and its threshold
 * range is checked as one. Neither is `actionsEnabled`: CloudWatch runs a composite alarm's rule
 * and ECS's deployment alarms on the state of an alarm whatever its actions, so muting a critical
 * alarm would still page and roll back; turn it off (`enabled: false`) or choose the actions with
 * `alarms.actions`.
 */
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
  /**
   * How periods without data count.
   *
   * @default cloudwatch.TreatMissingData.NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

/** Overrides of the alarms on the service's tasks (`alarms.tasks`). */
export interface TaskAlarmOverrides {
  /** ECS CPU utilization, percent. Warning. @default - > 85 for 3 of 3 × 5 min */
  readonly cpuUtilization?: AlarmOverride;
  /** ECS memory utilization, percent. Warning. @default - > 85 for 3 of 3 × 5 min */
  readonly memoryUtilization?: AlarmOverride;
  /** Tasks missing: desired minus running. Critical. @default - > 0 for 5 of 5 × 1 min */
  readonly runningTasks?: AlarmOverride;
}

/** Overrides of the alarms on the service's deployments (`alarms.deployments`). */
export interface DeploymentAlarmOverrides {
  /** Failed-deployment alerts EventBridge could not deliver (its dead-letter queue). Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly alertsUndelivered?: AlarmOverride;
}

/** Overrides of the alarms on the service's API, HTTP or REST (`alarms.api`). */
export interface ApiAlarmOverrides {
  /** API 5XX responses, percent of requests. Critical, rolls back. @default - > 1 for 3 of 3 × 5 min */
  readonly serverErrorRate?: AlarmOverride;
  /** API 4XX responses, percent of requests. Warning. @default - > 10 for 3 of 3 × 5 min */
  readonly clientErrorRate?: AlarmOverride;
  /** API p99 latency, ms. Critical. @default - > 2000 for 3 of 3 × 5 min */
  readonly latencyP99?: AlarmOverride;
  /** API p99 integration latency, ms. Warning. @default - > 1500 for 3 of 3 × 5 min */
  readonly integrationLatencyP99?: AlarmOverride;
  /** API requests throttled (429), per 5 min. Warning. @default - > 10 for 2 of 2 × 5 min */
  readonly throttled?: AlarmOverride;
}

/** Overrides of the alarms on the service's load balancer (`alarms.loadBalancer`). */
export interface LoadBalancerAlarmOverrides {
  /** Target 5XX, per 5 min. Critical, rolls back. @default - > 10 for 2 of 2 × 5 min */
  readonly target5xx?: AlarmOverride;
  /** Unhealthy targets. Critical, rolls back. @default - >= 1 for 3 of 3 × 1 min */
  readonly unhealthyHosts?: AlarmOverride;
  /** p99 target response time, seconds. Warning. @default - > 2 for 3 of 3 × 5 min */
  readonly targetResponseTime?: AlarmOverride;
}

/**
 * Overrides of the alarms on what the service answers its callers in the mesh (`alarms.mesh`):
 * one key per signal, whatever the data plane. Each plane measures it its own way, so the unit of
 * `threshold` is the plane's (the table of default alarms in docs/monitoring.md).
 */
export interface MeshAlarmOverrides {
  /**
   * 5XX answered to callers in the mesh. Critical, rolls back. Service Connect: a count per 5 min
   * (Metrics Insights: one query per alarm, so no rate); Envoy: percent of the requests callers sent.
   *
   * @default - Service Connect: > 10 for 2 of 2 × 5 min; Envoy: > 1 for 3 of 3 × 5 min
   */
  readonly serverErrors?: AlarmOverride;
  /**
   * Time callers in the mesh wait for the service, ms. Warning. Service Connect: the average
   * (Metrics Insights has no percentiles); Envoy: p99, with access logs.
   *
   * @default - Service Connect: > 1000 for 3 of 3 × 5 min; Envoy: > 2000 for 3 of 3 × 5 min
   */
  readonly latency?: AlarmOverride;
}

/** Overrides of the alarms on the calls to each backend the service calls, on Envoy (`alarms.edges`): one override for every backend. */
export interface EdgeAlarmOverrides {
  /** 5XX rate after retries, percent. Critical. @default - > 1 for 3 of 3 × 5 min */
  readonly serverErrorRate?: AlarmOverride;
  /** p99 time of the calls, ms. Warning. @default - > 2000 for 3 of 3 × 5 min */
  readonly latencyP99?: AlarmOverride;
  /** Retries refused by the retry budget, per 5 min. Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly retryBudgetExhausted?: AlarmOverride;
  /** Tasks ejected by outlier detection, per 5 min. Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly ejections?: AlarmOverride;
}

/** Overrides of the alarms on the service's cache (`alarms.cache`). */
export interface CacheAlarmOverrides {
  /** Node-based cache: engine CPU of the busiest node, percent. Warning. @default - > 80 for 3 of 3 × 5 min */
  readonly engineCpu?: AlarmOverride;
  /** Node-based cache: memory used of the fullest node, percent of maxmemory. Warning. @default - > 80 for 3 of 3 × 5 min */
  readonly memory?: AlarmOverride;
  /** Node-based cache: keys evicted per 5 min on the node that evicted most. Warning. @default - > 1000 for 2 of 2 × 5 min */
  readonly evictions?: AlarmOverride;
  /** Node-based cache: client connections of the busiest node. Warning. @default - > 5000 for 3 of 3 × 5 min */
  readonly connections?: AlarmOverride;
  /** Node-based cache with replicas: replication lag of any replica, seconds. Warning. @default - > 1 for 3 of 3 × 5 min */
  readonly replicationLag?: AlarmOverride;
  /** Serverless cache: ECPUs, percent of `maxEcpuPerSecond`. Warning. @default - > 80 for 3 of 3 × 1 min */
  readonly ecpu?: AlarmOverride;
  /** Serverless cache: data stored, percent of `maxDataStorageGb`. Warning. @default - > 80 for 3 of 3 × 5 min */
  readonly storage?: AlarmOverride;
  /** Serverless cache: commands throttled per 5 min. Warning. @default - >= 1 for 1 of 1 × 5 min */
  readonly throttledCommands?: AlarmOverride;
  /** Serverless cache: p99 read latency, microseconds. Warning. @default - > 2000 for 3 of 3 × 5 min */
  readonly readLatency?: AlarmOverride;
}

/** Overrides of the alarms on the service's topics and subscriptions (`alarms.messaging`): one override for every topic or subscription. */
export interface MessagingAlarmOverrides {
  /** Per topic the service publishes: SNS deliveries that failed, per 5 min. Warning. @default - > 0 for 1 of 1 × 5 min */
  readonly topicDeliveryFailures?: AlarmOverride;
  /** Per subscription: messages arrived in its dead-letter and undelivered queues, per 5 min. Critical. @default - > 0 for 1 of 1 × 5 min */
  readonly queueDeadLetters?: AlarmOverride;
  /** Per subscription: age of the oldest message, seconds. Warning. @default - > 600 for 2 of 2 × 5 min */
  readonly queueOldestMessage?: AlarmOverride;
}

/**
 * The alarms of a `Microservice`: who gets told, how they are named, and the overrides of the
 * default alarms, grouped by the layer each watches (`alarms.api.latencyP99`). Every default
 * alarm that applies to the service is on unless turned off here; each key's default is its entry
 * in the alarm catalog (the table of default alarms in docs/monitoring.md), and
 * `ServiceMonitoring.alarms` holds the alarm under the same key (`'api.latencyP99'`).
 */
export interface MicroserviceAlarmOptions {
  /**
   * Create the service's alarms, health alarm, deployment alarms and failed-deployment
   * notification. (A flag rather than `alarms: false`: unions stay out of the public API.)
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How each alarm gets its actions, and where failed deployments are sent.
   *
   * @default AlarmActions.platformTopics()
   */
  readonly actions?: IAlarmActionStrategy;
  /**
   * How each alarm is named.
   *
   * @default AlarmNaming.stackAndService()
   */
  readonly naming?: IAlarmNamingStrategy;
  /**
   * The alarms on the service's tasks.
   *
   * @default - the catalog's
   */
  readonly tasks?: TaskAlarmOverrides;
  /**
   * The alarms on the service's deployments.
   *
   * @default - the catalog's
   */
  readonly deployments?: DeploymentAlarmOverrides;
  /**
   * The alarms on the service's API.
   *
   * @default - the catalog's
   */
  readonly api?: ApiAlarmOverrides;
  /**
   * The alarms on the service's load balancer.
   *
   * @default - the catalog's
   */
  readonly loadBalancer?: LoadBalancerAlarmOverrides;
  /**
   * The alarms on what the service answers its callers in the mesh, whatever the data plane.
   *
   * @default - the catalog's
   */
  readonly mesh?: MeshAlarmOverrides;
  /**
   * The alarms on the service's calls to each backend (Envoy).
   *
   * @default - the catalog's
   */
  readonly edges?: EdgeAlarmOverrides;
  /**
   * The alarms on the service's cache.
   *
   * @default - the catalog's
   */
  readonly cache?: CacheAlarmOverrides;
  /**
   * The alarms on the service's topics and subscriptions.
   *
   * @default - the catalog's
   */
  readonly messaging?: MessagingAlarmOverrides;
}
