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
   * Threshold, in the alarm's unit (see the README's table).
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

/** The alarms of a `Microservice`. Every default alarm is on unless turned off here. */
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
  /** API 5XX responses, percent of requests. Critical. @default - > 1 for 3 of 3 × 5 min */
  readonly apiServerErrorRate?: AlarmOverride;
  /** API 4XX responses, percent of requests. Warning. @default - > 10 for 3 of 3 × 5 min */
  readonly apiClientErrorRate?: AlarmOverride;
  /** API p99 latency, ms. Critical. @default - > 2000 for 3 of 3 × 5 min */
  readonly apiLatencyP99?: AlarmOverride;
  /** API p99 integration latency, ms. Warning. @default - > 1500 for 3 of 3 × 5 min */
  readonly apiIntegrationLatencyP99?: AlarmOverride;
  /** API requests throttled (429), per 5 min. Warning. @default - > 10 for 2 of 2 × 5 min */
  readonly apiThrottled?: AlarmOverride;
  /** Load balancer target 5XX, per 5 min. Critical. @default - > 10 for 2 of 2 × 5 min */
  readonly loadBalancerTarget5xx?: AlarmOverride;
  /** Load balancer unhealthy targets. Critical. @default - >= 1 for 3 of 3 × 1 min */
  readonly loadBalancerUnhealthyHosts?: AlarmOverride;
  /** Load balancer p99 target response time, seconds. Warning. @default - > 2 for 3 of 3 × 5 min */
  readonly loadBalancerTargetResponseTime?: AlarmOverride;
  /** Service Connect 5XX answered by this service, percent of its requests. Critical. @default - > 1 for 3 of 3 × 5 min */
  readonly meshServerErrorRate?: AlarmOverride;
  /** Service Connect p99 target response time, ms. Warning. @default - > 2000 for 3 of 3 × 5 min */
  readonly meshLatencyP99?: AlarmOverride;
}
