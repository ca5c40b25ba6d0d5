import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmOverride, AlarmSeverity, MicroserviceAlarmOptions } from './alarm-options';
import { safeName } from './names';
import { PropErrors } from '../private/validation';
import type { IServiceApiMetrics } from '../api/service-api-base';
import type { MicroserviceRestApi } from '../api/microservice-rest-api';
import type { MicroserviceCache } from '../cache/microservice-cache';

/** An extra alarm on a service's metrics, named and routed like the default ones. */
export interface ServiceAlarmProps {
  /** The metric. */
  readonly metric: cloudwatch.IMetric;
  /** The threshold. */
  readonly threshold: number;
  /** @default cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /** @default 3 */
  readonly evaluationPeriods?: number;
  /** @default - evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default cloudwatch.TreatMissingData.NOT_BREACHING */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /** @default AlarmSeverity.WARNING */
  readonly severity?: AlarmSeverity;
  /** @default - none */
  readonly description?: string;
}

/** What monitoring needs of the service. */
export interface ServiceMonitoringProps {
  readonly name: string;
  readonly servicePath: string;
  readonly service: ecs.FargateService;
  readonly ecsServiceName: string;
  readonly clusterName: string;
  readonly alarmTopic: sns.ITopic;
  readonly warningTopic: sns.ITopic;
  readonly options: MicroserviceAlarmOptions;
  readonly api?: IServiceApiMetrics;
  /** The REST API, for its web ACL and cache graphs. */
  readonly restApi?: MicroserviceRestApi;
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  readonly cache?: MicroserviceCache;
  /** The Service Connect discovery name, on Service Connect. */
  readonly serviceConnectDiscoveryName?: string;
}

interface DefaultAlarm {
  readonly key: keyof MicroserviceAlarmOptions;
  readonly id: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly periods: number;
  readonly datapoints?: number;
  readonly op?: cloudwatch.ComparisonOperator;
  readonly severity: AlarmSeverity;
  readonly deployment?: boolean;
  readonly what: string;
}

const DEPLOYMENT_ALARMS_DOC = 'rolls back a deployment';

/**
 * A service's alarms (on by default, each overridable), its composite health alarm, the ECS
 * deployment alarms, the failed-deployment notification and its dashboard.
 */
export class ServiceMonitoring extends Construct {
  /** Every alarm, by id (`ApiServerErrorRate`, ...), the cache's included. */
  public readonly alarms: { [id: string]: cloudwatch.Alarm } = {};
  /** The composite alarm over the critical alarms: it pages through the platform's alarm topic. */
  public readonly healthAlarm?: cloudwatch.CompositeAlarm;
  /** Name of the health alarm. */
  public readonly healthAlarmName: string;
  /** The service's dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Names of the alarms that roll back a bad ECS deployment. */
  public readonly deploymentAlarmNames: string[] = [];
  private readonly critical: string[] = [];
  private readonly prefix: string;
  private readonly props: ServiceMonitoringProps;
  private readonly enabled: boolean;

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.enabled = props.options.enabled ?? true;
    this.prefix = safeName(`${Stack.of(this).stackName}-${props.name}`, 200);
    this.healthAlarmName = `${this.prefix}-health`;
    validateOverrides(props.servicePath, props.options);

    if (this.enabled) {
      for (const a of this.defaultAlarms()) this.createDefault(a);
      for (const [cid, alarm] of Object.entries(props.cache?.alarms ?? {})) {
        alarm.addAlarmAction(new cwactions.SnsAction(props.warningTopic));
        this.alarms[`Cache${cid}`] = alarm;
      }
      this.healthAlarm = new cloudwatch.CompositeAlarm(this, 'Health', {
        compositeAlarmName: this.healthAlarmName,
        alarmDescription: `Health of ${props.servicePath}: in ALARM when any of its critical alarms is`,
        alarmRule: cloudwatch.AlarmRule.fromString(Lazy.string({
          produce: () => (this.critical.length ? this.critical.map((n) => `ALARM("${n}")`).join(' OR ') : 'FALSE'),
        })),
      });
      this.healthAlarm.addAlarmAction(new cwactions.SnsAction(props.alarmTopic));
      for (const a of Object.values(this.alarms)) this.healthAlarm.node.addDependency(a);
      if (this.deploymentAlarmNames.length > 0) {
        props.service.enableDeploymentAlarms(this.deploymentAlarmNames, { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
      }
      new events.Rule(this, 'DeploymentFailed', {
        description: `Failed deployments of ${props.servicePath}`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Deployment State Change'],
          resources: [props.service.serviceArn],
          detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
        },
        targets: [new targets.SnsTopic(props.alarmTopic)],
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...this.widgets());
  }

  /**
   * Adds an alarm on the service's metrics, named `<stack>-<service>-<id>` and routed by severity:
   * critical joins the health alarm (which pages), warning notifies the warning topic.
   */
  public addAlarm(id: string, props: ServiceAlarmProps): cloudwatch.Alarm {
    const errors = new PropErrors(`addAlarm('${id}') of ${this.props.servicePath}`);
    errors.text('id', id, /^[A-Za-z][A-Za-z0-9]{0,40}$/, 'PascalCase letters and digits, 1-41 characters');
    if (this.alarms[id]) errors.add(`id must be new, got "${id}" which the service already has`);
    if (!this.enabled) errors.add('alarms must be enabled (alarms.enabled is false), got an extra alarm');
    errors.integer('evaluationPeriods', props.evaluationPeriods, 1, 100);
    errors.integer('datapointsToAlarm', props.datapointsToAlarm, 1, props.evaluationPeriods ?? 3);
    errors.throwIfAny();
    const severity = props.severity ?? AlarmSeverity.WARNING;
    const periods = props.evaluationPeriods ?? 3;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.prefix}-${id}`,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: props.datapointsToAlarm ?? periods,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${props.description ?? id} (${severity}, ${this.props.servicePath})`,
    });
    this.route(id, alarm, severity);
    if (this.healthAlarm) this.healthAlarm.node.addDependency(alarm);
    return alarm;
  }

  /**
   * The service's dashboard widgets, for a dashboard of your own: alarm status, the golden signals
   * (traffic, errors, latency, saturation), then one row per layer in request order (API,
   * integration, tasks, cache, mesh).
   */
  public widgets(): cloudwatch.IWidget[] {
    const p = this.props;
    const rows: cloudwatch.IWidget[] = [];
    const graph = (title: string, left: cloudwatch.IMetric[], right?: cloudwatch.IMetric[], width = 6) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });
    const alarms = Object.values(this.alarms);
    if (alarms.length > 0) {
      rows.push(new cloudwatch.AlarmStatusWidget({ title: `${p.name}: alarms`, alarms: this.healthAlarm ? [this.healthAlarm, ...alarms] : alarms, width: 24, height: 3 }));
    }
    const sc = p.serviceConnectDiscoveryName ? this.serviceConnectMetric : undefined;
    const cpu = p.service.metricCpuUtilization({ period: Duration.minutes(1) });
    const mem = p.service.metricMemoryUtilization({ period: Duration.minutes(1) });
    const traffic = p.api ? [p.api.metricCount()] : sc ? [this.serviceConnectRequests()] : [];
    const errs = p.api ? [p.api.metricServerError(), p.api.metricClientError()] : sc ? [sc.call(this, 'HTTPCode_Target_5XX_Count', 'Sum')] : [];
    const latency = p.api ? [p.api.metricLatency(), p.api.metricIntegrationLatency()] : sc ? [sc.call(this, 'TargetResponseTime', 'p99')] : [];
    // A graph without metrics is rejected by CloudWatch: a service with neither an API nor
    // Service Connect shows a note instead.
    const orNote = (title: string, metrics: cloudwatch.IMetric[]) => (metrics.length > 0 ? graph(title, metrics)
      : new cloudwatch.TextWidget({ markdown: `### ${title}\nNo request metrics: the service has no API and its mesh (App Mesh) publishes none to CloudWatch.`, width: 6, height: 6 }));
    rows.push(new cloudwatch.Row(
      orNote('Traffic (requests)', traffic),
      orNote('Errors', errs),
      orNote('Latency p99 (ms)', latency),
      graph('Saturation (%)', [cpu, mem]),
    ));
    if (p.api) {
      rows.push(new cloudwatch.Row(
        graph('API: requests and throttled', [p.api.metricCount()], [p.api.metricThrottled()], 8),
        graph('API: 4XX and 5XX', [p.api.metricClientError(), p.api.metricServerError()], undefined, 8),
        graph('API: latency and integration latency p99', [p.api.metricLatency(), p.api.metricIntegrationLatency()], undefined, 8),
      ));
    }
    const rest = p.restApi;
    if (rest && (rest.webAcl || rest.cacheEnabled)) {
      const widgets: cloudwatch.IWidget[] = [];
      if (rest.webAcl) {
        const acl = rest.webAcl;
        widgets.push(
          graph('WAF: allowed and blocked requests', [acl.metricAllowedRequests()], [acl.metricBlockedRequests()], 8),
          graph('WAF: blocked by rule', acl.ruleNames.map((r) => acl.metricBlockedRequests(r, { label: r })), undefined, 8),
        );
      }
      if (rest.cacheEnabled) widgets.push(graph('API cache: hits and misses', [rest.metricCacheHits(), rest.metricCacheMisses()], undefined, 8));
      rows.push(new cloudwatch.Row(...widgets));
    }
    if (p.targetGroup) {
      const m = p.targetGroup.metrics;
      rows.push(new cloudwatch.Row(
        graph('Load balancer: target 5XX', [m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)], undefined, 8),
        graph('Load balancer: healthy and unhealthy targets', [m.healthyHostCount(), m.unhealthyHostCount()], undefined, 8),
        graph('Load balancer: target response time p99 (s)', [m.targetResponseTime({ statistic: 'p99' })], undefined, 8),
      ));
    }
    rows.push(new cloudwatch.Row(
      graph('Tasks: CPU (%)', [cpu], undefined, 8),
      graph('Tasks: memory (%)', [mem], undefined, 8),
      graph('Tasks: running and desired', [this.containerInsights('RunningTaskCount'), this.containerInsights('DesiredTaskCount')], undefined, 8),
    ));
    const c = p.cache;
    if (c && c.kind === 'node') {
      rows.push(new cloudwatch.Row(
        graph('Cache: engine CPU and memory (%)', [c.metricEngineCpuUtilization(), c.metricMemoryUsage()], undefined, 8),
        graph('Cache: evictions', [c.metricEvictions()], undefined, 8),
        graph('Cache: connections', [c.metricCurrentConnections()], undefined, 8),
      ));
    } else if (c && c.kind === 'serverless') {
      rows.push(new cloudwatch.Row(
        graph('Cache: ECPUs per minute', [c.metricProcessingUnits()], undefined, 8),
        graph('Cache: bytes stored and throttled commands', [c.metricBytesUsed()], [c.metricThrottledCommands()], 8),
        graph('Cache: read and write latency p99 (µs)', [c.metricReadLatency(), c.metricWriteLatency()], undefined, 8),
      ));
    }
    if (sc) {
      rows.push(new cloudwatch.Row(
        graph('Mesh: requests', [this.serviceConnectRequests()], undefined, 8),
        graph('Mesh: 4XX and 5XX', [sc.call(this, 'HTTPCode_Target_4XX_Count', 'Sum'), sc.call(this, 'HTTPCode_Target_5XX_Count', 'Sum')], undefined, 8),
        graph('Mesh: response time p99 (ms)', [sc.call(this, 'TargetResponseTime', 'p99')], undefined, 8),
      ));
    }
    return rows;
  }

  private defaultAlarms(): DefaultAlarm[] {
    const p = this.props;
    const list: DefaultAlarm[] = [
      { key: 'cpuUtilization', id: 'CpuUtilization', metric: p.service.metricCpuUtilization(), threshold: 85, periods: 3, severity: AlarmSeverity.WARNING, what: 'ECS CPU utilization (%)' },
      { key: 'memoryUtilization', id: 'MemoryUtilization', metric: p.service.metricMemoryUtilization(), threshold: 85, periods: 3, severity: AlarmSeverity.WARNING, what: 'ECS memory utilization (%)' },
      {
        key: 'runningTasks', id: 'RunningTasks', threshold: 0, periods: 5, severity: AlarmSeverity.CRITICAL, what: 'tasks missing (desired - running)',
        metric: new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: { desired: this.containerInsights('DesiredTaskCount'), running: this.containerInsights('RunningTaskCount') },
          period: Duration.minutes(1),
          label: 'Tasks missing',
        }),
      },
    ];
    if (p.api) {
      const rate = (errors: cloudwatch.IMetric, label: string) => new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { errors, requests: p.api!.metricCount() },
        period: Duration.minutes(5),
        label,
      });
      list.push(
        { key: 'apiServerErrorRate', id: 'ApiServerErrorRate', metric: rate(p.api.metricServerError(), 'API 5XX (%)'), threshold: 1, periods: 3, severity: AlarmSeverity.CRITICAL, deployment: true, what: 'API 5XX rate (%)' },
        { key: 'apiClientErrorRate', id: 'ApiClientErrorRate', metric: rate(p.api.metricClientError(), 'API 4XX (%)'), threshold: 10, periods: 3, severity: AlarmSeverity.WARNING, what: 'API 4XX rate (%)' },
        { key: 'apiLatencyP99', id: 'ApiLatencyP99', metric: p.api.metricLatency(), threshold: 2000, periods: 3, severity: AlarmSeverity.CRITICAL, what: 'API p99 latency (ms)' },
        { key: 'apiIntegrationLatencyP99', id: 'ApiIntegrationLatencyP99', metric: p.api.metricIntegrationLatency(), threshold: 1500, periods: 3, severity: AlarmSeverity.WARNING, what: 'API p99 integration latency (ms)' },
        { key: 'apiThrottled', id: 'ApiThrottled', metric: p.api.metricThrottled(), threshold: 10, periods: 2, severity: AlarmSeverity.WARNING, what: 'API requests throttled (429) per 5 minutes' },
      );
    }
    if (p.targetGroup) {
      const m = p.targetGroup.metrics;
      list.push(
        { key: 'loadBalancerTarget5xx', id: 'LoadBalancerTarget5xx', metric: m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(5), statistic: 'Sum' }), threshold: 10, periods: 2, severity: AlarmSeverity.CRITICAL, deployment: true, what: 'load balancer target 5XX per 5 minutes' },
        { key: 'loadBalancerUnhealthyHosts', id: 'LoadBalancerUnhealthyHosts', metric: m.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }), threshold: 1, periods: 3, op: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, severity: AlarmSeverity.CRITICAL, deployment: true, what: 'unhealthy load balancer targets' },
        { key: 'loadBalancerTargetResponseTime', id: 'LoadBalancerTargetResponseTime', metric: m.targetResponseTime({ period: Duration.minutes(5), statistic: 'p99' }), threshold: 2, periods: 3, severity: AlarmSeverity.WARNING, what: 'load balancer p99 target response time (s)' },
      );
    }
    if (p.serviceConnectDiscoveryName) {
      list.push(
        {
          key: 'meshServerErrorRate', id: 'MeshServerErrorRate', threshold: 1, periods: 3, severity: AlarmSeverity.CRITICAL, deployment: true, what: 'Service Connect 5XX rate (%)',
          metric: this.serviceConnectResponses('IF(c2 + c3 + c4 + c5 > 0, 100 * c5 / (c2 + c3 + c4 + c5), 0)', 'Service Connect 5XX (%)'),
        },
        { key: 'meshLatencyP99', id: 'MeshLatencyP99', metric: this.serviceConnectMetric('TargetResponseTime', 'p99'), threshold: 2000, periods: 3, severity: AlarmSeverity.WARNING, what: 'Service Connect p99 response time (ms)' },
      );
    }
    return list;
  }

  private createDefault(a: DefaultAlarm): void {
    const o: AlarmOverride = this.props.options[a.key] as AlarmOverride ?? {};
    if (o.enabled === false) return;
    const periods = o.evaluationPeriods ?? a.periods;
    const threshold = o.threshold ?? a.threshold;
    const alarm = new cloudwatch.Alarm(this, a.id, {
      alarmName: `${this.prefix}-${a.id}`,
      metric: a.metric,
      threshold,
      comparisonOperator: a.op ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: o.datapointsToAlarm ?? a.datapoints ?? periods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${a.what} ${a.op === cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD ? '>=' : '>'} ${threshold} (${a.severity}${a.deployment ? `; ${DEPLOYMENT_ALARMS_DOC}` : ''}, ${this.props.servicePath})`,
    });
    this.route(a.id, alarm, a.severity);
    if (a.deployment) this.deploymentAlarmNames.push(`${this.prefix}-${a.id}`);
  }

  private route(id: string, alarm: cloudwatch.Alarm, severity: AlarmSeverity): void {
    this.alarms[id] = alarm;
    if (severity === AlarmSeverity.CRITICAL) this.critical.push(`${this.prefix}-${id}`);
    else alarm.addAlarmAction(new cwactions.SnsAction(this.props.warningTopic));
  }

  private containerInsights(metricName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      statistic: 'Average',
      period: Duration.minutes(1),
      dimensionsMap: { ClusterName: this.props.clusterName, ServiceName: this.props.ecsServiceName },
    });
  }

  /**
   * A Service Connect metric of the traffic into this service. ECS publishes the Target metrics
   * (HTTP codes, response time) from the callers' proxies under TargetDiscoveryName.
   */
  private serviceConnectMetric(metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ECS',
      metricName,
      statistic,
      period: Duration.minutes(5),
      dimensionsMap: { TargetDiscoveryName: this.props.serviceConnectDiscoveryName! },
    });
  }

  /** Requests answered by this service through Service Connect: the sum of its response codes. */
  private serviceConnectRequests(): cloudwatch.MathExpression {
    return this.serviceConnectResponses('c2 + c3 + c4 + c5', 'Requests (Service Connect)');
  }

  /** An expression over the response-code counts c2..c5 of the traffic into this service. */
  private serviceConnectResponses(expression: string, label: string): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression,
      usingMetrics: {
        c2: this.serviceConnectMetric('HTTPCode_Target_2XX_Count', 'Sum'),
        c3: this.serviceConnectMetric('HTTPCode_Target_3XX_Count', 'Sum'),
        c4: this.serviceConnectMetric('HTTPCode_Target_4XX_Count', 'Sum'),
        c5: this.serviceConnectMetric('HTTPCode_Target_5XX_Count', 'Sum'),
      },
      period: Duration.minutes(5),
      label,
    });
  }
}

const OVERRIDE_KEYS: Array<keyof MicroserviceAlarmOptions> = ['cpuUtilization', 'memoryUtilization', 'runningTasks', 'apiServerErrorRate', 'apiClientErrorRate',
  'apiLatencyP99', 'apiIntegrationLatencyP99', 'apiThrottled', 'loadBalancerTarget5xx', 'loadBalancerUnhealthyHosts', 'loadBalancerTargetResponseTime',
  'meshServerErrorRate', 'meshLatencyP99'];

function validateOverrides(path: string, o: MicroserviceAlarmOptions): void {
  const errors = new PropErrors(`Microservice '${path}'`);
  for (const key of OVERRIDE_KEYS) {
    const v = o[key] as AlarmOverride | undefined;
    if (!v) continue;
    errors.range(`alarms.${key}.threshold`, v.threshold, 0, Number.MAX_SAFE_INTEGER);
    errors.integer(`alarms.${key}.evaluationPeriods`, v.evaluationPeriods, 1, 100);
    errors.integer(`alarms.${key}.datapointsToAlarm`, v.datapointsToAlarm, 1, v.evaluationPeriods ?? 100);
    if (key.endsWith('Rate') || key.endsWith('Utilization')) errors.range(`alarms.${key}.threshold`, v.threshold, 0, 100);
  }
  errors.throwIfAny();
}
