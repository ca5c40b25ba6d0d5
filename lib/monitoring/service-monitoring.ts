import { Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_CATALOG, AlarmSpec } from './alarm-catalog';
import { AlarmOverride, AlarmSeverity, MicroserviceAlarmOptions } from './alarm-options';
import type { AlarmKey, AlarmSource, ServicePart } from '../private/binding';
import { safeName } from '../private/names';
import { PropErrors } from '../private/validation';

/** An extra alarm on a service's metrics, named and routed like the default ones. */
export interface ServiceAlarmProps {
  /** The metric. */
  readonly metric: cloudwatch.IMetric;
  /** The threshold. */
  readonly threshold: number;
  /**
   * How the metric is compared with the threshold.
   *
   * @default cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * Periods evaluated.
   *
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods, of evaluationPeriods, that set off the alarm.
   *
   * @default - evaluationPeriods
   */
  readonly datapointsToAlarm?: number;
  /**
   * How periods without data count.
   *
   * @default cloudwatch.TreatMissingData.NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Critical alarms feed the health alarm and page; warnings notify.
   *
   * @default AlarmSeverity.WARNING
   */
  readonly severity?: AlarmSeverity;
  /**
   * The alarm description.
   *
   * @default - none
   */
  readonly description?: string;
}

/** What monitoring needs of its service. */
export interface ServiceMonitoringWiring {
  readonly name: string;
  readonly servicePath: string;
  readonly service: ecs.FargateService;
  readonly alarmTopic: sns.ITopic;
  readonly warningTopic: sns.ITopic;
  readonly options: MicroserviceAlarmOptions;
  /** The service's parts in request order: front door, integration, tasks, cache, mesh. */
  readonly parts: ServicePart[];
}

const DEPLOYMENT_ALARMS_DOC = 'rolls back a deployment';

/**
 * A service's alarms (every catalog entry that a part of the service measures, each
 * overridable), its composite health alarm, the ECS deployment alarms, the failed-deployment
 * notification and its dashboard. Created by `Microservice`.
 */
export class ServiceMonitoring extends Construct {
  /** @internal */
  public static _create(scope: Construct, id: string, wiring: ServiceMonitoringWiring): ServiceMonitoring {
    return new ServiceMonitoring(scope, id, wiring);
  }

  /** Every alarm, by id (`ApiServerErrorRate`, `CacheEngineCpu`, ...). */
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
  private readonly wiring: ServiceMonitoringWiring;
  private readonly enabled: boolean;
  private readonly parts: ServicePart[];
  /** The health alarm, then every alarm as it is created: read when a status widget renders, so later alarms show. */
  private readonly statusAlarms: cloudwatch.IAlarm[] = [];

  private constructor(scope: Construct, id: string, wiring: ServiceMonitoringWiring) {
    super(scope, id);
    this.wiring = wiring;
    this.parts = [...wiring.parts];
    this.enabled = wiring.options.enabled ?? true;
    this.prefix = safeName(`${Stack.of(this).stackName}-${wiring.name}`, 200);
    this.healthAlarmName = `${this.prefix}-health`;
    validateOverrides(wiring.servicePath, wiring.options);

    if (this.enabled) {
      this.parts.push(this.notifyFailedDeployments());
      this.createDefaults(this.parts);
      this.healthAlarm = new cloudwatch.CompositeAlarm(this, 'Health', {
        compositeAlarmName: this.healthAlarmName,
        alarmDescription: `Health of ${wiring.servicePath}: in ALARM when any of its critical alarms is`,
        alarmRule: cloudwatch.AlarmRule.fromString(Lazy.string({
          produce: () => (this.critical.length ? this.critical.map((n) => `ALARM("${n}")`).join(' OR ') : 'FALSE'),
        })),
      });
      this.healthAlarm.addAlarmAction(new cwactions.SnsAction(wiring.alarmTopic));
      this.statusAlarms.unshift(this.healthAlarm);
      for (const a of Object.values(this.alarms)) this.healthAlarm.node.addDependency(a);
      if (this.deploymentAlarmNames.length > 0) {
        wiring.service.enableDeploymentAlarms(this.deploymentAlarmNames, { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...this.widgets());
  }

  /**
   * The prefix of the service's alarm names (`<stack>-<service>`).
   *
   * @internal
   */
  public get _alarmPrefix(): string {
    return this.prefix;
  }

  /**
   * Adds a part that appears after construction (an edge to a backend): its default alarms, and
   * its rows at the end of the dashboard.
   *
   * @internal
   */
  public _addPart(part: ServicePart): void {
    this.parts.push(part);
    if (this.enabled) {
      const before = Object.values(this.alarms);
      this.createDefaults([part]);
      for (const a of Object.values(this.alarms).filter((x) => !before.includes(x))) this.healthAlarm?.node.addDependency(a);
    }
    for (const row of part.dashboardRows?.() ?? []) this.dashboard.addWidgets(new cloudwatch.Row(...row));
  }

  /**
   * Adds an alarm on the service's metrics, named `<stack>-<service>-<id>` and routed by severity:
   * critical joins the health alarm (which pages), warning notifies the warning topic.
   */
  public addAlarm(id: string, props: ServiceAlarmProps): cloudwatch.Alarm {
    const errors = new PropErrors(`addAlarm('${id}') of ${this.wiring.servicePath}`);
    errors.text('id', id, /^[A-Za-z][A-Za-z0-9]{0,40}$/, 'PascalCase letters and digits, 1-41 characters');
    if (this.alarms[id]) errors.add(`id must be new, got "${id}" which the service already has`);
    if (!this.enabled) errors.add('alarms must be enabled (alarms.enabled is false), got an extra alarm');
    errors.integer('evaluationPeriods', props.evaluationPeriods, 1, 100);
    errors.integer('datapointsToAlarm', props.datapointsToAlarm, 1, props.evaluationPeriods ?? 3);
    errors.throwIfAny();
    const severity = props.severity ?? AlarmSeverity.WARNING;
    const periods = props.evaluationPeriods ?? 3;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: this.nameOf(id),
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: props.datapointsToAlarm ?? periods,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${props.description ?? id} (${severity}, ${this.wiring.servicePath})`,
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
    const rows: cloudwatch.IWidget[] = [];
    if (this.statusAlarms.length > 0) {
      rows.push(new cloudwatch.AlarmStatusWidget({ title: `${this.wiring.name}: alarms`, alarms: this.statusAlarms, width: 24, height: 3 }));
    }
    const signals = this.parts.find((p) => p.signals)?.signals;
    const graph = (title: string, metrics: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left: metrics, width: 6, height: 6 });
    // A graph without metrics is rejected by CloudWatch: a service no part sees requests of shows a note.
    const orNote = (title: string, metrics: cloudwatch.IMetric[] | undefined) => (metrics && metrics.length > 0 ? graph(title, metrics)
      : new cloudwatch.TextWidget({ markdown: `### ${title}\nNo request metrics: no part of this service publishes any to CloudWatch.`, width: 6, height: 6 }));
    const service = this.wiring.service;
    rows.push(new cloudwatch.Row(
      orNote('Traffic (requests)', signals?.traffic),
      orNote('Errors', signals?.errors),
      orNote('Latency p99 (ms)', signals?.latency),
      graph('Saturation (%)', [service.metricCpuUtilization({ period: Duration.minutes(1) }), service.metricMemoryUtilization({ period: Duration.minutes(1) })]),
    ));
    for (const part of this.parts) {
      for (const row of part.dashboardRows?.() ?? []) rows.push(new cloudwatch.Row(...row));
    }
    return rows;
  }

  /**
   * A failed deployment pages through the alarm topic: an EventBridge rule on the service's
   * `SERVICE_DEPLOYMENT_FAILED` events, whose target is the topic by ARN only. The platform's topic
   * policy admits EventBridge once for every service (aws-events-targets' SnsTopic would add a
   * statement to the platform's stack from each service's). What EventBridge cannot deliver after
   * its retries goes to a dead-letter queue of the rule's (cdk-nag's Serverless-EventBusDLQ),
   * which only this rule may send to (EventBridge guide, "Using dead-letter queues to process
   * undelivered events": `aws:SourceArn` of the rule); an alert waiting there raises
   * `deploymentAlertsUndelivered` on the warning topic, which CloudWatch reaches by its own path.
   */
  private notifyFailedDeployments(): ServicePart {
    const { service, servicePath, alarmTopic } = this.wiring;
    const deadLetters = new sqs.Queue(this, 'DeploymentFailedDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const id of ['AwsSolutions-SQS3', 'cdk-validator-cfnguard::sqs_dlq_check']) {
      Validations.of(deadLetters).acknowledge({
        id,
        reason: 'It is a dead-letter queue, of the failed-deployment rule\'s target (its DeadLetterConfig), which the rules do not see; a queue of dead letters has none of its own, and no SQS queue redrives into it.',
      });
    }
    const rule = new events.Rule(this, 'DeploymentFailed', {
      description: `Failed deployments of ${servicePath}`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [service.serviceArn],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
    });
    rule.addTarget({
      bind: () => ({
        arn: alarmTopic.topicArn,
        deadLetterConfig: { arn: deadLetters.queueArn },
        retryPolicy: { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 },
      }),
    });
    deadLetters.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [deadLetters.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
    }));
    return {
      alarms: [{
        key: 'deploymentAlertsUndelivered',
        metric: (period) => deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period }),
      }],
    };
  }

  /** The catalog entries the parts measure, in catalog order. */
  private createDefaults(parts: ServicePart[]): void {
    const sources = parts.flatMap((p) => p.alarms ?? []);
    for (const key of Object.keys(ALARM_CATALOG) as AlarmKey[]) {
      for (const source of sources.filter((s) => s.key === key)) this.createDefault(key, source);
    }
  }

  private createDefault(key: AlarmKey, source: AlarmSource): void {
    const spec = ALARM_CATALOG[key];
    const o: AlarmOverride = this.wiring.options[key] ?? {};
    if (o.enabled === false) return;
    const periods = o.evaluationPeriods ?? spec.evaluationPeriods;
    const threshold = o.threshold ?? source.threshold ?? spec.threshold;
    const id = `${spec.id}${source.idSuffix ?? ''}`;
    const what = source.whatSuffix ? `${spec.what} ${source.whatSuffix}` : spec.what;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: this.nameOf(id),
      metric: source.metric(Duration.minutes(spec.periodMinutes)),
      threshold: source.toMetricUnit ? source.toMetricUnit(threshold) : threshold,
      comparisonOperator: spec.comparison === '>='
        ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: o.datapointsToAlarm ?? periods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${what} ${spec.comparison} ${threshold} (${spec.severity}${spec.rollback ? `; ${DEPLOYMENT_ALARMS_DOC}` : ''}, ${this.wiring.servicePath})`,
    });
    this.route(id, alarm, spec.severity);
    if (spec.rollback) this.deploymentAlarmNames.push(this.nameOf(id));
  }

  /** An alarm's name: `<stack>-<service>-<id>`, within CloudWatch's 255 characters. */
  private nameOf(id: string): string {
    return safeName(`${this.prefix}-${id}`, 255);
  }

  /**
   * Critical alarms feed the health alarm, which pages through the alarm topic once per incident;
   * they tell the warning topic themselves (every alarm has an action: Control Tower CT.CLOUDWATCH.PR.1),
   * which never pages. Warnings tell the warning topic only.
   */
  private route(id: string, alarm: cloudwatch.Alarm, severity: AlarmSeverity): void {
    this.alarms[id] = alarm;
    this.statusAlarms.push(alarm);
    if (severity === AlarmSeverity.CRITICAL) this.critical.push(this.nameOf(id));
    alarm.addAlarmAction(new cwactions.SnsAction(this.wiring.warningTopic));
  }
}

function validateOverrides(path: string, o: MicroserviceAlarmOptions): void {
  const errors = new PropErrors(`Microservice '${path}'`);
  for (const [key, spec] of Object.entries(ALARM_CATALOG) as Array<[AlarmKey, AlarmSpec]>) {
    const v = o[key];
    if (!v) continue;
    const [min, max] = spec.range ?? [0, spec.what.includes('%') ? 100 : Number.MAX_SAFE_INTEGER];
    errors.range(`alarms.${key}.threshold`, v.threshold, min, max);
    // A Metrics Insights alarm evaluates the latest 3 hours of data only (CloudWatch's alarm limits).
    errors.integer(`alarms.${key}.evaluationPeriods`, v.evaluationPeriods, 1, spec.metricsInsights ? Math.floor(180 / spec.periodMinutes) : 100);
    errors.integer(`alarms.${key}.datapointsToAlarm`, v.datapointsToAlarm, 1, v.evaluationPeriods ?? spec.evaluationPeriods);
  }
  errors.throwIfAny();
}
